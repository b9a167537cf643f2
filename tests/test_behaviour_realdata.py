"""The behaviour analytics on real purchases (CDNOW, shipped by lifetimes 0.11.3) against plain pandas.

A customer's purchase days become ordered events: the 1st is `first_purchase` (stage first), the 2nd
`repeat_purchase` (stage repeat), every later one `loyal_purchase` (stage loyal). Several rows on one
day are one visit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jmapkit import analytics
from tests import realdata

STAGES = {"first_purchase": "first", "repeat_purchase": "repeat", "loyal_purchase": "loyal"}
pytestmark = pytest.mark.slow


def cdnow_events() -> pd.DataFrame:
    raw = realdata.cdnow()
    days = raw.drop_duplicates(["customer_id", "date"]).sort_values(["customer_id", "date"])
    number = days.groupby("customer_id").cumcount() + 1
    return pd.DataFrame({
        "customer_id": days["customer_id"].to_numpy(),
        "timestamp": pd.to_datetime(days["date"], format="%Y%m%d").to_numpy(),
        "touchpoint": np.select([number == 1, number == 2], ["first_purchase", "repeat_purchase"], "loyal_purchase"),
    })


@pytest.fixture(scope="module")
def events() -> pd.DataFrame:
    return cdnow_events()


@pytest.fixture(scope="module")
def visits(events: pd.DataFrame) -> pd.Series:
    """Purchase days per customer, the independent basis of every expected number below."""
    return events.groupby("customer_id").size()


def test_cdnow_is_the_real_file() -> None:
    raw = realdata.cdnow()
    assert len(raw) == 69_659 and raw["customer_id"].nunique() == 23_570


def test_funnel_matches_pandas(events: pd.DataFrame, visits: pd.Series) -> None:
    f = analytics.funnel(events, stages=STAGES)
    expected = [len(visits), int((visits >= 2).sum()), int((visits >= 3).sum())]
    assert f["reached"].tolist() == expected
    assert f["entered_here"].tolist() == [len(visits), 0, 0]
    assert f["conversion_from_first"].tolist() == pytest.approx([1.0, expected[1] / expected[0],
                                                                  expected[2] / expected[0]])
    by_customer = events.sort_values(["customer_id", "timestamp"]).groupby("customer_id")["timestamp"]
    gaps = by_customer.apply(lambda t: (t.iloc[1] - t.iloc[0]).total_seconds() / 3600 if len(t) > 1 else np.nan)
    assert f["median_hours"].iloc[1] == pytest.approx(gaps.dropna().median())
    assert f["p90_hours"].iloc[1] == pytest.approx(gaps.dropna().quantile(0.9))
    gaps3 = by_customer.apply(lambda t: (t.iloc[2] - t.iloc[1]).total_seconds() / 3600 if len(t) > 2 else np.nan)
    assert f["median_hours"].iloc[2] == pytest.approx(gaps3.dropna().median())


def test_touchpoints_match_pandas(events: pd.DataFrame, visits: pd.Series) -> None:
    t = analytics.touchpoints(events, stages=STAGES).set_index("touchpoint")
    counts = events["touchpoint"].value_counts()
    for tp in STAGES:
        assert t.loc[tp, "events"] == counts[tp]
    assert t.loc["repeat_purchase", "customers"] == (visits >= 2).sum()
    assert t.loc["first_purchase", "dropoff_after"] == pytest.approx((visits == 1).sum() / len(visits))
    assert t.loc["repeat_purchase", "dropoff_after"] == pytest.approx((visits == 2).sum() / (visits >= 2).sum())
    assert t.loc["loyal_purchase", "dropoff_after"] == 1.0


def test_paths_and_transitions_match_pandas(events: pd.DataFrame, visits: pd.Series) -> None:
    p = analytics.paths(events, top=5).set_index("path")
    assert p.loc["first_purchase", "customers"] == (visits == 1).sum()
    assert p.loc["first_purchase → repeat_purchase", "customers"] == (visits == 2).sum()
    assert p.loc["first_purchase → repeat_purchase → loyal_purchase", "customers"] == (visits >= 3).sum()
    assert len(p) == 3
    t = analytics.transitions(events)
    assert t[["source", "target", "count"]].values.tolist() == [
        ["first_purchase", "repeat_purchase", int((visits >= 2).sum())],
        ["repeat_purchase", "loyal_purchase", int((visits >= 3).sum())],
    ]
