"""The workshop as a 16:9 PowerPoint deck a presenter can put in front of executives.

Title, executive summary, then one slide per finding (headlines state the finding), the journey map as
native, editable shapes (split over slides when it does not fit at 12 pt), pain points, opportunities and
KPIs with this run's measured values; speaker notes cite every source.

Shapes are placed on blank slides at 16:9 positions rather than in layout placeholders, because
python-pptx's default template is 4:3 and its placeholders stay at 4:3 positions when the slide size
changes (the layouts' placeholders are moved to 16:9 too, for slides a presenter adds later).
python-pptx does not shrink or wrap text for us, so every text is wrapped here (`charts.wrap`: the
language's line-breaking rules) and written with explicit line breaks, at a size chosen so it fits;
no text is smaller than 12 pt.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jmapkit.charts import text_width, wrap
from jmapkit.errors import MissingDependency
from jmapkit.export.report import Report, build
from jmapkit.i18n import _
from jmapkit.journey import LANES, TEMPLATE_NOTE
from jmapkit.numbers import language

if TYPE_CHECKING:
    import pandas as pd

    from jmapkit.store import Workshop

WIDTH_IN, HEIGHT_IN = 13.333, 7.5
MARGIN = 0.45
TITLE_TOP, TITLE_HEIGHT = 0.25, 1.0
BODY_TOP = 1.35
FOOTER_TOP = 7.0
BODY_BOTTOM = FOOTER_TOP - 0.1
MIN_PT = 12  # projected legibility: nothing on a slide is smaller
LATIN = "Arial"
# East-Asian typeface per workshop language: python-pptx's font.name sets only a:latin, and PowerPoint
# draws CJK runs with a:ea. Renderers without the font (LibreOffice on Linux) fall back per glyph.
EAST_ASIAN = {"ko": "Malgun Gothic", "ja": "Yu Gothic", "en": "Malgun Gothic", "de": "Malgun Gothic"}
BLUE, INK, GREY, RED, WHITE, PALE, GREEN, ORANGE = ("1F5FA8", "222222", "6B6B6B", "B3261E", "FFFFFF", "EEF2F7",
                                                    "2E7D32", "D9730D")
# Average glyph width in em. DejaVu Sans (LibreOffice's stand-in for Arial on Linux) is wide, bold more so;
# sizing for it leaves PowerPoint's Arial a little room rather than letting LibreOffice overflow.
CHAR_EM = 0.62
WORD_EM = 0.74  # the widest a single word gets per character (DejaVu Sans, "Recommend", "owner")
LINE = 1.2  # line height in em
URGENT_PRIORITY = 20
# The three sources of emotion on the map: colour, marker, dashed line.
EMOTION = {"team": (GREEN, "square", True), "voted": (BLUE, "oval", False), "measured": (ORANGE, "diamond", False)}
CHART_PX = 11  # the smallest font of a chart picture, in chart pixels; pictures are scaled so it is ≥ 12 pt

# Text placed here is already broken into lines by the language's rules (charts.wrap: whole Korean
# words, no Japanese line starting with closing punctuation); the renderer must not break it again.
REWRAP = False


def write(ws: Workshop, path: Path) -> Path:
    """Write the deck for `ws` to `path`."""
    from jmapkit.runs import title_lines

    report = build(ws)
    with language(report.language):
        Deck(report, status=title_lines(ws)).save(path)
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
        _widen_layouts(self.prs)
        self._blank = self.prs.slide_layouts[6]
        self.title_slide()
        self.summary_slide()
        self.goals_slide()
        self.persona_slides()
        self.touchpoints_slide()
        self.funnel_slide()
        self.dropoff_slide()
        self.scores_slide()
        self.segments_slide()
        self.emotion_slide()
        self.map_slides()
        self.pain_points_slide()
        self.opportunities_slide()
        self.kpis_slide()

    def save(self, path: Path) -> None:
        self.prs.save(str(path))

    # --- slides ------------------------------------------------------------------------------------------

    def title_slide(self) -> None:
        slide = self._slide("title", None)
        self._rect(slide, 0, 0, WIDTH_IN, 2.9, BLUE)
        self._text(slide, self.r.title, MARGIN, 0.6, WIDTH_IN - 2 * MARGIN, 2.1, max_pt=44, min_pt=24, bold=True,
                   colour=WHITE, name="title")
        lines = [(f"{label}: ", value) for label, value in self.r.subtitle() + self.status]
        self._labelled(slide, lines, MARGIN, 3.3, WIDTH_IN - 2 * MARGIN, 3.4, max_pt=24)

    def summary_slide(self) -> None:
        slide = self._slide("summary")
        blocks = self.r.summary()
        # Left: drop-off and lowest score; right: top pain points; bottom: KPI gaps.
        gap = 0.25
        left_w = 5.0
        right_x = MARGIN + left_w + gap
        right_w = WIDTH_IN - MARGIN - right_x
        top_h = 3.45
        self._panel(slide, *blocks[0], MARGIN, BODY_TOP, left_w, (top_h - gap) / 2, name="summary drop-off")
        self._panel(slide, *blocks[1], MARGIN, BODY_TOP + (top_h + gap) / 2, left_w, (top_h - gap) / 2,
                    name="summary lowest score")
        self._panel(slide, *blocks[2], right_x, BODY_TOP, right_w, top_h, name="summary pain points")
        self._panel(slide, *blocks[3], MARGIN, BODY_TOP + top_h + gap, WIDTH_IN - 2 * MARGIN,
                    BODY_BOTTOM - BODY_TOP - top_h - gap, name="summary KPI gaps")

    def goals_slide(self) -> None:
        slide = self._slide("goals")
        self._table(slide, self.r.goals_table().display(), MARGIN, BODY_TOP, WIDTH_IN - 2 * MARGIN,
                    BODY_BOTTOM - BODY_TOP, widths=[0.24, 0.76], header=False, first_bold=True, max_pt=20)

    def persona_slides(self) -> None:
        personas = self.r.steps.personas.personas
        per_slide = 3
        pages = [personas[i:i + per_slide] for i in range(0, len(personas), per_slide)] or [[]]
        for page_no, page in enumerate(pages, start=1):
            title = self.r.headline("personas") + (f" ({page_no}/{len(pages)})" if len(pages) > 1 else "")
            slide = self._slide("personas", title)
            if not page:
                self._missing(slide, _("No personas yet: add them in step 2."))
                continue
            gap = 0.3
            width = (WIDTH_IN - 2 * MARGIN - gap * (per_slide - 1)) / per_slide
            height = BODY_BOTTOM - BODY_TOP
            # One font size for every card on the slide, so the cards read as a set.
            size = min(self._card_size(p, width, height) for p in page)
            for i, p in enumerate(page):
                self._persona_card(slide, p, MARGIN + i * (width + gap), BODY_TOP, width, height, size)

    def touchpoints_slide(self) -> None:
        import pandas as pd

        slide = self._slide("touchpoints")
        lanes = self.r.lanes
        if not len(self.r.touchpoints.stages):
            self._missing(slide, _("No stages yet: add them in step 3."))
            return
        frame = pd.DataFrame({
            row["stage_label"]: ["\n".join(a["items"]), "\n".join(row["items"])]
            for row, a in zip(lanes[lanes["lane"] == "touchpoints"].to_dict("records"),
                              lanes[lanes["lane"] == "actions"].to_dict("records"), strict=True)
        })
        frame.insert(0, " ", [_("Customer actions"), _("Touchpoints")])
        n = len(frame.columns) - 1
        self._table(slide, frame, MARGIN, BODY_TOP, WIDTH_IN - 2 * MARGIN, BODY_BOTTOM - BODY_TOP - 0.45,
                    widths=[0.14] + [0.86 / n] * n, first_bold=True)
        self._text(slide, _("★ moment of truth   ⇄ handoff between teams"), MARGIN, BODY_BOTTOM - 0.4, 8, 0.4,
                   max_pt=MIN_PT, colour=GREY)

    def funnel_slide(self) -> None:
        slide = self._slide("funnel")
        why = self.r.missing("funnel")
        if why:
            self._missing(slide, _("No funnel: {why}.").format(why=why))
            return
        body_h = BODY_BOTTOM - BODY_TOP
        # The chart alone on the left, big enough for 12 pt text; the table holds the times between stages.
        self._chart(slide, "funnel", MARGIN, BODY_TOP, 6.9, body_h, px_width=420)
        self._table(slide, self.r.funnel_summary(), 7.55, BODY_TOP, WIDTH_IN - 7.55 - MARGIN, body_h, max_pt=16,
                    widths=[0.27, 0.18, 0.19, 0.18, 0.18])

    def dropoff_slide(self) -> None:
        slide = self._slide("dropoff")
        why = self.r.missing("touchpoints")
        if why:
            self._missing(slide, _("No drop-off per touchpoint: {why}.").format(why=why))
            return
        drop = self.r.dropoff_table().display()[["touchpoint", "customers", "journey ends here"]]
        half = (WIDTH_IN - 2 * MARGIN - 0.3) / 2
        self._table(slide, drop, MARGIN, BODY_TOP, half, BODY_BOTTOM - BODY_TOP, widths=[0.52, 0.22, 0.26],
                    max_rows=9, max_pt=16)
        paths = self.r.paths_table(top=6).display()[["path", "customers", "share of customers"]]
        if len(paths):
            self._table(slide, paths, MARGIN + half + 0.3, BODY_TOP, half, BODY_BOTTOM - BODY_TOP,
                        widths=[0.6, 0.2, 0.2], max_pt=16)

    def scores_slide(self) -> None:
        slide = self._slide("scores")
        why = self.r.missing("scores")
        if why:
            self._missing(slide, _("No NPS, CSAT or CES: {why}.").format(why=why))
            return
        low = self.r.lowest_touchpoint()
        body_h = BODY_BOTTOM - BODY_TOP
        table = self.r.metric_table("touchpoint")
        if low:
            self._chart(slide, low["metric"], MARGIN, BODY_TOP, WIDTH_IN - 2 * MARGIN, body_h * 0.42, px_width=720)
        top = BODY_TOP + (body_h * 0.45 if low else 0)
        n = len(table.columns) - 1
        self._table(slide, table, MARGIN, top, WIDTH_IN - 2 * MARGIN, BODY_BOTTOM - top,
                    widths=[0.28] + [0.72 / n] * n, max_pt=16)

    def segments_slide(self) -> None:
        slide = self._slide("segments")
        table = self.r.metric_table("segment")
        if not len(table):
            self._missing(slide, _("No scores per persona: link personas to data segments in step 2 and add a "
                                   "survey with a segment column."))
            return
        reach = self.r.segments_table().display()
        if "reach the last stage" in reach:
            table[_("reach the last stage")] = list(reach["reach the last stage"])
        n = len(table.columns) - 1
        self._table(slide, table, MARGIN, BODY_TOP, WIDTH_IN - 2 * MARGIN, BODY_BOTTOM - BODY_TOP,
                    widths=[0.22] + [0.78 / n] * n, max_pt=18)

    def emotion_slide(self) -> None:
        slide = self._slide("emotion")
        t = self.r.emotion_table()
        if not len(t):
            self._missing(slide, _("No emotions yet: the team's estimate, votes or a survey/verbatims file in step 4."))
            return
        shown = t.display()
        shown["team estimate"] = [v + (" " + _("(template)") if tmp and v != "–" else "")
                                  for v, tmp in zip(shown["team estimate"], t.template, strict=True)]
        shown["voted"] = [f"{v} (n = {n})" if v != "–" else v for v, n in
                          zip(shown["voted"], shown["votes"], strict=True)]
        shown["measured"] = [f"{v} ({lo}…{hi}), n = {n}" if lo != "–" else (f"{v}, n = {n}" if v != "–" else v)
                             for v, lo, hi, n in zip(shown["measured"], shown["measured CI low"],
                                                     shown["measured CI high"], shown["measured n"], strict=True)]
        frame = shown[["touchpoint", "team estimate", "voted", "measured", "measured from"]]
        frame = frame.rename(columns={"team estimate": _("team estimate"), "voted": _("participants' votes"),
                                      "measured": _("measured (95 % CI)"), "measured from": _("measured from")})
        self._table(slide, frame, MARGIN, BODY_TOP, WIDTH_IN - 2 * MARGIN, BODY_BOTTOM - BODY_TOP,
                    widths=[0.24, 0.16, 0.16, 0.26, 0.18], max_pt=16, template_rows=t.template)

    def map_slides(self) -> None:
        MapSlides(self).draw()

    def pain_points_slide(self) -> None:
        slide = self._slide("pain_points")
        t = self.r.data("pain points")
        if not len(t):
            self._missing(slide, _("No pain points yet: place them on the map in step 5."))
            return
        frame = t.frame
        frame = frame.assign(priority=[f"P{p}" + (" ★" if m else "") for p, m in
                                       zip(frame["priority"], frame["moment of truth"], strict=True)])
        frame = frame[["priority", "touchpoint", "pain point", "owner", "fix"]]
        self._table(slide, frame, MARGIN, BODY_TOP, WIDTH_IN - 2 * MARGIN, BODY_BOTTOM - BODY_TOP,
                    widths=[0.1, 0.16, 0.35, 0.13, 0.26], max_rows=8, template_rows=t.template)

    def opportunities_slide(self) -> None:
        slide = self._slide("opportunities")
        t = self.r.opportunities_table()
        if not len(t):
            self._missing(slide, _("No opportunities yet: note them on the map in step 5."))
            return
        self._table(slide, t.display()[["stage", "touchpoint", "opportunity", "owner"]], MARGIN, BODY_TOP,
                    WIDTH_IN - 2 * MARGIN, BODY_BOTTOM - BODY_TOP, widths=[0.15, 0.2, 0.47, 0.18], max_pt=18,
                    template_rows=t.template)

    def kpis_slide(self) -> None:
        slide = self._slide("kpis")
        frame = self.r.kpi_rows()
        if not len(frame):
            self._missing(slide, _("No KPIs yet: add one per stage in step 5."))
            return
        self._table(slide, frame, MARGIN, BODY_TOP, WIDTH_IN - 2 * MARGIN, BODY_BOTTOM - BODY_TOP,
                    widths=[0.11, 0.22, 0.1, 0.14, 0.09, 0.13, 0.21], max_rows=10,
                    template_rows=self.r.kpis_table().template)

    # --- building blocks ---------------------------------------------------------------------------------

    def _slide(self, section: str, title: str | None = "") -> Any:
        """A blank 16:9 slide with its headline, footer and speaker notes."""
        slide = self.prs.slides.add_slide(self._blank)
        if title is not None:
            title = title or self.r.headline(section)
            self._text(slide, title, MARGIN, TITLE_TOP, WIDTH_IN - 2 * MARGIN, TITLE_HEIGHT, max_pt=30, min_pt=20,
                       bold=True, colour=BLUE, name="title")
        self._text(slide, self.r.footer(section), MARGIN, FOOTER_TOP, WIDTH_IN - 2 * MARGIN, 0.4, max_pt=MIN_PT,
                   colour=GREY, name="footer")
        notes = self.r.notes(section)
        if title:
            notes = f"{title}\n" + notes  # the headline in full, even where the slide had to cut it
        slide.notes_slide.notes_text_frame.text = notes
        return slide

    def _text(self, slide: Any, text: str, left: float, top: float, width: float, height: float, *,
              max_pt: float = 18, min_pt: float = MIN_PT, bold: bool = False, colour: str = INK,
              italic: bool = False, name: str | None = None) -> Any:
        """A text box whose size is chosen so the wrapped text fits; at min_pt, lines are cut with '…'."""
        from pptx.enum.text import MSO_AUTO_SIZE
        from pptx.util import Inches

        size, lines = _fit(text, width - 0.2, height - 0.1, max_pt, min_pt, bold)
        box = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(height))
        if name:
            box.name = name
        frame = box.text_frame
        frame.word_wrap = REWRAP
        frame.auto_size = MSO_AUTO_SIZE.NONE  # sized here; PowerPoint's autofit would move what follows
        self._margins(frame)
        self._lines(frame.paragraphs[0], lines, size, bold=bold, colour=colour, italic=italic)
        return box

    def _labelled(self, slide: Any, lines: list[tuple[str, str]], left: float, top: float, width: float,
                  height: float, *, max_pt: float) -> None:
        from pptx.util import Inches, Pt

        size = max_pt
        while size > MIN_PT and sum(len(_wrap(a + b, width - 0.2, size)) for a, b in lines) * size * (
                LINE + 0.4) / 72 > height - 0.1:
            size -= 1
        frame = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(height)).text_frame
        frame.word_wrap = True
        self._margins(frame)
        for i, (label, value) in enumerate(lines):
            para = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
            para.space_after = Pt(size * 0.4)
            wrapped = _wrap(label + value, width - 0.2, size)
            first = wrapped[0]
            cut = min(len(label), len(first))
            self._run(para, first[:cut], size, bold=True, colour=BLUE)
            self._lines(para, [first[cut:]] + wrapped[1:], size)

    def _panel(self, slide: Any, heading: str, items: list[str], left: float, top: float, width: float,
               height: float, *, name: str) -> None:
        """A pale box with a bold heading and one paragraph per item, all at one size that fits."""
        from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE
        from pptx.util import Pt

        shape = self._rect(slide, left, top, width, height, PALE)
        shape.name = name
        frame = shape.text_frame
        frame.word_wrap = True
        frame.auto_size = MSO_AUTO_SIZE.NONE
        frame.vertical_anchor = MSO_ANCHOR.TOP
        self._margins(frame, 0.15)
        inner_w, inner_h = width - 0.3, height - 0.15
        size = 20.0

        def needed(pt: float) -> float:
            lines = len(_wrap(heading, inner_w, pt * 1.1, bold=True)) * 1.1
            lines += sum(len(_wrap("• " + item, inner_w, pt)) + 0.35 for item in items)
            return lines * pt * LINE / 72

        while size > MIN_PT and needed(size) > inner_h:
            size -= 1
        from pptx.enum.text import PP_ALIGN

        frame.paragraphs[0].alignment = PP_ALIGN.LEFT
        self._lines(frame.paragraphs[0], _wrap(heading, inner_w, size * 1.1, bold=True), size * 1.1, bold=True,
                    colour=BLUE)
        room = int((inner_h - len(_wrap(heading, inner_w, size * 1.1, bold=True)) * size * 1.1 * LINE / 72)
                   / (size * LINE / 72))
        for item in items:
            para = frame.add_paragraph()
            para.alignment = PP_ALIGN.LEFT
            para.space_before = Pt(size * 0.35)
            lines = _wrap("• " + item, inner_w, size)
            if len(lines) > room:
                lines = lines[:max(room, 1)]
                lines[-1] = lines[-1].rstrip()[:-1] + "…"
            room -= len(lines)
            if room < 0:
                break
            self._lines(para, lines, size)

    def _card_size(self, p: Any, width: float, height: float) -> float:
        paras = self._card_paras(p)
        inner_w, inner_h = width - 0.3, height - 0.2 - (0.4 if p.source.kind == "template" else 0)
        size = 18.0
        while size > MIN_PT and sum((len(_wrap(t, inner_w, size * f, bold=st.get("bold", False))) + before)
                                    * size * f * LINE / 72 for t, f, before, st in paras) > inner_h:
            size -= 0.5
        return size

    def _card_paras(self, p: Any) -> list[tuple[str, float, float, dict[str, Any]]]:
        # (text, size factor, space before in lines, style)
        paras: list[tuple[str, float, float, dict[str, Any]]] = [(p.name, 1.3, 0, {"bold": True, "colour": BLUE})]
        if p.role:
            paras.append((p.role, 1, 0.3, {"colour": GREY}))
        if p.quote:
            paras.append((f"“{p.quote}”", 1, 0.4, {"italic": True}))
        for heading, items in ((_("Goals"), p.goals), (_("Needs"), p.needs), (_("Frustrations"), p.frustrations)):
            if items:
                paras.append((heading, 1, 0.5, {"bold": True}))
                paras += [("• " + item, 1, 0, {}) for item in items]
        if p.segment:
            paras.append((_("Data segment: {segment}").format(segment=p.segment), 1, 0.5, {"colour": GREY}))
        return paras

    def _persona_card(self, slide: Any, p: Any, left: float, top: float, width: float, height: float,
                      size: float) -> None:
        from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE
        from pptx.util import Inches, Pt

        shape = self._rect(slide, left, top, width, height, PALE)
        shape.name = f"persona {p.name}"
        frame = shape.text_frame
        frame.word_wrap = True
        frame.auto_size = MSO_AUTO_SIZE.NONE
        frame.vertical_anchor = MSO_ANCHOR.TOP
        self._margins(frame, 0.15)
        inner_w = width - 0.3
        for i, (text, factor, before, style) in enumerate(self._card_paras(p)):
            para = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
            if before:
                para.space_before = Pt(size * factor * LINE * before)
            self._lines(para, _wrap(text, inner_w, size * factor, bold=style.get("bold", False)), size * factor,
                        **style)
        if p.source.kind == "template":
            box = slide.shapes.add_textbox(Inches(left), Inches(top + height - 0.42), Inches(width), Inches(0.4))
            self._margins(box.text_frame, 0.15)
            self._run(box.text_frame.paragraphs[0], _(TEMPLATE_NOTE), MIN_PT, italic=True, colour=GREY)

    def _table(self, slide: Any, frame: pd.DataFrame, left: float, top: float, width: float, height: float, *,
               widths: list[float] | None = None, header: bool = True, first_bold: bool = False, max_pt: float = 16,
               max_rows: int | None = None, template_rows: list[bool] | None = None) -> None:
        """A table with one font size (≥ 12 pt) chosen so that the wrapped rows fit; extra rows are counted."""
        from pptx.util import Inches

        rows = [[_cell(v) for v in row] for row in frame.itertuples(index=False)]
        flags = list(template_rows or [False] * len(rows))
        hidden = 0
        if max_rows is not None and len(rows) > max_rows:
            hidden = len(rows) - max_rows + 1
            rows = rows[: max_rows - 1]
        head = [_(str(c)) for c in frame.columns] if header else []
        fractions = widths or [1 / len(frame.columns)] * len(frame.columns)

        def columns(pt: float) -> list[float]:
            return _column_widths([head] if head else [], rows, fractions, width, pt)

        def needed(pt: float) -> float:
            col_w = columns(pt)
            total = 0.0
            for i, row in enumerate(([head] if head else []) + rows):
                bold = bool(head) and i == 0
                lines = max(len(_wrap(text, w - 0.16, pt, bold=bold)) for text, w in zip(row, col_w, strict=True))
                total += lines * pt * LINE / 72 + 0.1
            return total + (0.4 if hidden else 0)

        size = max_pt
        while size > MIN_PT and needed(size) > height:
            size -= 1
        # Even 12 pt does not fit: leave rows out and count them (the xlsx export has every row).
        while len(rows) > 1 and needed(size) > height:
            rows.pop()
            hidden += 1
        col_w = columns(size)
        body = ([head] if head else []) + rows
        if hidden:
            body.append([_("+ {n} more (see the xlsx export)").format(n=hidden)] + [""] * (len(fractions) - 1))
        shape = slide.shapes.add_table(len(body), len(fractions), Inches(left), Inches(top), Inches(width),
                                       Inches(min(height, max(needed(size), 0.3))))
        table = shape.table
        for j, w in enumerate(col_w):
            table.columns[j].width = Inches(w)
        for i, row in enumerate(body):
            is_head = bool(head) and i == 0
            lines = max(len(_wrap(text, w - 0.16, size, bold=is_head)) for text, w in zip(row, col_w, strict=True))
            table.rows[i].height = Inches(lines * size * LINE / 72 + 0.1)
            data_index = i - (1 if head else 0)
            template = 0 <= data_index < len(rows) and data_index < len(flags) and flags[data_index]
            more = bool(hidden) and i == len(body) - 1
            for j, text in enumerate(row):
                c = table.cell(i, j)
                c.margin_left = c.margin_right = Inches(0.08)
                c.margin_top = c.margin_bottom = Inches(0.05)
                tf = c.text_frame
                tf.word_wrap = REWRAP
                colour = WHITE if is_head else (GREY if more or template else INK)
                self._lines(tf.paragraphs[0], _wrap(text, col_w[j] - 0.16, size, bold=is_head), size,
                            bold=is_head or (first_bold and j == 0), colour=colour, italic=more or template)
                c.fill.solid()
                c.fill.fore_color.rgb = _rgb(BLUE if is_head else (PALE if i % 2 else WHITE))
        shape.name = "table"

    def _chart(self, slide: Any, name: str, left: float, top: float, width: float, height: float, *,
               px_width: int) -> Any:
        """A chart picture, scaled so its smallest text (CHART_PX) is at least 12 pt on the slide."""
        from PIL import Image
        from pptx.util import Inches

        for _attempt in range(6):
            png = self.r.png(name, scale=2.0, width=px_width)
            w, h = (v / 2 for v in Image.open(io.BytesIO(png)).size)  # chart pixels
            scale = min(width / w, height / h)  # inches per chart pixel
            if scale * 72 * CHART_PX >= MIN_PT or height / h < width / w:
                break  # legible, or limited by the height (narrowing would not help)
            px_width = int(px_width * scale * 72 * CHART_PX / MIN_PT) - 10  # narrower plot, same text size
        pw, ph = w * scale, h * scale
        pic = slide.shapes.add_picture(io.BytesIO(png), Inches(left + (width - pw) / 2), Inches(top),
                                       Inches(pw), Inches(ph))
        pic.name = f"chart {name}"
        return pic

    def _missing(self, slide: Any, message: str) -> None:
        self._text(slide, message, MARGIN, BODY_TOP + 0.5, WIDTH_IN - 2 * MARGIN, 1.5, max_pt=24, min_pt=14,
                   colour=GREY, italic=True, name="missing")

    def _rect(self, slide: Any, left: float, top: float, width: float, height: float, fill: str | None,
              shape_type: str = "RECTANGLE", line: str | None = None) -> Any:
        from pptx.enum.shapes import MSO_SHAPE
        from pptx.util import Inches, Pt

        shape = slide.shapes.add_shape(getattr(MSO_SHAPE, shape_type), Inches(left), Inches(top), Inches(width),
                                       Inches(height))
        if fill:
            shape.fill.solid()
            shape.fill.fore_color.rgb = _rgb(fill)
        else:
            shape.fill.background()
        if line:
            shape.line.color.rgb = _rgb(line)
            shape.line.width = Pt(1.5)
        else:
            shape.line.fill.background()
        shape.shadow.inherit = False
        return shape

    def _lines(self, para: Any, lines: list[str], size: float, *, bold: bool = False, italic: bool = False,
               colour: str = INK) -> None:
        """Lines joined by line breaks: the wrapping is ours (the language's rules), not the renderer's."""
        for i, line in enumerate(lines):
            if i:
                para.add_line_break()
            self._run(para, line, size, bold=bold, italic=italic, colour=colour)

    def _run(self, para: Any, text: str, size: float, *, bold: bool = False, italic: bool = False,
             colour: str = INK) -> Any:
        from pptx.util import Pt

        run = para.add_run()
        run.text = text
        font = run.font
        font.size = Pt(max(size, MIN_PT))
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


class MapSlides:
    """The journey map as native shapes: stages as columns, lanes as rows, split over slides to stay ≥ 12 pt."""

    LABEL_W = 1.8
    LEFT = 0.3
    TOP = BODY_TOP - 0.05
    BOTTOM = BODY_BOTTOM - 0.4  # the legend line sits below
    BAND = 1.0  # the emotion curve's height (inches) from +2 to −2
    HEADER_PT = 15

    def __init__(self, deck: Deck) -> None:
        self.d = deck
        self.r = deck.r
        lanes = self.r.lanes
        self.stages = list(self.r.touchpoints.stages)
        self.cells = {(row["stage"], row["lane"]): row for row in lanes.to_dict("records")}

    def draw(self) -> None:
        if not self.stages:
            slide = self.d._slide("map")
            self.d._missing(slide, _("No journey map yet: step 3 has no stages."))
            return
        pages = self._pages()
        for k, (stages, lanes, size) in enumerate(pages, start=1):
            title = self.r.headline("map") + (f" ({k}/{len(pages)})" if len(pages) > 1 else "")
            slide = self.d._slide("map", title)
            self._draw(slide, stages, lanes, size)

    # --- layout --------------------------------------------------------------------------------------------

    def _pages(self) -> list[tuple[list[Any], list[str], float]]:
        """Slides of (stages, lanes, size): the fewest slides that keep every text at 12 pt or more.

        Stages are split into groups (all, halves, thirds, ...); a group whose lanes do not fit one slide
        continues with its remaining lanes on the next, so nothing is cut and nothing says "+1 more".
        """
        n = len(self.stages)
        best: list[tuple[list[Any], list[str], float]] | None = None
        for parts in range(1, n + 1):
            per = -(-n // parts)
            pages = []
            for group in (self.stages[i:i + per] for i in range(0, n, per)):
                packed = self._pack(group, MIN_PT)
                size = next(pt for pt in (14, 13, MIN_PT) if len(self._pack(group, pt)) == len(packed))
                pages += [(group, lanes, size) for lanes in self._pack(group, size)]
            if best is None or len(pages) < len(best):
                best = pages
        return best or []

    def _pack(self, stages: list[Any], size: float) -> list[list[str]]:
        """Lanes in order, as many per slide as fit."""
        room = self.BOTTOM - self.TOP
        slides: list[list[str]] = []
        lanes: list[str] = []
        for lane in LANES:
            if lanes and self._height(stages, lanes + [lane], size) > room:
                slides.append(lanes)
                lanes = []
            lanes.append(lane)
        return slides + [lanes]

    def _col(self, count: int) -> float:
        return (WIDTH_IN - 2 * self.LEFT - self.LABEL_W) / count

    def _height(self, stages: list[Any], lanes: list[str], size: float) -> float:
        col = self._col(len(stages))
        total = self._header_h(stages)
        for lane in lanes:
            total += self._lane_height(stages, lane, col, size)
        return total

    def _header_h(self, stages: list[Any]) -> float:
        col = self._col(len(stages))
        lines = max(min(len(_wrap(s.label, col - 0.2, self.HEADER_PT, bold=True)), 2) for s in stages)
        return lines * self.HEADER_PT * LINE / 72 + 0.14

    def _lane_height(self, stages: list[Any], lane: str, col: float, size: float) -> float:
        label = len(_wrap(_(LANES[lane]), self.LABEL_W - 0.2, size, bold=True)) * size * LINE / 72 + 0.14
        if lane == "emotion":
            return max(self.BAND + 0.2 + self._label_lines(stages, col, size) * size * LINE / 72, label,
                       4 * size * LINE / 72 + 0.14)
        tallest = max(len(self._cell_lines(self.cells[(s.id, lane)], col, size)) for s in stages)
        return max(tallest * size * LINE / 72 + 0.14, label, size * LINE / 72 + 0.14)

    def _cell_lines(self, cell: dict[str, Any], col: float, size: float) -> list[tuple[str, int, bool]]:
        """(line, item index, first line of the item) for a cell, wrapped to the column."""
        bullet = cell["lane"] not in ("touchpoints", "owners")
        out = []
        for k, item in enumerate(cell["items"]):
            for j, line in enumerate(_wrap(("• " if bullet else "") + item, col - 0.2, size)):
                out.append((line, k, j == 0))
        return out

    def _label_lines(self, stages: list[Any], col: float, size: float) -> int:
        most = 1
        for s in stages:
            points = self.cells[(s.id, "emotion")]["points"]
            if points:
                w = col / len(self.r.touchpoints.in_stage(s.id))
                most = max(most, *(len(_wrap(p["label"], w - 0.04, size)) for p in points))
        return most

    # --- drawing -------------------------------------------------------------------------------------------

    def _draw(self, slide: Any, stages: list[Any], lanes: list[str], size: float) -> None:
        d = self.d
        col = self._col(len(stages))
        x0 = self.LEFT + self.LABEL_W
        header_h = self._header_h(stages)
        for i, s in enumerate(stages):
            box = d._rect(slide, x0 + i * col + 0.02, self.TOP, col - 0.04, header_h, BLUE)
            box.name = f"map stage {s.label}"
            self._fill(box, [(line, False, WHITE, True) for line in _wrap(s.label, col - 0.2, self.HEADER_PT,
                                                                          bold=True)[:2]], self.HEADER_PT)
        y = self.TOP + header_h
        for li, lane in enumerate(lanes):
            h = self._lane_height(stages, lane, col, size)
            if li % 2 == 0:
                d._rect(slide, self.LEFT, y, WIDTH_IN - 2 * self.LEFT, h, "F4F6F8").name = "map lane band"
            label = slide.shapes.add_textbox(*_emu(self.LEFT, y, self.LABEL_W, h))
            label.name = f"map lane {lane}"
            d._margins(label.text_frame)
            label.text_frame.word_wrap = REWRAP
            d._lines(label.text_frame.paragraphs[0], _wrap(_(LANES[lane]), self.LABEL_W - 0.2, size, bold=True), size,
                     bold=True)
            if lane == "emotion":
                self._emotion(slide, stages, y, h, col, size, label)
            else:
                for i, s in enumerate(stages):
                    self._cell(slide, self.cells[(s.id, lane)], x0 + i * col, y, col, h, size)
            y += h
        for i in range(1, len(stages)):
            line = slide.shapes.add_connector(1, *_emu_points(x0 + i * col, self.TOP, x0 + i * col, y))
            line.line.color.rgb = _rgb("D0D4D9")
            line.name = "map column rule"
        legend = _("★ moment of truth · ⇄ handoff · P = severity × frequency (×2 at ★) · "
                   "grey italic = template, not reviewed")
        d._text(slide, legend, self.LEFT, BODY_BOTTOM - 0.42, WIDTH_IN - 2 * self.LEFT, 0.42, max_pt=MIN_PT,
                colour=GREY, name="map legend")

    def _cell(self, slide: Any, cell: dict[str, Any], left: float, top: float, width: float, height: float,
              size: float) -> None:
        if not cell["items"]:
            return
        box = slide.shapes.add_textbox(*_emu(left, top, width, height))
        box.name = f"map {cell['lane']} {cell['stage_label']}"
        template = list(cell["item_template"])
        prios = list(cell["priorities"])
        lines = []
        for line, k, _first in self._cell_lines(cell, width, size):
            urgent = cell["lane"] == "pain_points" and k < len(prios) and prios[k] >= URGENT_PRIORITY
            tmp = k < len(template) and bool(template[k])
            colour = GREY if tmp else (RED if urgent else INK)
            lines.append((line, tmp, colour, _first))
        self._fill(box, lines, size)

    def _fill(self, shape: Any, lines: list[tuple[str, bool, str, bool]], size: float) -> None:
        """One paragraph per item (its wrapped lines joined by breaks); template items grey italic."""
        from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE

        frame = shape.text_frame
        frame.word_wrap = REWRAP
        frame.auto_size = MSO_AUTO_SIZE.NONE
        frame.vertical_anchor = MSO_ANCHOR.TOP
        self.d._margins(frame)
        para = None
        for line, template, colour, first in lines:
            if para is None:
                para = frame.paragraphs[0]
            elif first:
                para = frame.add_paragraph()
            else:
                para.add_line_break()
            self.d._run(para, line, size, italic=template, colour=colour, bold=colour == WHITE)

    def _emotion(self, slide: Any, stages: list[Any], top: float, height: float, col: float, size: float,
                 label: Any) -> None:
        """The three emotion sources as markers and lines, each point labelled with its touchpoint."""
        from pptx.enum.dml import MSO_LINE_DASH_STYLE
        from pptx.enum.text import PP_ALIGN

        d = self.d
        x0 = self.LEFT + self.LABEL_W
        band_top, band_bottom = top + 0.12, top + 0.12 + self.BAND

        def ypos(e: float) -> float:
            return band_top + (2 - e) / 4 * (band_bottom - band_top)

        for e in (2, 0, -2):
            rule = slide.shapes.add_connector(1, *_emu_points(x0, ypos(e), WIDTH_IN - self.LEFT, ypos(e)))
            rule.line.color.rgb = _rgb("9AA3AD" if e == 0 else "D5D9DE")
            rule.name = f"map emotion {e:+d}"
            tick = slide.shapes.add_textbox(*_emu(x0 - 0.5, ypos(e) - 0.15, 0.5, 0.3))
            tick.name = "map emotion scale"
            d._margins(tick.text_frame, 0.02)
            tick.text_frame.paragraphs[0].alignment = PP_ALIGN.RIGHT
            d._run(tick.text_frame.paragraphs[0], {2: "+2", 0: "0", -2: "−2"}[e], MIN_PT, colour=GREY)
        # The legend of the three sources under the lane's name.
        para = label.text_frame.paragraphs[0]
        for kind, text in (("team", _("■ team")), ("voted", _("● voted")), ("measured", _("◆ measured"))):
            para.add_line_break()
            d._run(para, text, MIN_PT, colour=EMOTION[kind][0])
        series: dict[str, list[tuple[float, float, bool]]] = {k: [] for k in EMOTION}
        for i, s in enumerate(stages):
            points = self.cells[(s.id, "emotion")]["points"]
            count = max(len(self.r.touchpoints.in_stage(s.id)), 1)
            for p in points:
                x = x0 + i * col + float(p["position"]) * col
                w = col / count
                name = ("★ " if p["moment_of_truth"] else "") + p["label"]
                tmp_label = p["team_kind"] == "template" and p["voted"] is None and p["measured"] is None
                box = slide.shapes.add_textbox(*_emu(x - w / 2 + 0.02, band_bottom + 0.08, w - 0.04,
                                                     top + height - band_bottom - 0.08))
                box.name = f"map emotion label {p['label']}"
                d._margins(box.text_frame, 0.02)
                box.text_frame.word_wrap = REWRAP
                box.text_frame.paragraphs[0].alignment = PP_ALIGN.CENTER
                d._lines(box.text_frame.paragraphs[0], _wrap(name, w - 0.04, size), size,
                         colour=GREY if tmp_label else INK, italic=tmp_label)
                for kind in EMOTION:
                    if p.get(kind) is not None:
                        series[kind].append((x, ypos(float(p[kind])), kind == "team" and p["team_kind"] == "template"))
        for kind, pts in series.items():
            colour, marker, dashed = EMOTION[kind]
            for (xa, ya, ta), (xb, yb, _tb) in zip(pts, pts[1:], strict=False):
                line = slide.shapes.add_connector(1, *_emu_points(xa, ya, xb, yb))
                line.line.color.rgb = _rgb(GREY if ta else colour)
                line.line.width = 19050  # 1.5 pt
                if dashed:
                    line.line.dash_style = MSO_LINE_DASH_STYLE.DASH
                line.name = f"map emotion line {kind}"
            for x, y, template in pts:
                dot = d._rect(slide, x - 0.08, y - 0.08, 0.16, 0.16, None if template else colour,
                              {"square": "RECTANGLE", "oval": "OVAL", "diamond": "DIAMOND"}[marker],
                              line=GREY if template else None)
                dot.name = f"map emotion {kind}" + (" template" if template else "")


# --- text measuring -------------------------------------------------------------------------------------


def _wrap(text: str, width_in: float, pt: float, *, bold: bool = False) -> list[str]:
    """`text` wrapped (by the language's rules) for a box `width_in` inches wide at `pt` points."""
    units = max(width_in * 72 / (pt * CHAR_EM * (1.08 if bold else 1.0)), 1.0)
    return [line for paragraph in str(text).split("\n") for line in wrap(paragraph, units)]


def _fit(text: str, width_in: float, height_in: float, max_pt: float, min_pt: float,
         bold: bool = False) -> tuple[float, list[str]]:
    """The largest size (in whole points) at which `text` fits the box, and its lines (cut with '…' at min_pt)."""
    size = max_pt
    while size > min_pt and len(_wrap(text, width_in, size, bold=bold)) * size * LINE / 72 > height_in:
        size -= 1
    lines = _wrap(text, width_in, size, bold=bold)
    room = max(int(height_in * 72 / (size * LINE)), 1)
    if len(lines) > room:
        lines = lines[:room]
        lines[-1] = lines[-1].rstrip()[: max(len(lines[-1].rstrip()) - 1, 0)] + "…"
    return size, lines


def _column_widths(head: list[list[str]], rows: list[list[str]], fractions: list[float], width: float,
                   pt: float) -> list[float]:
    """Column widths near `fractions` of `width`, widened so that no word has to break in the middle."""
    need = []
    for j in range(len(fractions)):
        words = [(w, i == 0 and bool(head)) for i, row in enumerate(head + rows) for w in str(row[j]).split()]
        # A single word is measured wider than running text (no narrow spaces in it; "mm" is wide in DejaVu).
        longest = max((text_width(w) * pt * WORD_EM * (1.08 if bold else 1.0) / 72 for w, bold in words), default=0)
        need.append(longest + 0.2)
    col = [f * width for f in fractions]
    short = sum(max(n - c, 0) for n, c in zip(need, col, strict=True))
    if not short:
        return col
    slack = [max(c - n, 0) for n, c in zip(need, col, strict=True)]
    if sum(slack) < short:  # not enough room anywhere: keep the proportions (long words will break)
        return col
    return [max(c, n) - (s / sum(slack) * short if s else 0) for c, n, s in zip(col, need, slack, strict=True)]


def _emu(left: float, top: float, width: float, height: float) -> tuple[int, int, int, int]:
    from pptx.util import Inches

    return Inches(left), Inches(top), Inches(max(width, 0.05)), Inches(max(height, 0.05))


def _emu_points(x1: float, y1: float, x2: float, y2: float) -> tuple[int, int, int, int]:
    from pptx.util import Inches

    return Inches(x1), Inches(y1), Inches(x2), Inches(y2)


def _widen_layouts(prs: Any) -> None:
    """Move the default template's 4:3 layout placeholders to 16:9 positions (for slides a presenter adds)."""
    from pptx.oxml.ns import qn

    factor = WIDTH_IN / 10.0  # the default template is 10 in wide
    for master in prs.slide_masters:
        for shape in list(master.placeholders) + [ph for layout in master.slide_layouts for ph in layout.placeholders]:
            if shape._element.spPr.find(qn("a:xfrm")) is not None:  # its own position, not inherited
                shape.left, shape.width = round(shape.left * factor), round(shape.width * factor)


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


__all__ = ["Deck", "write", "text_width"]
