"""The workshop as an Excel workbook: one sheet per table, plus where each number came from."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from jmapkit.export.report import SHEETS, Report, build
from jmapkit.journey import data_evidence

if TYPE_CHECKING:
    import pandas as pd

    from jmapkit.store import Workshop

# Step-4 tables: sheet name → (table name, what to say when it is missing).
_STEP4 = {"funnel": "funnel", "scores": "scores", "emotion": "emotion"}
MAX_WIDTH = 60  # characters; longer cells wrap


def write(ws: Workshop, path: Path) -> Path:
    """Write one sheet per table of `ws` (goals … map) and a 'sources' sheet to `path`."""
    import pandas as pd

    report = build(ws)
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name in SHEETS:
            frame = sheet(report, name)
            frame.to_excel(writer, sheet_name=name, index=False)
            _format(writer.sheets[name], frame)
        sources = _sources(report)
        sources.to_excel(writer, sheet_name="sources", index=False)
        _format(writer.sheets["sources"], sources)
    return path


def sheet(report: Report, name: str) -> pd.DataFrame:
    """The table written to sheet `name`; a missing step-4 table becomes one row saying why."""
    import pandas as pd

    if name in _STEP4:
        why = report.missing(_STEP4[name])
        if why:
            return pd.DataFrame({"missing": [f"No {name} table: {why}."]})
    frame = report.table(name)
    if name == "personas" and report.steps.personas:
        frame = frame.assign(evidence=["\n".join(p.evidence) for p in report.steps.personas.personas])
    return frame


def _sources(report: Report) -> pd.DataFrame:
    import pandas as pd

    b = report.steps.results
    rows = [{"what": f"input: {name}", "file": ref.path, "sha256": ref.sha256, "rows": ref.rows,
             "run": b.run or ""} for name, ref in (b.inputs.items() if b else [])]
    if not rows:
        rows.append({"what": "data", "file": data_evidence(report.steps), "sha256": "", "rows": None, "run": ""})
    for name, why in sorted(report.steps.missing_tables.items()):
        rows.append({"what": f"missing table: {name}", "file": why, "sha256": "", "rows": None, "run": ""})
    return pd.DataFrame(rows, columns=["what", "file", "sha256", "rows", "run"])


def _format(sheet: object, frame: pd.DataFrame) -> None:
    """Bold header, frozen first row, column widths from the content, wrapped long text."""
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    from jmapkit.charts import text_width

    sheet.freeze_panes = "A2"  # type: ignore[attr-defined]
    for cell in sheet[1]:  # type: ignore[index]
        cell.font = Font(bold=True)
    for j, column in enumerate(frame.columns, start=1):
        values = [str(column)] + ["" if v is None else str(v) for v in frame[column].tolist()]
        widest = max((text_width(line) for v in values for line in v.split("\n")), default=8)
        sheet.column_dimensions[get_column_letter(j)].width = min(max(widest + 2, 8), MAX_WIDTH)  # type: ignore[attr-defined]
        for row in sheet.iter_rows(min_row=2, min_col=j, max_col=j):  # type: ignore[attr-defined]
            row[0].alignment = Alignment(wrap_text=True, vertical="top")
