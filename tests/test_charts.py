"""Charts: stage order kept, the right rows drawn, missing tables explained, text wrapped, files saved offline."""

from __future__ import annotations

from pathlib import Path

import altair as alt
import pandas as pd
import pytest

from jmapkit import charts, journey
from jmapkit.errors import JmapkitError
from jmapkit.store import Workshop

# Stage order deliberately not alphabetical, so an alphabetically sorted axis would show.
FUNNEL = pd.DataFrame({
    "stage": ["visit", "order", "pay", "eat"],
    "reached": [100, 60, 30, 24],
    "conversion_from_previous": [1.0, 0.6, 0.5, 0.8],
    "conversion_from_first": [1.0, 0.6, 0.3, 0.24],
    "median_hours": [None, 2.5, 1.0, 0.25],
    "p90_hours": [None, 10.0, 4.0, 1.0],
    "entered_here": [0, 5, 2, 0],
    "dropped": [40, 30, 6, 0],
})
SCORES = pd.DataFrame({
    "group_by": ["touchpoint", "touchpoint", "touchpoint", "touchpoint", "all"],
    "group": ["queue", "payment", "queue", "payment", "all"],
    "metric": ["nps", "nps", "csat", "csat", "nps"],
    "n": [40, 35, 40, 35, 75],
    "value": [-20.0, 5.0, 48.0, 70.0, -8.0],
    "ci_low": [-45.0, -20.0, 33.0, None, -25.0],
    "ci_high": [5.0, 30.0, 63.0, None, 9.0],
})


@pytest.fixture
def renderer():
    """Restore Altair's renderer and theme after a test that changes them."""
    before, theme = alt.renderers.active, alt.theme.active
    yield
    alt.renderers.enable(before)
    alt.theme.enable(theme)


def layer_data(chart: alt.TopLevelMixin) -> list[pd.DataFrame]:
    layers = chart.layer if isinstance(chart, alt.LayerChart) else []
    return [c.data for c in [chart, *layers] if isinstance(c.data, pd.DataFrame)]


def test_funnel_keeps_stage_order_and_labels_conversion() -> None:
    spec = charts.funnel(FUNNEL).to_dict()
    assert spec["layer"][0]["encoding"]["y"]["sort"] == ["visit", "order", "pay", "eat"]
    data = layer_data(charts.funnel(FUNNEL))[0]
    assert list(data["reached"]) == [100, 60, 30, 24]
    # Count and share of the first stage, in the workshop's number format; the axis ends at the data.
    assert list(data["label"]) == ["100 (100%)", "60 (60%)", "30 (30%)", "24 (24%)"]
    assert spec["layer"][0]["encoding"]["x"]["scale"]["domain"] == [0, 100]


def test_time_between_stages_pairs_each_stage_with_the_one_before() -> None:
    chart = charts.time_between_stages(FUNNEL)
    data = layer_data(chart)[0]
    assert list(data["step"]) == ["visit → order", "order → pay", "pay → eat"]
    assert list(data["median_hours"]) == [2.5, 1.0, 0.25]
    assert list(data["p90_hours"]) == [10.0, 4.0, 1.0]
    assert chart.to_dict()["layer"][0]["encoding"]["y"]["sort"] == ["visit → order", "order → pay", "pay → eat"]


@pytest.mark.parametrize(
    ("metric", "values", "lows", "highs"),
    [("nps", [-20.0, 5.0], [-45.0, -20.0], [5.0, 30.0]),
     # A missing CI (one answer) is drawn as a point: low = high = value.
     ("csat", [48.0, 70.0], [33.0, 70.0], [63.0, 70.0])],
)
def test_scores_draws_one_metric_per_touchpoint_with_its_ci(metric, values, lows, highs) -> None:
    chart = charts.scores(SCORES, metric=metric, order=["queue", "payment"])
    data = layer_data(chart)[0]
    assert list(data["group"]) == ["queue", "payment"]
    assert list(data["value"]) == values
    assert list(data["ci_low"]) == lows and list(data["ci_high"]) == highs
    y = next(layer["encoding"]["y"] for layer in chart.to_dict()["layer"] if "y" in layer.get("encoding", {}))
    assert y["sort"] == ["queue (n=40)", "payment (n=35)"]


def test_a_missing_table_or_metric_says_what_is_missing() -> None:
    lines = list(layer_data(charts.funnel(None))[0]["line"])
    assert " ".join(lines) == "No funnel: step 4 has no events file (choose one in step 4 and run it)."
    assert len(lines) == 2 and all(charts.text_width(line) <= 420 / 7 for line in lines)
    text = " ".join(layer_data(charts.scores(SCORES, metric="ces"))[0]["line"])
    assert text == "No CES per touchpoint in the survey (it has: csat, nps)."
    assert "No emotions yet" in " ".join(layer_data(charts.emotion_curve(None))[0]["line"])
    assert "no events file" in " ".join(layer_data(charts.transitions(pd.DataFrame()))[0]["line"])


def test_emotion_curve_orders_touchpoints_by_the_journey() -> None:
    df = pd.DataFrame({
        "touchpoint": ["payment", "queue", "food"],
        "voted": [-1.0, None, 2.0], "voted_n": [5, None, 5], "voted_ci_low": [-1.5, None, 1.6],
        "voted_ci_high": [-0.5, None, 2.0],
        "measured": [0.4, -0.5, None], "measured_n": [35, 12, None], "measured_ci_low": [0.0, None, None],
        "measured_ci_high": [0.8, None, None], "measured_from": ["csat", "sentiment", None],
    })
    chart = charts.emotion_curve(df, ["purchase", "eat"], ["queue", "payment", "food"])
    data = layer_data(chart)[0]
    assert list(zip(data["touchpoint"], data["kind"], data["emotion"], strict=True)) == [
        ("payment", "voted", -1.0), ("payment", "measured", 0.4), ("queue", "measured", -0.5), ("food", "voted", 2.0)]
    # No CI given: the bar collapses onto the value.
    assert list(data["ci_low"]) == [-1.5, 0.0, -0.5, 1.6]
    assert chart.to_dict()["layer"][1]["encoding"]["x"]["sort"] == ["queue", "payment", "food"]


def test_transitions_keeps_the_top_touchpoints() -> None:
    df = pd.DataFrame({"source": ["a", "b", "c", "a"], "target": ["b", "c", "d", "d"], "count": [9, 7, 1, 2]})
    # Busiest moves first: a → b (9) brings a and b, b → c (7) brings c; top 3 is full.
    chart = charts.transitions(df, top=3)
    data = layer_data(chart)[0]
    assert sorted(zip(data["source"], data["target"], data["count"], strict=True)) == [("a", "b", 9), ("b", "c", 7)]
    assert chart.to_dict()["title"]["subtitle"] == (
        "showing the 3 busiest of 4 touchpoints, 2 of 4 transitions: the rest in transitions.csv")


def test_transitions_of_many_touchpoints_keep_the_busiest_moves() -> None:
    """100 touchpoints, 193 moves: the busy moves join quiet touchpoints, so volume alone would hide them."""
    hubs = [f"hub{i}" for i in range(15)]
    quiet = [f"tp{i}" for i in range(85)]
    # The 15 hubs pass many moves among themselves in small amounts (2 each); the 8 busiest moves of the
    # log (100..800) each join two quiet touchpoints.
    rows = [(a, b, 2) for a in hubs for b in hubs if a != b][:177]
    rows += [(quiet[2 * i], quiet[2 * i + 1], 100 * (i + 1)) for i in range(8)]
    rows += [(quiet[16 + i], quiet[17 + i], 1) for i in range(8)]
    df = pd.DataFrame(rows, columns=["source", "target", "count"])
    assert (len(df), len(set(df["source"]) | set(df["target"]))) == (193, 15 + 16 + 9)
    chart = charts.transitions(df)
    shown = layer_data(chart)[0]
    # The 8 busiest moves use 16 touchpoints: the 7 busiest fit in 15 (14 touchpoints); no later move has
    # an end among them, and two new ends do not fit in the one place left.
    expected = {(quiet[2 * i], quiet[2 * i + 1]) for i in range(1, 8)}
    assert set(zip(shown["source"], shown["target"], strict=True)) == expected
    assert chart.to_dict()["title"] == {
        "text": "Transitions between touchpoints",
        "subtitle": "showing the 14 busiest of 40 touchpoints, 7 of 193 transitions: the rest in transitions.csv",
        "subtitleColor": charts.GREY,
    }


def test_a_funnel_no_event_reached_says_why() -> None:
    zeros = FUNNEL.assign(reached=0, entered_here=0)
    text = " ".join(layer_data(charts.funnel(zeros))[0]["line"])
    assert text == "No funnel: no event maps to a stage of step 3 (map the event names in step 3)."


@pytest.mark.parametrize(
    ("text", "width"),
    [
        ("Kundenzufriedenheitsumfragenauswertung nach dem Besuch", 14),
        ("고객이 주문 카운터에서 너무 오래 기다려야 합니다", 12),
        ("注文カウンターで長く待たされる。支払いも別の列です。", 10),
        ("Short", 20),
    ],
)
def test_wrap_fits_every_line_and_keeps_every_character(text: str, width: float) -> None:
    lines = charts.wrap(text, width)
    assert all(charts.text_width(line) <= width for line in lines)
    joined = "".join(line.removesuffix("-") for line in lines).replace(" ", "")
    assert joined == text.replace(" ", "")


def test_wrap_breaks_cjk_between_characters() -> None:
    # Wide characters count 1.9: four fit in 8 units, five do not.
    assert charts.wrap("注文カウンター", 8) == ["注文カウ", "ンター"]
    assert charts.wrap("Bitte nicht warten", 11) == ["Bitte nicht", "warten"]


def test_journey_map_columns_follow_the_stage_order(restaurant: Workshop) -> None:
    lanes = journey.lanes(restaurant)
    chart = charts.journey_map(lanes, width=1240)
    texts = pd.concat([d for d in layer_data(chart) if "line" in d])
    headers = texts[texts["color"] == "white"].sort_values("x")
    assert list(headers["line"]) == ["Discover", "Choose", "Order & pay", "Eat", "Come back", "Recommend"]
    labels = texts[(texts["x"] == 6) & (texts["weight"] == "bold")].sort_values("y")["line"].tolist()
    assert labels == ["Actions", "Touchpoints", "Emotion", "Pain points", "Opportunities", "Owners", "KPIs"]
    # The highest-priority pain point (P40, over 20) is red; template text is grey.
    p40 = texts[texts["line"].str.startswith("• P40")]
    assert list(p40["color"]) == [charts.RED]
    assert set(texts.loc[texts["line"] == "• Joins the queue", "style"]) == {"italic"}
    assert set(texts.loc[texts["line"] == "• Joins the queue", "color"]) == {charts.GREY}


def test_journey_map_text_stays_inside_its_column(restaurant: Workshop) -> None:
    jm = restaurant.load(5)
    jm.pain_points[0].description = (
        "Die Bestellung an der Theke dauert zur Mittagszeit viel zu lange; "
        "Kundenzufriedenheitsumfragenauswertung zeigt es. 주문 카운터에서 너무 오래 기다려야 합니다."
    )
    restaurant.save(jm)
    width, font_size = 1240, 11
    chart = charts.journey_map(journey.lanes(restaurant), width=width, font_size=font_size, max_lines=None)
    texts = pd.concat([d for d in layer_data(chart) if "line" in d])
    column = (width - 112) / 6
    cells = texts[(texts["x"] > 112) & (texts["size"] == font_size)]
    for x, line in zip(cells["x"], cells["line"], strict=True):
        start = 112 + ((x - 112) // column) * column
        assert x + charts.text_width(line) * font_size * 0.6 <= start + column, line
    assert any("주문 카운터에서" in line or "주문" in line for line in texts["line"])


def test_journey_map_cuts_long_cells_and_counts_what_it_left_out(restaurant: Workshop) -> None:
    chart = charts.journey_map(journey.lanes(restaurant), max_lines=6)
    texts = pd.concat([d for d in layer_data(chart) if "line" in d])
    # Order & pay has two pain points of 5 and 4 lines: only the first fits in 6 lines.
    assert "… +1 more" in set(texts["line"])
    assert not texts["line"].str.startswith("• P32").any()


def test_save_picks_the_format_from_the_suffix(tmp_path: Path) -> None:
    chart = charts.funnel(FUNNEL)
    assert charts.save(chart, tmp_path / "f.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert charts.save(chart, tmp_path / "f.svg").read_text(encoding="utf-8").lstrip().startswith("<svg")
    html = charts.save(chart, tmp_path / "f.html").read_text(encoding="utf-8")
    assert "vega" in html and "https://cdn" not in html and "<script src=" not in html
    with pytest.raises(JmapkitError) as err:
        charts.save(chart, tmp_path / "f.jpg")
    assert "'.jpg'" in str(err.value) and ".png, .svg, .html" in str(err.value)


def test_image_is_png_bytes() -> None:
    assert charts.image(charts.funnel(FUNNEL), scale=1)[:4] == b"\x89PNG"


def test_setup_renderer_gives_static_svg_that_notebooks_accept(renderer) -> None:
    charts.setup_renderer()
    assert alt.renderers.active == "svg"
    assert alt.theme.active == charts.THEME
    bundle = charts.funnel(FUNNEL)._repr_mimebundle_()
    bundle = bundle[0] if isinstance(bundle, tuple) else bundle
    assert list(bundle) == ["image/svg+xml"]
    assert "DejaVu Sans" in charts.funnel(FUNNEL).to_dict()["config"]["font"]


def test_setup_renderer_rejects_an_unknown_renderer(renderer) -> None:
    with pytest.raises(JmapkitError, match="unknown renderer 'mimetype'.*svg, png, html"):
        charts.setup_renderer("mimetype")


@pytest.mark.slow
def test_papermill_notebook_with_a_chart_validates_and_shows_it_offline(tmp_path: Path) -> None:
    import nbformat
    import papermill

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "import pandas as pd\nfrom jmapkit import charts\ncharts.setup_renderer()\n"
        "charts.funnel(pd.DataFrame({'stage': ['a', 'b'], 'reached': [2, 1], 'conversion_from_previous': [1, .5],"
        " 'conversion_from_first': [1, .5], 'median_hours': [None, 1.0], 'p90_hours': [None, 2.0]}))"
    )]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp_path / "in.ipynb")
    papermill.execute_notebook(str(tmp_path / "in.ipynb"), str(tmp_path / "out.ipynb"), progress_bar=False,
                               cwd=str(tmp_path))
    out = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    nbformat.validate(out)
    data = out.cells[0].outputs[0]["data"]
    assert "image/svg+xml" in data and "https://" not in data["image/svg+xml"].replace("http://www.w3.org", "")


def _svg_font_sizes(chart: alt.TopLevelMixin, tmp_path: Path, name: str) -> list[float]:
    import re

    svg = charts.save(chart, tmp_path / f"{name}.svg").read_text(encoding="utf-8")
    return [float(size) for size in re.findall(r'font-size="([\d.]+)px"', svg)]


@pytest.fixture
def projector():
    charts.presentation(True)
    yield
    charts.presentation(False)


def test_presentation_mode_draws_no_text_under_16_px(restaurant: Workshop, tmp_path: Path, projector: None) -> None:
    """At 1920 × 1080 a projected SVG is drawn 1:1: every text of the map and of each chart is at least 16 px."""
    from jmapkit import steps

    result = steps.behaviour.run(restaurant)
    tables = {name: journey.labelled(frame, restaurant) for name, frame in result.tables.items()}
    drawn = {
        "map": charts.journey_map(journey.lanes(restaurant)),
        "funnel": charts.funnel(tables["funnel"]),
        "time": charts.time_between_stages(tables["funnel"]),
        "csat": charts.scores(tables["scores"], metric="csat"),
        "transitions": charts.transitions(tables["transitions"]),
        "emotion": charts.emotion_curve(*steps.behaviour.emotion_chart_data(restaurant, result.tables["emotion"])),
    }
    for name, chart in drawn.items():
        sizes = _svg_font_sizes(chart, tmp_path, name)
        assert sizes and min(sizes) >= 16, (name, min(sizes))
    assert drawn["map"].to_dict()["width"] <= 1920
    charts.presentation(False)
    assert min(_svg_font_sizes(charts.funnel(tables["funnel"]), tmp_path, "small")) < 16  # the switch does switch


def test_charts_show_names_not_ids(restaurant: Workshop) -> None:
    from jmapkit import steps

    result = steps.behaviour.run(restaurant)
    labelled = journey.labelled(result.tables["transitions"], restaurant)
    names = {t.label for t in restaurant.load("touchpoints").touchpoints}
    assert set(labelled["source"]) <= names and set(labelled["target"]) <= names
    path = journey.labelled(result.tables["paths"], restaurant)["path"].iloc[0]
    assert all(part in names for part in path.split(" → "))


THEMES = pd.DataFrame({
    "group_by": ["touchpoint"] * 4,
    "group": ["queue", "queue", "payment", "queue"],
    "theme": [1, 2, 1, 0],
    "label": ["wait, long", "friendly", "card, failed", "(empty text)"],
    "n": [12, 5, 7, 2],
    "share": [0.6, 0.25, 1.0, 0.1],
    "mean": [-0.5, 0.6, -0.3, None],
    "ci_low": [-0.7, 0.4, None, None],
    "ci_high": [-0.3, 0.8, None, None],
    "quote_1": ["We waited 20 minutes.", "Nice staff.", "Card failed twice.", None],
})


def test_themes_chart_shows_names_in_journey_order_sized_by_n_coloured_by_sentiment() -> None:
    spec = charts.themes(THEMES, names={"queue": "Queue at the door", "payment": "Pay"},
                         order=["queue", "payment"]).to_dict()
    rows = spec["datasets"][next(iter(spec["datasets"]))]
    assert [r["row"] for r in rows] == ["Queue at the door · wait, long", "Queue at the door · friendly",
                                        "Pay · card, failed"]
    assert [r["n"] for r in rows] == [12, 5, 7]
    assert rows[2]["ci_low"] == rows[2]["ci_high"] == -0.3  # no CI (n = 1): a point, not a missing bar
    dots = spec["layer"][2]["encoding"]
    assert (dots["size"]["field"], dots["color"]["field"]) == ("n", "mean")
    assert "queue" not in {r["where"] for r in rows}  # names, not ids


def test_themes_chart_without_a_table_says_what_is_missing() -> None:
    assert "No themes" in str(charts.themes(None).to_dict())
