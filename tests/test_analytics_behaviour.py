"""Behaviour analytics (jmapkit/analytics/behaviour.py) against hand-computed tables and plain pandas.

Three layers of evidence, none of them produced by the code under test:
- hand-computed tables for every edge case of the metric definitions (numbers worked out on paper);
- `Reference`, a deliberately plain per-customer-loop pandas implementation of DESIGN.md's definitions,
  compared on seeded random logs full of ties, skips, early events and late entrants;
- CDNOW (real purchases), checked against loop-free pandas computed from purchase counts per customer.
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

# Touchpoint → stage in journey order. The names sort differently from the journey (cart < order <
# visit), so a tie broken alphabetically instead of by stage order shows up in the results.
STAGES = {"visit": "aware", "cart": "consider", "order": "buy"}
ORDER = ["aware", "consider", "buy"]
FUNNEL = ["stage", "reached", "conversion_from_previous", "conversion_from_first", "median_hours", "p90_hours",
          "entered_here", "dropped"]
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


# --- the independent reference -------------------------------------------------------------------


class Reference:
    """DESIGN.md's definitions as one would do them by hand: one customer at a time, in plain pandas.

    Events must have customer_id, timestamp, touchpoint and stage. Events at the same timestamp are
    ordered by stage (journey order; unknown stages last), then by touchpoint name.
    """

    def __init__(self, frame: pd.DataFrame, order: list[str]) -> None:
        self.frame = frame.reset_index(drop=True)
        self.order = order
        rank = {s: i for i, s in enumerate(order)}
        self.frame["_rank"] = [rank.get(s, len(order)) for s in self.frame["stage"]]

    def funnel(self, by: str | None = None) -> pd.DataFrame:
        staged = self.frame[self.frame["stage"].isin(self.order)].copy()
        if by:
            staged[by] = staged[by].fillna("")
        groups = sorted(staged[by].unique()) if by else [None]
        rows = []
        for group in groups:
            part = staged[staged[by] == group] if by else staged
            n = len(self.order)
            reached, entered, hours = [0] * n, [0] * n, [[] for _ in range(n)]
            for _, own in part.groupby("customer_id"):
                earliest = own["timestamp"].min()
                entered[own.loc[own["timestamp"] == earliest, "_rank"].min()] += 1
                anchor = None
                for k, stage in enumerate(self.order):
                    times = own.loc[own["stage"] == stage, "timestamp"]
                    if anchor is not None:
                        times = times[times >= anchor]
                    if times.empty:
                        break
                    if anchor is not None:
                        hours[k].append((times.min() - anchor).total_seconds() / 3600)
                    anchor = times.min()
                    reached[k] += 1
            for k, stage in enumerate(self.order):
                h = pd.Series(hours[k], dtype="float64")
                rows.append({
                    **({by: group} if by else {}),
                    "stage": stage,
                    "reached": reached[k],
                    "conversion_from_previous": reached[k] / reached[k - 1] if k and reached[k - 1] else None,
                    "conversion_from_first": reached[k] / reached[0] if reached[0] else None,
                    "median_hours": h.quantile(0.5) if len(h) else None,
                    "p90_hours": h.quantile(0.9) if len(h) else None,
                    "entered_here": entered[k],
                    "dropped": reached[k] - reached[k + 1] if k + 1 < n else None,
                })
        return pd.DataFrame(rows, columns=[*([by] if by else []), *FUNNEL])

    def sequences(self) -> dict[str, list[str]]:
        """Each customer's touchpoints in order, consecutive repeats collapsed."""
        out = {}
        for customer, own in self.frame.groupby("customer_id"):
            ordered = own.sort_values(["timestamp", "_rank", "touchpoint"])["touchpoint"].tolist()
            out[customer] = [tp for i, tp in enumerate(ordered) if i == 0 or ordered[i - 1] != tp]
        return out

    def paths(self, top: int) -> pd.DataFrame:
        seqs = self.sequences()
        counts: dict[str, int] = {}
        steps: dict[str, int] = {}
        for seq in seqs.values():
            key = " → ".join(seq)
            counts[key] = counts.get(key, 0) + 1
            steps[key] = len(seq)
        ranked = sorted(counts, key=lambda p: (-counts[p], p))[:top]
        return pd.DataFrame({"path": ranked, "steps": [steps[p] for p in ranked],
                             "customers": [counts[p] for p in ranked],
                             "share": [counts[p] / len(seqs) for p in ranked]})

    def transitions(self) -> pd.DataFrame:
        count: dict[tuple[str, str], int] = {}
        who: dict[tuple[str, str], set[str]] = {}
        for customer, seq in self.sequences().items():
            for pair in zip(seq, seq[1:], strict=False):
                count[pair] = count.get(pair, 0) + 1
                who.setdefault(pair, set()).add(customer)
        out_of = {s: sum(c for (a, _), c in count.items() if a == s) for s, _ in count}
        ranked = sorted(count, key=lambda p: (-count[p], p[0], p[1]))
        return pd.DataFrame({"source": [p[0] for p in ranked], "target": [p[1] for p in ranked],
                             "count": [count[p] for p in ranked], "customers": [len(who[p]) for p in ranked],
                             "share_of_source": [count[p] / out_of[p[0]] for p in ranked]})

    def touchpoints(self, stage_of: Mapping[str, str]) -> pd.DataFrame:
        last = {c: seq[-1] for c, seq in self.sequences().items()}
        everyone = self.frame["customer_id"].nunique()
        rows = []
        for tp, own in self.frame.groupby("touchpoint"):
            customers = set(own["customer_id"])
            rows.append({"touchpoint": tp, "stage": stage_of.get(tp, ""), "events": len(own),
                         "customers": len(customers), "share_of_customers": len(customers) / everyone,
                         "dropoff_after": sum(last[c] == tp for c in customers) / len(customers)})
        rows.sort(key=lambda r: (-r["customers"], r["touchpoint"]))
        return pd.DataFrame(rows)


def with_stage(frame: pd.DataFrame, stage_of: Mapping[str, str] = STAGES) -> pd.DataFrame:
    return frame.assign(stage=frame["touchpoint"].map(stage_of))


# --- funnel: hand-computed edge cases --------------------------------------------------------------

# Rows: one per stage (aware, consider, buy):
# reached, conversion_from_previous, conversion_from_first, median_hours, p90_hours, entered_here, dropped
FUNNEL_CASES = {
    "one customer through every stage": (
        [("a", "10:00", "visit"), ("a", "11:00", "cart"), ("a", "13:30", "order")],
        [[1, NA, 1.0, NA, NA, 1, 0], [1, 1.0, 1.0, 1.0, 1.0, 0, 0], [1, 1.0, 1.0, 2.5, 2.5, 0, NA]]),
    "ties in timestamps count as at-or-after": (
        [("a", "10:00", "order"), ("a", "10:00", "cart"), ("a", "10:00", "visit")],
        [[1, NA, 1.0, NA, NA, 1, 0], [1, 1.0, 1.0, 0.0, 0.0, 0, 0], [1, 1.0, 1.0, 0.0, 0.0, 0, NA]]),
    "skipping a stage ends the funnel even with a later purchase": (
        [("a", "10:00", "visit"), ("a", "12:00", "order")],
        [[1, NA, 1.0, NA, NA, 1, 1], [0, 0.0, 0.0, NA, NA, 0, 0], [0, NA, 0.0, NA, NA, 0, NA]]),
    "a stage-k event before the stage k-1 anchor does not count": (
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
    "entry tie goes to the earlier stage; events outside the journey are ignored": (
        [("a", "09:00", "newsletter"), ("a", "10:00", "cart"), ("a", "10:00", "visit")],
        [[1, NA, 1.0, NA, NA, 1, 0], [1, 1.0, 1.0, 0.0, 0.0, 0, 1], [0, 0.0, 0.0, NA, NA, 0, NA]]),
    "median and p90 interpolate linearly like pandas": (
        # visit → cart hours: 1, 2, 4, 10 → median 3, p90 at 2.7 of 0..3 → 4 + 0.7 · 6 = 8.2
        [("a", "00:00", "visit"), ("a", "01:00", "cart"), ("b", "00:00", "visit"), ("b", "02:00", "cart"),
         ("c", "00:00", "visit"), ("c", "04:00", "cart"), ("d", "00:00", "visit"), ("d", "10:00", "cart"),
         ("e", "00:00", "visit")],
        [[5, NA, 1.0, NA, NA, 5, 1], [4, 0.8, 0.8, 3.0, 8.2, 0, 4], [0, 0.0, 0.0, NA, NA, 0, NA]]),
}


@pytest.mark.parametrize(("rows", "expected"), list(FUNNEL_CASES.values()), ids=list(FUNNEL_CASES))
def test_funnel_hand_computed(rows: list[tuple[str, str, str]], expected: list[list[Any]]) -> None:
    got = analytics.funnel(events(rows), stages=STAGES)
    assert_table(got, [[stage, *row] for stage, row in zip(ORDER, expected, strict=True)], FUNNEL)


def test_funnel_from_a_stage_column_in_list_order() -> None:
    frame = events([("a", "10:00", "x"), ("a", "11:00", "y"), ("b", "09:00", "y")], stage=["one", "two", "two"])
    got = analytics.funnel(frame, stages=["one", "two"])
    assert_table(got, [["one", 1, NA, 1.0, NA, NA, 1, 0], ["two", 1, 1.0, 1.0, 1.0, 1.0, 1, NA]], FUNNEL)


def test_funnel_by_segment_keeps_empty_and_missing_segments() -> None:
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
    frame = events([("a", "10:00", "visit")], stage=["aware"])
    with pytest.raises(JmapkitError, match="stage order"):
        analytics.funnel(frame)
    with pytest.raises(JmapkitError, match="no 'stage' column"):
        analytics.funnel(events([("a", "10:00", "visit")]), stages=ORDER)


def test_funnel_of_no_events_has_every_stage_at_zero() -> None:
    got = analytics.funnel(events([("a", "10:00", "newsletter")]), stages=STAGES)
    assert_table(got, [[s, 0, NA, NA, NA, NA, 0, 0 if s != "buy" else NA] for s in ORDER], FUNNEL)


# --- funnel, paths, transitions, touchpoints: random logs against the reference ---------------------


def random_log(seed: int, customers: int = 40) -> pd.DataFrame:
    """Small logs on a coarse clock (many exact ties), every stage skippable, some unknown touchpoints."""
    rng = np.random.default_rng(seed)
    names = np.array(["visit", "cart", "order", "visit", "cart", "newsletter"])
    n = int(customers * 4)
    frame = pd.DataFrame({
        "customer_id": [f"C{c:04d}" for c in rng.integers(0, customers, n)],
        "timestamp": pd.Timestamp("2026-03-01") + pd.to_timedelta(rng.integers(0, 12, n) * 30, unit="min"),
        "touchpoint": names[rng.integers(0, len(names), n)],
        "segment": np.array(["family", "office", None], dtype=object)[rng.integers(0, 3, n)],
    })
    return frame


SEEDS = range(8)


@pytest.mark.parametrize("seed", SEEDS)
def test_funnel_matches_reference_on_random_logs(seed: int) -> None:
    frame = random_log(seed)
    reference = Reference(with_stage(frame), ORDER)
    assert_table(analytics.funnel(frame, stages=STAGES), reference.funnel())
    assert_table(analytics.funnel(frame, stages=STAGES, by="segment"), reference.funnel(by="segment"))


@pytest.mark.parametrize("seed", SEEDS)
def test_paths_transitions_touchpoints_match_reference_on_random_logs(seed: int) -> None:
    frame = random_log(seed)
    reference = Reference(with_stage(frame), ORDER)
    assert_table(analytics.paths(frame, top=7, stages=STAGES), reference.paths(top=7))
    assert_table(analytics.transitions(frame, stages=STAGES), reference.transitions())
    assert_table(analytics.touchpoints(frame, stages=STAGES), reference.touchpoints(STAGES))


def test_paths_without_stages_break_ties_by_touchpoint_name() -> None:
    frame = random_log(99)
    reference = Reference(frame.assign(stage=None), ORDER)  # no stage known: every rank equal
    assert_table(analytics.paths(frame, top=50), reference.paths(top=50))
    assert_table(analytics.transitions(frame), reference.transitions())


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
    got = analytics.paths(events(PATH_ROWS), top=10, stages=STAGES)
    assert_table(got, [["visit → cart", 2, 2, 0.5], ["order", 1, 1, 0.25],
                       ["visit → cart → order", 3, 1, 0.25]], ["path", "steps", "customers", "share"])
    top1 = analytics.paths(events(PATH_ROWS), top=1, stages=STAGES)
    assert top1["path"].tolist() == ["visit → cart"]


def test_paths_tie_without_stages_follows_touchpoint_names() -> None:
    # c's visit comes before cart in the file, but with no stage order known the names decide.
    got = analytics.paths(events(PATH_ROWS), top=10)
    assert_table(got, [["cart → visit → cart", 3, 1, 0.25], ["order", 1, 1, 0.25],
                       ["visit → cart", 2, 1, 0.25], ["visit → cart → order", 3, 1, 0.25]],
                 ["path", "steps", "customers", "share"])


def test_transitions_hand_computed() -> None:
    got = analytics.transitions(events(PATH_ROWS), stages=STAGES)
    assert_table(got, [["visit", "cart", 3, 3, 1.0], ["cart", "order", 1, 1, 1.0]],
                 ["source", "target", "count", "customers", "share_of_source"])


def test_transitions_count_repeated_pairs_once_per_occurrence() -> None:
    rows = [("a", "09:00", "visit"), ("a", "10:00", "cart"), ("a", "11:00", "visit"), ("a", "12:00", "cart"),
            ("b", "09:00", "visit"), ("b", "10:00", "order")]
    got = analytics.transitions(events(rows), stages=STAGES)
    assert_table(got, [["visit", "cart", 2, 1, 2 / 3], ["cart", "visit", 1, 1, 1.0], ["visit", "order", 1, 1, 1 / 3]],
                 ["source", "target", "count", "customers", "share_of_source"])


def test_touchpoints_hand_computed() -> None:
    got = analytics.touchpoints(events(PATH_ROWS), stages=STAGES)
    # last touchpoint: a order, b cart, c cart, d order
    assert_table(got, [["cart", "consider", 4, 3, 0.75, 2 / 3], ["visit", "aware", 4, 3, 0.75, 0.0],
                       ["order", "buy", 2, 2, 0.5, 1.0]],
                 ["touchpoint", "stage", "events", "customers", "share_of_customers", "dropoff_after"])


def test_touchpoints_take_the_stage_from_the_data_when_no_mapping_is_given() -> None:
    frame = with_stage(events(PATH_ROWS))
    got = analytics.touchpoints(frame, stages=ORDER)
    assert got.set_index("touchpoint")["stage"].to_dict() == {"cart": "consider", "visit": "aware", "order": "buy"}


# --- map_events and stage conflicts ------------------------------------------------------------------


def raw_events() -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": ["a", "a", "b", "b", "b", "c", "c"],
        "timestamp": pd.to_datetime(["2026-03-01 10:00"] * 7),
        "event": ["page_view", "checkout", "page_view", "push_open", "push_open", "push_open", "sms_click"],
    })


def test_map_events_fills_touchpoints_and_stages_and_lists_the_unmapped() -> None:
    mapped, unmapped = analytics.map_events(raw_events(), {"page_view": "visit", "checkout": "order"}, STAGES)
    assert_table(unmapped, [["push_open", 3, 2], ["sms_click", 1, 1]], ["event", "events", "customers"])
    rows = mapped.select("customer_id", "event", "touchpoint", "stage").to_pyarrow().to_pylist()
    assert sorted(tuple(r.values()) for r in rows) == [
        ("a", "checkout", "order", "buy"), ("a", "page_view", "visit", "aware"), ("b", "page_view", "visit", "aware")]


def test_map_events_without_stages_adds_no_stage_and_empty_unmapped_has_columns() -> None:
    mapped, unmapped = analytics.map_events(
        raw_events(), {"page_view": "visit", "checkout": "order", "push_open": "cart", "sms_click": "cart"})
    assert "stage" not in mapped.columns
    assert list(unmapped.columns) == ["event", "events", "customers"] and len(unmapped) == 0
    assert mapped.count().to_pyarrow().as_py() == 7


def test_map_events_needs_an_event_column() -> None:
    with pytest.raises(JmapkitError, match="'event' column"):
        analytics.map_events(events([("a", "10:00", "visit")]), {"x": "visit"})


def test_stage_conflicts_between_the_data_and_the_mapping_are_reported() -> None:
    frame = events([("a", "10:00", "visit"), ("a", "11:00", "cart"), ("b", "11:00", "cart"), ("b", "12:00", "order")],
                   stage=["aware", "buy", "buy", "buy"])
    conflicts = behaviour.stage_conflicts(frame, STAGES)
    assert_table(conflicts, [["cart", "buy", "consider", 2, 2]],
                 ["touchpoint", "stage", "mapped_stage", "events", "customers"])
    with pytest.warns(behaviour.StageConflictWarning, match=r"cart.*'buy'.*'consider'"):
        got = analytics.funnel(frame, stages=STAGES)
    # The data's own stage column wins (DESIGN.md): both carts count as "buy".
    assert got["reached"].tolist() == [1, 0, 0] and got["entered_here"].tolist() == [1, 0, 1]
    with pytest.warns(behaviour.StageConflictWarning):  # every call on the raw events says so again
        analytics.touchpoints(frame, stages=STAGES)


def test_map_events_output_is_checked_for_conflicts_once() -> None:
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
    expected = _expected_cdnow_funnel(purchases)
    assert_table(analytics.funnel(cdnow_journey, stages=["first", "repeat", "loyal"]), expected)
    by = analytics.funnel(cdnow_journey, stages=CDNOW_STAGES, by="segment")
    expected = pd.concat([_expected_cdnow_funnel(part).assign(segment=name)
                          for name, part in purchases.groupby("segment")], ignore_index=True)
    assert_table(by, expected[["segment", *FUNNEL]])


@pytest.mark.slow
def test_cdnow_touchpoints(cdnow_journey: pd.DataFrame, purchases: pd.DataFrame) -> None:  # noqa: F811
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
    ], ["source", "target", "count", "customers", "share_of_source"])
