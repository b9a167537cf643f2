"""Survey scores per touchpoint, stage or segment: NPS, CSAT, CES and custom means, each with n and a 95 % CI.

The scores are Ibis aggregations (DuckDB by default, PySpark for clusters): only one row per
(group, question) comes back. Out-of-range scores are never clipped: every bad row is reported
together in one `ValidationFailed`. The rules, with worked examples, are in docs/survey.md.

>>> from jmapkit.analytics import survey_scores
>>> survey_scores("data/survey.csv", by=["touchpoint", "all"])  # doctest: +SKIP
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from jmapkit.analytics.backend import fetch
from jmapkit.errors import JmapkitError, Problem, ProblemCode, ValidationFailed
from jmapkit.io.validate import CATEGORY_SCALES, SCALES

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import pandas as pd

__all__ = ["BY", "KINDS", "SCALES", "survey_scores"]

BY = ("touchpoint", "stage", "segment", "all")
KINDS = ("nps", "csat", "ces", "custom")
COLUMNS = ["group_by", "group", "metric", "n", "value", "ci_low", "ci_high"]
Z = 1.96  # two-sided 95 % normal quantile, as docs/design.md writes it
# Why a row cannot be scored: key → (column, reason, code). The key travels through the query; the
# words are only for people.
_REASONS: dict[str, tuple[str, str, ProblemCode]] = {
    "no_question": ("question", "question is empty", "empty_value"),
    "no_score": ("score", "score is missing", "empty_value"),
    "not_finite": ("score", "score is not a finite number", "not_finite"),
    "out_of_range": ("score", "score is out of range", "out_of_range"),
    "not_whole_number": ("score", "score is not a whole number", "not_whole_number"),
}
_ROWS_SHOWN = 20  # row numbers listed per problem; the count says how many there are in all


def survey_scores(
    survey: Any,
    by: str | Sequence[str] = "touchpoint",
    *,
    questions: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """One row per (group, metric) with n, value and a 95 % CI; `by` may list several groupings, stacked.

    `survey` is a path, a pandas DataFrame or an Ibis table in the canonical long shape
    (respondent_id, touchpoint and/or stage, question, score, optional segment, _row).
    `questions` maps a team's own question names to a kind (nps, csat, ces or custom), e.g.
    ``{"recommend": "nps"}``; the questions nps, csat and ces are recognised without it.
    Columns: group_by, group, metric, n, value, ci_low, ci_high (CI NaN where there is none).
    """
    from jmapkit.analytics.backend import as_table

    table = as_table(survey, "survey")
    source = str(survey) if isinstance(survey, (str, os.PathLike)) else "survey"
    groupings = _groupings(by)
    kinds = _kinds(questions)
    _require_columns(table, groupings, source)
    table = table.mutate(
        question=table.question.cast("string").strip().lower(),
        score=table.score.cast("float64"),
    )
    counts = fetch(table.group_by("question").aggregate(rows=table.count()))
    present = [q for q in counts["question"].tolist() if q is not None and not _blank(q)]
    metric_of = _metrics(present, kinds)
    table = table.mutate(kind=_case(table.question, {q: kinds.get(q, "custom") for q in present}, "custom"))
    table = table.mutate(metric=_case(table.question, metric_of, None))
    _validate(table, metric_of, kinds, source)
    return _aggregate(table, groupings)


def _groupings(by: str | Sequence[str]) -> list[str]:
    groupings = [by] if isinstance(by, str) else list(by)
    unknown = [b for b in groupings if b not in BY]
    if unknown or not groupings:
        raise JmapkitError(
            f"survey scores cannot be grouped by {unknown or by!r}.",
            fix=f"use one of {list(BY)}, or a list of them.",
        )
    # A repeated grouping would stack the same rows twice.
    return list(dict.fromkeys(groupings))


def _kinds(questions: Mapping[str, str] | None) -> dict[str, str]:
    kinds = {k: k for k in SCALES}
    bad = []
    for name, kind in (questions or {}).items():
        key, value = str(name).strip().lower(), str(kind).strip().lower()
        if value not in KINDS:
            bad.append(f"{name!r}: {kind!r}")
        kinds[key] = value
    if bad:
        raise JmapkitError(
            f"unknown question kind in questions= ({', '.join(bad)}).",
            fix=f"map each question to one of {list(KINDS)}.",
        )
    return kinds


def _metrics(present: list[str], kinds: dict[str, str]) -> dict[str, str]:
    """Question in the data → metric name: the kind for standard scales, the question's own name for custom."""
    metric_of = {q: (kinds.get(q, "custom") if kinds.get(q, "custom") in SCALES else q) for q in present}
    clashes: dict[str, list[str]] = {}
    for q, m in metric_of.items():
        clashes.setdefault(m, []).append(q)
    clashes = {m: sorted(qs) for m, qs in clashes.items() if len(qs) > 1}
    if clashes:
        # Pooling two questions into one score would hide that they were asked differently.
        listed = "; ".join(f"{', '.join(map(repr, qs))} all count as {m!r}" for m, qs in sorted(clashes.items()))
        raise JmapkitError(
            f"several survey questions map to the same metric: {listed}.",
            where="survey column 'question'",
            fix="keep one question per metric (rename or drop the others), or map the others to 'custom'.",
        )
    return metric_of


def _require_columns(table: ir.Table, groupings: list[str], source: str) -> None:
    needed = ["question", "score"] + [g for g in groupings if g != "all"]
    present = list(table.columns)
    missing = [c for c in needed if c not in present]
    if missing:
        raise ValidationFailed(
            source,
            [Problem(column=c, reason="required column is missing", allowed=f"present: {present}",
                     code="missing_column") for c in missing],
            fix=f"add the column(s) {missing}, or group by one of the columns that are there.",
        )


def _case(column: ir.Value, mapping: Mapping[str, str], default: str | None) -> ir.Value:
    import ibis

    fallback = ibis.null("string") if default is None else ibis.literal(default, type="string")
    if not mapping:
        return fallback
    branches = [(column == key, ibis.literal(value, type="string")) for key, value in mapping.items()]
    return ibis.cases(*branches, else_=fallback)


def _validate(table: ir.Table, metric_of: dict[str, str], kinds: dict[str, str], source: str) -> None:
    """Raise ValidationFailed listing every row whose question or score cannot be scored."""
    import ibis

    score, kind = table.score, table.kind
    missing = score.isnull() | score.isnan()
    reasons = [
        (table.question.isnull() | (table.question == ""), "no_question"),
        (missing, "no_score"),
        (score.isinf(), "not_finite"),
    ]
    for name, (low, high) in SCALES.items():
        reasons.append(((kind == name) & ((score < low) | (score > high)), "out_of_range"))
        if name in CATEGORY_SCALES:  # a CES is a mean: an averaged answer (2.5) counts as it is
            reasons.append(((kind == name) & (score != score.floor()), "not_whole_number"))
    reason = ibis.cases(*[(cond, ibis.literal(text)) for cond, text in reasons], else_=ibis.null("string"))
    bad = table.mutate(reason=reason).filter(ibis._.reason.notnull())
    has_row = "_row" in table.columns
    window = ibis.window(group_by=[bad.question, bad.reason], order_by=[bad._row] if has_row else [])
    bad = bad.mutate(_rank=ibis.row_number().over(window), _count=bad.reason.count().over(window))
    keep = ["question", "kind", "reason", "score", "_count"] + (["_row"] if has_row else [])
    found = fetch(bad.filter(bad._rank < _ROWS_SHOWN).select(*keep))
    if found.empty:
        return
    problems = []
    order = ["question", "reason"] + (["_row"] if has_row else [])
    found = found.sort_values(order, na_position="first", kind="stable")
    for (question, key), rows in found.groupby(["question", "reason"], dropna=False, sort=False):
        column, text, code = _REASONS[key]
        count = int(rows["_count"].iloc[0])
        first = rows["score"].iloc[0]
        label = "" if _blank(question) else f"question {question!r}"
        if kinds.get(question) in SCALES and metric_of.get(question) != question:
            label += f" (scored as {kinds[question]})"
        problems.append(
            Problem(
                column=column,
                reason=f"{label}: {text}" if label else text,
                rows=tuple(int(r) for r in rows["_row"]) if has_row else (),
                value=None if _blank(first) else float(first),
                allowed=_allowed(rows["kind"].iloc[0], key),
                count=count,
                code=code,
            )
        )
    raise ValidationFailed(
        source,
        problems,
        fix="correct or remove the listed rows (scores are never clipped), or map the question to "
        "'custom' with questions= if it is on another scale.",
    )


def _allowed(kind: str, key: str) -> str:
    if key == "no_question":
        return "a question name such as nps, csat, ces"
    if kind in SCALES:
        low, high = SCALES[kind]
        return f"whole numbers {low}..{high} for {kind}"
    return "a finite number"


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or (isinstance(value, str) and not value)


def _aggregate(table: ir.Table, groupings: list[str]) -> pd.DataFrame:
    import ibis
    import pandas as pd

    parts = []
    for grouping in groupings:
        if grouping == "all":
            keyed = table.mutate(group=ibis.literal("all", type="string"))
        else:
            key = table[grouping].cast("string").strip()
            # Rows without a value here are left out of this grouping only; "all" still counts them.
            keyed = table.mutate(group=key).filter(key.notnull() & (key != ""))
        parts.append(
            keyed.group_by(["group", "metric", "kind"])
            .aggregate(
                n=keyed.count(),
                promoters=(keyed.score >= 9).ifelse(1, 0).sum(),
                detractors=(keyed.score <= 6).ifelse(1, 0).sum(),
                top_two=(keyed.score >= 4).ifelse(1, 0).sum(),
                mean=keyed.score.mean(),
                sd=keyed.score.std(how="sample"),
            )
            .mutate(group_by=ibis.literal(grouping, type="string"))
        )
    stacked = parts[0].union(*parts[1:]) if len(parts) > 1 else parts[0]
    raw = fetch(stacked)
    rows = [_score(r) for r in raw.itertuples(index=False)]
    out = pd.DataFrame(rows, columns=COLUMNS)
    out = out.astype(
        {
            "group_by": "string",
            "group": "string",
            "metric": "string",
            "n": "int64",
            "value": "float64",
            "ci_low": "float64",
            "ci_high": "float64",
        }
    )
    standard = {m: i for i, m in enumerate(SCALES)}
    out["_g"] = out["group_by"].map({g: i for i, g in enumerate(groupings)}).astype("int64")
    out["_m"] = out["metric"].map(lambda m: standard.get(m, len(standard))).astype("int64")
    out = out.sort_values(["_g", "group", "_m", "metric"], kind="stable").drop(columns=["_g", "_m"])
    return out.reset_index(drop=True)


def _score(r: Any) -> dict[str, Any]:
    """Value and 95 % CI for one aggregated row, by the metric definitions of docs/design.md."""
    n = int(r.n)
    nan = math.nan
    if r.kind == "nps":
        p_pro, p_det = r.promoters / n, r.detractors / n
        value = 100 * (p_pro - p_det)
        low = high = nan
        if n >= 2:  # one answer has no spread to estimate, so it gets no interval (as for means)
            # docs/design.md's variance; it is 0 when every answer is in one category, so the CI is a point.
            half = Z * math.sqrt(max(p_pro + p_det - (p_pro - p_det) ** 2, 0.0) / n) * 100
            low, high = max(value - half, -100.0), min(value + half, 100.0)
    elif r.kind == "csat":
        value = 100 * r.top_two / n
        low, high = _wilson(int(r.top_two), n)
    else:
        value = float(r.mean)
        low = high = nan
        if n >= 2:
            from jmapkit.analytics.stats import t_quantile

            half = t_quantile(0.975, n - 1) * float(r.sd) / math.sqrt(n)
            low, high = value - half, value + half
            if r.kind in SCALES:  # a mean cannot leave its scale; a custom question's scale is unknown
                low, high = max(low, SCALES[r.kind][0]), min(high, SCALES[r.kind][1])
    return {
        "group_by": r.group_by,
        "group": r.group,
        "metric": r.metric,
        "n": n,
        "value": value,
        "ci_low": low,
        "ci_high": high,
    }


def _wilson(k: int, n: int) -> tuple[float, float]:
    """Wilson score interval for k successes in n, in percent: stays inside 0..100 and is not empty at 0 % or 100 %."""
    p = k / n
    z2 = Z * Z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return 100 * max(centre - half, 0.0), 100 * min(centre + half, 1.0)
