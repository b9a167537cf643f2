"""Straightforward pandas versions of the metric definitions in docs/design.md, written apart from jmapkit.

Tests compare jmapkit's Ibis results with these; they share no code with the package.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

FUNNEL_COLUMNS = ["stage", "reached", "conversion_from_previous", "conversion_from_first", "median_hours",
                  "p90_hours", "entered_here", "dropped"]


class Reference:
    """docs/design.md's behaviour definitions as one would do them by hand: one customer at a time, in plain pandas.

    Events must have customer_id, timestamp and stage (and touchpoint for sequences, paths, transitions
    and touchpoints). Events at the same timestamp are ordered by stage (journey order; unknown stages
    last), then by touchpoint name.
    """

    def __init__(self, frame: pd.DataFrame, order: list[str]) -> None:
        self.frame = frame.reset_index(drop=True)
        self.order = order
        rank = {s: i for i, s in enumerate(order)}
        self.frame["_rank"] = [rank.get(s, len(order)) for s in self.frame["stage"]]

    def funnel(self, by: str | None = None) -> pd.DataFrame:
        """The ordered funnel: stage k is reached at the first stage-k event at or after the stage k-1 anchor."""
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
        return pd.DataFrame(rows, columns=[*([by] if by else []), *FUNNEL_COLUMNS])

    def sequences(self) -> dict[str, list[str]]:
        """Each customer's touchpoints in order, consecutive repeats collapsed."""
        out = {}
        for customer, own in self.frame.groupby("customer_id"):
            ordered = own.sort_values(["timestamp", "_rank", "touchpoint"])["touchpoint"].tolist()
            out[customer] = [tp for i, tp in enumerate(ordered) if i == 0 or ordered[i - 1] != tp]
        return out

    def paths(self, top: int) -> pd.DataFrame:
        """The `top` most frequent sequences (ties by path text) with steps, customers and share of all."""
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
        """Directly-follows pairs of the collapsed sequences: count, customers, share of the source's pairs."""
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
        """Per touchpoint: events, customers, share of all customers, share whose last touchpoint it is."""
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


def ordered_funnel(events: pd.DataFrame, stage_order: list[str]) -> pd.DataFrame:
    """events: customer_id, timestamp (datetime), stage. The funnel table of Reference.funnel."""
    return Reference(events, stage_order).funnel()


def nps(scores: list[float]) -> tuple[int, float, float, float]:
    """(n, NPS, CI low, CI high) with the variance formula of docs/design.md."""
    n = len(scores)
    p_pro = sum(s >= 9 for s in scores) / n
    p_det = sum(s <= 6 for s in scores) / n
    value = (p_pro - p_det) * 100
    se = math.sqrt((p_pro + p_det - (p_pro - p_det) ** 2) / n) * 100
    return n, value, value - 1.96 * se, value + 1.96 * se


def csat(scores: list[float]) -> tuple[int, float]:
    return len(scores), 100 * sum(s >= 4 for s in scores) / len(scores)


# --- tests of a change between two runs (scipy where it has the test; written apart from jmapkit.analytics.stats) ---


def two_proportion_p(x1: int, n1: int, x2: int, n2: int) -> float:
    """The pooled two-proportion z-test's p-value, as the χ² test of the 2×2 table without continuity correction."""
    from scipy.stats import chi2_contingency

    table = [[x1, n1 - x1], [x2, n2 - x2]]
    return float(chi2_contingency(table, correction=False).pvalue)


def nps_difference_p(scores_a: list[float], scores_b: list[float]) -> float:
    """Two-sided p of NPS_b − NPS_a with each NPS's variance from docs/design.md, from the raw answers."""
    from scipy.stats import norm

    def part(scores: list[float]) -> tuple[float, float]:
        n = len(scores)
        pro, det = sum(s >= 9 for s in scores) / n, sum(s <= 6 for s in scores) / n
        return pro - det, (pro + det - (pro - det) ** 2) / n

    (va, var_a), (vb, var_b) = part(scores_a), part(scores_b)
    return float(2 * norm.sf(abs(vb - va) / math.sqrt(var_a + var_b)))


def welch_p(values_a: list[float], values_b: list[float]) -> float:
    from scipy.stats import ttest_ind

    return float(ttest_ind(values_b, values_a, equal_var=False).pvalue)


def holm_rejects(p_values: list[float], alpha: float) -> set[int]:
    """Holm's step-down procedure: reject in order of p while p_(k) ≤ alpha / (m − k); stop at the first that is not."""
    m = len(p_values)
    rejected: set[int] = set()
    for k, i in enumerate(sorted(range(m), key=lambda j: p_values[j])):
        if p_values[i] > alpha / (m - k):
            break
        rejected.add(i)
    return rejected


def room_tally(sent: list[tuple[str, str, int]]) -> dict[str, dict[str, object]]:
    """Per touchpoint: n, mean and votes per face (-2..2) from (device, touchpoint, emotion) in the order sent,
    where only each device's last vote on a touchpoint counts."""
    last: dict[tuple[str, str], int] = {}
    for device, touchpoint, emotion in sent:
        last[(device, touchpoint)] = emotion
    out: dict[str, dict[str, object]] = {}
    for (_, touchpoint), emotion in last.items():
        entry = out.setdefault(touchpoint, {"n": 0, "sum": 0, "counts": {f: 0 for f in (-2, -1, 0, 1, 2)}})
        entry["n"] += 1  # type: ignore[operator]
        entry["sum"] += emotion  # type: ignore[operator]
        entry["counts"][emotion] += 1  # type: ignore[index]
    for entry in out.values():
        entry["mean"] = entry.pop("sum") / entry["n"]  # type: ignore[operator]
    return out
