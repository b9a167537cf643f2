"""The workshop as reveal.js slides in one HTML file that works offline, with speaker notes and slide numbers.

reveal.js and its notes plugin (MIT) ship with jmapkit under templates/slides/reveal/ and are inlined
here, so nothing is loaded from a CDN. The slides follow the deck: title, summary, one slide per
finding, the journey map split like the deck's. Every slide is 1280 × 720 (reveal keeps the aspect
ratio when it scales); a slide whose content is taller than its box has its text stepped down, never
under 16 px (12 pt). Press S for the speaker notes.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from jmapkit.errors import ExportError
from jmapkit.export.page import _e, body, map_html
from jmapkit.export.report import SECTIONS, Report, build
from jmapkit.numbers import language
from jmapkit.resources import templates_dir

if TYPE_CHECKING:
    from jmapkit.store import Workshop

ASSETS = ("reset.css", "reveal.css", "white.css", "reveal.js", "notes.js")
WIDTH, HEIGHT = 1280, 720
MIN_FONT = 16  # px on the 1280 × 720 slide: 12 pt
ROWS = 8  # table rows per slide; the rest are counted ("+ 3 more (see the xlsx export)")
CSS = """
html:lang(ko) body { word-break: keep-all; }  /* Korean breaks between words, never inside one */
.reveal { font-family: "Noto Sans CJK JP", "Noto Sans CJK KR", "Segoe UI", "Malgun Gothic", "Yu Gothic", Arial,
          sans-serif; font-size: 24px; line-break: strict; }
.reveal .slides section { text-align: left; padding: 0; height: 720px; box-sizing: border-box; }
.reveal h1, .reveal h2 { font-family: inherit; color: #1f5fa8; text-transform: none; letter-spacing: 0;
                         line-height: 1.2; margin: 0 0 10px 0; }
.reveal h2 { font-size: 32px; }
.reveal h2 small { display: none; }
.reveal .fit { height: 560px; overflow: visible; font-size: 22px; }
.reveal table { font-size: 1em; width: 100%; border-collapse: collapse; margin: 0; }
.reveal table th { background: #1f5fa8; color: white; }
.reveal table th, .reveal table td { padding: 3px 6px; white-space: pre-line; vertical-align: top;
                                     border-bottom: 1px solid #dde2e8; line-height: 1.25; }
.reveal .chart svg { width: 100%; max-height: 300px; height: auto; }
.reveal .source { font-size: 16px; color: #6b6b6b; position: absolute; bottom: 0; left: 0; margin: 0;
                  max-width: 1180px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.reveal .missing, .reveal .template, .reveal .template td { color: #6b6b6b; font-style: italic; }
.reveal .cards { display: flex; gap: 14px; }
.reveal .card { flex: 1; background: #eef2f7; border-radius: 6px; padding: 8px 12px; }
.reveal .card h3 { color: #1f5fa8; font-size: 1.2em; margin: 0; text-transform: none; }
.reveal .card ul { margin: 0 0 0 1em; }
.reveal .card p { margin: 4px 0; }
.reveal .panels { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }
.reveal .panel { background: #eef2f7; border-radius: 6px; padding: 8px 12px; }
.reveal .panel h3 { margin: 0 0 4px 0; color: #1f5fa8; font-size: 1.05em; text-transform: none; }
.reveal .panel ul { margin: 0 0 0 1em; }
.reveal table.jmap { table-layout: fixed; }
.reveal table.jmap th.lane { background: #f4f6f8; color: #222; width: 8em; }
.reveal table.jmap td ul { margin: 0 0 0 1em; }
.reveal table.jmap td ul.plain { list-style: none; margin-left: 0; }
.reveal table.jmap li.urgent { color: #b3261e; }
.reveal table.jmap li.template { color: #6b6b6b; font-style: italic; }
.reveal table.jmap td.emotion { padding: 0; }
.reveal table.jmap svg { width: 100%; height: auto; display: block; }
.reveal .legend { font-size: 16px; color: #6b6b6b; margin: 4px 0; }
.reveal dl { font-size: 0.9em; }
.reveal .slide-number { font-size: 16px; }
"""
# Steps each slide's text down until it fits its box (never under MIN_FONT), then starts reveal.js.
INIT = """
(function () {
  function fit(slide) {
    var box = slide && slide.querySelector('.fit');
    if (!box || box.dataset.fitted) return;
    var size = parseFloat(getComputedStyle(box).fontSize);
    while (box.scrollHeight > box.clientHeight + 1 && size > %(min)d) {
      size -= 1;
      box.style.fontSize = size + 'px';
    }
    box.dataset.fitted = '1';
  }
  Reveal.on('ready', function (e) { fit(e.currentSlide); });
  Reveal.on('slidechanged', function (e) { fit(e.currentSlide); });
  Reveal.initialize({hash: true, width: %(w)d, height: %(h)d, margin: 0.03, center: false,
                     slideNumber: 'c/t', showSlideNumber: 'all', plugins: [RevealNotes]});
})();
"""


def write(ws: Workshop, path: Path) -> Path:
    """Write the slides of `ws` to `path` (one self-contained HTML file)."""
    report = build(ws)
    with language(report.language):
        path.write_text(render(report), encoding="utf-8")
    return path


def render(report: Report) -> str:
    """The whole slide show as a string: reveal.js, its notes plugin, its styles and every picture inlined."""
    styles = "\n".join(_asset(name) for name in ASSETS if name.endswith(".css"))
    scripts = "".join(f"<script>{_asset(name)}</script>" for name in ASSETS if name.endswith(".js"))
    slides = [_title(report)]
    for key in SECTIONS:
        if key == "map":
            slides += _map_slides(report)
        elif key == "personas":
            slides += _persona_slides(report)
        else:
            slides.append(_slide(report, key, body(report, key, rows=ROWS)))
    return "\n".join([
        "<!DOCTYPE html>",
        f'<html lang="{_e(report.language)}"><head><meta charset="utf-8">',
        f"<title>{_e(report.title)}</title>",
        f"<style>{styles}\n{CSS}</style></head><body>",
        '<div class="reveal"><div class="slides">',
        *slides,
        "</div></div>",
        scripts,
        f"<script>{INIT % {'w': WIDTH, 'h': HEIGHT, 'min': MIN_FONT}}</script>",
        "</body></html>",
    ])


def _title(report: Report) -> str:
    rows = "".join(f"<dt><b>{_e(label)}</b></dt><dd>{_e(value)}</dd>" for label, value in report.subtitle())
    return (f'<section><h1>{_e(report.title)}</h1><div class="fit"><dl>{rows}</dl></div>'
            f'<p class="source">{_e(report.footer("title"))}</p>{_notes(report, "title")}</section>')


def _slide(report: Report, key: str, content: str, title: str | None = None) -> str:
    return (f"<section><h2>{_e(title or report.headline(key))}</h2><div class=\"fit\">{content}</div>"
            f'<p class="source">{_e(report.footer(key))}</p>{_notes(report, key)}</section>')


def _persona_slides(report: Report) -> list[str]:
    from jmapkit.export.page import personas

    ps = report.steps.personas.personas
    pages = [ps[i:i + 3] for i in range(0, len(ps), 3)] or [[]]
    return [_slide(report, "personas", personas(report, page),
                   report.headline("personas") + (f" ({k}/{len(pages)})" if len(pages) > 1 else ""))
            for k, page in enumerate(pages, start=1)]


def _map_slides(report: Report) -> list[str]:
    """The map split the way the deck splits it, so every text stays at 12 pt or more."""
    from jmapkit.export.powerpoint import MapSlides

    class _Deck:
        r = report

    if not report.touchpoints.stages:
        return [_slide(report, "map", map_html(report))]
    pages = MapSlides(_Deck())._pages()  # type: ignore[arg-type]
    return [_slide(report, "map", map_html(report, stages, lanes),
                   report.headline("map") + (f" ({k}/{len(pages)})" if len(pages) > 1 else ""))
            for k, (stages, lanes, _size) in enumerate(pages, start=1)]


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
