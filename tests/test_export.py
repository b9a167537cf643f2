"""Exports: the registry, the 16:9 deck (slides, titles, notes citing sources, the map), and the other formats."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from jmapkit.errors import JmapkitError
from jmapkit.export import FORMATS, default_output, export
from jmapkit.model import BehaviourResults, DataRef, Source, Touchpoints
from jmapkit.store import Workshop, new_workshop

EVENTS_SHA = "3f2a9c0d1e4b" + "7" * 52
SURVEY_SHA = "9b81c2aa00ff" + "1" * 52
RUN = "20261123T070000Z"
FUNNEL = pd.DataFrame({
    "stage": ["awareness", "consideration", "purchase", "onboarding", "retention", "advocacy"],
    "reached": [1000, 620, 410, 395, 160, 48],
    "conversion_from_previous": [1.0, 0.62, 410 / 620, 395 / 410, 160 / 395, 48 / 160],
    "conversion_from_first": [1.0, 0.62, 0.41, 0.395, 0.16, 0.048],
    "median_hours": [None, 26.0, 3.5, 0.25, 240.0, 30.0],
    "p90_hours": [None, 120.0, 20.0, 0.6, 600.0, 90.0],
    "entered_here": [1000, 35, 80, 0, 0, 0],  # everyone in the first stage entered there
    "dropped": [380, 210, 15, 235, 112, 0],
})
SCORES = pd.DataFrame({
    "group_by": ["touchpoint"] * 4 + ["all", "all"],
    "group": ["order_counter", "payment", "order_counter", "payment", "all", "all"],
    "metric": ["nps", "nps", "csat", "csat", "nps", "csat"],
    "n": [120, 110, 120, 110, 230, 230],
    "value": [-12.5, 3.6, 48.3, 55.5, -4.8, 51.7],
    "ci_low": [-28.0, -12.0, 39.6, 46.2, -16.0, 45.2],
    "ci_high": [3.0, 19.2, 57.2, 64.5, 6.4, 58.1],
})


def add_step4(ws: Workshop, *, survey: bool = True) -> Workshop:
    """Step 4 as the lead's behaviour step leaves it: CSVs under steps/4-behaviour/ and hashes of the inputs."""
    folder = ws.tables_dir(4)
    folder.mkdir(parents=True, exist_ok=True)
    tables = {"funnel": FUNNEL, **({"scores": SCORES} if survey else {})}
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    b = ws.load_or_default(BehaviourResults)
    b.inputs = {"events": DataRef(path="data/events.csv", sha256=EVENTS_SHA, rows=48210)}
    if survey:
        b.inputs["survey"] = DataRef(path="data/survey.csv", sha256=SURVEY_SHA, rows=2160)
    b.tables = {name: f"steps/4-behaviour/{name}.csv" for name in tables}
    b.run = RUN
    ws.save(b)
    return ws


def add_persona(ws: Workshop, name: str, quote: str) -> None:
    personas = ws.load(2)
    first = personas.personas[0].model_copy(update={"name": name, "quote": quote})
    personas.personas.append(first)
    ws.save(personas)


@pytest.fixture
def tacos(restaurant: Workshop) -> Workshop:
    add_persona(restaurant, "Student Sam", "Cheap, fast, and good.")  # four personas: two persona slides
    return add_step4(restaurant)


@pytest.fixture(scope="module")
def tacos_deck(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workshop, Path]:
    """One exported deck shared by the tests that only read it (rendering the charts takes seconds)."""
    ws = new_workshop(tmp_path_factory.mktemp("deck") / "tacos", template="restaurant")
    add_persona(ws, "Student Sam", "Cheap, fast, and good.")
    add_step4(ws)
    add_run(ws)
    return ws, export(ws, "pptx")


def add_run(ws: Workshop) -> None:
    """A run yesterday on the workshop's own events, with the period its events covered."""
    import json
    from datetime import datetime, timedelta, timezone

    from jmapkit.runs import data_record

    finished = datetime.now(timezone.utc) - timedelta(days=1)
    folder = ws.path("runs", RUN)
    folder.mkdir(parents=True)
    record = {"run": RUN, "status": "ok", "started": finished.isoformat(), "finished": finished.isoformat(),
              "data": data_record(ws, {"events": ws.path("data", "events.csv")})}
    (folder / "run.json").write_text(json.dumps(record))
    period = (datetime(2026, 7, 1, 11, 0, tzinfo=timezone.utc), datetime(2026, 9, 30, 14, 0, tzinfo=timezone.utc))
    ws.save(ws.load(BehaviourResults).model_copy(update={"period": period}))


def deck(path: Path):
    from pptx import Presentation

    return Presentation(str(path))


def shape(slide, name: str):
    found = [s for s in slide.shapes if s.name == name]
    assert found, f"no shape {name!r} on the slide; shapes: {[s.name for s in slide.shapes]}"
    return found[0]


def all_text(slide) -> str:
    parts = []
    for s in slide.shapes:
        if s.has_text_frame:
            parts.append(s.text_frame.text)
        if getattr(s, "has_table", False) and s.has_table:
            parts += [c.text for row in s.table.rows for c in row.cells]
    return "\n".join(parts)


def table_rows(slide) -> list[list[str]]:
    table = next(s for s in slide.shapes if getattr(s, "has_table", False) and s.has_table).table
    return [[c.text for c in row.cells] for row in table.rows]


# --- registry ----------------------------------------------------------------------------------------


def test_unknown_format_lists_the_allowed_ones(restaurant: Workshop) -> None:
    with pytest.raises(JmapkitError) as err:
        export(restaurant, "docx")
    assert str(err.value) == "unknown export format 'docx'. Fix: use one of: pptx, html, xlsx, png, slides (or all)."


def test_default_output_is_in_exports_named_after_the_folder(restaurant: Workshop) -> None:
    assert default_output(restaurant, "pptx") == restaurant.root / "exports" / "tacos.pptx"
    assert default_output(restaurant, "XLSX") == restaurant.root / "exports" / "tacos.xlsx"
    assert set(FORMATS) == {"pptx", "html", "xlsx", "png", "slides"}


# --- pptx --------------------------------------------------------------------------------------------


def titles(prs) -> list[str]:
    return [shape(s, "title").text_frame.text.replace("\v", " ").replace("\n", " ") for s in prs.slides]


def runs(prs):
    """Every text run of every slide (text boxes, shapes and table cells), with its slide number."""
    for i, slide in enumerate(prs.slides):
        for s in slide.shapes:
            frames = [s.text_frame] if s.has_text_frame else []
            if getattr(s, "has_table", False) and s.has_table:
                frames += [c.text_frame for row in s.table.rows for c in row.cells]
            for frame in frames:
                for para in frame.paragraphs:
                    for run in para.runs:
                        yield i, s, run


def test_deck_is_16_9_starts_with_the_findings(tacos_deck: tuple[Workshop, Path]) -> None:
    from pptx.util import Inches

    tacos, path = tacos_deck
    assert path == tacos.root / "exports" / "tacos.pptx"
    prs = deck(path)
    assert (prs.slide_width, prs.slide_height) == (Inches(13.333), Inches(7.5))
    names = titles(prs)
    # An independent reading of the funnel: the step between stages that loses the largest share.
    reached = list(FUNNEL["reached"])
    losses = [1 - b / a for a, b in zip(reached, reached[1:], strict=False)]
    k = losses.index(max(losses))
    stages = ["Discover", "Choose", "Order & pay", "Eat", "Come back", "Recommend"]
    half = (57.2 - 39.6) / 2
    assert names[1] == (f"{stages[k]} → {stages[k + 1]} loses {round(100 * max(losses))}% of customers; "
                        f"CSAT at Order at the counter is {round(48.3)}% (±{round(half)})")
    assert names[2] == "Goal: Get a great lunch in under 30 minutes, without queueing twice."
    assert names[5] == "6 stages, 13 touchpoints, 3 moments of truth"
    assert names[6] == "Come back → Recommend loses 70% of customers; 48 of 1,000 reach Recommend"
    assert names[8] == "CSAT at Order at the counter is 48% (±9), the lowest of 2 touchpoints"
    assert names[-3] == "Fix first: Order at the counter (P40, Store manager)"
    assert names[-1] == "2 of 6 KPIs measured this run; 2 need a second look"
    assert any(n.startswith("Journey map: 3 pain points, the most urgent at Order at the counter") for n in names)


def test_no_text_under_12_pt_and_nothing_past_the_slide(tacos_deck: tuple[Workshop, Path]) -> None:
    _, path = tacos_deck
    prs = deck(path)
    small = [(i, s.name, r.text) for i, s, r in runs(prs) if r.font.size is None or r.font.size.pt < 12]
    assert small == []
    for i, slide in enumerate(prs.slides):
        assert not list(slide.placeholders)
        for s in slide.shapes:
            assert s.left >= 0 and s.top >= 0, (i, s.name)
            assert s.left + s.width <= prs.slide_width and s.top + s.height <= prs.slide_height, (i, s.name)
    # The layouts a presenter adds slides from are 16:9 too (python-pptx's template is 4:3).
    for layout in prs.slide_layouts:
        for ph in layout.placeholders:
            if ph.width is not None:
                assert ph.left + ph.width <= prs.slide_width


def test_chart_pictures_keep_their_text_at_12_pt(tacos_deck: tuple[Workshop, Path]) -> None:
    import io

    from PIL import Image

    from jmapkit.export.powerpoint import CHART_PX

    _, path = tacos_deck
    pictures = [s for slide in deck(path).slides for s in slide.shapes if s.shape_type == 13]
    assert {p.name for p in pictures} == {"chart funnel", "chart csat"}
    for p in pictures:
        width_px = Image.open(io.BytesIO(p.image.blob)).width / 2  # rendered at twice the chart's size
        assert p.width.inches * 72 / width_px * CHART_PX >= 12


def test_summary_slide_has_drop_off_lowest_score_pains_and_kpi_gaps(tacos_deck: tuple[Workshop, Path]) -> None:
    _, path = tacos_deck
    slide = deck(path).slides[1]
    text = lambda name: shape(slide, name).text_frame.text.replace("\v", " ")  # noqa: E731
    assert text("summary drop-off") == "Biggest drop-off\n• Come back → Recommend: 70% lost (160 → 48 customers)"
    assert text("summary lowest score") == ("Lowest-scoring touchpoint\n• Order at the counter: CSAT 48% "
                                            "(95 % CI 40%–57%, n = 120)")
    pains = text("summary pain points")
    assert pains.index("P40 Order at the counter") < pains.index("P32 Pay at the till") < pains.index("P4 Online")
    assert "owner: Store manager; fix: Order-at-table QR code; a second order point from 12:00 to 13:30." in pains
    gaps = text("summary KPI gaps")
    assert "CSAT at ordering: 48.3% now (baseline 48%), target 70%" in gaps


def test_kpis_show_the_measured_value_and_flag_contradictions(tacos_deck: tuple[Workshop, Path]) -> None:
    _, path = tacos_deck
    rows = [[c.replace("\v", " ") for c in r] for r in table_rows(deck(path).slides[-1])]
    assert rows[0] == ["stage", "KPI", "baseline", "measured now", "target", "owner", "check"]
    by_name = {r[1]: r for r in rows[1:]}
    assert by_name["CSAT at ordering"][2:5] == ["48%", "48.3% (40…57)", "70%"]
    assert by_name["CSAT at ordering"][6] == "✓"
    # NPS baseline 10 lies outside this run's CI (−16 … 6.4): the data contradicts it.
    assert by_name["NPS after the visit"][3] == "-4.8 (-16…6)"
    assert by_name["NPS after the visit"][6] == "baseline contradicts the data"
    assert by_name["CSAT of the food"][6] == "target does not improve on the baseline; metric not found in step 4"
    assert by_name["Maps listing views per week"][6] == "not tied to a metric"


def test_map_is_native_editable_shapes_with_labelled_emotion(tacos_deck: tuple[Workshop, Path]) -> None:
    _, path = tacos_deck
    prs = deck(path)
    maps = [s for s in prs.slides if shape(s, "title").text_frame.text.startswith("Journey map")]
    assert len(maps) >= 2
    assert not [s for slide in maps for s in slide.shapes if s.shape_type == 13]  # no picture
    names = {s.name for slide in maps for s in slide.shapes}
    # Every stage, every lane and a label for every touchpoint with an emotion point.
    assert {f"map stage {st}" for st in ("Discover", "Choose", "Order & pay", "Eat", "Come back",
                                         "Recommend")} <= names
    assert {f"map lane {lane}" for lane in ("actions", "touchpoints", "emotion", "pain_points", "opportunities",
                                            "owners", "kpis")} <= names
    assert {"map emotion label Order at the counter", "map emotion label Food served"} <= names
    # The team's estimates are template content here: grey hollow markers, never drawn as votes.
    assert "map emotion team template" in names and "map emotion voted" not in names
    pains = [s for slide in maps for s in slide.shapes if s.name == "map pain_points Order & pay"]
    text = pains[0].text_frame.text.replace("\v", " ")
    assert text.startswith("• P40 One counter takes orders") and "• P32 Customers queue a second time" in text
    assert "more" not in text


def test_unreviewed_items_are_grey_italic_one_by_one(restaurant: Workshop) -> None:
    m = restaurant.load(5)
    m.pain_points[1].source = Source(kind="team")  # the team reviewed the second pain point only
    restaurant.save(m)
    prs = deck(export(restaurant, "pptx"))
    cell = next(s for slide in prs.slides for s in slide.shapes if s.name == "map pain_points Order & pay")
    paras = cell.text_frame.paragraphs
    assert paras[0].runs[0].text.startswith("• P40") and paras[0].runs[0].font.italic is True
    assert paras[1].runs[0].text.startswith("• P32") and paras[1].runs[0].font.italic is False


def test_title_slide_names_the_run_its_data_period_and_when_it_is_due(tacos_deck: tuple[Workshop, Path]) -> None:
    from jmapkit.runs import add_months, last

    ws, path = tacos_deck
    text = all_text(deck(path).slides[0])
    finished = last(ws).finished
    assert f"Run: {RUN} ({finished:%Y-%m-%d})" in text
    assert "Data: 2026-07-01 – 2026-09-30" in text
    assert f"Status: current (refresh quarterly: next by {add_months(finished, 3):%Y-%m-%d})" in text


def test_every_slide_has_notes_and_data_slides_cite_hash_and_run(tacos_deck: tuple[Workshop, Path]) -> None:
    _, path = tacos_deck
    prs = deck(path)
    notes = {titles(prs)[i]: s.notes_slide.notes_text_frame.text for i, s in enumerate(prs.slides)}
    assert all(n.strip() for n in notes.values())
    funnel = next(n for t, n in notes.items() if t.startswith("Come back → Recommend loses 70% of customers; 48"))
    assert f"events.csv (sha256 {EVENTS_SHA[:12]}, 48,210 rows), run {RUN}" in funnel
    assert "Customers who entered the journey at a later stage (counted apart): Choose 35, Order & pay 80." in funnel
    scores = notes["CSAT at Order at the counter is 48% (±9), the lowest of 2 touchpoints"]
    assert f"survey.csv (sha256 {SURVEY_SHA[:12]}, 2,160 rows), run {RUN}" in scores
    assert "All respondents: NPS -5 (n = 230, 95 % CI -16…+6)." in scores
    assert "Data warning" not in funnel  # install hints belong in step 4, not in what the presenter reads


def test_missing_survey_is_said_on_the_slide(restaurant: Workshop) -> None:
    add_step4(restaurant, survey=False)
    prs = deck(export(restaurant, "pptx"))
    slide = next(s for s in prs.slides if shape(s, "title").text_frame.text == "Scores: no survey file in step 4 yet")
    assert shape(slide, "missing").text_frame.text == "No NPS, CSAT or CES: no survey file was chosen in step 4."


def test_cjk_runs_get_an_east_asian_font(tmp_path: Path) -> None:
    ws = new_workshop(tmp_path / "ko", template="restaurant", language="ko", name="비바 타코스 점심 방문")
    prs = deck(export(ws, "pptx"))
    title_run = shape(prs.slides[0], "title").text_frame.paragraphs[0].runs[0]
    assert title_run.text == "비바 타코스 점심 방문"
    rpr = title_run._r.rPr
    ns = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
    assert rpr.find(f"{ns}latin").get("typeface") == "Arial"
    assert rpr.find(f"{ns}ea").get("typeface") == "Malgun Gothic"


def test_numbers_follow_the_workshop_locale(tmp_path: Path) -> None:
    ws = new_workshop(tmp_path / "de", template="restaurant", language="de")
    add_step4(ws)
    prs = deck(export(ws, "pptx"))
    # A German workshop's deck is in German: the funnel slide's headline says how many "erreichen" the last stage.
    stages = [s.label for s in ws.load(Touchpoints).stages]
    funnel = next(s for s in prs.slides if f"erreichen {stages[-1]}" in shape(s, "title").text_frame.text)
    rows = table_rows(funnel)
    assert rows[1][:2] == [stages[0], "1.000"] and rows[3][2] == f"{round(100 * 410 / 620)}\u00a0%"


# --- png, xlsx, html ---------------------------------------------------------------------------------


def test_png_is_the_journey_map(tacos: Workshop) -> None:
    from PIL import Image

    path = export(tacos, "png")
    assert path == tacos.root / "exports" / "tacos.png"
    with Image.open(path) as image:
        assert image.format == "PNG"
        # The 1240 px wide map (plus Vega's few pixels of padding) at scale 2, landscape like a slide.
        assert 2 * 1240 <= image.width <= 2 * 1260 and image.height < image.width


def test_xlsx_has_tidy_sheets_with_formats_and_the_sources(tacos: Workshop) -> None:
    from openpyxl import load_workbook

    path = export(tacos, "xlsx")
    sheets = pd.read_excel(path, sheet_name=None)
    assert list(sheets) == ["summary", "goals", "personas", "touchpoints", "funnel", "funnel by persona", "drop-off",
                            "paths", "transitions", "scores", "emotion", "sentiment", "pain points", "opportunities",
                            "kpis", "map", "sources"]
    funnel = sheets["funnel"]
    assert list(funnel["stage"]) == ["Discover", "Choose", "Order & pay", "Eat", "Come back", "Recommend"]
    assert list(funnel["reached"]) == list(FUNNEL["reached"])
    assert list(funnel["from first stage"]) == pytest.approx(list(FUNNEL["conversion_from_first"]))
    book = load_workbook(path)
    assert book["funnel"]["B2"].number_format == "#,##0" and book["funnel"]["D3"].number_format == "0.0%"
    scores = sheets["scores"]
    assert list(scores.loc[scores["metric"] == "NPS", "value"]) == [-12.5, 3.6, -4.8]
    assert list(scores.loc[scores["metric"] == "NPS", "group"]) == ["Order at the counter", "Pay at the till", "all"]
    assert sheets["paths"].iloc[0, 0] == "No paths table: step 4 wrote no steps/4-behaviour/paths.csv."
    pains = sheets["pain points"]
    assert list(pains["priority"]) == [40, 32, 4]
    kpis = sheets["kpis"].set_index("KPI")
    assert kpis.loc["CSAT at ordering", "measured now"] == pytest.approx(48.3)
    assert kpis.loc["CSAT at ordering", "95 % CI low"] == pytest.approx(39.6)
    sources = sheets["sources"]
    assert list(sources.loc[sources["what"] == "input: events", "sha256"]) == [EVENTS_SHA]
    # The map is a grid: one row per lane, one column per stage.
    grid = sheets["map"]
    assert list(grid.columns) == ["lane", "Discover", "Choose", "Order & pay", "Eat", "Come back", "Recommend"]
    assert list(grid["lane"]) == ["Actions", "Touchpoints", "Emotion", "Pain points", "Opportunities", "Owners",
                                  "KPIs"]
    assert grid.loc[3, "Order & pay"].split("\n")[0].startswith("P40 One counter takes orders")


@pytest.mark.parametrize("lead", ["=", "+", "-", "@"])
def test_xlsx_writes_formula_like_text_as_text(restaurant: Workshop, lead: str) -> None:
    from openpyxl import load_workbook

    persona = f'{lead}HYPERLINK("http://evil.example","click me")'
    pain = f"{lead}1+1 pain"
    kpi = f"{lead}SUM(A1:A9)"
    ps = restaurant.load(2)
    ps.personas[0].name = persona
    restaurant.save(ps)
    m = restaurant.load(5)
    m.pain_points[0].description = pain
    m.kpis[0].name = kpi
    restaurant.save(m)
    book = load_workbook(export(restaurant, "xlsx"))
    formulas = [(ws.title, c.coordinate) for ws in book for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []
    values = {c.value for ws in book for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    assert {persona, pain, kpi} <= values
    cell = next(c for row in book["personas"].iter_rows() for c in row if c.value == persona)
    assert cell.data_type == "s" and cell.quotePrefix


def test_xlsx_without_step_4_says_what_is_missing(restaurant: Workshop) -> None:
    sheets = pd.read_excel(export(restaurant, "xlsx"), sheet_name=None)
    assert sheets["funnel"].iloc[0, 0] == "No funnel table: step 4 has not been run on data yet."
    assert "missing table: scores" in set(sheets["sources"]["what"])


def test_html_is_self_contained_with_the_map_as_html(tacos: Workshop) -> None:
    import re

    page = export(tacos, "html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "url(" not in page and "@import" not in page and "<img" not in page
    assert page.count('<table class="jmap">') == 1 and page.count("<svg") >= 3  # map curve, funnel, CSAT
    assert "<th>Order &amp; pay</th>" in page
    # Emotion points are labelled with their touchpoint's name, as SVG text (wrapped to its column).
    assert re.search(r">Online</tspan><tspan [^>]*>menu</tspan>", page)
    assert "Come back → Recommend loses 70% of customers; 48 of 1,000 reach Recommend" in page
    assert f"events.csv (sha256 {EVENTS_SHA[:12]}, 48,210 rows), run {RUN}" in page
    assert "conversion_from" not in page and "<td>order_counter" not in page  # readable headers and names, no ids


def test_html_escapes_team_text(restaurant: Workshop) -> None:
    goals = restaurant.load(1)
    goals.customer_goal = "<script>alert(1)</script> & more"
    restaurant.save(goals)
    page = export(restaurant, "html").read_text(encoding="utf-8")
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in page
    assert '<p class="missing">No funnel: step 4 has not been run on data yet.</p>' in page


def test_output_may_be_given_and_must_be_a_file(restaurant: Workshop, tmp_path: Path) -> None:
    target = tmp_path / "out" / "deck.pptx"
    assert export(restaurant, "pptx", target) == target and target.is_file()
    with pytest.raises(JmapkitError, match="is a folder"):
        export(restaurant, "pptx", tmp_path)


def test_slides_are_reveal_js_inlined_and_offline(tacos: Workshop) -> None:
    import re

    path = export(tacos, "slides")
    assert path == tacos.root / "exports" / "tacos.slides.html"
    page = path.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "@import" not in page and "sourceMappingURL" not in page
    assert "width: 1280, height: 720" in page and "slideNumber: 'c/t'" in page and "plugins: [RevealNotes]" in page
    assert page.count("<section>") == page.count('<aside class="notes">') >= 15
    assert f"events.csv (sha256 {EVENTS_SHA[:12]}, 48,210 rows), run {RUN}" in page


def test_export_all_writes_every_format_and_times_it(restaurant: Workshop) -> None:
    from click.testing import CliRunner

    from jmapkit.cli import main

    result = CliRunner().invoke(main, ["export", str(restaurant.root), "--to", "all"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == list(FORMATS)
    for line, fmt in zip(lines, FORMATS, strict=True):
        assert re.fullmatch(rf"{fmt}\s+\d+\.\d s  {re.escape(str(default_output(restaurant, fmt)))}", line)
        assert default_output(restaurant, fmt).is_file()
