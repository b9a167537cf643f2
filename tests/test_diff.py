"""jmapkit.diff: what moved between two runs, and which moves a test calls significant."""

from __future__ import annotations

import random

import pandas as pd
import pytest

from jmapkit.analytics import survey_scores
from jmapkit.diff import Change, as_records, compare, score_test, summary
from jmapkit.model import KPI, BehaviourResults, DataRef, FunnelRow, Map, PainPoint, ScoreRow
from tests.independent import nps_difference_p, two_proportion_p, welch_p

SCORE = dict(group_by="touchpoint", group="till", metric="nps", ci_low=None, ci_high=None)


def _funnel(reached: list[int], stages: tuple[str, ...] = ("visit", "order", "pay")) -> list[FunnelRow]:
    rows = []
    for i, (stage, n) in enumerate(zip(stages, reached, strict=True)):
        rows.append(FunnelRow(stage=stage, reached=n, conversion_from_previous=n / reached[i - 1] if i else None,
                              conversion_from_first=n / reached[0], median_hours=None, p90_hours=None))
    return rows


def halved() -> tuple[BehaviourResults, BehaviourResults]:
    """Two runs' results where the last stage's conversion halves (817 → 408 of 1,044)."""
    return BehaviourResults(funnel=_funnel([1424, 1044, 817])), BehaviourResults(funnel=_funnel([1424, 1044, 408]))


def _scores(frame: pd.DataFrame) -> list[ScoreRow]:
    rows = survey_scores(frame, by="touchpoint")
    rows = rows.astype(object).where(rows.notna(), None)
    return [ScoreRow(**r) for r in rows.to_dict("records")]


def _survey(question: str, answers: list[int]) -> pd.DataFrame:
    return pd.DataFrame({"respondent_id": [f"r{i}" for i in range(len(answers))], "touchpoint": "till",
                         "question": question, "score": answers})


def test_compare_lists_moved_numbers_and_new_files() -> None:
    before = BehaviourResults(inputs={"events": DataRef(path="a.csv", sha256="1" * 64)}, funnel=_funnel([10, 4, 2]),
                       scores=[ScoreRow(n=5, value=20.0, **SCORE)])
    after = BehaviourResults(inputs={"events": DataRef(path="b.csv", sha256="2" * 64)}, funnel=_funnel([10, 6, 2]),
                      scores=[ScoreRow(n=8, value=20.0, **SCORE)])
    changes = compare(before, after)
    assert [(c.table, c.key, c.field, c.before, c.after, c.test) for c in changes] == [
        ("inputs", "events", "file", "a.csv (11111111)", "b.csv (22222222)", None),
        ("funnel", "order", "reached", 4, 6, None),
        ("funnel", "order", "conversion_from_previous", 0.4, 0.6, "two-proportion z-test"),
        ("funnel", "order", "conversion_from_first", 0.4, 0.6, "two-proportion z-test"),
        ("funnel", "pay", "conversion_from_previous", 0.5, 1 / 3, "two-proportion z-test"),
        ("scores", "touchpoint=till nps", "n", 5, 8, None),
    ]
    assert compare(after, after) == []
    assert not any(c.significant for c in changes)  # 10 customers: nothing a test can tell apart


def test_same_numbers_twice_is_no_change() -> None:
    results = BehaviourResults(funnel=_funnel([1424, 1044, 817]), scores=[ScoreRow(n=335, value=11.3, **SCORE)])
    assert compare(results, results.model_copy(deep=True)) == []


def test_a_halved_conversion_is_significant_with_its_test() -> None:
    before, after = halved()
    changes = compare(before, after)
    first = changes[0]
    assert (first.key, first.field, first.test) == ("pay", "conversion_from_previous", "two-proportion z-test")
    assert first.significant
    assert first.p_value == pytest.approx(two_proportion_p(817, 1044, 408, 1044), rel=1e-9)
    assert first.describe() == (
        "funnel pay conversion_from_previous: 78.3 % → 39.1 % (significant: two-proportion z-test, p < 0.001)"
    )
    # Significant changes come first; the count that has no test comes last.
    assert [(c.field, c.significant) for c in changes] == [
        ("conversion_from_previous", True), ("conversion_from_first", True), ("reached", False)]


def test_a_small_move_on_800_customers_is_not_significant() -> None:
    # The example: 57.4 % → 56.9 % of 800 customers.
    before, after = BehaviourResults(funnel=_funnel([800, 459], ("visit", "order"))), \
        BehaviourResults(funnel=_funnel([800, 455], ("visit", "order")))
    moved = [c for c in compare(before, after) if c.test]
    assert {c.field for c in moved} == {"conversion_from_previous", "conversion_from_first"}
    assert not any(c.significant for c in moved)
    assert moved[0].p_value == pytest.approx(two_proportion_p(459, 800, 455, 800), rel=1e-9)
    assert moved[0].describe().endswith("(not significant: two-proportion z-test, p = 0.840)")


def test_holm_adjusts_over_the_whole_comparison() -> None:
    before = BehaviourResults(funnel=_funnel([1000, 500, 250]))
    after = BehaviourResults(funnel=_funnel([1000, 460, 250]))  # order −4 points: p ≈ 0.07 alone
    tested = [c for c in compare(before, after) if c.test]
    assert [(c.key, c.field) for c in tested] == [
        ("order", "conversion_from_previous"), ("order", "conversion_from_first"), ("pay", "conversion_from_previous")]
    raw = sorted(c.p_value for c in tested)
    by_rank = [min(1.0, (3 - k) * p) for k, p in enumerate(raw)]  # Holm: (m − k)·p, then made non-decreasing
    assert sorted(c.p_adjusted for c in tested) == pytest.approx([max(by_rank[: k + 1]) for k in range(3)])
    assert all(c.p_adjusted >= c.p_value for c in tested)


def test_csat_is_tested_as_a_share_from_value_and_n() -> None:
    rng = random.Random(3)
    a = [rng.choice([2, 3, 4, 5, 5]) for _ in range(277)]
    b = [rng.choice([1, 2, 3, 4, 5]) for _ in range(301)]
    before, after = _scores(_survey("csat", a)), _scores(_survey("csat", b))
    test = score_test(before[0], after[0])
    assert test is not None and test.name == "two-proportion z-test"
    top_a, top_b = sum(s >= 4 for s in a), sum(s >= 4 for s in b)
    assert test.p_value == pytest.approx(two_proportion_p(top_a, len(a), top_b, len(b)), rel=1e-9)


def test_nps_is_tested_with_its_variance_read_back_from_the_ci() -> None:
    rng = random.Random(5)
    a = [rng.choice(range(11)) for _ in range(335)]
    b = [rng.choice([0, 3, 6, 7, 8, 9, 10, 10]) for _ in range(290)]
    test = score_test(_scores(_survey("nps", a))[0], _scores(_survey("nps", b))[0])
    assert test is not None and test.name == "z-test on the NPS difference"
    assert test.p_value == pytest.approx(nps_difference_p(a, b), rel=1e-6)


def test_a_mean_is_tested_with_welch_from_the_ci() -> None:
    rng = random.Random(8)
    a = [rng.choice(range(1, 8)) for _ in range(58)]
    b = [rng.choice([1, 2, 2, 3, 4]) for _ in range(64)]
    test = score_test(_scores(_survey("ces", a))[0], _scores(_survey("ces", b))[0])
    assert test is not None and test.name == "Welch t-test"
    assert test.p_value == pytest.approx(welch_p(a, b), rel=1e-6)


def test_a_score_without_a_ci_has_no_test() -> None:
    one = ScoreRow(group_by="touchpoint", group="till", metric="ces", n=1, value=3.0, ci_low=None, ci_high=None)
    two = one.model_copy(update={"value": 5.0})
    assert score_test(one, two) is None
    change = compare(BehaviourResults(scores=[one]), BehaviourResults(scores=[two]))[0]
    assert (change.field, change.test, change.significant) == ("value", None, False)


def test_step_5_entries_added_removed_and_edited() -> None:
    pain = PainPoint(touchpoint="queue", description="Queue twice", owner="ops")
    before = Map(pain_points=[pain], kpis=[KPI(stage="buy", name="Wait", target=10)])
    after = Map(pain_points=[pain.model_copy(update={"owner": "store lead"}),
                                   PainPoint(touchpoint="till", description="Card fails")],
                       kpis=[KPI(stage="buy", name="Wait", target=8)])
    assert compare(None, None, before, after) == [
        Change(5, "pain_points", "queue: Queue twice", "owner", "ops", "store lead"),
        Change(5, "pain_points", "till: Card fails", "entry", "—", "present"),
        Change(5, "kpis", "buy: Wait", "target", 10.0, 8.0),
    ]


def test_records_and_summary_lines() -> None:
    before, after = halved()
    changes = compare(before, after)
    record = as_records(changes)[0]
    assert record["test"] == "two-proportion z-test" and record["significant"] is True
    assert record["p_value"] == pytest.approx(two_proportion_p(817, 1044, 408, 1044), rel=1e-9)
    assert summary(changes, "run A", limit=2) == [
        "What changed since run A: 2 significant of 3 changes (* = significant at 0.05 by its test, Holm-adjusted)",
        "  * funnel pay conversion_from_previous: 78.3 % → 39.1 % (significant: two-proportion z-test, p < 0.001)",
        "  * funnel pay conversion_from_first: 57.4 % → 28.7 % (significant: two-proportion z-test, p < 0.001)",
        "  ... and 1 more",
    ]
    assert summary([], "run A") == ["Nothing changed since run A."]
