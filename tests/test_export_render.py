"""Exports as people see them: the deck rendered by LibreOffice, reveal.js and the page in chromium.

Screenshots are kept under .cache/screenshots/ for a person to look at.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from jmapkit.charts import wrap
from jmapkit.export import export
from jmapkit.store import Workshop, new_workshop
from tests.conftest import REPO
from tests.test_export import add_step4

SHOTS = REPO / ".cache" / "screenshots"
KO_PAIN = "주문 카운터 한 곳에서 매장 식사와 포장 주문을 모두 받아서 점심시간 대기 줄이 이십 분까지 늘어납니다"
JA_PAIN = "注文カウンターが一つしかなく（店内と持ち帰りの両方）、昼の行列は二十分になる。支払いも別の列です。"
CLOSING = "）」』】〕、。，．！？ゃゅょっー"


def _render(pptx: Path, tmp: Path) -> tuple[Path, list[Path]]:
    missing = [tool for tool in ("soffice", "pdfinfo", "pdftoppm") if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"{', '.join(missing)} not found: apt-get install -y --no-install-recommends "
                    "libreoffice-impress fonts-noto-cjk poppler-utils")
    out = tmp / "pdf"
    subprocess.run(  # its own profile: two soffice calls sharing one fail
        ["soffice", f"-env:UserInstallation=file://{tmp / 'profile'}", "--headless", "--convert-to", "pdf",
         "--outdir", str(out), str(pptx)],
        check=True, capture_output=True, timeout=240, env={"HOME": str(tmp), "PATH": "/usr/bin:/bin"},
    )
    pdf = out / f"{pptx.stem}.pdf"
    shots = SHOTS / f"pptx-{pptx.stem}"
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(shots / "slide")], check=True, timeout=120)
    return pdf, sorted(shots.glob("slide-*.png"))


def _pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def _pptx_lines(path: Path) -> list[str]:
    """Every line of text on every slide as the deck writes it (a line break or a paragraph ends a line)."""
    from pptx import Presentation

    lines = []
    for slide in Presentation(str(path)).slides:
        for shape in slide.shapes:
            frames = [shape.text_frame] if shape.has_text_frame else []
            if getattr(shape, "has_table", False) and shape.has_table:
                frames += [c.text_frame for row in shape.table.rows for c in row.cells]
            lines += [line for f in frames for para in f.paragraphs for line in para.text.split("\v")]
    return lines


def _starts_closing(line: str) -> bool:
    text = line.strip()
    return bool(text) and text[0] in CLOSING


def _hangul_words(line: str) -> list[str]:
    # Brackets end a word too: "3분기(7–9월)" holds the words 분기 and 월 (pdftotext spaces them apart).
    return [w.strip(".,:;") for w in re.split(r"[\s()]+", line) if any(0xAC00 <= ord(c) <= 0xD7A3 for c in w)]


def _bare(word: str) -> str:
    """A word without the number, name or placeholder glued to it ('17개', '{n}개' → '개')."""
    return re.sub(r"\{[a-z_]*\}|[A-Za-z0-9.,:;()%+×‘’“”/■●◆★⇄·–—-]", "", word)


def _cjk_workshop(tmp: Path, lang: str, pain: str) -> Workshop:
    ws = new_workshop(tmp / lang, template="restaurant", language=lang)
    m = ws.load(5)
    m.pain_points[0].description = pain
    ws.save(m)
    add_step4(ws)
    return ws


@pytest.mark.slow
def test_deck_renders_through_libreoffice(tmp_path: Path) -> None:
    from pptx import Presentation

    ws = new_workshop(tmp_path / "tacos", template="restaurant")
    add_step4(ws)
    path = export(ws, "pptx")
    pdf, pngs = _render(path, tmp_path)
    slides = len(Presentation(str(path)).slides)
    assert _pages(pdf) == slides == len(pngs)
    text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    flat = " ".join(text.split())
    assert "Come back → Recommend loses 70% of customers" in flat
    assert "P40 One counter takes orders for dine-in and take-away" in flat  # the map is text, not a picture


def _content_words(ws: Workshop) -> set[str]:
    """Every whole word of the workshop's own content (its name and every text in its steps)."""
    import json

    texts = [ws.meta.name]

    def walk(value: object) -> None:
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    for path in ws.path("steps").glob("*.json"):
        walk(json.loads(path.read_text(encoding="utf-8")))
    return {_bare(w) for text in texts for w in _hangul_words(text)}


def _catalog_words(lang: str) -> set[str]:
    """Every whole word of the language's message catalog (a label may break between words, never inside one)."""
    from babel.messages.pofile import read_po

    from jmapkit.i18n import LOCALE_DIR

    with open(LOCALE_DIR / lang / "LC_MESSAGES" / "jmapkit.po", "rb") as f:
        catalog = read_po(f, locale=lang)
    words: set[str] = set()
    for m in catalog:
        for text in (m.string if isinstance(m.string, tuple) else (m.string,)):
            words |= {_bare(w) for w in _hangul_words(text)}
    return words


@pytest.mark.slow
@pytest.mark.parametrize(("lang", "pain"), [("ko", KO_PAIN), ("ja", JA_PAIN)])
def test_cjk_lines_break_by_the_language_rules(tmp_path: Path, lang: str, pain: str) -> None:
    ws = _cjk_workshop(tmp_path, lang, pain)
    path = export(ws, "pptx")
    # The deck's own labels and the (translated) template's content are Korean too: all whole words, and
    # a name the team typed may carry a particle from a label ("{to}에서" → "추천에서").
    words = set(KO_PAIN.split())
    content, catalog = words | _content_words(ws), _catalog_words("ko")

    def whole(word: str) -> bool:
        return word in content or word in catalog or any(
            word[:i] in content and word[i:] in catalog for i in range(1, len(word)))

    lines = _pptx_lines(path)
    assert any(pain[:4] in line for line in lines), "the pain point is on the slides"
    for line in lines:
        if lang == "ko":  # whole words only: no break inside a word, a particle stays with its word
            assert all(whole(_bare(w)) for w in _hangul_words(line)), line
        else:  # no line starts with closing punctuation or a small kana
            assert not _starts_closing(line), line
    # The same rules in the text the charts draw (the map picture, PNG and SVG).
    for width in (10, 12, 17, 23):  # 10 units: the longest Korean word (5 syllables × 1.9) still fits
        for line in wrap(pain, width):
            assert set(_hangul_words(line)) <= words if lang == "ko" else not _starts_closing(line), line
    # And as LibreOffice lays the slides out.
    pdf, _pngs = _render(path, tmp_path)
    rendered = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    for line in rendered.splitlines():
        if lang == "ko":
            assert all(whole(_bare(w)) for w in _hangul_words(line)), line
        else:
            assert not _starts_closing(line), line


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("kind", ["slides", "html"])
def test_reveal_and_page_in_chromium(tmp_path: Path, kind: str) -> None:
    from playwright.sync_api import sync_playwright

    ws = new_workshop(tmp_path / "xss", template="restaurant", name="<script>alert('name')</script>")
    ps = ws.load(2)
    ps.personas[0].name = "<img src=x onerror=alert('persona')>"
    ws.save(ps)
    m = ws.load(5)
    m.pain_points[0].description = "<script>alert('pain')</script><img src=x onerror=alert(2)>"
    ws.save(m)
    add_step4(ws)
    path = export(ws, kind)
    bundled = [(REPO / "templates" / "slides" / "reveal" / name).read_text(encoding="utf-8")
               for name in ("reveal.js", "notes.js")]
    shots = SHOTS / f"{kind}"
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(path.as_uri())
        scripts = page.evaluate("[...document.scripts].map(s => [s.src, s.textContent])")
        assert all(src == "" for src, _text in scripts)
        # The bundled files as inlined: source-map comments dropped, "</script" escaped inside the script.
        inlined = ["\n".join(ln for ln in b.splitlines() if "sourceMappingURL" not in ln).replace(
            "</script", "<\\/script").strip() for b in bundled]
        for _src, text in scripts:  # every script is a bundled file (as inlined) or jmapkit's own start-up
            assert text.strip() in inlined or "Reveal.initialize({hash: true" in text, text[:80]
        if kind == "slides":
            page.wait_for_function("window.Reveal && Reveal.isReady()", timeout=20000)
            assert page.evaluate("Reveal.hasPlugin('notes')") is True
            page.evaluate("Reveal.configure({transition: 'none'})")
            total = page.evaluate("Reveal.getTotalSlides()")
            assert total >= 15
            for i in range(total):
                page.evaluate(f"Reveal.slide({i})")
                page.wait_for_timeout(100)
                outside = page.evaluate(_OUTSIDE)
                assert outside == [], (i, outside)
                number = page.locator(".slide-number").inner_text()
                assert number.replace(" ", "") == f"{i + 1}/{total}"
                page.screenshot(path=str(shots / f"slide-{i:02d}.png"))
        else:
            page.screenshot(path=str(shots / "page.png"), full_page=True)
            assert page.evaluate("document.documentElement.scrollWidth") <= 1280
            assert page.locator("table.jmap").count() == 1
        browser.close()
    assert dialogs == []
    assert [u for u in requests if not u.startswith("file://") and not u.startswith("data:")] == []


# Elements of the current slide outside its 1280 × 720 box (in the slide's own, unscaled pixels).
_OUTSIDE = """() => {
  const slide = Reveal.getCurrentSlide(), box = slide.getBoundingClientRect(), scale = Reveal.getScale();
  const out = [];
  slide.querySelectorAll('*').forEach(e => {
    if (e.closest('aside.notes')) return;
    const r = e.getBoundingClientRect();
    if (!r.width && !r.height) return;
    if ((r.right - box.left) / scale > 1281 || (r.bottom - box.top) / scale > 721 || r.left < box.left - 1
        || r.top < box.top - 1) out.push(e.tagName + ' ' + (e.textContent || '').slice(0, 40));
  });
  return out;
}"""
