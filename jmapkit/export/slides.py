"""The workshop as reveal.js slides in one HTML file that works offline.

reveal.js (MIT) ships with jmapkit under templates/slides/reveal/ and is inlined here, so nothing is
loaded from a CDN (nbconvert's slides would need network access or local copies beside the file).
Each slide carries the same speaker notes as the pptx deck: press S in the browser to see them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from jmapkit.errors import ExportError
from jmapkit.export.page import _e, _funnel, _img, _personas, _scores, _table
from jmapkit.export.report import SECTIONS, Report, build
from jmapkit.resources import templates_dir

if TYPE_CHECKING:
    from jmapkit.store import Workshop

ASSETS = ("reset.css", "reveal.css", "white.css", "reveal.js")
CSS = """
.reveal { font-family: "Noto Sans CJK JP", "Noto Sans CJK KR", "Segoe UI", "Malgun Gothic", "Yu Gothic", Arial,
          sans-serif; font-size: 26px; }
.reveal h1, .reveal h2 { font-family: inherit; color: #1f5fa8; text-transform: none; }
.reveal h2 { font-size: 1.5em; text-align: left; }
.reveal section { text-align: left; }
.reveal table { font-size: 0.62em; width: 100%; border-collapse: collapse; }
.reveal table th { background: #1f5fa8; color: white; }
.reveal table th, .reveal table td { padding: 4px 8px; white-space: pre-line; vertical-align: top; }
.reveal img { max-height: 540px; margin: 0 auto; display: block; }
.reveal .source { font-size: 0.5em; color: #6b6b6b; }
.reveal .missing { color: #6b6b6b; font-style: italic; }
.reveal .cards { display: flex; gap: 14px; font-size: 0.55em; }
.reveal .card { flex: 1; background: #eef2f7; border-radius: 6px; padding: 8px 12px; }
.reveal .card h3 { color: #1f5fa8; font-size: 1.3em; margin: 0; text-transform: none; }
.reveal .card ul { margin: 0 0 0 1em; }
.reveal .card p { margin: 4px 0; }
.reveal dl { font-size: 0.8em; }
"""


def write(ws: Workshop, path: Path) -> Path:
    """Write the slides of `ws` to `path` (one self-contained HTML file)."""
    path.write_text(render(build(ws)), encoding="utf-8")
    return path


def render(report: Report) -> str:
    """The whole slide show as a string: reveal.js, its styles and every picture inlined."""
    styles = "\n".join(_asset(name) for name in ASSETS if name.endswith(".css"))
    script = _asset("reveal.js")
    title = _title(report)
    sections = [
        ("goals", _table(report.table("goals").query("field != 'Source'"), header=False)),
        ("personas", _personas(report)),
        ("touchpoints", _table(report.table("touchpoints")[["stage", "touchpoint", "channel", "owner"]])),
        ("funnel", _funnel(report)),
        ("scores", _scores(report)),
        ("map", _img(report.png("map"), "journey map")),
        ("pain_points", _table(report.table("pain points")[["priority", "touchpoint", "pain point", "owner", "fix"]])),
        ("kpis", _table(report.table("kpis")[["stage", "kpi", "baseline", "target", "unit", "owner"]])),
    ]
    slides = [title] + [_slide(report, key, body) for key, body in sections]
    return "\n".join([
        "<!DOCTYPE html>",
        f'<html lang="{_e(report.language)}"><head><meta charset="utf-8">',
        f"<title>{_e(report.title)}</title>",
        f"<style>{styles}\n{CSS}</style></head><body>",
        '<div class="reveal"><div class="slides">',
        *slides,
        "</div></div>",
        f"<script>{script}</script>",
        "<script>Reveal.initialize({hash: true, width: 1280, height: 720, margin: 0.04});</script>",
        "</body></html>",
    ])


def _title(report: Report) -> str:
    rows = "".join(f"<dt><b>{_e(label)}</b></dt><dd>{_e(value)}</dd>" for label, value in report.subtitle())
    return (f"<section><h1>{_e(report.title)}</h1><dl>{rows}</dl>"
            f'<p class="source">{_e(report.footer("title"))}</p>{_notes(report, "title")}</section>')


def _slide(report: Report, key: str, body: str) -> str:
    return (f"<section><h2>{_e(SECTIONS[key])}</h2>{body}"
            f'<p class="source">{_e(report.footer(key))}</p>{_notes(report, key)}</section>')


def _notes(report: Report, key: str) -> str:
    return f'<aside class="notes">{_e(report.notes(key)).replace(chr(10), "<br>")}</aside>'


def _asset(name: str) -> str:
    path = templates_dir() / "slides" / "reveal" / name
    if not path.is_file():
        raise ExportError(f"the reveal.js file {name} is missing from jmapkit's templates.", where=str(path),
                          fix="reinstall jmapkit (pip install --force-reinstall jmapkit).")
    text = path.read_text(encoding="utf-8")
    # A source-map comment makes browser dev tools fetch a file that is not there; </script would end the tag.
    text = "\n".join(line for line in text.splitlines() if "sourceMappingURL" not in line)
    return text.replace("</script", "<\\/script")
