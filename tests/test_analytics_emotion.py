"""emotion_comparison against hand-computed conversions and a scipy t-interval for the votes."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from jmapkit.analytics.emotion import COLUMNS, emotion_comparison
from jmapkit.errors import ValidationFailed

NAN = math.nan


def scores(*rows: tuple) -> pd.DataFrame:
    """survey_scores-shaped rows from (group, metric, n, value, ci_low, ci_high)."""
    frame = pd.DataFrame(rows, columns=["group", "metric", "n", "value", "ci_low", "ci_high"])
    frame.insert(0, "group_by", "touchpoint")
    return frame


def sentiment(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["touchpoint", "n", "mean", "ci_low", "ci_high"])


def votes(pairs: list[tuple[str, float]]) -> pd.DataFrame:
    return pd.DataFrame(pairs, columns=["touchpoint", "emotion"])


def only(out: pd.DataFrame, touchpoint: str) -> pd.Series:
    hit = out[out["touchpoint"] == touchpoint]
    assert len(hit) == 1, out
    return hit.iloc[0]


MEASURED = ["measured", "measured_n", "measured_ci_low", "measured_ci_high", "measured_from"]


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        # NPS / 50: 20 → 0.4; CI −10..50 → −0.2..1.0
        (scores(("tp", "nps", 40, 20.0, -10.0, 50.0), ("tp", "q7", 40, 9.0, 8.0, 10.0)), [0.4, 40, -0.2, 1.0, "nps"]),
        # CSAT / 25 − 2: 75 % → 1.0; CI 30..95 → −0.8..1.8
        (scores(("tp", "csat", 4, 75.0, 30.0, 95.0)), [1.0, 4, -0.8, 1.8, "csat"]),
        # (4 − CES) · 2/3: 5.5 → −1.0; the map is decreasing, so CI 5.2..5.8 → −1.2..−0.8
        (scores(("tp", "ces", 9, 5.5, 5.2, 5.8)), [-1.0, 9, -1.2, -0.8, "ces"]),
        # one answer: no CI to carry
        (scores(("tp", "nps", 1, 100.0, NAN, NAN)), [2.0, 1, NAN, NAN, "nps"]),
    ],
)
def test_each_survey_signal_is_mapped_to_the_emotion_scale(table: pd.DataFrame, expected: list) -> None:
    got = only(emotion_comparison(None, scores=table), "tp")
    assert got[MEASURED].tolist() == pytest.approx(expected, nan_ok=True)


def test_sentiment_is_doubled() -> None:
    got = only(emotion_comparison(None, sentiment=sentiment(("tp", 12, -0.25, -0.5, 0.05))), "tp")
    assert got[MEASURED].tolist() == pytest.approx([-0.5, 12, -1.0, 0.1, "sentiment"])


def test_several_signals_are_averaged_with_their_ci_ends() -> None:
    # nps 20 → 0.4 (−0.2..1.0); ces 3 → 2/3 (CES 2.5..3.5 → 1/3..1.0); sentiment 0.5 → 1.0 (0.2..1.8)
    out = emotion_comparison(
        votes([("a", 1), ("a", 2), ("a", 0)]),
        scores=scores(("a", "nps", 10, 20.0, -10.0, 50.0), ("a", "ces", 10, 3.0, 2.5, 3.5)),
        sentiment=sentiment(("a", 5, 0.5, 0.1, 0.9)),
    )
    got = only(out, "a")
    measured = (0.4 + 2 / 3 + 1.0) / 3
    assert got[MEASURED].tolist() == pytest.approx(
        [measured, 25, (-0.2 + 1 / 3 + 0.2) / 3, (1.0 + 1.0 + 1.8) / 3, "nps, ces, sentiment"]
    )
    assert got["gap"] == pytest.approx(measured - 1.0)


def test_a_signal_without_ci_leaves_the_combined_ci_empty() -> None:
    out = emotion_comparison(
        None, scores=scores(("a", "csat", 20, 50.0, 30.0, 70.0)), sentiment=sentiment(("a", 1, 0.4, NAN, NAN))
    )
    got = only(out, "a")
    assert got["measured"] == pytest.approx((0.0 + 0.8) / 2)
    assert math.isnan(got["measured_ci_low"]) and math.isnan(got["measured_ci_high"])


@pytest.mark.parametrize(
    "emotions",
    [[1, 2, 0], [-2, -1, -1, 0, 1], [0.5, 1.5]],
)
def test_voted_mean_has_a_t_interval_on_the_scale(emotions: list[float]) -> None:
    got = only(emotion_comparison(votes([("tp", e) for e in emotions])), "tp")
    low, high = stats.t.interval(0.95, len(emotions) - 1, loc=np.mean(emotions), scale=stats.sem(emotions))
    assert got["voted_n"] == len(emotions)
    assert got["voted"] == pytest.approx(np.mean(emotions))
    assert got["voted_ci_low"] == pytest.approx(max(low, -2))
    assert got["voted_ci_high"] == pytest.approx(min(high, 2))
    assert math.isnan(got["measured"]) and got["measured_n"] == 0 and pd.isna(got["measured_from"])
    assert math.isnan(got["gap"])


def test_one_vote_has_no_interval() -> None:
    got = only(emotion_comparison(votes([("tp", -2)])), "tp")
    assert (got["voted"], got["voted_n"]) == (-2.0, 1)
    assert math.isnan(got["voted_ci_low"]) and math.isnan(got["voted_ci_high"])


def test_rows_follow_the_maps_touchpoints_then_any_others() -> None:
    out = emotion_comparison(
        votes([("pay", 1), ("menu", -1)]),
        scores=pd.concat(
            [
                scores(("zz_unmapped", "csat", 3, 100.0, 43.8, 100.0), ("pay", "nps", 3, 0.0, -50.0, 50.0)),
                # other groupings of survey_scores are ignored
                pd.DataFrame(
                    [
                        {
                            "group_by": "stage",
                            "group": "pay",
                            "metric": "nps",
                            "n": 9,
                            "value": 90.0,
                            "ci_low": 80.0,
                            "ci_high": 100.0,
                        }
                    ]
                ),
            ]
        ),
        touchpoints=["menu", "order", "pay"],
    )
    assert list(out.columns) == COLUMNS
    assert out["touchpoint"].tolist() == ["menu", "order", "pay", "zz_unmapped"]
    assert only(out, "order")[["voted_n", "measured_n"]].tolist() == [0, 0]
    assert only(out, "pay")[["voted", "measured", "gap"]].tolist() == [1.0, 0.0, -1.0]
    assert out.dtypes.to_dict() == {
        "touchpoint": "string",
        "voted": "float64",
        "voted_n": "int64",
        "voted_ci_low": "float64",
        "voted_ci_high": "float64",
        "measured": "float64",
        "measured_n": "int64",
        "measured_ci_low": "float64",
        "measured_ci_high": "float64",
        "measured_from": "string",
        "gap": "float64",
    }


def test_custom_questions_and_empty_groups_are_not_signals() -> None:
    out = emotion_comparison(
        votes([]),
        scores=scores(("tp", "taste", 30, 8.0, 7.5, 8.5)),
        sentiment=sentiment(("tp", 0, NAN, NAN, NAN), (None, 4, 0.5, 0.1, 0.9)),
        touchpoints=["tp"],
    )
    assert out["touchpoint"].tolist() == ["tp"]
    assert only(out, "tp")["measured_n"] == 0


def test_nothing_at_all_gives_the_columns() -> None:
    out = emotion_comparison(None)
    assert out.empty and list(out.columns) == COLUMNS


def test_bad_votes_are_reported_together() -> None:
    with pytest.raises(ValidationFailed) as info:
        emotion_comparison(votes([("a", 1), ("a", 3), ("", 0), ("b", None), ("b", -2.5)]))
    got = [(p.column, p.reason, p.rows) for p in info.value.problems]
    assert got == [
        ("touchpoint", "vote has no touchpoint", (3,)),
        ("emotion", "vote has no number", (4,)),
        ("emotion", "vote is out of range", (2, 5)),
    ]
    assert str(info.value).startswith("emotion votes: 3 problems:")


def test_votes_without_an_emotion_column_are_refused() -> None:
    with pytest.raises(ValidationFailed, match=r"column 'emotion': required column is missing; allowed: present"):
        emotion_comparison(pd.DataFrame({"touchpoint": ["a"], "score": [1]}))
