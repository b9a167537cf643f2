"""The workshop as one self-contained HTML page: the map and each step's summary, with no external URLs.

Charts are embedded as PNG data URIs rendered offline by vl-convert, so the page looks the same on
every machine, works from a USB stick or an e-mail attachment, and loads nothing from the network.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import TYPE_CHECKING

from jmapkit.export.report import SECTIONS, Report, build

if TYPE_CHECKING:
    import pandas as pd

    from jmapkit.store import Workshop

CSS = """
body { font-family: "Noto Sans CJK JP", "Noto Sans CJK KR", "Segoe UI", "Malgun Gothic", "Yu Gothic", Arial,
       sans-serif; margin: 0 auto; max-width: 1280px; padding: 24px; color: #222; }
header { background: #1f5fa8; color: white; padding: 24px 28px; border-radius: 6px; }
header h1 { margin: 0 0 12px 0; font-size: 2em; }
header dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; }
header dt { font-weight: bold; }
header dd { margin: 0; }
section { margin-top: 36px; }
h2 { color: #1f5fa8; border-bottom: 2px solid #1f5fa8; padding-bottom: 4px; }
table { border-collapse: collapse; width: 100%; font-size: 0.92em; }
th { background: #1f5fa8; color: white; text-align: left; }
th, td { padding: 6px 8px; vertical-align: top; border-bottom: 1px solid #dde2e8; white-space: pre-line; }
tr:nth-child(even) td { background: #f4f6f8; }
img { max-width: 100%; height: auto; }
.cards { display: flex; gap: 16px; flex-wrap: wrap; }
.card { flex: 1 1 280px; background: #eef2f7; border-radius: 6px; padding: 14px 16px; }
.card h3 { margin: 0 0 4px 0; color: #1f5fa8; }
.muted, .source { color: #6b6b6b; }
.source { font-size: 0.85em; margin-top: 8px; }
.missing { color: #6b6b6b; font-style: italic; }
.template { color: #6b6b6b; font-style: italic; }
details { margin-top: 6px; font-size: 0.85em; color: #444; }
"""


def write(ws: Workshop, path: Path) -> Path:
    """Write the page for `ws` to `path` (UTF-8, one file)."""
    report = build(ws)
    path.write_text(render(report), encoding="utf-8")
    return path


def render(report: Report) -> str:
    """The whole page as a string."""
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{_e(report.language)}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(report.title)}</title><style>{CSS}</style></head><body>",
        _header(report),
        _section(report, "map", _img(report.png("map"), "journey map")),
        _section(report, "goals", _table(report.table("goals").query("field != 'Source'"), header=False)),
        _section(report, "personas", _personas(report)),
        _section(report, "touchpoints", _table(report.table("touchpoints").drop(columns=["source"]))),
        _section(report, "funnel", _funnel(report)),
        _section(report, "scores", _scores(report)),
        _section(report, "pain_points", _table(report.table("pain points"))),
        _section(report, "kpis", _table(report.table("kpis"))),
        f'<p class="source">{_e(report.footer("title"))}</p>',
        "</body></html>",
    ]
    return "\n".join(parts)


def _header(report: Report) -> str:
    rows = "".join(f"<dt>{_e(label)}</dt><dd>{_e(value)}</dd>" for label, value in report.subtitle())
    return f"<header><h1>{_e(report.title)}</h1><dl>{rows}</dl></header>"


def _section(report: Report, key: str, body: str) -> str:
    notes = _e(report.notes(key)).replace("\n", "<br>")
    return (f'<section id="{key}"><h2>{_e(SECTIONS[key])}</h2>{body}'
            f'<p class="source">{_e(report.footer(key))}</p>'
            f"<details><summary>Where these numbers come from</summary><p>{notes}</p></details></section>")


def _personas(report: Report) -> str:
    personas = report.steps.personas.personas if report.steps.personas else []
    if not personas:
        return '<p class="missing">No personas yet: add them in step 2.</p>'
    cards = []
    for p in personas:
        lists = "".join(
            f"<p><b>{_e(h)}</b></p><ul>{''.join(f'<li>{_e(i)}</li>' for i in items)}</ul>"
            for h, items in (("Goals", p.goals), ("Needs", p.needs), ("Frustrations", p.frustrations)) if items
        )
        badge = '<p class="template">template — not yet reviewed by the team</p>' if p.source.kind == "template" else ""
        quote = f"<p><i>“{_e(p.quote)}”</i></p>" if p.quote else ""
        cards.append(f'<div class="card"><h3>{_e(p.name)}</h3><p class="muted">{_e(p.role)}</p>{quote}{lists}'
                     f"{badge}</div>")
    return f'<div class="cards">{"".join(cards)}</div>'


def _funnel(report: Report) -> str:
    why = report.missing("funnel")
    if why:
        return f'<p class="missing">No funnel: {_e(why)}.</p>'
    return (_img(report.png("funnel"), "funnel") + _img(report.png("time"), "time between stages")
            + _table(report.funnel_summary()))


def _scores(report: Report) -> str:
    why = report.missing("scores")
    if why:
        return f'<p class="missing">No NPS or CSAT: {_e(why)}.</p>'
    return _img(report.png("nps"), "NPS per touchpoint") + _img(report.png("csat"), "CSAT per touchpoint")


def _table(frame: pd.DataFrame, *, header: bool = True) -> str:
    if not len(frame):
        return '<p class="missing">Nothing entered yet.</p>'
    flags = [c for c in frame.columns if frame[c].dtype == bool]
    frame = frame.assign(**{c: frame[c].map({True: "yes", False: ""}) for c in flags})
    return frame.to_html(index=False, header=header, escape=True, na_rep="", border=0)


def _img(png: bytes, alt: str, scale: float = 2.0) -> str:
    """A PNG data URI shown at its chart size (it is rendered at `scale`× for sharp text on high-DPI screens)."""
    import struct

    width = struct.unpack(">I", png[16:20])[0]  # IHDR width
    data = base64.b64encode(png).decode("ascii")
    return f'<p><img alt="{_e(alt)}" width="{round(width / scale)}" src="data:image/png;base64,{data}"></p>'


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)
