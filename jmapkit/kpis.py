"""KPIs tied to the data: the value this run measured next to the team's baseline and target.

A KPI's `data_source` may name a step-4 metric instead of only a file:

| data_source | measured value |
|---|---|
| `csat@order_counter`, `survey:csat@Order at the counter` | CSAT (0–100) at a touchpoint, with its 95 % CI |
| `nps`, `ces@payment`, `csat@family`, `nps@Olivia` | a score overall, per touchpoint, stage, segment, persona |
| `conversion@retention` | % of the previous stage's customers who reached the stage |
| `reached@awareness`, `conversion_from_first@…`, `median_hours@…`, `p90_hours@…` | the funnel's columns |
| `dropoff@loyalty_app` | % of a touchpoint's customers for whom it was the last touchpoint |

`events`, `survey` or free text name no metric: the KPI then has no measured value, and says so.
A baseline *contradicts* the data when it lies outside the measured 95 % CI (or, for a metric without
a CI, differs from the measured value by more than 10 % of it); a target *does not improve* when it is
not better than the baseline, or already reached by the measured value, in the metric's direction
(higher is better except for CES, times and drop-off).

`kpi_status(bundle)` is the one place this comparison is made: the exports show it and `jmapkit check`
reports the same flags.

>>> from jmapkit.kpis import kpi_status
>>> [s.flags for s in kpi_status(bundle)]  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from jmapkit.i18n import _
from jmapkit.numbers import missing, number

if TYPE_CHECKING:
    from jmapkit.bundle import Bundle
    from jmapkit.model import KPI

FILES = ("events", "survey", "verbatims")
FUNNEL_METRICS = {"reached": "reached", "conversion": "conversion_from_previous",
                  "conversion_from_first": "conversion_from_first", "median_hours": "median_hours",
                  "p90_hours": "p90_hours"}
LOWER_IS_BETTER = {"ces", "median_hours", "p90_hours", "dropoff"}
PERCENT = {"conversion", "conversion_from_first", "dropoff"}  # fractions in the tables, % on a KPI
TOLERANCE = 0.10  # a metric without a CI: a baseline further than this share of the measured value contradicts it
CONTRADICTS, NOT_IMPROVING, REACHED, UNKNOWN = "baseline-contradicts", "target-not-improving", "target-reached", \
    "metric-unknown"


@dataclass(frozen=True)
class Measured:
    """A metric's value in this run (in the KPI's units: % as 0..100), with n and the 95 % CI where known."""

    metric: str
    group: str  # the group as the table names it ("all", a touchpoint id, a stage id, a segment)
    label: str  # the group for people
    value: float
    n: int | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    source: str = ""  # the step-4 input file it comes from


@dataclass
class KpiStatus:
    """One KPI with what this run measured and the flags of the comparison."""

    kpi: KPI
    metric: str | None = None  # the parsed metric, None when data_source names no metric
    group: str | None = None
    measured: Measured | None = None
    flags: dict[str, str] = field(default_factory=dict)  # flag → message for people

    @property
    def higher_is_better(self) -> bool:
        return self.metric not in LOWER_IS_BETTER

    @property
    def gap(self) -> float | None:
        """How far the measured value is from the target, positive when the target is still ahead."""
        if self.measured is None or self.kpi.target is None:
            return None
        diff = self.kpi.target - self.measured.value
        return diff if self.higher_is_better else -diff


def parse(data_source: str) -> tuple[str, str | None] | None:
    """('csat', 'order_counter') from 'survey: csat@order_counter'; None when it names only a file or nothing."""
    text = (data_source or "").strip()
    if not text:
        return None
    head, sep, rest = text.partition(":")
    if sep and head.strip().lower() in FILES:
        text = rest.strip()
    if not text or text.lower() in FILES:
        return None
    metric, at, group = text.partition("@")
    metric = metric.strip().lower()
    if not metric or " " in metric:
        return None  # free text ("POS system", "weekly report"): not a metric reference
    return metric, (group.strip() or None) if at else None


def kpi_status(bundle: Bundle) -> list[KpiStatus]:
    """Every KPI of step 5 with this run's measured value (when its data_source names a step-4 metric) and flags."""
    out = []
    for kpi in bundle.map.kpis:
        status = KpiStatus(kpi=kpi)
        parsed = parse(kpi.data_source)
        if parsed:
            status.metric, status.group = parsed
            status.measured = measure(bundle, *parsed)
        _compare(status)
        if parsed and status.measured is None and bundle.computed:
            status.flags[UNKNOWN] = _("“{source}” names no metric step 4 measured (see docs/exports.md for the "
                                      "forms, e.g. csat@order_counter).").format(source=kpi.data_source)
        out.append(status)
    return out


def measure(bundle: Bundle, metric: str, group: str | None) -> Measured | None:
    """The value of one metric for one group in this run's step-4 tables, or None when there is none."""
    if metric in FUNNEL_METRICS:
        return _funnel(bundle, metric, group)
    if metric == "dropoff":
        return _dropoff(bundle, group)
    return _score(bundle, metric, group)


# --- lookups -------------------------------------------------------------------------------------


def _names(bundle: Bundle) -> dict[str, tuple[str, str, str]]:
    """Any way a team may name a group (id, label, persona name; lower case) → (group_by, group, label)."""
    names: dict[str, tuple[str, str, str]] = {"all": ("all", "all", _("all respondents"))}
    for p in bundle.personas.personas:
        if p.segment:
            names[p.segment.lower()] = ("segment", p.segment, p.name)
            names[p.name.lower()] = ("segment", p.segment, p.name)
    for s in bundle.touchpoints.stages:
        names[s.id.lower()] = names[s.label.lower()] = ("stage", s.id, s.label)
    for t in bundle.touchpoints.touchpoints:
        names[t.id.lower()] = names[t.label.lower()] = ("touchpoint", t.id, t.label)
    return names


def _score(bundle: Bundle, metric: str, group: str | None) -> Measured | None:
    frame = bundle.tables.get("scores")
    if frame is None:
        return None
    group_by, key, label = _names(bundle).get((group or "all").lower(), ("segment", group or "", group or ""))
    rows = frame[(frame["metric"].astype(str).str.lower() == metric) & (frame["group_by"] == group_by)
                 & (frame["group"].astype(str) == key)]
    if not len(rows):
        return None
    r = rows.iloc[0]
    return Measured(metric, key, label, float(r["value"]), int(r["n"]), _float(r.get("ci_low")),
                    _float(r.get("ci_high")), "survey")


def _funnel(bundle: Bundle, metric: str, group: str | None) -> Measured | None:
    frame = bundle.tables.get("funnel")
    found = _names(bundle).get((group or "").lower())
    if frame is None or not found or found[0] != "stage":
        return None
    rows = frame[frame["stage"].astype(str) == found[1]]
    if not len(rows) or missing(rows.iloc[0][FUNNEL_METRICS[metric]]):
        return None
    value = float(rows.iloc[0][FUNNEL_METRICS[metric]])
    return Measured(metric, found[1], found[2], 100 * value if metric in PERCENT else value, source="events")


def _dropoff(bundle: Bundle, group: str | None) -> Measured | None:
    frame = bundle.tables.get("touchpoints")
    found = _names(bundle).get((group or "").lower())
    if frame is None or not found or found[0] != "touchpoint" or "dropoff_after" not in frame:
        return None
    rows = frame[frame["touchpoint"].astype(str) == found[1]]
    if not len(rows):
        return None
    r = rows.iloc[0]
    return Measured("dropoff", found[1], found[2], 100 * float(r["dropoff_after"]), int(r["customers"]),
                    source="events")


def _compare(status: KpiStatus) -> None:
    k, m = status.kpi, status.measured
    better = (lambda a, b: a > b) if status.higher_is_better else (lambda a, b: a < b)  # noqa: E731
    unit = f" {k.unit}" if k.unit and k.unit != "%" else (k.unit or "")
    if m is not None and k.baseline is not None:
        if m.ci_low is not None and m.ci_high is not None:
            off = not (m.ci_low <= k.baseline <= m.ci_high)
            where = _("outside the 95 % CI {low}–{high}").format(low=number(m.ci_low), high=number(m.ci_high))
        else:
            off = abs(k.baseline - m.value) > TOLERANCE * max(abs(m.value), 1e-9)
            where = _("more than {tolerance} % away").format(tolerance=round(100 * TOLERANCE))
        if off:
            status.flags[CONTRADICTS] = _("baseline {baseline}{unit} contradicts the measured {value}{unit} "
                                          "({where}).").format(baseline=number(k.baseline), unit=unit,
                                                               value=number(m.value), where=where)
    # Without a metric the direction is unknown: only a target equal to the baseline is sure not to improve.
    if k.target is not None and k.baseline is not None and (
            not better(k.target, k.baseline) if status.metric else k.target == k.baseline):
        status.flags[NOT_IMPROVING] = _("target {target}{unit} does not improve on the baseline {baseline}{unit}."
                                        ).format(target=number(k.target), baseline=number(k.baseline), unit=unit)
    if k.target is not None and m is not None and not better(k.target, m.value):
        status.flags[REACHED] = _("target {target}{unit} is already reached: this run measured {value}{unit}."
                                  ).format(target=number(k.target), value=number(m.value), unit=unit)


def _float(value: Any) -> float | None:
    return None if missing(value) else float(value)
