"""The workshop as a 16:9 PowerPoint deck: title, one slide per step, speaker notes citing every source.

Shapes are placed on blank slides at 16:9 positions rather than in layout placeholders, because
python-pptx's default template is 4:3 and its placeholders stay at 4:3 positions when the slide size
changes. python-pptx does not shrink text, so every text box is sized here from the text's length.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jmapkit.charts import text_width, wrap
from jmapkit.errors import MissingDependency
from jmapkit.export.report import SECTIONS, Report, build

if TYPE_CHECKING:
    import pandas as pd

    from jmapkit.store import Workshop

WIDTH_IN, HEIGHT_IN = 13.333, 7.5
MARGIN = 0.5
TITLE_TOP, TITLE_HEIGHT = 0.3, 0.85
BODY_TOP = 1.3
FOOTER_TOP = 7.05
LATIN = "Arial"
# East-Asian typeface per workshop language: python-pptx's font.name sets only a:latin, and PowerPoint
# draws CJK runs with a:ea. Renderers without the font (LibreOffice on Linux) fall back per glyph.
EAST_ASIAN = {"ko": "Malgun Gothic", "ja": "Yu Gothic", "en": "Malgun Gothic", "de": "Malgun Gothic"}
BLUE, INK, GREY, RED, WHITE, PALE = "1F5FA8", "222222", "7A7A7A", "B3261E", "FFFFFF", "EEF2F7"
# Average glyph width in em. DejaVu Sans (LibreOffice's stand-in for Arial on Linux) is wide, bold more so;
# sizing for it leaves PowerPoint's Arial a little room rather than letting LibreOffice overflow.
CHAR_EM = 0.62


def write(ws: Workshop, path: Path) -> Path:
    """Write the deck for `ws` to `path`."""
    from jmapkit.runs import title_lines

    deck = Deck(build(ws), status=title_lines(ws))
    deck.save(path)
    return path


class Deck:
    """A python-pptx Presentation laid out by hand at 16:9."""

    def __init__(self, report: Report, status: list[tuple[str, str]] | None = None) -> None:
        try:
            from pptx import Presentation
            from pptx.util import Inches
        except ImportError:
            raise MissingDependency("python-pptx", "the pptx export") from None
        self.r = report
        self.status = status or []  # (label, value) of the last run, its data period and staleness
        self.ea = EAST_ASIAN.get(report.language, EAST_ASIAN["en"])
        self.prs = Presentation()
        self.prs.slide_width, self.prs.slide_height = Inches(WIDTH_IN), Inches(HEIGHT_IN)
        self._blank = self.prs.slide_layouts[6]
        self.title_slide()
        self.goals_slide()
        self.persona_slides()
        self.touchpoints_slide()
        self.funnel_slide()
        self.scores_slide()
        self.map_slide()
        self.pain_points_slide()
        self.kpis_slide()

    def save(self, path: Path) -> None:
        self.prs.save(str(path))

    # --- slides ------------------------------------------------------------------------------------------

    def title_slide(self) -> None:
        slide = self._slide("title", None)
        self._rect(slide, 0, 0, WIDTH_IN, 2.9, BLUE)
        self._text(slide, self.r.title, MARGIN, 0.7, WIDTH_IN - 2 * MARGIN, 1.9, max_pt=44, min_pt=24, bold=True,
                   colour=WHITE, name="title")
        lines = [(f"{label}: ", value) for label, value in self.r.subtitle() + self.status]
        self._labelled(slide, lines, MARGIN, 3.3, WIDTH_IN - 2 * MARGIN, 3.2, max_pt=24, min_pt=12)

    def goals_slide(self) -> None:
        slide = self._slide("goals")
        table = self.r.table("goals")
        table = table[table["field"] != "Source"]
        self._table(slide, table, MARGIN, BODY_TOP, WIDTH_IN - 2 * MARGIN, FOOTER_TOP - BODY_TOP - 0.15,
                    widths=[0.24, 0.76], header=False, first_bold=True, max_pt=20)

    def persona_slides(self) -> None:
        personas = (self.r.steps.personas.personas if self.r.steps.personas else [])
        per_slide = 3
        pages = [personas[i:i + per_slide] for i in range(0, len(personas), per_slide)] or [[]]
        for page_no, page in enumerate(pages, start=1):
            suffix = f" ({page_no}/{len(pages)})" if len(pages) > 1 else ""
            slide = self._slide("personas", SECTIONS["personas"] + suffix)
            if not page:
                self._text(slide, "No personas yet: add them in step 2.", MARGIN, BODY_TOP, 8, 1, max_pt=20,
                           colour=GREY)
                continue
            gap = 0.3
            width = (WIDTH_IN - 2 * MARGIN - gap * (per_slide - 1)) / per_slide
            for i, p in enumerate(page):
                left = MARGIN + i * (width + gap)
                self._persona_card(slide, p, left, BODY_TOP, width, FOOTER_TOP - BODY_TOP - 0.15)

    def touchpoints_slide(self) -> None:
        import pandas as pd

        slide = self._slide("touchpoints")
        lanes = self.r.lanes
        frame = pd.DataFrame({
            row["stage_label"]: ["\n".join(row["items"])]
            for row in lanes[lanes["lane"] == "touchpoints"].to_dict("records")
        })
        actions = {row["stage_label"]: "\n".join(row["items"])
                   for row in lanes[lanes["lane"] == "actions"].to_dict("records")}
        if not len(frame.columns):
            self._text(slide, "No stages yet: add them in step 3.", MARGIN, BODY_TOP, 8, 1, max_pt=20, colour=GREY)
            return
        frame = pd.concat([pd.DataFrame([actions]), frame], ignore_index=True)
        frame.insert(0, " ", ["Customer actions", "Touchpoints"])
        n = len(frame.columns) - 1
        self._table(slide, frame, MARGIN, BODY_TOP, WIDTH_IN - 2 * MARGIN, FOOTER_TOP - BODY_TOP - 0.55,
                    widths=[0.14] + [0.86 / n] * n, first_bold=True)
        self._text(slide, "★ moment of truth   ⇄ handoff between teams", MARGIN, FOOTER_TOP - 0.5, 8, 0.35,
                   max_pt=12, colour=GREY)

    def funnel_slide(self) -> None:
        slide = self._slide("funnel")
        why = self.r.missing("funnel")
        if why:
            self._missing(slide, f"No funnel: {why}.")
            return
        body_h = FOOTER_TOP - BODY_TOP - 0.15
        self._picture(slide, self.r.png("funnel"), MARGIN, BODY_TOP, 6.9, body_h * 0.58)
        self._picture(slide, self.r.png("time"), MARGIN, BODY_TOP + body_h * 0.6, 6.9, body_h * 0.4)
        self._table(slide, self.r.funnel_summary(), 7.6, BODY_TOP, WIDTH_IN - 7.6 - MARGIN, body_h, max_pt=14,
                    widths=[0.28, 0.17, 0.16, 0.21, 0.18])

    def scores_slide(self) -> None:
        slide = self._slide("scores")
        why = self.r.missing("scores")
        if why:
            self._missing(slide, f"No NPS or CSAT: {why}.")
            return
        # Stacked, full width: each chart is wide and short, so side by side would leave half the slide empty.
        half = (FOOTER_TOP - BODY_TOP - 0.35) / 2
        self._picture(slide, self.r.png("nps"), MARGIN, BODY_TOP, WIDTH_IN - 2 * MARGIN, half)
        self._picture(slide, self.r.png("csat"), MARGIN, BODY_TOP + half + 0.2, WIDTH_IN - 2 * MARGIN, half)

    def map_slide(self) -> None:
        slide = self._slide("map")
        self._picture(slide, self.r.png("map"), 0.25, BODY_TOP - 0.2, WIDTH_IN - 0.5, FOOTER_TOP - BODY_TOP + 0.15,
                      name="journey map")

    def pain_points_slide(self) -> None:
        slide = self._slide("pain_points")
        frame = self.r.table("pain points")
        if not len(frame):
            self._missing(slide, "No pain points yet: place them on the map in step 5.")
            return
        frame = frame.assign(priority=[f"P{p}" + (" ★" if m else "") for p, m in
                                       zip(frame["priority"], frame["moment of truth"], strict=True)])
        frame = frame[["priority", "touchpoint", "pain point", "owner", "fix"]]
        self._table(slide, frame, MARGIN, BODY_TOP, WIDTH_IN - 2 * MARGIN, FOOTER_TOP - BODY_TOP - 0.15,
                    widths=[0.1, 0.16, 0.35, 0.13, 0.26], max_rows=8)

    def kpis_slide(self) -> None:
        from jmapkit.journey import number

        slide = self._slide("kpis")
        frame = self.r.table("kpis")
        if not len(frame):
            self._missing(slide, "No KPIs yet: add one per stage in step 5.")
            return
        frame = frame.assign(
            baseline=[f"{number(b)} {u}".strip() for b, u in zip(frame["baseline"], frame["unit"], strict=True)],
            target=[f"{number(t)} {u}".strip() for t, u in zip(frame["target"], frame["unit"], strict=True)],
        )[["stage", "kpi", "baseline", "target", "owner", "data source"]]
        self._table(slide, frame, MARGIN, BODY_TOP, WIDTH_IN - 2 * MARGIN, FOOTER_TOP - BODY_TOP - 0.15,
                    widths=[0.14, 0.34, 0.12, 0.12, 0.16, 0.12], max_rows=10)

    # --- building blocks ---------------------------------------------------------------------------------

    def _slide(self, section: str, title: str | None = "") -> Any:
        """A blank 16:9 slide with its title, footer and speaker notes."""
        slide = self.prs.slides.add_slide(self._blank)
        if title is not None:
            title = title or SECTIONS[section]
            self._text(slide, title, MARGIN, TITLE_TOP, WIDTH_IN - 2 * MARGIN, TITLE_HEIGHT, max_pt=32, min_pt=20,
                       bold=True, colour=BLUE, name="title")
        footer = self.r.footer(section)
        self._text(slide, footer, MARGIN, FOOTER_TOP, WIDTH_IN - 2 * MARGIN, 0.35, max_pt=10, min_pt=7, colour=GREY,
                   name="footer")
        notes = self.r.notes(section)
        if title and _lines(title, WIDTH_IN - 2 * MARGIN, 20) > 2:
            notes = f"Full title: {title}\n" + notes
        slide.notes_slide.notes_text_frame.text = notes
        return slide

    def _text(self, slide: Any, text: str, left: float, top: float, width: float, height: float, *,
              max_pt: float = 18, min_pt: float = 10, bold: bool = False, colour: str = INK, italic: bool = False,
              name: str | None = None) -> Any:
        """A text box whose font size is chosen so the wrapped text fits; at min_pt, lines are cut with '…'."""
        from pptx.enum.text import MSO_AUTO_SIZE
        from pptx.util import Inches

        size, lines = _fit(text, width - 0.2, height - 0.1, max_pt, min_pt)
        box = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(height))
        if name:
            box.name = name
        frame = box.text_frame
        frame.word_wrap = True
        frame.auto_size = MSO_AUTO_SIZE.NONE  # sized here; PowerPoint's autofit would move what follows
        self._margins(frame)
        self._run(frame.paragraphs[0], "\n".join(lines) if len(lines) < _lines(text, width - 0.2, size) else text,
                  size, bold=bold, colour=colour, italic=italic)
        return box

    def _labelled(self, slide: Any, lines: list[tuple[str, str]], left: float, top: float, width: float,
                  height: float, *, max_pt: float, min_pt: float) -> None:
        from pptx.util import Inches, Pt

        text = "\n".join(a + b for a, b in lines)
        size, _ = _fit(text, width - 0.2, height - 0.1 - 0.1 * len(lines), max_pt, min_pt)
        frame = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(height)).text_frame
        frame.word_wrap = True
        self._margins(frame)
        for i, (label, value) in enumerate(lines):
            para = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
            para.space_after = Pt(size * 0.4)
            self._run(para, label, size, bold=True, colour=BLUE)
            self._run(para, value, size)

    def _persona_card(self, slide: Any, p: Any, left: float, top: float, width: float, height: float) -> None:
        from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE
        from pptx.util import Inches, Pt

        shape = self._rect(slide, left, top, width, height, PALE)
        frame = shape.text_frame
        frame.word_wrap = True
        frame.auto_size = MSO_AUTO_SIZE.NONE
        frame.vertical_anchor = MSO_ANCHOR.TOP
        self._margins(frame, 0.15)
        # (text, size factor, space before in lines, style): measured as a whole to choose one font size.
        paras: list[tuple[str, float, float, dict[str, Any]]] = [(p.name, 1.35, 0, {"bold": True, "colour": BLUE})]
        if p.role:
            paras.append((p.role, 1, 0.3, {"colour": GREY}))
        if p.quote:
            paras.append((f"“{p.quote}”", 1, 0.4, {"italic": True}))
        for heading, items in (("Goals", p.goals), ("Needs", p.needs), ("Frustrations", p.frustrations)):
            if items:
                paras.append((heading, 1, 0.5, {"bold": True}))
                paras += [("• " + item, 1, 0, {}) for item in items]
        if p.segment:
            paras.append((f"Data segment: {p.segment}", 0.85, 0.5, {"colour": GREY}))
        badge = 0.4 if p.source.kind == "template" else 0.0
        inner_w, inner_h = width - 0.3, height - 0.15 - badge

        def needed(pt: float) -> float:
            return sum((_lines(t, inner_w, pt * f) + before) * pt * f * 1.2 / 72 for t, f, before, _ in paras)

        size = 16.0
        while size > 8 and needed(size) > inner_h:
            size -= 0.5
        for i, (text, factor, before, style) in enumerate(paras):
            para = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
            if before:
                para.space_before = Pt(size * factor * 1.2 * before)
            self._run(para, text, size * factor, **style)
        if badge:
            box = slide.shapes.add_textbox(Inches(left), Inches(top + height - 0.38), Inches(width), Inches(0.35))
            self._margins(box.text_frame, 0.15)
            self._run(box.text_frame.paragraphs[0], "template — not yet reviewed by the team", 10, italic=True,
                      colour=GREY)

    def _table(self, slide: Any, frame: pd.DataFrame, left: float, top: float, width: float, height: float, *,
               widths: list[float] | None = None, header: bool = True, first_bold: bool = False, max_pt: float = 16,
               min_pt: float = 9, max_rows: int | None = None) -> None:
        """A table with a font size chosen so that the wrapped rows fit the height; extra rows are counted."""
        from pptx.util import Inches, Pt

        rows = [[_cell(v) for v in row] for row in frame.itertuples(index=False)]
        hidden = 0
        if max_rows is not None and len(rows) > max_rows:
            hidden = len(rows) - max_rows + 1
            rows = rows[: max_rows - 1]
        head = [str(c) for c in frame.columns] if header else []
        fractions = widths or [1 / len(frame.columns)] * len(frame.columns)
        col_w = [width * f for f in fractions]

        def needed(pt: float) -> float:
            # 1.15: bold headers are wider than the average glyph.
            if any(_longest_word(text) * pt * CHAR_EM * 1.15 / 72 > w - 0.16 for row in ([head] if head else []) + rows
                   for text, w in zip(row, col_w, strict=True)):
                return float("inf")  # a word would break mid-word: "reache|d"
            total = 0.0
            for row in ([head] if head else []) + rows:
                lines = max(_lines(text, w - 0.2, pt) for text, w in zip(row, col_w, strict=True))
                total += lines * pt * 1.2 / 72 + 0.12
            return total + (0.4 if hidden else 0)

        size = max_pt
        while size > min_pt and needed(size) > height:
            size -= 1
        # Even the smallest size does not fit: leave rows out and count them.
        while len(rows) > 1 and height < needed(size) < float("inf"):
            rows.pop()
            hidden += 1
        body = [head] if head else []
        body += rows
        if hidden:
            body.append([f"+ {hidden} more (see the xlsx export)"] + [""] * (len(fractions) - 1))
        shape = slide.shapes.add_table(len(body), len(fractions), Inches(left), Inches(top), Inches(width),
                                       Inches(min(height, max(needed(size), 0.3))))
        table = shape.table
        for j, w in enumerate(col_w):
            table.columns[j].width = Inches(w)
        for i, row in enumerate(body):
            lines = max(_lines(text, w - 0.2, size) for text, w in zip(row, col_w, strict=True))
            table.rows[i].height = Inches(lines * size * 1.2 / 72 + 0.12)
            for j, text in enumerate(row):
                c = table.cell(i, j)
                c.margin_left = c.margin_right = Inches(0.08)
                c.margin_top = c.margin_bottom = Inches(0.04)
                tf = c.text_frame
                tf.word_wrap = True
                is_head = bool(head) and i == 0
                more = bool(hidden) and i == len(body) - 1
                self._run(tf.paragraphs[0], text, size, bold=is_head or (first_bold and j == 0),
                          colour=WHITE if is_head else (GREY if more else INK), italic=more)
                c.fill.solid()
                c.fill.fore_color.rgb = _rgb(BLUE if is_head else (PALE if i % 2 else WHITE))
        shape.name = "table"
        _ = Pt

    def _picture(self, slide: Any, png: bytes, left: float, top: float, width: float, height: float, *,
                 name: str | None = None) -> Any:
        """A picture scaled to fit the box, keeping its aspect ratio, centred."""
        from PIL import Image
        from pptx.util import Inches

        w, h = Image.open(io.BytesIO(png)).size
        scale = min(width / w, height / h)
        pw, ph = w * scale, h * scale
        x, y = left + (width - pw) / 2, top + (height - ph) / 2
        pic = slide.shapes.add_picture(io.BytesIO(png), Inches(x), Inches(y), Inches(pw), Inches(ph))
        if name:
            pic.name = name
        return pic

    def _missing(self, slide: Any, message: str) -> None:
        self._text(slide, message, MARGIN, BODY_TOP + 0.5, WIDTH_IN - 2 * MARGIN, 1.5, max_pt=24, min_pt=14,
                   colour=GREY, italic=True, name="missing")

    def _rect(self, slide: Any, left: float, top: float, width: float, height: float, fill: str) -> Any:
        from pptx.enum.shapes import MSO_SHAPE
        from pptx.util import Inches

        shape = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, Inches(left), Inches(top), Inches(width), Inches(height))
        shape.fill.solid()
        shape.fill.fore_color.rgb = _rgb(fill)
        shape.line.fill.background()
        shape.shadow.inherit = False
        return shape

    def _run(self, para: Any, text: str, size: float, *, bold: bool = False, italic: bool = False,
             colour: str = INK) -> Any:
        """Runs of one style; a newline becomes a line break (a run's text would keep it as a raw character)."""
        from pptx.util import Pt

        run = None
        for i, line in enumerate(str(text).split("\n")):
            if i:
                para.add_line_break()
            run = para.add_run()
            run.text = line
            font = run.font
            font.size = Pt(size)
            font.bold = bold
            font.italic = italic
            font.color.rgb = _rgb(colour)
            font.name = LATIN
            _east_asian(run, self.ea)
        return run

    @staticmethod
    def _margins(frame: Any, inches: float = 0.1) -> None:
        from pptx.util import Inches

        frame.margin_left = frame.margin_right = Inches(inches)
        frame.margin_top = frame.margin_bottom = Inches(0.05)


# --- text measuring -------------------------------------------------------------------------------------


def _lines(text: str, width_in: float, pt: float) -> int:
    """How many lines `text` wraps to in a box `width_in` inches wide at `pt` points."""
    units = max(width_in * 72 / (pt * CHAR_EM), 1.0)
    return sum(len(wrap(paragraph, units)) for paragraph in str(text).split("\n"))


def _fit(text: str, width_in: float, height_in: float, max_pt: float, min_pt: float) -> tuple[float, list[str]]:
    """The largest size (in whole points) at which `text` fits the box, and its lines (cut with '…' at min_pt)."""
    size = max_pt
    while size > min_pt and _lines(text, width_in, size) * size * 1.2 / 72 > height_in:
        size -= 1
    units = max(width_in * 72 / (size * CHAR_EM), 1.0)
    lines = [line for paragraph in str(text).split("\n") for line in wrap(paragraph, units)]
    room = max(int(height_in * 72 / (size * 1.2)), 1)
    if len(lines) > room:
        lines = lines[:room]
        lines[-1] = lines[-1][: max(len(lines[-1]) - 1, 0)] + "…"
    return size, lines


def _longest_word(text: str) -> float:
    words = [w for w in str(text).replace("\n", " ").split(" ") if w]
    # CJK text breaks between characters, so only its widest character has to fit.
    return max((text_width(w) if text_width(w) <= 1.05 * len(w) else 2.0 for w in words), default=0.0)


def _east_asian(run: Any, typeface: str) -> None:
    """Set a:ea (and a:cs) next to a:latin so CJK text gets a CJK font in PowerPoint."""
    from pptx.oxml.ns import qn

    rpr = run._r.get_or_add_rPr()
    latin = rpr.find(qn("a:latin"))
    for tag in ("a:ea", "a:cs"):
        old = rpr.find(qn(tag))
        if old is not None:
            rpr.remove(old)
    ea = rpr.makeelement(qn("a:ea"), {"typeface": typeface})
    cs = rpr.makeelement(qn("a:cs"), {"typeface": typeface})
    latin.addnext(ea)
    ea.addnext(cs)


def _rgb(hex_colour: str) -> Any:
    from pptx.dml.color import RGBColor

    return RGBColor.from_string(hex_colour)


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, bool):
        return "yes" if value else ""
    return str(value)
