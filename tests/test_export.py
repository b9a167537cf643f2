"""Exports: the registry, the 16:9 deck (slides, titles, notes citing sources, the map), and the other formats."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from jmapkit.errors import JmapkitError
from jmapkit.export import FORMATS, default_output, export
from jmapkit.model import BehaviourResults, DataRef
from jmapkit.store import Workshop, new_workshop

EVENTS_SHA = "3f2a9c0d1e4b" + "7" * 52
SURVEY_SHA = "9b81c2aa00ff" + "1" * 52
RUN = "20261123T070000Z"
TITLES = [
    None,  # the title slide has the workshop name instead
    "Step 1 · Goals",
    "Step 2 · Personas (1/2)",
    "Step 2 · Personas (2/2)",
    "Step 3 · Stages & touchpoints",
    "Step 4 · Behaviour: funnel",
    "Step 4 · Behaviour: NPS & CSAT",
    "Step 5 · Journey map",
    "Step 5 · Pain points: owner & fix",
    "Step 5 · KPIs: baseline → target",
]
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
    return ws, export(ws, "pptx")


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
    assert str(err.value) == "unknown export format 'docx'. Fix: use one of: pptx, html, xlsx, png, slides."


def test_default_output_is_in_exports_named_after_the_folder(restaurant: Workshop) -> None:
    assert default_output(restaurant, "pptx") == restaurant.root / "exports" / "tacos.pptx"
    assert default_output(restaurant, "XLSX") == restaurant.root / "exports" / "tacos.xlsx"
    assert set(FORMATS) == {"pptx", "html", "xlsx", "png", "slides"}


# --- pptx --------------------------------------------------------------------------------------------


def test_deck_is_16_9_with_one_slide_per_step(tacos_deck: tuple[Workshop, Path]) -> None:
    from pptx.util import Inches

    tacos, path = tacos_deck
    assert path == tacos.root / "exports" / "tacos.pptx"
    prs = deck(path)
    assert (prs.slide_width, prs.slide_height) == (Inches(13.333), Inches(7.5))
    titles = [shape(s, "title").text_frame.text if i else None for i, s in enumerate(prs.slides)]
    assert titles == TITLES
    for slide in prs.slides:  # every shape inside the slide: nothing left at 4:3 placeholder positions
        assert not list(slide.placeholders)
        for s in slide.shapes:
            assert s.left >= 0 and s.top >= 0
            assert s.left + s.width <= prs.slide_width and s.top + s.height <= prs.slide_height, s.name


def test_title_slide_has_name_goal_period_and_date(tacos_deck: tuple[Workshop, Path]) -> None:
    from datetime import date

    _, path = tacos_deck
    text = all_text(deck(path).slides[0])
    assert "Vivan los Tacos — lunch visit" in text
    assert "Customer goal: Get a great lunch in under 30 minutes, without queueing twice." in text
    assert "Period: 2026 Q3 (July–September), weekday lunch service" in text
    assert f"Date: {date.today().isoformat()}" in text


def test_every_slide_has_notes_and_data_slides_cite_hash_and_run(tacos_deck: tuple[Workshop, Path]) -> None:
    _, path = tacos_deck
    prs = deck(path)
    notes = [s.notes_slide.notes_text_frame.text for s in prs.slides]
    assert all(n.strip() for n in notes)
    funnel, scores = notes[5], notes[6]
    assert f"events.csv (sha256 {EVENTS_SHA[:12]}, 48 210 rows), run {RUN}" in funnel
    assert f"survey.csv (sha256 {SURVEY_SHA[:12]}, 2 160 rows), run {RUN}" in scores
    assert "All respondents: NPS -4.8 (n=230, 95 % CI -16…6.4)." in scores
    assert "Office lunch Olivia: template — not yet reviewed by the team; data segment 'office_lunch'" in notes[2]
    assert "P40 at Order at the counter: template — not yet reviewed by the team" in notes[8]
    assert "Customers who entered the journey at a later stage (counted apart): Choose 35, Order & pay 80." in funnel
    # The footer says the same in one line on the slide itself.
    assert shape(prs.slides[5], "footer").text_frame.text.startswith(f"Source: events.csv (sha256 {EVENTS_SHA[:12]}")


def test_behaviour_slide_shows_charts_and_the_funnel_numbers(tacos_deck: tuple[Workshop, Path]) -> None:
    _, path = tacos_deck
    slide = deck(path).slides[5]
    pictures = [s for s in slide.shapes if s.shape_type == 13]
    assert len(pictures) == 2 and all(p.image.blob[:4] == b"\x89PNG" for p in pictures)
    rows = table_rows(slide)
    expected = [["stage", "reached", "of first", "from previous", "median hours"]] + [
        [label, reached, first, prev, hours]
        for label, reached, first, prev, hours in zip(
            ["Discover", "Choose", "Order & pay", "Eat", "Come back", "Recommend"],
            ["1 000", "620", "410", "395", "160", "48"],
            [f"{round(100 * c)} %" for c in FUNNEL["conversion_from_first"]],
            ["–"] + [f"{round(100 * c)} %" for c in FUNNEL["conversion_from_previous"][1:]],
            ["–", "26", "3.5", "0.2", "240", "30"],
            strict=True,
        )
    ]
    assert rows == expected
    scores = deck(path).slides[6]
    assert len([s for s in scores.shapes if s.shape_type == 13]) == 2


def test_map_slide_has_the_map_picture(tacos_deck: tuple[Workshop, Path]) -> None:
    import io

    from PIL import Image

    _, path = tacos_deck

    slide = deck(path).slides[7]
    picture = shape(slide, "journey map")
    image = Image.open(io.BytesIO(picture.image.blob))
    # The picture keeps the chart's aspect ratio.
    assert picture.width / picture.height == pytest.approx(image.width / image.height, rel=0.01)


def test_pain_points_and_kpis_tables(tacos_deck: tuple[Workshop, Path]) -> None:
    _, path = tacos_deck
    prs = deck(path)
    pains = table_rows(prs.slides[8])
    assert pains[0] == ["priority", "touchpoint", "pain point", "owner", "fix"]
    assert [r[:2] + r[3:4] for r in pains[1:]] == [
        ["P40 ★", "Order at the counter", "Store manager"], ["P32 ★", "Pay at the till", "Store manager"],
        ["P4", "Online menu", "Marketing"]]
    assert pains[1][4] == "Order-at-table QR code; a second order point from 12:00 to 13:30."
    kpis = table_rows(prs.slides[9])
    assert kpis[0] == ["stage", "kpi", "baseline", "target", "owner", "data source"]
    assert kpis[2] == ["Order & pay", "Median minutes queue to payment", "14 min", "8 min", "Store manager", "events"]


def test_missing_survey_is_said_on_the_slide_and_in_the_notes(restaurant: Workshop) -> None:
    add_step4(restaurant, survey=False)
    slide = deck(export(restaurant, "pptx")).slides[5]
    assert shape(slide, "title").text_frame.text == "Step 4 · Behaviour: NPS & CSAT"
    assert shape(slide, "missing").text_frame.text == "No NPS or CSAT: no survey file was chosen in step 4."
    assert slide.notes_slide.notes_text_frame.text == "No NPS or CSAT: no survey file was chosen in step 4."


def test_cjk_runs_get_an_east_asian_font(tmp_path: Path) -> None:
    ws = new_workshop(tmp_path / "ko", template="restaurant", language="ko", name="비바 타코스 점심 방문")
    prs = deck(export(ws, "pptx"))
    title_run = shape(prs.slides[0], "title").text_frame.paragraphs[0].runs[0]
    assert title_run.text == "비바 타코스 점심 방문"
    rpr = title_run._r.rPr
    ns = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
    assert rpr.find(f"{ns}latin").get("typeface") == "Arial"
    assert rpr.find(f"{ns}ea").get("typeface") == "Malgun Gothic"


def test_long_titles_are_sized_to_fit(tmp_path: Path) -> None:
    from jmapkit.charts import wrap
    from jmapkit.export.powerpoint import CHAR_EM, MARGIN, WIDTH_IN

    name = "Kundenreise der Mittagsgäste von Vivan los Tacos: Bestellung, Bezahlung und Wiederkehr " * 2
    ws = new_workshop(tmp_path / "de", template="restaurant", language="de", name=name.strip())
    prs = deck(export(ws, "pptx"))
    box = shape(prs.slides[0], "title")
    size = box.text_frame.paragraphs[0].runs[0].font.size.pt
    assert 24 <= size < 44
    # At that size the wrapped title fits the box height (1.2 line spacing).
    lines = wrap(name.strip(), (box.width.inches - 0.2) * 72 / (size * CHAR_EM))
    assert len(lines) * size * 1.2 / 72 <= box.height.inches - 0.1
    assert box.width.inches == pytest.approx(WIDTH_IN - 2 * MARGIN)


@pytest.mark.slow
def test_deck_renders_through_libreoffice_with_korean_text(tmp_path: Path) -> None:
    missing = [tool for tool in ("soffice", "pdftotext", "pdfinfo") if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"{', '.join(missing)} not found: apt-get install -y --no-install-recommends "
                    "libreoffice-impress fonts-noto-cjk poppler-utils")
    ws = new_workshop(tmp_path / "ko", template="restaurant", language="ko", name="비바 타코스 점심 방문")
    personas = ws.load(2)
    personas.personas[0].quote = "타코는 맛있지만 줄이 너무 길어요."
    ws.save(personas)
    add_step4(ws)
    path = export(ws, "pptx")
    out = tmp_path / "pdf"
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless", "--convert-to", "pdf",
         "--outdir", str(out), str(path)],
        check=True, capture_output=True, timeout=180, env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    pdf = out / "ko.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert pages == len(deck(path).slides) == 9
    text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    flat = "".join(text.split())  # the PDF wraps lines where the slide did
    assert "비바타코스점심방문" in flat
    assert "타코는맛있지만줄이너무길어요." in flat


# --- png, xlsx, html ---------------------------------------------------------------------------------


def test_png_is_the_journey_map(tacos: Workshop) -> None:
    from PIL import Image

    path = export(tacos, "png")
    assert path == tacos.root / "exports" / "tacos.png"
    with Image.open(path) as image:
        assert image.format == "PNG"
        # The 1240 px wide map (plus Vega's few pixels of padding) at scale 2, landscape like a slide.
        assert 2 * 1240 <= image.width <= 2 * 1260 and image.height < image.width


def test_xlsx_has_one_sheet_per_table_and_the_sources(tacos: Workshop) -> None:
    path = export(tacos, "xlsx")
    sheets = pd.read_excel(path, sheet_name=None)
    assert list(sheets) == ["goals", "personas", "touchpoints", "funnel", "scores", "emotion", "pain points", "kpis",
                            "map", "sources"]
    funnel = sheets["funnel"]
    assert list(funnel["stage"]) == ["Discover", "Choose", "Order & pay", "Eat", "Come back", "Recommend"]
    assert list(funnel["reached"]) == list(FUNNEL["reached"])
    assert list(funnel["conversion_from_first"]) == pytest.approx(list(FUNNEL["conversion_from_first"]))
    scores = sheets["scores"]
    assert list(scores.loc[scores["metric"] == "nps", "value"]) == [-12.5, 3.6, -4.8]
    assert list(scores.loc[scores["metric"] == "nps", "group"]) == ["Order at the counter", "Pay at the till", "all"]
    assert sheets["emotion"].iloc[0, 0] == "No emotion table: step 4 wrote no steps/4-behaviour/emotion.csv."
    pains = sheets["pain points"]
    assert list(pains["priority"]) == [40, 32, 4] and list(pains["owner"]) == ["Store manager", "Store manager",
                                                                              "Marketing"]
    assert list(sheets["kpis"]["baseline"]) == [1200, 14, 48, 90, 25, 10]
    sources = sheets["sources"]
    assert list(sources.loc[sources["what"] == "input: events", "sha256"]) == [EVENTS_SHA]
    assert list(sources.loc[sources["what"] == "input: survey", "run"]) == [RUN]
    assert len(sheets["map"]) == 6 * 7


def test_xlsx_without_step_4_says_what_is_missing(restaurant: Workshop) -> None:
    sheets = pd.read_excel(export(restaurant, "xlsx"), sheet_name=None)
    assert sheets["funnel"].iloc[0, 0] == "No funnel table: step 4 has not been run on data yet."
    assert "missing table: scores" in set(sheets["sources"]["what"])


def test_html_is_self_contained(tacos: Workshop) -> None:
    import re

    page = export(tacos, "html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "url(" not in page and "@import" not in page
    assert page.count('src="data:image/png;base64,') == 5  # map, funnel, time between stages, NPS, CSAT
    for title in ("Step 1 · Goals", "Step 2 · Personas", "Step 3 · Stages &amp; touchpoints",
                  "Step 4 · Behaviour: funnel", "Step 5 · Journey map", "Step 5 · KPIs: baseline → target"):
        assert f"<h2>{title}</h2>" in page
    assert f"events.csv (sha256 {EVENTS_SHA[:12]}, 48 210 rows), run {RUN}" in page
    assert "Vivan los Tacos — lunch visit" in page


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
    assert "Reveal.initialize({hash: true, width: 1280, height: 720" in page
    assert page.count("<section>") == 9  # title + the same eight sections as the deck
    assert page.count('<aside class="notes">') == 9
    assert f"events.csv (sha256 {EVENTS_SHA[:12]}, 48 210 rows), run {RUN}" in page


@pytest.mark.slow
def test_slides_show_in_chromium_without_network(tacos: Workshop, tmp_path: Path) -> None:
    from PIL import Image

    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("chromium not found: apt-get install -y chromium")
    path = export(tacos, "slides")
    shot = tmp_path / "slide.png"
    subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", '--host-resolver-rules=MAP * ~NOTFOUND',
         f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1280,720", "--virtual-time-budget=3000",
         f"--screenshot={shot}", f"file://{path}#/6"],
        check=True, capture_output=True, timeout=120,
    )
    with Image.open(shot) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
    # Reveal laid the map slide out: a real picture, not a blank page or raw unstyled HTML.
    assert colours is not None and len(colours) > 200
    blue = sum(n for n, rgb in colours if rgb == (0x1F, 0x5F, 0xA8))
    assert blue > 1000  # the map's stage headers
