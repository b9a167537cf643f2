"""The journey-map lane table: stage order, lane content, priorities, provenance and evidence."""

from __future__ import annotations

import pandas as pd
import pytest

from jmapkit import journey
from jmapkit.bundle import Bundle, load_tables
from jmapkit.model import Behaviour, BehaviourResults, DataRef, Source
from jmapkit.store import Workshop

STAGES = ["awareness", "consideration", "purchase", "onboarding", "retention", "advocacy"]
LANES = ["actions", "touchpoints", "emotion", "pain_points", "opportunities", "owners", "kpis"]


def cell(frame: pd.DataFrame, stage: str, lane: str) -> pd.Series:
    rows = frame[(frame["stage"] == stage) & (frame["lane"] == lane)]
    assert len(rows) == 1
    return rows.iloc[0]


def test_one_row_per_stage_and_lane_in_step_3_order(restaurant: Workshop) -> None:
    frame = journey.lanes(restaurant)
    assert list(frame.columns) == journey.LANE_COLUMNS
    assert len(frame) == 6 * 7
    assert list(dict.fromkeys(frame["stage"])) == STAGES
    assert list(frame["stage_index"].unique()) == list(range(6))
    assert list(frame.loc[frame["stage"] == "purchase", "lane"]) == LANES
    assert cell(frame, "purchase", "actions")["stage_label"] == "Order & pay"


def test_cells_hold_the_steps_content(restaurant: Workshop) -> None:
    frame = journey.lanes(restaurant)
    assert cell(frame, "purchase", "actions")["items"] == [
        "Joins the queue", "Orders at the counter or in the app", "Pays at the till"]
    assert cell(frame, "purchase", "touchpoints")["items"] == [
        "Queue at the door", "★⇄ Order at the counter", "Order in the app", "★ Pay at the till"]
    assert cell(frame, "onboarding", "touchpoints")["items"] == ["⇄ Kitchen prepares the order", "★ Food served"]
    assert cell(frame, "purchase", "owners")["items"] == ["Store manager", "Digital"]
    assert cell(frame, "purchase", "kpis")["items"] == [
        "Median minutes queue to payment: 14 → 8 min (Store manager)",
        "CSAT at ordering: 48 → 70 % (Store manager)",
    ]
    assert cell(frame, "awareness", "kpis")["items"] == ["Maps listing views per week: 1,200 → 1,500 (Marketing)"]
    assert cell(frame, "awareness", "kpis")["evidence"] == "events"
    assert cell(frame, "purchase", "opportunities")["items"] == [
        "Promote ordering ahead in the app for office lunch customers. (Digital)"]
    assert cell(frame, "retention", "pain_points")["items"] == []
    assert cell(frame, "purchase", "actions")["text"] == "Joins the queue\nOrders at the counter or in the app\n" \
        "Pays at the till"


def test_pain_points_ranked_by_priority_doubled_at_a_moment_of_truth(restaurant: Workshop) -> None:
    # order_counter: severity 5 × frequency 4 × 2 (moment of truth) = 40; payment: 4 × 4 × 2 = 32.
    items = cell(journey.lanes(restaurant), "purchase", "pain_points")["items"]
    assert [i.split(" ", 1)[0] for i in items] == ["P40", "P32"]
    assert items[0].endswith("the lunch queue reaches 20 minutes. (Store manager)")
    # web_menu is no moment of truth: 2 × 2 = 4.
    assert cell(journey.lanes(restaurant), "consideration", "pain_points")["items"][0].startswith("P4 ")


def test_template_content_is_flagged_until_the_team_reviews_it(restaurant: Workshop) -> None:
    frame = journey.lanes(restaurant)
    assert (frame["template"] == frame["n"]).all()
    assert cell(frame, "purchase", "pain_points")["sources"] == "template"

    jm = restaurant.load(5)
    jm.pain_points[1].source = Source(kind="team")
    restaurant.save(jm)
    reviewed = cell(journey.lanes(restaurant), "purchase", "pain_points")
    assert (reviewed["n"], reviewed["template"], reviewed["sources"]) == (2, 1, "team, template")


def test_emotion_lane_from_the_step_4_table_with_evidence(restaurant: Workshop) -> None:
    emotion = pd.DataFrame({
        "touchpoint": ["queue", "order_counter", "payment"],
        "voted": [-1.0, -1.5, None],
        "voted_n": [4, 4, None],
        "voted_ci_low": [-1.8, -2.0, None],
        "voted_ci_high": [-0.2, -1.0, None],
        "measured": [None, -0.8, 0.4],
        "measured_n": [None, 40, 35],
        "measured_ci_low": [None, -1.2, 0.0],
        "measured_ci_high": [None, -0.4, 0.8],
        "measured_from": [None, "csat, sentiment", "csat"],
        "gap": [None, 0.7, None],
    })
    folder = restaurant.tables_dir(4)
    folder.mkdir(parents=True, exist_ok=True)
    emotion.to_csv(folder / "emotion.csv", index=False)
    b = restaurant.load_or_default(BehaviourResults)
    b.tables = {"emotion": "steps/4-behaviour/emotion.csv"}
    b.inputs = {"survey": DataRef(path="data/survey.csv", sha256="ab12cd34ef56" + "0" * 52, rows=1200)}
    b.run = "20260901T120000Z"
    restaurant.save(b)

    row = cell(journey.lanes(restaurant), "purchase", "emotion")
    points = row["points"]
    # purchase has 4 touchpoints; app_order has no emotion, so it is left out; positions are (k + 0.5) / 4.
    assert [p["touchpoint"] for p in points] == ["queue", "order_counter", "payment"]
    assert [p["position"] for p in points] == [0.125, 0.375, 0.875]
    assert [p["voted"] for p in points] == [-1.0, -1.5, None]
    assert [p["measured"] for p in points] == [None, -0.8, 0.4]
    assert points[1]["voted_n"] == 4 and points[1]["measured_ci_low"] == -1.2
    # The team's own estimates (the template's, not reviewed yet) stay apart from the votes and the data.
    assert [p["team"] for p in points] == [-1.0, -2.0, -1.0]
    assert row["items"] == [
        "Queue at the door: team -1.0 (template) voted -1.0 (n=4)",
        "Order at the counter: team -2.0 (template) voted -1.5 (n=4) measured -0.8 (csat, sentiment)",
        "Pay at the till: team -1.0 (template) measured +0.4 (csat)",
    ]
    # Sentiment would cite the verbatims file, which this run did not read; the survey is cited once.
    assert row["evidence"] == ("team estimate; votes (n=4); measured from csat, sentiment: survey.csv "
                               "(sha256 ab12cd34ef56, 1,200 rows), run 20260901T120000Z")
    assert row["sources"] == "data, template, vote"
    # Emotions are only on the emotion lane.
    assert cell(journey.lanes(restaurant), "purchase", "pain_points")["points"] == []


def test_without_a_step_4_table_the_team_estimates_are_not_votes(restaurant: Workshop) -> None:
    row = cell(journey.lanes(restaurant), "purchase", "emotion")
    assert [(p["touchpoint"], p["team"], p["team_kind"], p["voted"]) for p in row["points"]] == [
        ("queue", -1.0, "template", None), ("order_counter", -2.0, "template", None),
        ("payment", -1.0, "template", None)]
    assert (row["template"], row["item_template"], row["sources"]) == (3, [True] * 3, "template")


def test_steps_from_models_and_missing_tables(restaurant: Workshop) -> None:
    models = {n: restaurant.load(n) for n in (1, 2, 3, 5)}
    s = Bundle.of(models)
    assert s.saved == {"goals", "personas", "touchpoints", "map"} and s.behaviour == Behaviour()
    assert s.missing_tables["funnel"] == "step 4 has not been run on data yet"
    assert len(journey.lanes(models)) == 42

    loaded = Bundle.load(restaurant)
    assert loaded.name == "Vivan los Tacos — lunch visit"
    assert set(loaded.missing_tables) == set(journey.TABLES)


def test_missing_tables_name_the_input_that_was_not_chosen(restaurant: Workshop) -> None:
    b = BehaviourResults(inputs={"events": DataRef(path="data/events.csv", sha256="f" * 64, rows=10)})
    restaurant.save(b)
    _, missing = load_tables(restaurant, b)
    assert missing["scores"] == "no survey file was chosen in step 4"
    assert missing["sentiment"] == "no verbatims file was chosen in step 4"
    assert missing["funnel"] == "step 4 wrote no steps/4-behaviour/funnel.csv"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (Source(kind="template"), "template — not yet reviewed by the team"),
        (Source(kind="team"), "team"),
        (Source(kind="vote", n=12), "votes (n=12)"),
        (Source(kind="data", detail="events.csv", sha256="0123456789abcdef" * 4, run="R1"),
         "data: events.csv, sha256 0123456789ab, run R1"),
    ],
)
def test_describe_source(source: Source, expected: str) -> None:
    assert journey.describe_source(source) == expected


@pytest.mark.parametrize(("value", "expected"), [(None, "–"), (float("nan"), "–"), (14, "14"), (1200.0, "1,200"),
                                                 (2.46, "2.5"), (-7.0, "-7")])
def test_number(value: object, expected: str) -> None:
    assert journey.number(value) == expected
