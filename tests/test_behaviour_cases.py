"""Hand-computed cases for the ordered funnel and the path analytics (numbers worked out on paper)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from jmapkit import analytics

STAGES = {"ad": "aware", "menu": "consider", "till": "buy"}  # touchpoint → stage, in journey order


def _events(rows: list[tuple[str, str, str]], **extra: list) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["customer_id", "timestamp", "touchpoint"])
    frame["timestamp"] = pd.to_datetime(frame["timestamp"])
    return frame.assign(**extra)


def _reached(frame: pd.DataFrame) -> list[int]:
    return frame["reached"].tolist()


@pytest.mark.parametrize(
    ("rows", "reached", "entered"),
    [
        # one customer through all stages
        ([("a", "2026-01-01 10:00", "ad"), ("a", "2026-01-01 11:00", "menu"), ("a", "2026-01-01 12:00", "till")],
         [1, 1, 1], [1, 0, 0]),
        # skipping "consider" stops the funnel there, even with a later purchase
        ([("a", "2026-01-01 10:00", "ad"), ("a", "2026-01-01 12:00", "till")], [1, 0, 0], [1, 0, 0]),
        # a stage-2 event before the first stage-1 event does not count; a later one does
        ([("a", "2026-01-01 09:00", "menu"), ("a", "2026-01-01 10:00", "ad")], [1, 0, 0], [0, 1, 0]),
        ([("a", "2026-01-01 09:00", "menu"), ("a", "2026-01-01 10:00", "ad"), ("a", "2026-01-01 10:30", "menu")],
         [1, 1, 0], [0, 1, 0]),
        # ties: an event at the same time as the previous stage's anchor counts ("at or after")
        ([("a", "2026-01-01 10:00", "ad"), ("a", "2026-01-01 10:00", "menu"), ("a", "2026-01-01 10:00", "till")],
         [1, 1, 1], [1, 0, 0]),
        # single-event customers, and one who entered at a later stage and never saw stage 1
        ([("a", "2026-01-01 10:00", "ad"), ("b", "2026-01-01 10:00", "ad"), ("c", "2026-01-01 10:00", "till")],
         [2, 0, 0], [2, 0, 1]),
        # the anchor chains: stage 3 must follow the first stage-2 event at/after the stage-1 anchor
        ([("a", "2026-01-01 08:00", "till"), ("a", "2026-01-01 09:00", "ad"), ("a", "2026-01-01 11:00", "menu"),
          ("a", "2026-01-01 10:00", "till")], [1, 1, 0], [0, 0, 1]),
    ],
)
def test_funnel_reached_and_entered(rows: list, reached: list[int], entered: list[int]) -> None:
    result = analytics.funnel(_events(rows), stages=STAGES)
    assert result["stage"].tolist() == ["aware", "consider", "buy"]
    assert _reached(result) == reached
    assert result["entered_here"].tolist() == entered


def test_funnel_conversions_times_and_drop_off() -> None:
    # a: ad 10:00, menu 12:00, till 15:00; b: ad 10:00, menu 11:00; c: ad 09:00; d: ad 08:00, menu 14:00, till 14:30
    rows = [
        ("a", "2026-01-01 10:00", "ad"), ("a", "2026-01-01 12:00", "menu"), ("a", "2026-01-01 15:00", "till"),
        ("b", "2026-01-01 10:00", "ad"), ("b", "2026-01-01 11:00", "menu"),
        ("c", "2026-01-01 09:00", "ad"),
        ("d", "2026-01-01 08:00", "ad"), ("d", "2026-01-01 14:00", "menu"), ("d", "2026-01-01 14:30", "till"),
    ]
    f = analytics.funnel(_events(rows), stages=STAGES).set_index("stage")
    assert _reached(f.reset_index()) == [4, 3, 2]
    assert math.isnan(f.loc["aware", "conversion_from_previous"])
    assert f.loc["consider", "conversion_from_previous"] == pytest.approx(3 / 4)
    assert f.loc["buy", "conversion_from_previous"] == pytest.approx(2 / 3)
    assert f.loc["buy", "conversion_from_first"] == pytest.approx(2 / 4)
    # hours aware → consider: a 2, b 1, d 6 → median 2, p90 = 2 + 0.8·(6 − 2) = 5.2 (linear interpolation)
    assert f.loc["consider", "median_hours"] == pytest.approx(2.0)
    assert f.loc["consider", "p90_hours"] == pytest.approx(5.2)
    # hours consider → buy: a 3, d 0.5 → median 1.75, p90 = 0.5 + 0.9·2.5 = 2.75
    assert f.loc["buy", "median_hours"] == pytest.approx(1.75)
    assert f.loc["buy", "p90_hours"] == pytest.approx(2.75)
    assert math.isnan(f.loc["aware", "median_hours"])
    assert f["dropped"].tolist()[:2] == [1, 1]


def test_funnel_by_segment_keeps_empty_segments_and_zero_stages() -> None:
    rows = [("a", "2026-01-01 10:00", "ad"), ("a", "2026-01-01 11:00", "menu"),
            ("b", "2026-01-01 10:00", "ad"), ("c", "2026-01-01 10:00", "till")]
    f = analytics.funnel(_events(rows, segment=["x", "x", "y", None]), stages=STAGES, by="segment")
    got = {(r.segment, r.stage): (r.reached, r.entered_here) for r in f.itertuples()}
    assert got == {
        ("", "aware"): (0, 0), ("", "consider"): (0, 0), ("", "buy"): (0, 1),
        ("x", "aware"): (1, 1), ("x", "consider"): (1, 0), ("x", "buy"): (0, 0),
        ("y", "aware"): (1, 1), ("y", "consider"): (0, 0), ("y", "buy"): (0, 0),
    }


def test_funnel_of_one_customer_with_one_event() -> None:
    f = analytics.funnel(_events([("a", "2026-01-01 10:00", "ad")]), stages=STAGES)
    assert _reached(f) == [1, 0, 0]
    assert f["conversion_from_first"].tolist() == [1.0, 0.0, 0.0]


# a: ad, ad, menu, till · b: ad, menu · c: menu, ad, menu (tie at 10:00 sorted by stage order)
PATH_ROWS = [
    ("a", "2026-01-01 09:00", "ad"), ("a", "2026-01-01 09:30", "ad"), ("a", "2026-01-01 10:00", "menu"),
    ("a", "2026-01-01 11:00", "till"),
    ("b", "2026-01-01 09:00", "ad"), ("b", "2026-01-01 09:10", "menu"),
    ("c", "2026-01-01 10:00", "menu"), ("c", "2026-01-01 10:00", "ad"), ("c", "2026-01-01 12:00", "menu"),
]


def test_paths_collapse_repeats_and_rank_by_customers() -> None:
    p = analytics.paths(_events(PATH_ROWS), top=10)
    assert p.to_dict("list") == {
        "path": ["ad → menu", "ad → menu → till"],
        "steps": [2, 3],
        "customers": [2, 1],
        "share": [pytest.approx(2 / 3), pytest.approx(1 / 3)],
    }


def test_transitions_are_the_directly_follows_graph() -> None:
    t = analytics.transitions(_events(PATH_ROWS))
    assert t[["source", "target", "count", "customers"]].values.tolist() == [
        ["ad", "menu", 3, 3], ["menu", "till", 1, 1]]
    assert t["share_of_source"].tolist() == [1.0, 1.0]


def test_touchpoints_reach_and_drop_off() -> None:
    t = analytics.touchpoints(_events(PATH_ROWS), stages=STAGES).set_index("touchpoint")
    assert t.loc["ad", ["events", "customers"]].tolist() == [4, 3]
    assert t.loc["menu", ["events", "customers"]].tolist() == [4, 3]
    assert t.loc["till", "share_of_customers"] == pytest.approx(1 / 3)
    # last touchpoint: a till, b menu, c menu → menu ends 2 of its 3 customers, till 1 of 1, ad none
    assert t.loc["menu", "dropoff_after"] == pytest.approx(2 / 3)
    assert t.loc["till", "dropoff_after"] == 1.0
    assert t.loc["ad", "dropoff_after"] == 0.0
    assert t.loc["ad", "stage"] == "aware"


def test_map_events_lists_unmapped_names() -> None:
    raw = pd.DataFrame({
        "customer_id": ["a", "a", "b", "b", "b"],
        "timestamp": pd.to_datetime(["2026-01-01 10:00"] * 5),
        "event": ["ig_view", "order_placed", "ig_view", "newsletter_open", "newsletter_open"],
    })
    mapped, unmapped = analytics.map_events(raw, {"ig_view": "ad", "order_placed": "till"}, STAGES)
    assert unmapped.to_dict("list") == {"event": ["newsletter_open"], "events": [2], "customers": [1]}
    got = mapped.select("event", "touchpoint", "stage").to_pyarrow().to_pylist()
    assert sorted((r["event"], r["touchpoint"], r["stage"]) for r in got) == [
        ("ig_view", "ad", "aware"), ("ig_view", "ad", "aware"), ("order_placed", "till", "buy")]
