"""The workshop as an Excel workbook: tidy sheets with number and percent formats, a grid-shaped map, sources.

Cells are written one by one with openpyxl (not through pandas), so that text is always a text cell:
a persona, a pain point or a data value starting with `=`, `+`, `-` or `@` is stored as text (never a
live formula), and marked with Excel's quote prefix so that editing the cell keeps it text.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from jmapkit.export.report import SHEETS, Report, Table, build
from jmapkit.journey import LANES, data_evidence
from jmapkit.numbers import language, missing
from jmapkit.safe import dangerous

if TYPE_CHECKING:
    import pandas as pd

    from jmapkit.store import Workshop

MAX_WIDTH = 60  # characters; longer cells wrap
FORMATS = {"int": "#,##0", "pct": "0.0%", "points": "0.0", "dec1": "0.0", "dec2": "0.00", "signed": "+0.0;-0.0;0.0",
           "num": "#,##0.##"}
# Step-4 tables: sheet name → the step-4 table that must exist for it.
STEP4 = {"funnel": "funnel", "funnel by persona": "funnel_by_segment", "drop-off": "touchpoints", "paths": "paths",
         "transitions": "transitions", "scores": "scores", "sentiment": "sentiment"}
GREY = "6B6B6B"


def write(ws: Workshop, path: Path) -> Path:
    """Write one sheet per table of `ws` (summary … map) and a 'sources' sheet to `path`."""
    from openpyxl import Workbook

    report = build(ws)
    book = Workbook()
    book.remove(book.active)
    with language(report.language):
        for name in SHEETS:
            if name == "map":
                _map_sheet(book.create_sheet(name), report)
                continue
            why = report.missing(STEP4[name]) if name in STEP4 else None
            table = _missing(name, why) if why else report.data(name)
            _write_table(book.create_sheet(name), table)
        _write_table(book.create_sheet("sources"), Table(_sources(report)))
    book.save(path)
    return path


def _write_table(sheet: Any, table: Table) -> None:
    """Header row bold and frozen, numbers with their format, text as text, template rows grey italic."""
    from openpyxl.styles import Alignment, Font

    frame = table.frame
    for j, column in enumerate(frame.columns, start=1):
        _put(sheet.cell(row=1, column=j), str(column)).font = Font(bold=True)
    grey = Font(italic=True, color=GREY)
    for i, row in enumerate(frame.itertuples(index=False), start=2):
        template = i - 2 < len(table.template) and table.template[i - 2]
        for j, (column, value) in enumerate(zip(frame.columns, row, strict=True), start=1):
            cell = _put(sheet.cell(row=i, column=j), value)
            kind = table.formats.get(column)
            if kind and cell.data_type == "n":
                cell.number_format = FORMATS[kind]
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if template:
                cell.font = grey
    sheet.freeze_panes = "A2"
    _widths(sheet, [[str(c) for c in frame.columns]] + [[_shown(v) for v in r] for r in frame.itertuples(index=False)])


def _map_sheet(sheet: Any, report: Report) -> None:
    """The map as a grid: stages across, lanes down; each item on its own line, template items grey italic."""
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont
    from openpyxl.styles import Alignment, Font

    stages = list(report.touchpoints.stages)
    cells = {(r["stage"], r["lane"]): r for r in report.lanes.to_dict("records")}
    _put(sheet.cell(row=1, column=1), "lane").font = Font(bold=True)
    for j, s in enumerate(stages, start=2):
        _put(sheet.cell(row=1, column=j), s.label).font = Font(bold=True)
    plain, grey = InlineFont(), InlineFont(i=True, color=GREY)
    texts: list[list[str]] = [["lane"] + [s.label for s in stages]]
    for i, (lane, label) in enumerate(LANES.items(), start=2):
        _put(sheet.cell(row=i, column=1), label).font = Font(bold=True)
        row = [label]
        for j, s in enumerate(stages, start=2):
            cell = cells[(s.id, lane)]
            items, flags = list(cell["items"]), list(cell["item_template"])
            target = sheet.cell(row=i, column=j)
            if any(flags):
                # Rich text keeps every item as text; only the un-reviewed ones are grey italic.
                blocks = [TextBlock(grey if flag else plain, ("\n" if k else "") + item)
                          for k, (item, flag) in enumerate(zip(items, flags, strict=True))]
                target.value = CellRichText(blocks)
                target.data_type = "s"
            else:
                _put(target, "\n".join(items))
            target.alignment = Alignment(wrap_text=True, vertical="top")
            row.append("\n".join(items))
        texts.append(row)
    sheet.freeze_panes = "B2"
    _widths(sheet, texts, cap=40)


def _put(cell: Any, value: Any) -> Any:
    """Write a value: numbers as numbers, everything else as a text cell (never a formula)."""
    if value is None or (isinstance(value, float) and missing(value)):
        return cell
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()  # numpy scalar
    if isinstance(value, bool):
        cell.value = "yes" if value else ""
        return cell
    if isinstance(value, (int, float)):
        cell.value = value
        return cell
    text = str(value)
    cell.value = text
    cell.data_type = "s"  # openpyxl would store "=..." as a formula
    if dangerous(text):
        from openpyxl.styles import Alignment

        cell.alignment = Alignment(wrap_text=True, vertical="top")
        cell.quotePrefix = True  # stays text when someone edits the cell in Excel
    return cell


def _missing(name: str, why: str) -> Table:
    import pandas as pd

    return Table(pd.DataFrame({"missing": [f"No {name} table: {why}."]}))


def _sources(report: Report) -> pd.DataFrame:
    import pandas as pd

    b = report.steps.results
    rows = [{"what": f"input: {name}", "file": ref.path, "sha256": ref.sha256, "rows": ref.rows,
             "run": b.run or ""} for name, ref in b.inputs.items()]
    if not rows:
        rows.append({"what": "data", "file": data_evidence(report.steps), "sha256": "", "rows": None, "run": ""})
    for name, why in sorted(report.steps.missing_tables.items()):
        rows.append({"what": f"missing table: {name}", "file": why, "sha256": "", "rows": None, "run": ""})
    return pd.DataFrame(rows, columns=["what", "file", "sha256", "rows", "run"])


def _shown(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and missing(value)) else str(value)


def _widths(sheet: Any, rows: list[list[str]], cap: int = MAX_WIDTH) -> None:
    from openpyxl.utils import get_column_letter

    from jmapkit.charts import text_width

    for j in range(max((len(r) for r in rows), default=0)):
        widest = max((text_width(line) for r in rows if j < len(r) for line in str(r[j]).split("\n")), default=8)
        sheet.column_dimensions[get_column_letter(j + 1)].width = min(max(widest + 2, 8), cap)
