"""What the step notebooks show besides forms: display setup, tables for people, notes for the facilitator.

Notebook cells call these so they hold no logic: `setup(ws)` once, then `table(...)` for any table
(labels not ids, no index, no NaN, formatted numbers) and `notes(...)` for warnings the facilitator
should read but the room need not see.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from jmapkit.i18n import _, ngettext, set_language

if TYPE_CHECKING:
    import pandas as pd

    from jmapkit.store import Workshop

SETTINGS_FILE = "settings.json"  # per-workshop display settings, next to workshop.json


def setup(ws: Workshop | None = None) -> None:
    """Static SVG charts (offline, valid under papermill), the workshop's language and presentation mode."""
    from jmapkit import charts

    if ws is not None:
        set_language(ws.meta.language)
        charts.presentation(presentation(ws))
    charts.setup_renderer(lazy=True)  # Altair costs ≈ 1 s to import: only when the first chart is drawn


def presentation(ws: Workshop) -> bool:
    """Whether the workshop's notebooks draw charts and the map at projector size."""
    return bool(_settings(ws).get("presentation", False))


def set_presentation(ws: Workshop, on: bool) -> None:
    """Switch presentation mode for this workshop's notebooks (charts drawn from now on)."""
    from jmapkit import charts
    from jmapkit.store import atomic_write_text

    settings = {**_settings(ws), "presentation": bool(on)}
    atomic_write_text(ws.path(SETTINGS_FILE), json.dumps(settings, indent=2) + "\n")
    charts.presentation(on)


def _settings(ws: Workshop) -> dict[str, Any]:
    path = ws.path(SETTINGS_FILE)
    try:
        value = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (ValueError, UnicodeDecodeError):
        return {}
    return value if isinstance(value, dict) else {}


def table(frame: pd.DataFrame, *, percent: Iterable[str] = (), digits: int = 1) -> Any:
    """A table for people: no index, '–' for missing, formatted numbers and percentages, text shown as text."""
    from jmapkit import charts
    from jmapkit.journey import number

    percent = set(percent)

    def fmt(column: str) -> Any:
        def one(value: Any) -> str:
            if value is None or (isinstance(value, float) and math.isnan(value)) or _is_na(value):
                return "–"
            if column in percent and isinstance(value, (int, float)):
                return f"{number(100 * float(value), digits)} %"
            if isinstance(value, bool):
                return "✓" if value else ""
            if isinstance(value, (int, float)):
                return number(value, digits)
            return str(value)

        return one

    # Cells hold what participants and data files supplied: escaped, so markup shows as text and never runs.
    styler = frame.style.hide(axis="index").format({c: fmt(str(c)) for c in frame.columns}, escape="html")
    styler = styler.format_index(lambda c: _(header(str(c))), escape="html", axis=1)
    size = "18px" if charts.presentation() else "13px"
    return styler.set_table_styles([{"selector": "td, th", "props": [("font-size", size), ("text-align", "left")]}])


def header(column: str) -> str:
    """A column name for people: 'conversion_from_previous' → 'Conversion from previous'."""
    text = column.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def notes(lines: Iterable[str], *, title: str | None = None) -> Any:
    """Notices for the facilitator (data warnings, install hints) in a collapsed box, not in the room's view."""
    from IPython.display import HTML

    lines = [str(line) for line in lines]
    if not lines:
        return HTML("")
    heading = title or ngettext("{n} note for the facilitator", "{n} notes for the facilitator",
                                len(lines)).format(n=len(lines))
    items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
    return HTML(f"<details class='jmapkit-notes'><summary>{html.escape(heading)}</summary><ul>{items}</ul></details>")


def guide(ws: Workshop, step: str) -> Any:
    """The template's notes for the facilitator on this step, in the workshop's language, collapsed."""
    from jmapkit.errors import JmapkitError
    from jmapkit.templates import notes as template_notes

    meta = ws.meta
    try:
        text = template_notes(meta.template, step, meta.language)
    except JmapkitError:  # a workshop made from a template this installation does not have
        text = ""
    return notes([text] if text else [], title=_("Facilitator notes for this step"))


def heading(text: str) -> Any:
    """A section heading in the workshop's language (notebook markdown stays for people who read the code)."""
    from IPython.display import HTML

    return HTML(f"<h3>{html.escape(_(text))}</h3>")


def _is_na(value: Any) -> bool:
    try:
        import pandas as pd

        return bool(pd.isna(value)) if not isinstance(value, (list, tuple, dict)) else False
    except (TypeError, ValueError):
        return False
