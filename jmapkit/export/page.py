"""The workshop as one self-contained HTML page: findings first, the map as HTML/SVG, every table, no external URL.

The journey map is an HTML table with an inline SVG emotion curve, and the charts are inline SVG
rendered offline by vl-convert, so every word on the page is selectable text and the page works from a
USB stick or an e-mail attachment. Everything a team or a data file supplied is escaped.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jmapkit.export.report import SECTIONS, Report, Table, build
from jmapkit.i18n import _
from jmapkit.journey import LANES, TEMPLATE_NOTE
from jmapkit.numbers import language

if TYPE_CHECKING:
    import pandas as pd

    from jmapkit.store import Workshop

CSS = """
html:lang(ko) body { word-break: keep-all; }  /* Korean breaks between words, never inside one */
body { font-family: "Noto Sans CJK JP", "Noto Sans CJK KR", "Segoe UI", "Malgun Gothic", "Yu Gothic", Arial,
       sans-serif; margin: 0 auto; max-width: 1280px; padding: 24px; color: #222; line-break: strict;
       }
header { background: #1f5fa8; color: white; padding: 24px 28px; border-radius: 6px; }
header h1 { margin: 0 0 12px 0; font-size: 2em; }
header dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; }
header dt { font-weight: bold; }
header dd { margin: 0; }
nav { margin: 12px 0; font-size: 0.9em; }
nav a { margin-right: 12px; color: #1f5fa8; }
section { margin-top: 36px; }
h2 { color: #1f5fa8; border-bottom: 2px solid #1f5fa8; padding-bottom: 4px; }
h2 small { display: block; color: #6b6b6b; font-size: 0.6em; font-weight: normal; }
table { border-collapse: collapse; width: 100%; font-size: 0.95em; }
th { background: #1f5fa8; color: white; text-align: left; }
th, td { padding: 6px 8px; vertical-align: top; border-bottom: 1px solid #dde2e8; white-space: pre-line; }
tr:nth-child(even) td { background: #f4f6f8; }
.chart svg { width: 100%; height: auto; }
.cards { display: flex; gap: 16px; flex-wrap: wrap; }
.card { flex: 1 1 280px; background: #eef2f7; border-radius: 6px; padding: 14px 16px; }
.card h3 { margin: 0 0 4px 0; color: #1f5fa8; }
.panels { display: grid; grid-template-columns: 1fr 1fr; gap: 14px; }
.panel { background: #eef2f7; border-radius: 6px; padding: 12px 16px; }
.panel h3 { margin: 0 0 6px 0; color: #1f5fa8; }
.panel ul { margin: 0; padding-left: 1.2em; }
.muted, .source { color: #6b6b6b; }
.source { font-size: 0.85em; margin-top: 8px; }
.missing { color: #6b6b6b; font-style: italic; }
.template, .template td { color: #6b6b6b; font-style: italic; }
details { margin-top: 6px; font-size: 0.85em; color: #444; }
table.jmap { table-layout: fixed; font-size: 0.9em; }
table.jmap th.lane { background: #f4f6f8; color: #222; width: 9em; }
table.jmap td ul { margin: 0; padding-left: 1.1em; }
table.jmap td ul.plain { list-style: none; padding-left: 0; }
table.jmap li.urgent { color: #b3261e; }
table.jmap li.template { color: #6b6b6b; font-style: italic; }
table.jmap td.emotion { padding: 0; }
table.jmap svg { width: 100%; height: auto; display: block; }
.legend { font-size: 0.85em; color: #6b6b6b; }
"""
EMOTION = {"team": ("#2e7d32", "square", "6 3"), "voted": ("#1f5fa8", "circle", ""),
           "measured": ("#d9730d", "diamond", "")}


def write(ws: Workshop, path: Path) -> Path:
    """Write the page for `ws` to `path` (UTF-8, one file)."""
    report = build(ws)
    with language(report.language):
        path.write_text(render(report), encoding="utf-8")
    return path


def render(report: Report) -> str:
    """The whole page as a string."""
    nav = "".join(f'<a href="#{key}">{_e(_(name))}</a>' for key, name in SECTIONS.items())
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{_e(report.language)}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(report.title)}</title><style>{CSS}</style></head><body>",
        _header(report),
        f"<nav>{nav}</nav>",
        *(section(report, key, body(report, key)) for key in SECTIONS),
        f'<p class="source">{_e(report.footer("title"))}</p>',
        "</body></html>",
    ]
    return "\n".join(parts)


def body(report: Report, key: str, *, rows: int | None = None) -> str:
    """The HTML of one section's content (shared by the page and the reveal.js slides)."""
    if key == "summary":
        return summary(report)
    if key == "map":
        return map_html(report)
    if key == "goals":
        return table(report.goals_table().display(), header=False)
    if key == "personas":
        return personas(report)
    if key == "touchpoints":
        t = report.touchpoints_table()
        return table(t.display()[["stage", "touchpoint", "channel", "owner", "moment of truth", "handoff"]],
                     template=t.template, rows=rows)
    if key == "funnel":
        why = report.missing("funnel")
        if why:
            return _missing(_("No funnel: {why}.").format(why=why))
        return chart(report, "funnel", 560) + table(report.funnel_summary(), rows=rows)
    if key == "dropoff":
        why = report.missing("touchpoints")
        if why:
            return _missing(_("No drop-off per touchpoint: {why}.").format(why=why))
        drop = report.dropoff_table().display()[["touchpoint", "stage", "customers", "journey ends here"]]
        paths = report.paths_table(top=min(rows, 6) if rows else 10).display()
        paths = paths[["path", "customers", "share of customers"]]
        return ('<div class="panels"><div>' + table(drop, rows=rows) + "</div><div>" + table(paths, rows=rows)
                + "</div></div>")
    if key == "scores":
        why = report.missing("scores")
        if why:
            return _missing(_("No NPS, CSAT or CES: {why}.").format(why=why))
        low = report.lowest_touchpoint()
        return (chart(report, low["metric"], 900) if low else "") + table(report.metric_table("touchpoint"))
    if key == "segments":
        t = report.metric_table("segment")
        return table(t) if len(t) else _missing(_("No scores per persona yet."))
    if key == "emotion":
        t = report.emotion_table()
        if not len(t):
            return _missing(_("No emotions yet: the team's estimate, votes or a survey/verbatims file in step 4."))
        shown = t.display()[["touchpoint", "team estimate", "voted", "votes", "measured", "measured CI low",
                             "measured CI high", "measured from"]]
        return table(shown, template=t.template, rows=rows)
    if key == "pain_points":
        t = report.data("pain points")
        frame = t.display()[["priority", "touchpoint", "pain point", "owner", "fix"]]
        frame["priority"] = ["P" + p for p in frame["priority"]]
        return table(frame, template=t.template, rows=rows) if len(t) else _missing(_("No pain points yet."))
    if key == "opportunities":
        t = report.opportunities_table()
        return (table(t.display()[["stage", "touchpoint", "opportunity", "owner"]], template=t.template, rows=rows)
                if len(t) else _missing(_("No opportunities yet.")))
    if key == "kpis":
        frame = report.kpi_rows()
        return table(frame, template=report.kpis_table().template, rows=rows) if len(frame) else _missing(
            _("No KPIs yet."))
    raise KeyError(key)


def section(report: Report, key: str, content: str) -> str:
    notes = _e(report.notes(key)).replace("\n", "<br>")
    where = _("Where these numbers come from")
    return (f'<section id="{key}"><h2><small>{_e(_(SECTIONS[key]))}</small>{_e(report.headline(key))}</h2>'
            f'{content}<p class="source">{_e(report.footer(key))}</p>'
            f"<details><summary>{_e(where)}</summary><p>{notes}</p></details>"
            "</section>")


def _header(report: Report) -> str:
    rows = "".join(f"<dt>{_e(label)}</dt><dd>{_e(value)}</dd>" for label, value in report.subtitle())
    return f"<header><h1>{_e(report.title)}</h1><dl>{rows}</dl></header>"


def summary(report: Report) -> str:
    panels = "".join(f'<div class="panel"><h3>{_e(h)}</h3><ul>{"".join(f"<li>{_e(i)}</li>" for i in items)}'
                     f"</ul></div>" for h, items in report.summary())
    return f'<div class="panels">{panels}</div>'


def personas(report: Report, people: list[Any] | None = None) -> str:
    ps = report.steps.personas.personas if people is None else people
    if not ps:
        return _missing(_("No personas yet: add them in step 2."))
    cards = []
    for p in ps:
        lists = "".join(
            f"<p><b>{_e(h)}</b></p><ul>{''.join(f'<li>{_e(i)}</li>' for i in items)}</ul>"
            for h, items in ((_("Goals"), p.goals), (_("Needs"), p.needs), (_("Frustrations"), p.frustrations))
            if items
        )
        template = p.source.kind == "template"
        badge = f'<p class="template">{_e(_(TEMPLATE_NOTE))}</p>' if template else ""
        quote = f"<p><i>“{_e(p.quote)}”</i></p>" if p.quote else ""
        cards.append(f'<div class="card{" template" if template else ""}"><h3>{_e(p.name)}</h3>'
                     f'<p class="muted">{_e(p.role)}</p>{quote}{lists}{badge}</div>')
    return f'<div class="cards">{"".join(cards)}</div>'


def chart(report: Report, name: str, width: int) -> str:
    """An inline SVG chart (its text selectable), drawn offline."""
    return f'<div class="chart">{report.svg(name, width)}</div>'


def table(frame: pd.DataFrame, *, header: bool = True, template: list[bool] | None = None,
          rows: int | None = None) -> str:
    """An escaped HTML table; template rows grey italic; `rows` limits the rows and counts the rest."""
    if not len(frame):
        return _missing(_("Nothing entered yet."))
    flags = list(template or [])
    heads = "".join(f"<th>{_e(_(str(c)))}</th>" for c in frame.columns)  # headers in the workshop's language
    head = "<thead><tr>" + heads + "</tr></thead>" if header else ""
    values = [list(r) for r in frame.itertuples(index=False)]
    hidden = len(values) - rows if rows is not None and len(values) > rows else 0
    body_rows = []
    for i, row in enumerate(values[: len(values) - hidden]):
        cls = ' class="template"' if i < len(flags) and flags[i] else ""
        body_rows.append(f"<tr{cls}>" + "".join(f"<td>{_e(_text(v))}</td>" for v in row) + "</tr>")
    if hidden:
        more = _("+ {n} more (see the xlsx export)").format(n=hidden)
        body_rows.append(f'<tr class="template"><td colspan="{len(frame.columns)}">{_e(more)}</td></tr>')
    return f"<table>{head}<tbody>{''.join(body_rows)}</tbody></table>"


def map_html(report: Report, stages: list[Any] | None = None, lanes: list[str] | None = None) -> str:
    """The journey map as an HTML table: stages as columns, one row per lane, the emotion curve as inline SVG."""
    all_stages = list(report.touchpoints.stages)
    if not all_stages:
        return _missing(_("No journey map yet: step 3 has no stages."))
    stages = stages or all_stages
    cells = {(r["stage"], r["lane"]): r for r in report.lanes.to_dict("records")}
    head = '<tr><th class="lane"></th>' + "".join(f"<th>{_e(s.label)}</th>" for s in stages) + "</tr>"
    rows = []
    for lane in lanes or list(LANES):
        if lane == "emotion":
            rows.append(f'<tr><th class="lane">{_e(_(LANES[lane]))}{_emotion_legend()}</th>'
                        f'<td class="emotion" colspan="{len(stages)}">{emotion_svg(report, stages, cells)}</td></tr>')
            continue
        tds = []
        for s in stages:
            cell = cells[(s.id, lane)]
            plain = " plain" if lane in ("touchpoints", "owners") else ""
            prios = list(cell["priorities"])
            items = []
            for k, (item, template) in enumerate(zip(cell["items"], cell["item_template"], strict=True)):
                classes = (["template"] if template else []) + (
                    ["urgent"] if lane == "pain_points" and k < len(prios) and prios[k] >= 20 else [])
                cls = f' class="{" ".join(classes)}"' if classes else ""
                items.append(f"<li{cls}>{_e(item)}</li>")
            tds.append(f'<td><ul class="{plain.strip()}">{"".join(items)}</ul></td>' if items else "<td></td>")
        rows.append(f'<tr><th class="lane">{_e(_(LANES[lane]))}</th>{"".join(tds)}</tr>')
    legend = _e(_("★ moment of truth · ⇄ handoff · P = severity × frequency (×2 at ★) · grey italic = template, "
                  "not yet reviewed by the team · emotion: ■ team estimate, ● participants' votes, ◆ measured"))
    return f'<table class="jmap"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>' \
           f'<p class="legend">{legend}</p>'


def _emotion_legend() -> str:
    return "".join(f'<br><span style="color:{c};font-weight:normal">{_e(t)}</span>' for c, t in
                   ((EMOTION["team"][0], _("■ team")), (EMOTION["voted"][0], _("● voted")),
                    (EMOTION["measured"][0], _("◆ measured"))))


def emotion_svg(report: Report, stages: list[Any], cells: dict[tuple[str, str], dict[str, Any]]) -> str:
    """The three emotion sources per touchpoint as an SVG with selectable touchpoint labels (escaped)."""
    from jmapkit.charts import wrap

    width, band_top, band = 1000.0, 14.0, 150.0
    col = width / len(stages)
    font = 15
    labels, series = [], {k: [] for k in EMOTION}
    most = 1
    for i, s in enumerate(stages):
        count = max(len(report.touchpoints.in_stage(s.id)), 1)
        for p in cells[(s.id, "emotion")]["points"]:
            x = i * col + float(p["position"]) * col
            lines = wrap(("★ " if p["moment_of_truth"] else "") + p["label"], (col / count - 6) / (font * 0.6))
            most = max(most, len(lines))
            labels.append((x, lines, p["team_kind"] == "template" and p["voted"] is None and p["measured"] is None))
            for kind in EMOTION:
                if p.get(kind) is not None:
                    series[kind].append((x, band_top + (2 - float(p[kind])) / 4 * band,
                                         kind == "team" and p["team_kind"] == "template", float(p[kind]), p["label"]))
    height = band_top + band + 12 + most * font * 1.25 + 6
    aria = _("emotion per touchpoint")
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" role="img" '
           f'aria-label="{_e(aria)}">']
    for e in (2, 0, -2):
        y = band_top + (2 - e) / 4 * band
        rule = "#9aa3ad" if e == 0 else "#d5d9de"
        out.append(f'<line x1="0" x2="{width}" y1="{y:.1f}" y2="{y:.1f}" stroke="{rule}"/>')
        out.append(f'<text x="4" y="{y - 3:.1f}" font-size="12" fill="#6b6b6b">{"+2" if e == 2 else e}</text>')
    for i in range(1, len(stages)):
        out.append(f'<line x1="{i * col:.1f}" x2="{i * col:.1f}" y1="0" y2="{height:.0f}" stroke="#d0d4d9"/>')
    for kind, pts in series.items():
        colour, marker, dash = EMOTION[kind]
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        for (xa, ya, ta, _va, _la), (xb, yb, _tb, _vb, _lb) in zip(pts, pts[1:], strict=False):
            out.append(f'<line x1="{xa:.1f}" y1="{ya:.1f}" x2="{xb:.1f}" y2="{yb:.1f}" '
                       f'stroke="{"#9a9a9a" if ta else colour}" stroke-width="2"{dashes}/>')
        for x, y, template, value, label in pts:
            fill = "none" if template else colour
            stroke = "#6b6b6b" if template else colour
            marked = " " + _("(template)") if template else ""
            title = f"<title>{_e(label)}: {_e(_(kind))} {value:+.1f}{_e(marked)}</title>"
            if marker == "square":
                shape = f'<rect x="{x - 6:.1f}" y="{y - 6:.1f}" width="12" height="12"'
            elif marker == "circle":
                shape = f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6"'
            else:
                corners = f"{x:.1f},{y - 7:.1f} {x + 7:.1f},{y:.1f} {x:.1f},{y + 7:.1f} {x - 7:.1f},{y:.1f}"
                shape = f'<polygon points="{corners}"'
            out.append(f'{shape} fill="{fill}" stroke="{stroke}" stroke-width="1.5">{title}'
                       f'</{shape.split()[0][1:]}>')
    for x, lines, template in labels:
        style = ' fill="#6b6b6b" font-style="italic"' if template else ' fill="#222222"'
        spans = "".join(f'<tspan x="{x:.1f}" dy="{font * 1.25 if k else 0:.1f}">{_e(line)}</tspan>'
                        for k, line in enumerate(lines))
        out.append(f'<text x="{x:.1f}" y="{band_top + band + 12 + font:.1f}" font-size="{font}" '
                   f'text-anchor="middle"{style}>{spans}</text>')
    out.append("</svg>")
    return "".join(out)


def _missing(message: str) -> str:
    return f'<p class="missing">{_e(message)}</p>'


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, bool):
        return "yes" if value else ""
    return str(value)


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


__all__ = ["Table", "body", "map_html", "render", "section", "table", "write"]
