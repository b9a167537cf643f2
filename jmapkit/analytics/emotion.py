"""Measured vs voted emotion per touchpoint: where the room's belief and the data disagree.

The room votes on the −2..+2 scale. Each measured signal is put on the same scale by a fixed
linear map, and its 95 % CI by the same map:

=========  =================  ==========================================
signal     measured on        to −2..+2
=========  =================  ==========================================
sentiment  mean in −1..1      2 · mean
NPS        −100..100          NPS / 50
CSAT       % satisfied 0..100 CSAT / 25 − 2
CES        mean on 1..7       (4 − CES) · 2 / 3   (lower effort is better)
=========  =================  ==========================================

Several signals for one touchpoint are averaged with equal weight, and so are their CI ends
(conservative: as if their errors moved together). docs/survey.md has a worked example.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from jmapkit.errors import Problem, ValidationFailed

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["COLUMNS", "TO_EMOTION", "emotion_comparison"]

COLUMNS = [
    "touchpoint",
    "voted",
    "voted_n",
    "voted_ci_low",
    "voted_ci_high",
    "measured",
    "measured_n",
    "measured_ci_low",
    "measured_ci_high",
    "measured_from",
    "gap",
]
# Linear maps onto the room's −2..+2 scale, in the order signals are listed in measured_from.
TO_EMOTION: dict[str, Callable[[float], float]] = {
    "nps": lambda v: v / 50,
    "csat": lambda v: v / 25 - 2,
    "ces": lambda v: (4 - v) * 2 / 3,
    "sentiment": lambda v: 2 * v,
}
LOW, HIGH = -2.0, 2.0


def emotion_comparison(
    votes: pd.DataFrame | None,
    *,
    scores: pd.DataFrame | None = None,
    sentiment: pd.DataFrame | None = None,
    touchpoints: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Per touchpoint: the room's mean vote and the data's signals on the same −2..+2 scale, with 95 % CIs and the gap.

    `votes`: touchpoint, emotion (one row per vote). `scores`: survey_scores output grouped by
    touchpoint. `sentiment`: touchpoint, n, mean, ci_low, ci_high. `touchpoints` fixes the rows and
    their order (the map's touchpoints); touchpoints only found in the inputs follow, sorted.
    Columns: see COLUMNS; gap = measured − voted, NaN where either is missing.
    """
    import pandas as pd

    voted = _voted(votes)
    signals = _signals(scores, sentiment)
    seen = set(voted) | {tp for tp, _ in signals}
    order = list(dict.fromkeys(touchpoints or []))
    order += sorted(seen - set(order))
    rows = []
    for tp in order:
        v_n, v_mean, v_low, v_high = voted.get(tp, (0, math.nan, math.nan, math.nan))
        found = [(name, signals[(t, name)]) for t, name in signals if t == tp]
        found.sort(key=lambda item: list(TO_EMOTION).index(item[0]))
        m_n, m_value, m_low, m_high, m_from = _combine(found)
        rows.append(
            {
                "touchpoint": tp,
                "voted": v_mean,
                "voted_n": v_n,
                "voted_ci_low": v_low,
                "voted_ci_high": v_high,
                "measured": m_value,
                "measured_n": m_n,
                "measured_ci_low": m_low,
                "measured_ci_high": m_high,
                "measured_from": m_from,
                "gap": m_value - v_mean,
            }
        )
    out = pd.DataFrame(rows, columns=COLUMNS)
    floats = [c for c in COLUMNS if c not in ("touchpoint", "voted_n", "measured_n", "measured_from")]
    return out.astype(
        {"touchpoint": "string", "measured_from": "string", "voted_n": "int64", "measured_n": "int64"}
        | dict.fromkeys(floats, "float64")
    )


def _voted(votes: pd.DataFrame | None) -> dict[str, tuple[int, float, float, float]]:
    """Touchpoint → (n, mean, CI low, CI high) of the room's votes; every bad vote is reported together."""
    import pandas as pd

    if votes is None or len(votes) == 0:
        return {}
    missing = [c for c in ("touchpoint", "emotion") if c not in votes.columns]
    if missing:
        raise ValidationFailed(
            "emotion votes",
            [
                Problem(column=c, reason="required column is missing", allowed=f"present: {list(votes.columns)}")
                for c in missing
            ],
        )
    frame = votes.reset_index(drop=True)
    emotion = pd.to_numeric(frame["emotion"], errors="coerce")
    tp = frame["touchpoint"].astype("string").str.strip()
    problems = []
    checks = [
        ("touchpoint", tp.isna() | (tp == ""), "vote has no touchpoint", "a touchpoint id from step 3"),
        ("emotion", emotion.isna(), "vote has no number", "numbers −2..+2"),
        ("emotion", (emotion < LOW) | (emotion > HIGH), "vote is out of range", "numbers −2..+2"),
    ]
    for column, bad, reason, allowed in checks:
        if bad.any():
            where = bad[bad].index
            # Votes are numbered from 1 in the order given (a vote log has no spreadsheet rows).
            problems.append(
                Problem(
                    column=column,
                    reason=reason,
                    rows=tuple(int(i) + 1 for i in where),
                    value=frame.loc[where[0], column],
                    allowed=allowed,
                )
            )
    if problems:
        raise ValidationFailed("emotion votes", problems, fix="correct or remove the listed votes.")
    result = {}
    for key, values in emotion.groupby(tp, sort=True):
        result[str(key)] = _mean_ci(values.to_numpy(dtype=float))
    return result


def _mean_ci(values: Any) -> tuple[int, float, float, float]:
    from jmapkit.analytics.stats import t_quantile

    n = len(values)
    mean = float(values.mean())
    if n < 2:  # one vote has no spread to estimate
        return n, mean, math.nan, math.nan
    half = t_quantile(0.975, n - 1) * float(values.std(ddof=1)) / math.sqrt(n)
    return n, mean, max(mean - half, LOW), min(mean + half, HIGH)


def _signals(scores: pd.DataFrame | None, sentiment: pd.DataFrame | None) -> dict[tuple[str, str], tuple]:
    """(touchpoint, signal) → (n, value, CI low, CI high) on the −2..+2 scale."""
    found: dict[tuple[str, str], tuple] = {}
    if scores is not None and len(scores):
        table = scores[scores["group_by"] == "touchpoint"] if "group_by" in scores.columns else scores
        for r in table.itertuples(index=False):
            if r.metric in ("nps", "csat", "ces") and not _missing(r.group) and r.n > 0:
                found[(str(r.group), r.metric)] = _mapped(r.metric, int(r.n), r.value, r.ci_low, r.ci_high)
    if sentiment is not None and len(sentiment):
        for r in sentiment.itertuples(index=False):
            if not _missing(r.touchpoint) and r.n > 0 and not _missing(r.mean):
                found[(str(r.touchpoint), "sentiment")] = _mapped("sentiment", int(r.n), r.mean, r.ci_low, r.ci_high)
    return found


def _mapped(signal: str, n: int, value: float, low: Any, high: Any) -> tuple[int, float, float, float]:
    f = TO_EMOTION[signal]
    ends = (math.nan, math.nan) if _missing(low) or _missing(high) else sorted((f(float(low)), f(float(high))))
    # A decreasing map (CES) swaps the ends; the clip only bites on an interval that left its own scale.
    return n, f(float(value)), max(ends[0], LOW), min(ends[1], HIGH)


def _combine(found: list[tuple[str, tuple]]) -> tuple[int, float, float, float, str | None]:
    if not found:
        return 0, math.nan, math.nan, math.nan, None
    k = len(found)
    n = sum(s[0] for _, s in found)
    value = sum(s[1] for _, s in found) / k
    # Equal weights: the signals measure different things, so none outranks another by its n.
    low = sum(s[2] for _, s in found) / k
    high = sum(s[3] for _, s in found) / k
    return n, value, low, high, ", ".join(name for name, _ in found)


def _missing(value: Any) -> bool:
    import pandas as pd

    return bool(pd.isna(value))
