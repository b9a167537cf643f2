"""Straightforward pandas versions of the metric definitions in DESIGN.md, written apart from jmapkit.

Tests compare jmapkit's Ibis results with these; they share no code with the package.
"""

from __future__ import annotations

import math

import pandas as pd


def ordered_funnel(events: pd.DataFrame, stage_order: list[str]) -> pd.DataFrame:
    """events: customer_id, timestamp (datetime), stage. One loop per customer, as a person would do it."""
    reached = {s: 0 for s in stage_order}
    hours: dict[str, list[float]] = {s: [] for s in stage_order}
    for _, rows in events.groupby("customer_id"):
        anchor = None
        for k, stage in enumerate(stage_order):
            times = rows.loc[rows["stage"] == stage, "timestamp"]
            if anchor is not None:
                times = times[times >= anchor]
            if times.empty:
                break
            first = times.min()
            if k > 0:
                hours[stage].append((first - anchor).total_seconds() / 3600)
            reached[stage] += 1
            anchor = first
    first_count = reached[stage_order[0]]
    out = []
    for k, stage in enumerate(stage_order):
        prev = reached[stage_order[k - 1]] if k else None
        h = pd.Series(hours[stage], dtype=float)
        out.append({
            "stage": stage,
            "reached": reached[stage],
            "conversion_from_previous": (reached[stage] / prev if prev else None) if k else 1.0,
            "conversion_from_first": reached[stage] / first_count if first_count else None,
            "median_hours": h.quantile(0.5) if len(h) else None,
            "p90_hours": h.quantile(0.9) if len(h) else None,
        })
    return pd.DataFrame(out)


def nps(scores: list[float]) -> tuple[int, float, float, float]:
    """(n, NPS, CI low, CI high) with the variance formula of DESIGN.md."""
    n = len(scores)
    p_pro = sum(s >= 9 for s in scores) / n
    p_det = sum(s <= 6 for s in scores) / n
    value = (p_pro - p_det) * 100
    se = math.sqrt((p_pro + p_det - (p_pro - p_det) ** 2) / n) * 100
    return n, value, value - 1.96 * se, value + 1.96 * se


def csat(scores: list[float]) -> tuple[int, float]:
    return len(scores), 100 * sum(s >= 4 for s in scores) / len(scores)
