"""What moved between two runs: step-4 numbers (each with a test where one applies) and step-5 entries.

A number is a *significant* change only when a test says so: a two-proportion z-test for
conversions and CSAT (top-2-box share), a z-test on the difference for NPS, Welch's t-test for
means (CES, custom questions). The p-values of one comparison are Holm-adjusted together, so a
diff of fifty numbers does not flag a few by chance. Counts (reached, n) and medians have no test:
they are listed as moved, never as significant. The rules are in docs/rerunning.md.

>>> changes = compare(before, after)  # doctest: +SKIP
>>> [c.describe() for c in changes if c.significant]  # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from typing import Any

from jmapkit.analytics import stats
from jmapkit.model import BehaviourResults, FunnelRow, Map, ScoreRow

SHARES = ("conversion_from_previous", "conversion_from_first")


@dataclass(frozen=True)
class Change:
    """One value that differs between two runs, with the test that judged it (if any)."""

    step: int
    table: str  # inputs | funnel | scores | pain_points | opportunities | kpis
    key: str  # e.g. "purchase" or "touchpoint=payment csat"
    field: str
    before: object
    after: object
    test: str | None = None
    statistic: float | None = None
    p_value: float | None = None
    p_adjusted: float | None = None  # Holm-adjusted over every test of the same comparison

    @property
    def significant(self) -> bool:
        """True only when a test found the change (Holm-adjusted p below stats.ALPHA)."""
        return self.p_adjusted is not None and self.p_adjusted < stats.ALPHA

    def describe(self) -> str:
        """One line: what moved, from what to what, and what the test said."""
        text = f"{self.table} {self.key} {self.field}: {_fmt(self.before, self.field)} → {_fmt(self.after, self.field)}"
        if self.test and self.p_value is not None:
            verdict = "significant" if self.significant else "not significant"
            text += f" ({verdict}: {self.test}, p {_p(self.p_value)})"
        return text


def compare(
    before: BehaviourResults | None,
    after: BehaviourResults | None,
    map_before: Map | None = None,
    map_after: Map | None = None,
) -> list[Change]:
    """Every step-4 and step-5 difference between two runs: significant first (smallest p), then the rest."""
    changes: list[Change] = []
    if before is not None and after is not None:
        changes += _inputs(before, after) + _funnel(before.funnel, after.funnel) + _scores(before.scores, after.scores)
    if map_before is not None and map_after is not None:
        changes += _map(map_before, map_after)
    return _ranked(_adjusted(changes))


def as_records(changes: Iterable[Change]) -> list[dict[str, Any]]:
    """JSON-ready dicts (run.json, `jmapkit diff --format json`), with `significant` spelled out."""
    return [{**asdict(c), "significant": c.significant} for c in changes]


def significant(changes: Iterable[Change]) -> list[Change]:
    """Only the changes a test found significant."""
    return [c for c in changes if c.significant]


def summary(changes: list[Change], since: str, *, limit: int | None = None) -> list[str]:
    """The lines of "What changed" (jmapkit run, jmapkit diff): a heading, then significant changes first, marked *."""
    if not changes:
        return [f"Nothing changed since {since}."]
    found = len(significant(changes))
    lines = [f"What changed since {since}: {found} significant of {len(changes)} change{_s(len(changes))} "
             f"(* = significant at {stats.ALPHA:g} by its test, Holm-adjusted)"]
    shown = changes if limit is None else changes[:limit]
    lines += [f"  {'*' if c.significant else ' '} {c.describe()}" for c in shown]
    if len(shown) < len(changes):
        lines.append(f"  ... and {len(changes) - len(shown)} more")
    return lines


# --- step 4 ------------------------------------------------------------------------------------------


def _inputs(before: BehaviourResults, after: BehaviourResults) -> list[Change]:
    out = []
    for name in sorted(set(before.inputs) | set(after.inputs)):
        old, new = before.inputs.get(name), after.inputs.get(name)
        if (old and old.sha256) != (new and new.sha256):
            out.append(Change(4, "inputs", name, "file", _file(old), _file(new)))
    return out


def _file(ref: Any) -> str | None:
    return f"{ref.path} ({ref.sha256[:8]})" if ref is not None else None


def _funnel(before: list[FunnelRow], after: list[FunnelRow]) -> list[Change]:
    old, new = _by_stage(before), _by_stage(after)
    out = []
    for stage in _keys(old, new):
        a, b = old.get(stage), new.get(stage)
        if a is None or b is None:
            out.append(Change(4, "funnel", stage, "stage", "—" if a is None else "present",
                              "—" if b is None else "present"))
            continue
        row_a, base_a, first_a = a
        row_b, base_b, first_b = b
        if row_a.reached != row_b.reached:
            out.append(Change(4, "funnel", stage, "reached", row_a.reached, row_b.reached))
        bases = {"conversion_from_previous": (base_a, base_b), "conversion_from_first": (first_a, first_b)}
        for field, (na, nb) in bases.items():
            va, vb = getattr(row_a, field), getattr(row_b, field)
            if va == vb:
                continue
            test = stats.two_proportion(row_a.reached, na, row_b.reached, nb) if na and nb else None
            out.append(_tested(Change(4, "funnel", stage, field, va, vb), test))
        if row_a.median_hours != row_b.median_hours:
            out.append(Change(4, "funnel", stage, "median_hours", row_a.median_hours, row_b.median_hours))
    return out


def _by_stage(rows: list[FunnelRow]) -> dict[str, tuple[FunnelRow, int, int]]:
    """Stage → (row, customers who reached the stage before, customers who reached the first stage)."""
    out = {}
    first = rows[0].reached if rows else 0
    for i, row in enumerate(rows):
        out[row.stage] = (row, rows[i - 1].reached if i else 0, first)
    return out


def _scores(before: list[ScoreRow], after: list[ScoreRow]) -> list[Change]:
    old = {f"{r.group_by}={r.group} {r.metric}": r for r in before}
    new = {f"{r.group_by}={r.group} {r.metric}": r for r in after}
    out = []
    for key in _keys(old, new):
        a, b = old.get(key), new.get(key)
        if a is None or b is None:
            out.append(Change(4, "scores", key, "value", a.value if a else None, b.value if b else None))
            continue
        if a.n != b.n:
            out.append(Change(4, "scores", key, "n", a.n, b.n))
        if a.value != b.value:
            out.append(_tested(Change(4, "scores", key, "value", a.value, b.value), score_test(a, b)))
    return out


def score_test(a: ScoreRow, b: ScoreRow) -> stats.Test | None:
    """The test for one survey metric in two runs, from the saved value, n and 95 % CI; None when n is too small."""
    if a.metric == "csat":
        # CSAT is the share of 4–5 answers: the count is exact from value and n.
        return stats.two_proportion(round(a.value * a.n / 100), a.n, round(b.value * b.n / 100), b.n)
    se_a, se_b = _half_width(a), _half_width(b)
    if se_a is None or se_b is None:
        return None
    if a.metric == "nps":
        return stats.difference(a.value, se_a / stats.Z95, b.value, se_b / stats.Z95)
    # A mean's CI is t(0.975, n−1)·sd/√n, so the CI gives back the standard deviation.
    sd_a = se_a * math.sqrt(a.n) / stats.t_quantile(0.975, a.n - 1)
    sd_b = se_b * math.sqrt(b.n) / stats.t_quantile(0.975, b.n - 1)
    return stats.welch(a.value, sd_a, a.n, b.value, sd_b, b.n)


def _half_width(row: ScoreRow) -> float | None:
    """The CI's half width; a CI clipped at its scale's end keeps its other side whole, so take the wider side."""
    if row.n < 2 or row.ci_low is None or row.ci_high is None or _nan(row.ci_low) or _nan(row.ci_high):
        return None
    return max(row.value - row.ci_low, row.ci_high - row.value)


# --- step 5 ------------------------------------------------------------------------------------------


def _map(before: Map, after: Map) -> list[Change]:
    out = []
    pains_a = {f"{p.touchpoint}: {p.description}": p for p in before.pain_points}
    pains_b = {f"{p.touchpoint}: {p.description}": p for p in after.pain_points}
    out += _entries("pain_points", pains_a, pains_b, ("severity", "frequency", "owner", "fix"))
    opps_a = {o.description: o for o in before.opportunities}
    opps_b = {o.description: o for o in after.opportunities}
    out += _entries("opportunities", opps_a, opps_b, ("touchpoint", "stage", "owner"))
    kpis_a = {f"{k.stage}: {k.name}": k for k in before.kpis}
    kpis_b = {f"{k.stage}: {k.name}": k for k in after.kpis}
    out += _entries("kpis", kpis_a, kpis_b, ("baseline", "target", "owner", "data_source"))
    return out


def _entries(table: str, old: dict[str, Any], new: dict[str, Any], fields: tuple[str, ...]) -> list[Change]:
    out = []
    for key in _keys(old, new):
        a, b = old.get(key), new.get(key)
        if a is None or b is None:
            out.append(Change(5, table, key, "entry", "—" if a is None else "present", "—" if b is None else "present"))
            continue
        out += [Change(5, table, key, f, getattr(a, f), getattr(b, f))
                for f in fields if getattr(a, f) != getattr(b, f)]
    return out


# --- helpers -----------------------------------------------------------------------------------------


def _tested(change: Change, test: stats.Test | None) -> Change:
    if test is None:
        return change
    return replace(change, test=test.name, statistic=round(test.statistic, 6), p_value=test.p_value)


def _adjusted(changes: list[Change]) -> list[Change]:
    tested = [i for i, c in enumerate(changes) if c.p_value is not None]
    adjusted = stats.holm([changes[i].p_value for i in tested])  # type: ignore[misc]
    out = list(changes)
    for i, p in zip(tested, adjusted, strict=True):
        out[i] = replace(out[i], p_adjusted=p)
    return out


def _ranked(changes: list[Change]) -> list[Change]:
    """Significant changes first, most certain first; then the rest in table order."""
    found = sorted((c for c in changes if c.significant), key=lambda c: c.p_value or 0.0)
    return found + [c for c in changes if not c.significant]


def _keys(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    return list(old) + [k for k in new if k not in old]


def _nan(value: float) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _fmt(value: object, field: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        if field in SHARES:
            return f"{100 * value:.1f} %"
        return f"{value:.4g}"
    return str(value)


def _s(n: int) -> str:
    return "" if n == 1 else "s"


def _p(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"= {p:.3f}"
