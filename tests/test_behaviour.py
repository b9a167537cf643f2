"""Behaviour analytics (jmapkit/analytics/behaviour.py) on DuckDB against hand-computed tables and plain pandas.

Three layers of evidence, none of them produced by the code under test:
- hand-computed tables for every edge case of the metric definitions (numbers worked out on paper);
- `Reference` (tests/independent.py), a deliberately plain per-customer-loop pandas implementation of
  docs/design.md's definitions, compared on seeded random logs full of ties, skips, early events and late entrants;
- CDNOW (real purchases), checked against loop-free pandas computed from purchase counts per customer.

The PySpark run of the same analytics is compared with DuckDB in tests/test_behaviour_spark.py.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pytest

from jmapkit import analytics
from jmapkit.analytics import behaviour
from jmapkit.errors import JmapkitError
from tests.fixtures_realdata import (  # noqa: F401 (cdnow, cdnow_journey are fixtures)
    CDNOW_CUSTOMERS,
    CDNOW_ROWS,
    CDNOW_STAGES,
    cdnow,
    cdnow_journey,
)
from tests.independent import FUNNEL_COLUMNS as FUNNEL
from tests.independent import Reference

# Touchpoint → stage in journey order. The names sort differently from the journey (cart < order <
# visit), so a tie broken alphabetically instead of by stage order shows up in the results.
STAGES = {"visit": "aware", "cart": "consider", "order": "buy"}
ORDER = ["aware", "consider", "buy"]
PATH_COLUMNS = ["path", "steps", "customers", "share"]
TRANSITION_COLUMNS = ["source", "target", "count", "customers", "share_of_source"]
NA = None


def events(rows: Sequence[tuple[str, str, str]], **extra: Sequence[Any]) -> pd.DataFrame:
    """Canonical events from (customer, 'HH:MM' on 2026-03-01 or a full timestamp, touchpoint) rows."""
    frame = pd.DataFrame(list(rows), columns=["customer_id", "timestamp", "touchpoint"])
    stamps = [t if len(t) > 5 else f"2026-03-01 {t}" for t in frame["timestamp"]]
    frame["timestamp"] = pd.to_datetime(pd.Series(stamps, dtype="object"))
    return frame.assign(**extra)


def cell_equal(got: Any, want: Any) -> bool:
    missing_got = got is None or got is pd.NA or (isinstance(got, float) and math.isnan(got))
    if want is None:
        return missing_got
    if missing_got:
        return False
    if isinstance(want, float):
        return math.isclose(float(got), want, rel_tol=1e-12, abs_tol=1e-12)
    return bool(got == want)


def assert_table(got: pd.DataFrame, want: pd.DataFrame | list[list[Any]], columns: list[str] | None = None) -> None:
    """Exact comparison cell by cell (floats to 1e-12; None, NaN and NA all mean missing)."""
    if isinstance(want, list):
        want = pd.DataFrame(want, columns=columns or list(got.columns))
    assert list(got.columns) == list(want.columns)
    got_rows = got.astype(object).values.tolist()
    want_rows = want.astype(object).where(want.notna(), None).values.tolist()
    assert len(got_rows) == len(want_rows), f"{len(got_rows)} rows, expected {len(want_rows)}:\n{got}"
    for i, (g, w) in enumerate(zip(got_rows, want_rows, strict=True)):
        assert all(cell_equal(a, b) for a, b in zip(g, w, strict=True)), f"row {i}: got {g}, expected {w}\n{got}"


def with_stage(frame: pd.DataFrame, stage_of: Mapping[str, str] = STAGES) -> pd.DataFrame:
    """The events with the stage of each touchpoint (missing for touchpoints outside the journey)."""
    return frame.assign(stage=frame["touchpoint"].map(stage_of))


def random_log(seed: int, customers: int = 40) -> pd.DataFrame:
    """Small logs on a coarse clock (many exact ties), every stage skippable, some unknown touchpoints."""
    rng = np.random.default_rng(seed)
    names = np.array(["visit", "cart", "order", "visit", "cart", "newsletter"])
    n = int(customers * 4)
    return pd.DataFrame({
        "customer_id": [f"C{c:04d}" for c in rng.integers(0, customers, n)],
        "timestamp": pd.Timestamp("2026-03-01") + pd.to_timedelta(rng.integers(0, 12, n) * 30, unit="min"),
        "touchpoint": names[rng.integers(0, len(names), n)],
        "segment": np.array(["family", "office", None], dtype=object)[rng.integers(0, 3, n)],
    })


# --- funnel: hand-computed edge cases --------------------------------------------------------------

# Rows: one per stage (aware, consider, buy):
# reached, conversion_from_previous, conversion_from_first, median_hours, p90_hours, entered_here, dropped
FUNNEL_CASES = {
    "one customer through every stage": (
        [("a", "10:00", "visit"), ("a", "11:00", "cart"), ("a", "13:30", "order")],
        [[1, NA, 1.0, NA, NA, 1, 0], [1, 1.0, 1.0, 1.0, 1.0, 0, 0], [1, 1.0, 1.0, 2.5, 2.5, 0, NA]]),
    "one customer with one event (n = 1)": (
        [("a", "10:00", "visit")],
        [[1, NA, 1.0, NA, NA, 1, 1], [0, 0.0, 0.0, NA, NA, 0, 0], [0, NA, 0.0, NA, NA, 0, NA]]),
    "ties in timestamps count as at-or-after": (
        [("a", "10:00", "order"), ("a", "10:00", "cart"), ("a", "10:00", "visit")],
        [[1, NA, 1.0, NA, NA, 1, 0], [1, 1.0, 1.0, 0.0, 0.0, 0, 0], [1, 1.0, 1.0, 0.0, 0.0, 0, NA]]),
    "skipping a stage ends the funnel even with a later purchase": (
        [("a", "10:00", "visit"), ("a", "12:00", "order")],
        [[1, NA, 1.0, NA, NA, 1, 1], [0, 0.0, 0.0, NA, NA, 0, 0], [0, NA, 0.0, NA, NA, 0, NA]]),
    "a stage-k event only before the stage k-1 anchor is not reaching stage k": (
        [("a", "09:00", "cart"), ("a", "10:00", "visit")],
        [[1, NA, 1.0, NA, NA, 0, 1], [0, 0.0, 0.0, NA, NA, 1, 0], [0, NA, 0.0, NA, NA, 0, NA]]),
    "a stage-k event before the stage k-1 anchor does not count, a later one does": (
        [("a", "09:00", "cart"), ("a", "10:00", "visit"), ("a", "10:15", "order"), ("a", "10:30", "cart")],
        [[1, NA, 1.0, NA, NA, 0, 0], [1, 1.0, 1.0, 0.5, 0.5, 1, 1], [0, 0.0, 0.0, NA, NA, 0, NA]]),
    "anchors are first events: stage 1 at its first event, stage k at its first event after k-1": (
        [("a", "09:00", "visit"), ("a", "12:00", "visit"), ("a", "08:00", "cart"), ("a", "11:00", "cart"),
         ("a", "10:00", "order"), ("a", "14:00", "cart"), ("a", "15:00", "order")],
        [[1, NA, 1.0, NA, NA, 0, 0], [1, 1.0, 1.0, 2.0, 2.0, 1, 0], [1, 1.0, 1.0, 4.0, 4.0, 0, NA]]),
    "single-event customers; later-stage entrants reported, not dropped": (
        [("a", "10:00", "visit"), ("b", "10:00", "cart"), ("c", "10:00", "order")],
        [[1, NA, 1.0, NA, NA, 1, 1], [0, 0.0, 0.0, NA, NA, 1, 0], [0, NA, 0.0, NA, NA, 1, NA]]),
    "a later-stage entrant who goes back to stage 1 is counted from there": (
        [("b", "08:00", "order"), ("b", "09:00", "visit"), ("b", "11:00", "cart"), ("b", "13:00", "order")],
        [[1, NA, 1.0, NA, NA, 0, 0], [1, 1.0, 1.0, 2.0, 2.0, 0, 0], [1, 1.0, 1.0, 2.0, 2.0, 1, NA]]),
    "a later-stage entrant whose next purchase falls between the stage-1 and stage-2 anchors (rows unsorted)": (
        [("a", "08:00", "order"), ("a", "09:00", "visit"), ("a", "11:00", "cart"), ("a", "10:00", "order")],
        [[1, NA, 1.0, NA, NA, 0, 0], [1, 1.0, 1.0, 2.0, 2.0, 0, 1], [0, 0.0, 0.0, NA, NA, 1, NA]]),
    "entry tie goes to the earlier stage; events outside the journey are ignored": (
        [("a", "09:00", "newsletter"), ("a", "10:00", "cart"), ("a", "10:00", "visit")],
        [[1, NA, 1.0, NA, NA, 1, 0], [1, 1.0, 1.0, 0.0, 0.0, 0, 1], [0, 0.0, 0.0, NA, NA, 0, NA]]),
    "median and p90 interpolate linearly like pandas": (
        # visit → cart hours: 1, 2, 4, 10 → median 3, p90 at 2.7 of 0..3 → 4 + 0.7 · 6 = 8.2
        [("a", "00:00", "visit"), ("a", "01:00", "cart"), ("b", "00:00", "visit"), ("b", "02:00", "cart"),
         ("c", "00:00", "visit"), ("c", "04:00", "cart"), ("d", "00:00", "visit"), ("d", "10:00", "cart"),
         ("e", "00:00", "visit")],
        [[5, NA, 1.0, NA, NA, 5, 1], [4, 0.8, 0.8, 3.0, 8.2, 0, 4], [0, 0.0, 0.0, NA, NA, 0, NA]]),
    "conversions and hours of a small cafe day, with an even number of stage-3 times": (
        # visit → cart hours: a 2, b 1, d 6 → median 2, p90 = 2 + 0.8 · (6 − 2) = 5.2;
        # cart → order hours: a 3, d 0.5 → median 1.75, p90 = 0.5 + 0.9 · 2.5 = 2.75
        [("a", "10:00", "visit"), ("a", "12:00", "cart"), ("a", "15:00", "order"),
         ("b", "10:00", "visit"), ("b", "11:00", "cart"),
         ("c", "09:00", "visit"),
         ("d", "08:00", "visit"), ("d", "14:00", "cart"), ("d", "14:30", "order")],
        [[4, NA, 1.0, NA, NA, 4, 1], [3, 0.75, 0.75, 2.0, 5.2, 0, 1], [2, 2 / 3, 0.5, 1.75, 2.75, 0, NA]]),
}


def _funnel_case_table(expected: list[list[Any]]) -> list[list[Any]]:
    return [[stage, *row] for stage, row in zip(ORDER, expected, strict=True)]


@pytest.mark.parametrize(("rows", "expected"), list(FUNNEL_CASES.values()), ids=list(FUNNEL_CASES))
def test_funnel_hand_computed(rows: list[tuple[str, str, str]], expected: list[list[Any]]) -> None:
    """Every edge case of the ordered funnel's definition, with the whole table worked out on paper."""
    got = analytics.funnel(events(rows), stages=STAGES)
    assert_table(got, _funnel_case_table(expected), FUNNEL)


@pytest.mark.parametrize(("rows", "expected"), list(FUNNEL_CASES.values()), ids=list(FUNNEL_CASES))
def test_reference_agrees_with_the_hand_computed_funnels(rows: list[tuple[str, str, str]],
                                                         expected: list[list[Any]]) -> None:
    """The pandas reference used on random logs below gives the paper numbers too (no jmapkit involved)."""
    got = Reference(with_stage(events(rows)), ORDER).funnel()
    assert_table(got, _funnel_case_table(expected), FUNNEL)


def test_funnel_from_a_stage_column_in_list_order() -> None:
    """Events that already carry their stage (no touchpoint mapping): the stage order is the list's."""
    frame = events([("a", "10:00", "x"), ("a", "11:00", "y"), ("b", "09:00", "y")], stage=["one", "two", "two"])
    got = analytics.funnel(frame, stages=["one", "two"])
    assert_table(got, [["one", 1, NA, 1.0, NA, NA, 1, 0], ["two", 1, 1.0, 1.0, 1.0, 1.0, 1, NA]], FUNNEL)


def test_funnel_by_segment_keeps_empty_and_missing_segments() -> None:
    """A segment where nobody reached stage 1, and events without a segment, still get every stage."""
    rows = [("a", "10:00", "visit"), ("a", "11:00", "cart"), ("b", "10:00", "visit"),
            ("c", "10:00", "order"), ("d", "12:00", "cart")]
    frame = events(rows, segment=["x", "x", "x", "y", None])
    got = analytics.funnel(frame, stages=STAGES, by="segment")
    expected = [
        # nobody in "" (a missing segment) or "y" reached stage 1: conversions are undefined, not 0
        ["", "aware", 0, NA, NA, NA, NA, 0, 0], ["", "consider", 0, NA, NA, NA, NA, 1, 0],
        ["", "buy", 0, NA, NA, NA, NA, 0, NA],
        ["x", "aware", 2, NA, 1.0, NA, NA, 2, 1], ["x", "consider", 1, 0.5, 0.5, 1.0, 1.0, 0, 1],
        ["x", "buy", 0, 0.0, 0.0, NA, NA, 0, NA],
        ["y", "aware", 0, NA, NA, NA, NA, 0, 0], ["y", "consider", 0, NA, NA, NA, NA, 0, 0],
        ["y", "buy", 0, NA, NA, NA, NA, 1, NA],
    ]
    assert_table(got, expected, ["segment", *FUNNEL])


def test_funnel_needs_a_stage_order() -> None:
    """A stage column without an order, or a stage order without stages, is a clear error."""
    frame = events([("a", "10:00", "visit")], stage=["aware"])
    with pytest.raises(JmapkitError, match="stage order"):
        analytics.funnel(frame)
    with pytest.raises(JmapkitError, match="no 'stage' column"):
        analytics.funnel(events([("a", "10:00", "visit")]), stages=ORDER)


def test_funnel_of_no_events_has_every_stage_at_zero() -> None:
    """No event of the journey at all (only a newsletter): every stage at 0, conversions undefined."""
    got = analytics.funnel(events([("a", "10:00", "newsletter")]), stages=STAGES)
    assert_table(got, [[s, 0, NA, NA, NA, NA, 0, 0 if s != "buy" else NA] for s in ORDER], FUNNEL)


# --- paths, transitions, touchpoints: hand-computed --------------------------------------------------

# a: visit, visit, cart, order · b: visit, cart · c: visit and cart at 10:00 (stage order: visit first;
# name order: cart first), cart again · d: order alone
PATH_ROWS = [
    ("a", "09:00", "visit"), ("a", "09:30", "visit"), ("a", "10:00", "cart"), ("a", "11:00", "order"),
    ("b", "09:00", "visit"), ("b", "09:10", "cart"),
    ("c", "10:00", "visit"), ("c", "10:00", "cart"), ("c", "12:00", "cart"),
    ("d", "08:00", "order"),
]


def test_paths_hand_computed() -> None:
    """Repeats collapse, paths rank by customers then text, a same-time tie follows the stage order, top cuts."""
    got = analytics.paths(events(PATH_ROWS), top=10, stages=STAGES)
    assert_table(got, [["visit → cart", 2, 2, 0.5], ["order", 1, 1, 0.25],
                       ["visit → cart → order", 3, 1, 0.25]], PATH_COLUMNS)
    top1 = analytics.paths(events(PATH_ROWS), top=1, stages=STAGES)
    assert top1["path"].tolist() == ["visit → cart"]


def test_paths_and_transitions_tie_without_stages_follows_touchpoint_names() -> None:
    """With no stage order known, same-time events are ordered by touchpoint name (c: cart before visit)."""
    # c's visit comes before cart in the file, but with no stage order known the names decide.
    got = analytics.paths(events(PATH_ROWS), top=10)
    assert_table(got, [["cart → visit → cart", 3, 1, 0.25], ["order", 1, 1, 0.25],
                       ["visit → cart", 2, 1, 0.25], ["visit → cart → order", 3, 1, 0.25]], PATH_COLUMNS)
    # a visit→cart→order, b visit→cart, c cart→visit→cart: visit→cart 3 (a, b, c); cart leads to order once
    # and to visit once, so each is half of cart's transitions.
    got = analytics.transitions(events(PATH_ROWS))
    assert_table(got, [["visit", "cart", 3, 3, 1.0], ["cart", "order", 1, 1, 0.5], ["cart", "visit", 1, 1, 0.5]],
                 TRANSITION_COLUMNS)


def test_transitions_hand_computed() -> None:
    """The directly-follows graph of collapsed sequences, same-time ties in stage order."""
    got = analytics.transitions(events(PATH_ROWS), stages=STAGES)
    assert_table(got, [["visit", "cart", 3, 3, 1.0], ["cart", "order", 1, 1, 1.0]], TRANSITION_COLUMNS)


def test_transitions_count_repeated_pairs_once_per_occurrence() -> None:
    """A customer going back and forth: every occurrence counts, the customer once."""
    rows = [("a", "09:00", "visit"), ("a", "10:00", "cart"), ("a", "11:00", "visit"), ("a", "12:00", "cart"),
            ("b", "09:00", "visit"), ("b", "10:00", "order")]
    got = analytics.transitions(events(rows), stages=STAGES)
    assert_table(got, [["visit", "cart", 2, 1, 2 / 3], ["cart", "visit", 1, 1, 1.0], ["visit", "order", 1, 1, 1 / 3]],
                 TRANSITION_COLUMNS)


def test_touchpoints_hand_computed() -> None:
    """Events, customers, reach and drop-off (share whose last touchpoint it is) per touchpoint."""
    got = analytics.touchpoints(events(PATH_ROWS), stages=STAGES)
    # last touchpoint: a order, b cart, c cart, d order
    assert_table(got, [["cart", "consider", 4, 3, 0.75, 2 / 3], ["visit", "aware", 4, 3, 0.75, 0.0],
                       ["order", "buy", 2, 2, 0.5, 1.0]],
                 ["touchpoint", "stage", "events", "customers", "share_of_customers", "dropoff_after"])


def test_touchpoints_take_the_stage_from_the_data_when_no_mapping_is_given() -> None:
    """Events that carry their stage and only a stage order: each touchpoint's stage comes from the data."""
    frame = with_stage(events(PATH_ROWS))
    got = analytics.touchpoints(frame, stages=ORDER)
    assert got.set_index("touchpoint")["stage"].to_dict() == {"cart": "consider", "visit": "aware", "order": "buy"}


# --- funnel, paths, transitions, touchpoints: random logs against the reference ---------------------

SEEDS = range(8)


@pytest.mark.parametrize("seed", SEEDS)
def test_funnel_matches_reference_on_random_logs(seed: int) -> None:
    """Messy logs (ties, skips, early events, late entrants, unknown touchpoints), whole and by segment."""
    frame = random_log(seed)
    reference = Reference(with_stage(frame), ORDER)
    assert_table(analytics.funnel(frame, stages=STAGES), reference.funnel())
    assert_table(analytics.funnel(frame, stages=STAGES, by="segment"), reference.funnel(by="segment"))


@pytest.mark.parametrize("seed", SEEDS)
def test_paths_transitions_touchpoints_match_reference_on_random_logs(seed: int) -> None:
    """The same messy logs: paths (cut at top 7), transitions and touchpoints, ties in stage order."""
    frame = random_log(seed)
    reference = Reference(with_stage(frame), ORDER)
    assert_table(analytics.paths(frame, top=7, stages=STAGES), reference.paths(top=7))
    assert_table(analytics.transitions(frame, stages=STAGES), reference.transitions())
    assert_table(analytics.touchpoints(frame, stages=STAGES), reference.touchpoints(STAGES))


@pytest.mark.parametrize(("key_bits", "per_pass"), [(62, 64), (0, 2)], ids=["integer-key", "struct-key-2-per-pass"])
def test_touchpoints_latest_event_key_either_way_matches_reference(key_bits: int, per_pass: int,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The latest event per customer as an integer key (the usual case) or a struct (events spread over
    centuries), touchpoints counted all in one scan or two per scan: the same table, ties broken alike."""
    from jmapkit.analytics import behaviour

    monkeypatch.setattr(behaviour, "_KEY_BITS", key_bits)
    monkeypatch.setattr(behaviour, "SEEN_PER_PASS", per_pass)
    frame = random_log(3)
    reference = Reference(with_stage(frame), ORDER)
    assert_table(analytics.touchpoints(frame, stages=STAGES), reference.touchpoints(STAGES))


@pytest.mark.parametrize("seed", SEEDS[:3])
def test_paths_and_transitions_in_customer_parts_match_reference(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Split by customer into parts of ~40 events (as 100 M events are, into parts of 16 M): the same tables."""
    from jmapkit.analytics import behaviour
    from jmapkit.analytics.backend import as_table

    frame = random_log(seed)
    monkeypatch.setattr(behaviour, "WINDOW_ROWS", 40)
    assert len(behaviour._customer_parts(as_table(frame, "events"))) == -(-len(frame) // 40) > 2
    reference = Reference(with_stage(frame), ORDER)
    assert_table(analytics.paths(frame, top=7, stages=STAGES), reference.paths(top=7))
    assert_table(analytics.transitions(frame, stages=STAGES), reference.transitions())


def test_paths_without_stages_break_ties_by_touchpoint_name() -> None:
    """A messy log with no stage order at all: every same-time tie is broken by touchpoint name."""
    frame = random_log(99)
    reference = Reference(frame.assign(stage=None), ORDER)  # no stage known: every rank equal
    assert_table(analytics.paths(frame, top=50), reference.paths(top=50))
    assert_table(analytics.transitions(frame), reference.transitions())


# --- map_events and stage conflicts ------------------------------------------------------------------


def raw_events() -> pd.DataFrame:
    """Raw app events: page views, a checkout, and push/SMS events step 3 did not map."""
    return pd.DataFrame({
        "customer_id": ["a", "a", "b", "b", "b", "c", "c"],
        "timestamp": pd.to_datetime(["2026-03-01 10:00"] * 7),
        "event": ["page_view", "checkout", "page_view", "push_open", "push_open", "push_open", "sms_click"],
    })


def test_map_events_fills_touchpoints_and_stages_and_lists_the_unmapped() -> None:
    """Raw event names become touchpoints and stages; unmapped names are listed by events, then name."""
    mapped, unmapped = analytics.map_events(raw_events(), {"page_view": "visit", "checkout": "order"}, STAGES)
    assert_table(unmapped, [["push_open", 3, 2], ["sms_click", 1, 1]], ["event", "events", "customers"])
    rows = mapped.select("customer_id", "event", "touchpoint", "stage").to_pyarrow().to_pylist()
    assert sorted(tuple(r.values()) for r in rows) == [
        ("a", "checkout", "order", "buy"), ("a", "page_view", "visit", "aware"), ("b", "page_view", "visit", "aware")]


def test_map_events_without_stages_adds_no_stage_and_empty_unmapped_has_columns() -> None:
    """Every event mapped and no stages given: no stage column, an empty unmapped table with its columns."""
    mapped, unmapped = analytics.map_events(
        raw_events(), {"page_view": "visit", "checkout": "order", "push_open": "cart", "sms_click": "cart"})
    assert "stage" not in mapped.columns
    assert list(unmapped.columns) == ["event", "events", "customers"] and len(unmapped) == 0
    assert mapped.count().to_pyarrow().as_py() == 7


def test_map_events_needs_an_event_column() -> None:
    """Events without raw names cannot be mapped: a clear error."""
    with pytest.raises(JmapkitError, match="'event' column"):
        analytics.map_events(events([("a", "10:00", "visit")]), {"x": "visit"})


def test_stage_conflicts_between_the_data_and_the_mapping_are_reported() -> None:
    """The data says a cart is 'buy', step 3 says 'consider': listed, warned on every call, the data wins."""
    frame = events([("a", "10:00", "visit"), ("a", "11:00", "cart"), ("b", "11:00", "cart"), ("b", "12:00", "order")],
                   stage=["aware", "buy", "buy", "buy"])
    conflicts = behaviour.stage_conflicts(frame, STAGES)
    assert_table(conflicts, [["cart", "buy", "consider", 2, 2]],
                 ["touchpoint", "stage", "mapped_stage", "events", "customers"])
    with pytest.warns(behaviour.StageConflictWarning, match=r"cart.*'buy'.*'consider'"):
        got = analytics.funnel(frame, stages=STAGES)
    # The data's own stage column wins (docs/design.md): both carts count as "buy".
    assert got["reached"].tolist() == [1, 0, 0] and got["entered_here"].tolist() == [1, 0, 1]
    with pytest.warns(behaviour.StageConflictWarning):  # every call on the raw events says so again
        analytics.touchpoints(frame, stages=STAGES)


@pytest.mark.parametrize("seed", SEEDS[:4])
def test_funnel_on_map_events_output_matches_reference(seed: int) -> None:
    """Raw events (two names per touchpoint, some never mapped) through map_events, then the funnel:
    the same as the reference on the mapped touchpoints, whole and by segment (including no segment)."""
    frame = random_log(seed)
    rng = np.random.default_rng(seed)
    raw = frame.assign(event=[f"{tp}_{'app' if flip else 'web'}" for tp, flip in
                              zip(frame["touchpoint"], rng.integers(0, 2, len(frame)), strict=True)])
    raw.loc[rng.random(len(raw)) < 0.1, "event"] = "push_open"  # not in the event map: listed, not counted
    event_map = {f"{tp}_{kind}": tp for tp in frame["touchpoint"].unique() for kind in ("app", "web")}
    mapped, unmapped = analytics.map_events(raw.drop(columns="touchpoint"), event_map, STAGES)
    kept = raw[raw["event"] != "push_open"]
    assert unmapped["events"].sum() == len(raw) - len(kept)
    from jmapkit.analytics.behaviour import _stage_column

    assert _stage_column(mapped, STAGES, ORDER, ["customer_id"])[1] == "k"  # stages numbered in the same join
    reference = Reference(with_stage(kept.drop(columns="event")), ORDER)
    assert_table(analytics.funnel(mapped, stages=STAGES), reference.funnel())
    assert_table(analytics.funnel(mapped, stages=STAGES, by="segment"), reference.funnel(by="segment"))


def test_map_events_output_is_checked_for_conflicts_once() -> None:
    """map_events warns about a conflict once; the funnel on its output does not warn again."""
    raw = raw_events().assign(stage=["aware", "consider", None, None, None, None, None])
    said = r"order \('consider' in the data, 'buy' in the mapping, 1 event\)"
    with pytest.warns(behaviour.StageConflictWarning, match=said):
        mapped, _ = analytics.map_events(raw, {"page_view": "visit", "checkout": "order"}, STAGES)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # resolved once by map_events: no second scan, no second warning
        got = analytics.funnel(mapped, stages=STAGES)
    # a: visit (aware) then checkout, whose data stage "consider" wins over the mapping's "buy";
    # b: page_view with no stage in the data, so the mapping's "aware".
    assert_table(got, [["aware", 2, NA, 1.0, NA, NA, 2, 1], ["consider", 1, 0.5, 0.5, 0.0, 0.0, 0, 1],
                       ["buy", 0, 0.0, 0.0, NA, NA, 0, NA]], FUNNEL)


# --- CDNOW: real purchases against loop-free pandas ---------------------------------------------------


@pytest.fixture(scope="module")
def purchases(cdnow_journey: pd.DataFrame) -> pd.DataFrame:  # noqa: F811
    """Per customer: number of purchase lines, first/second/third purchase dates (NaT when fewer)."""
    numbered = cdnow_journey.assign(line=np.arange(len(cdnow_journey)))
    ordered = numbered.sort_values(["customer_id", "timestamp", "line"])
    nth = ordered.groupby("customer_id").cumcount()
    wide = ordered.assign(nth=nth)[nth < 3].pivot(index="customer_id", columns="nth", values="timestamp")
    wide.columns = ["first", "second", "third"]
    wide["lines"] = ordered.groupby("customer_id").size()
    wide["segment"] = ordered.groupby("customer_id")["segment"].first()
    return wide


def test_cdnow_is_the_real_file(cdnow: pd.DataFrame) -> None:  # noqa: F811
    """The purchases are CDNOW's as published: 69,659 lines, 23,570 customers, Jan 1997 – Jun 1998."""
    assert len(cdnow) == CDNOW_ROWS and cdnow["customer_id"].nunique() == CDNOW_CUSTOMERS
    assert cdnow["date"].min() == pd.Timestamp("1997-01-01") and cdnow["date"].max() == pd.Timestamp("1998-06-30")


def _expected_cdnow_funnel(p: pd.DataFrame) -> pd.DataFrame:
    reached = [len(p), int((p["lines"] >= 2).sum()), int((p["lines"] >= 3).sum())]
    gap2 = ((p["second"] - p["first"]).dt.total_seconds() / 3600).dropna()
    gap3 = ((p["third"] - p["second"]).dt.total_seconds() / 3600).dropna()
    return pd.DataFrame({
        "stage": ["first", "repeat", "loyal"],
        "reached": reached,
        "conversion_from_previous": [None, reached[1] / reached[0], reached[2] / reached[1]],
        "conversion_from_first": [1.0, reached[1] / reached[0], reached[2] / reached[0]],
        "median_hours": [None, gap2.median(), gap3.median()],
        "p90_hours": [None, gap2.quantile(0.9), gap3.quantile(0.9)],
        "entered_here": [len(p), 0, 0],
        "dropped": [reached[0] - reached[1], reached[1] - reached[2], None],
    })


@pytest.mark.slow
def test_cdnow_funnel(cdnow_journey: pd.DataFrame, purchases: pd.DataFrame) -> None:  # noqa: F811
    """Real purchases (same-day lines are tied events): the funnel from the stage column and by segment."""
    expected = _expected_cdnow_funnel(purchases)
    assert_table(analytics.funnel(cdnow_journey, stages=["first", "repeat", "loyal"]), expected)
    by = analytics.funnel(cdnow_journey, stages=CDNOW_STAGES, by="segment")
    expected = pd.concat([_expected_cdnow_funnel(part).assign(segment=name)
                          for name, part in purchases.groupby("segment")], ignore_index=True)
    assert_table(by, expected[["segment", *FUNNEL]])


@pytest.mark.slow
def test_cdnow_touchpoints(cdnow_journey: pd.DataFrame, purchases: pd.DataFrame) -> None:  # noqa: F811
    """Real purchases: events, reach and drop-off of the 1st, 2nd and 3rd+ purchase."""
    lines, everyone = purchases["lines"], len(purchases)
    counts = cdnow_journey["touchpoint"].value_counts()
    expected = pd.DataFrame({
        "touchpoint": ["first_purchase", "repeat_purchase", "loyal_purchase"],
        "stage": ["first", "repeat", "loyal"],
        "events": [counts["first_purchase"], counts["repeat_purchase"], counts["loyal_purchase"]],
        "customers": [everyone, (lines >= 2).sum(), (lines >= 3).sum()],
        "share_of_customers": [1.0, (lines >= 2).sum() / everyone, (lines >= 3).sum() / everyone],
        # a customer's journey ends at their last purchase: the 1st if one, the 2nd if two, else loyal
        "dropoff_after": [(lines == 1).sum() / everyone, (lines == 2).sum() / (lines >= 2).sum(), 1.0],
    })
    assert_table(analytics.touchpoints(cdnow_journey, stages=CDNOW_STAGES), expected)


@pytest.mark.slow
def test_cdnow_paths_and_transitions(cdnow_journey: pd.DataFrame, purchases: pd.DataFrame) -> None:  # noqa: F811
    """Real purchases: three paths (one, two, three or more purchases) and the two transitions."""
    lines, everyone = purchases["lines"], len(purchases)
    n1, n2, n3 = (lines == 1).sum(), (lines == 2).sum(), (lines >= 3).sum()
    expected = pd.DataFrame({
        "path": ["first_purchase", "first_purchase → repeat_purchase → loyal_purchase",
                 "first_purchase → repeat_purchase"],
        "steps": [1, 3, 2], "customers": [n1, n3, n2], "share": [n1 / everyone, n3 / everyone, n2 / everyone],
    })
    expected = expected.sort_values(["customers", "path"], ascending=[False, True]).reset_index(drop=True)
    assert_table(analytics.paths(cdnow_journey, top=10, stages=CDNOW_STAGES), expected)
    assert_table(analytics.transitions(cdnow_journey, stages=CDNOW_STAGES), [
        ["first_purchase", "repeat_purchase", n2 + n3, n2 + n3, 1.0],
        ["repeat_purchase", "loyal_purchase", n3, n3, 1.0],
    ], TRANSITION_COLUMNS)
