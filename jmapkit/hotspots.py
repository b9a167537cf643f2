"""What step 4 measured at each touchpoint, and where an experience map hurts most (its hotspots).

An experience map (scope `experience`) is drawn to find hotspots to drill into with a journey map
(`jmapkit new CHILD --from PARENT --hotspot TOUCHPOINT`). A touchpoint is a hotspot when the data
says customers are unhappy there or leave there; every reason is shown with its numbers. The same
per-touchpoint signals tell `jmapkit check` whether a pain point rests on evidence and where a
failure point has no pain point.

Each reason has a badness from 0 (fine) to 1 (as bad as the scale goes), so reasons from different
scales can be ranked together:

=================  =======================================  =========================================
reason             shown when                               badness
=================  =======================================  =========================================
low emotion        measured emotion < 0 (−2..+2)            −emotion / 2
drop-off           ≥ 30 % of its customers end there        the share (touchpoints of the last stage
                   (≥ 30 customers)                         are skipped: journeys end there)
poor score         NPS < 0, CSAT < 50 %, CES > 4            the score on the −2..+2 emotion scale / −2
negative feedback  mean verbatim sentiment < 0 (−1..1)      −mean
negative theme     its worst theme (≥ 3 verbatims) has a     −the theme's mean × its share of the
                   mean sentiment < 0                       touchpoint's verbatims
=================  =======================================  =========================================

A touchpoint's hotspot score is its worst reason's badness (ties: the sum of all its reasons).

>>> from jmapkit import hotspots
>>> hotspots.table(ws)  # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from jmapkit.analytics.emotion import TO_EMOTION
from jmapkit.i18n import _
from jmapkit.model import ScoreRow, Touchpoints

if TYPE_CHECKING:
    import pandas as pd

    from jmapkit.bundle import Bundle
    from jmapkit.store import Workshop

MIN_CUSTOMERS = 30  # fewer customers than this at a touchpoint: a drop-off share is noise
HOTSPOT_DROPOFF = 0.3  # a drop-off share worth naming as a hotspot reason
FAILURE_DROPOFF = 0.5  # a drop-off share that makes a touchpoint a failure point
# metric → (side of the scale that is bad, where the bad side starts); NPS −100..100, CSAT %, CES 1..7.
POOR_SCORES: dict[str, tuple[str, float]] = {"nps": ("below", 0.0), "csat": ("below", 50.0), "ces": ("above", 4.0)}


@dataclass(frozen=True)
class Signals:
    """What step 4 measured at one touchpoint; None where it measured nothing."""

    touchpoint: str
    customers: int | None = None  # customers with an event at the touchpoint
    dropoff: float | None = None  # share of them whose journey ends there
    measured: float | None = None  # emotion measured from scores and sentiment, −2..+2
    measured_n: int = 0
    measured_ci_high: float | None = None
    measured_from: str = ""
    votes: int = 0  # participants' emotion votes (not the team's own estimate)
    sentiment: float | None = None  # mean verbatim sentiment, −1..1
    sentiment_n: int = 0
    scores: tuple[ScoreRow, ...] = ()
    theme: tuple[str, int, float, float] | None = None  # its worst theme of verbatims: label, n, share, mean

    @property
    def measured_anything(self) -> bool:
        """Whether any data or vote speaks about this touchpoint."""
        return bool(self.customers or self.measured_n or self.votes or self.sentiment_n
                    or any(s.n for s in self.scores) or self.theme)


@dataclass(frozen=True)
class Reason:
    """One reason a touchpoint hurts, with its numbers in words."""

    kind: str  # emotion | drop-off | score | sentiment
    badness: float
    text: str


@dataclass(frozen=True)
class Hotspot:
    touchpoint: str
    label: str
    stage: str
    reasons: tuple[Reason, ...] = field(default_factory=tuple)

    @property
    def score(self) -> float:
        return max((r.badness for r in self.reasons), default=0.0)


# --- reading step 4 -----------------------------------------------------------------------------------------


def signals_of(bundle: Bundle) -> dict[str, Signals]:
    """Per touchpoint, what a workshop's step-4 tables and scores say (an empty dict before step 4 ran)."""
    tables = {name: bundle.tables[name].to_dict("records")
              for name in ("emotion", "touchpoints", "sentiment", "themes") if name in bundle.tables}
    return signals_from(tables, bundle.results.scores)


def signals_from(tables: Mapping[str, Sequence[Mapping[str, Any]]], scores: Iterable[ScoreRow]
                 ) -> dict[str, Signals]:
    """Signals per touchpoint from the step-4 tables' rows (numbers, NaN, or text as in a CSV) and the score rows."""
    found: dict[str, dict[str, Any]] = {}
    for row in tables.get("touchpoints", ()):
        found.setdefault(row["touchpoint"], {}).update(
            customers=_int(row.get("customers")), dropoff=_float(row.get("dropoff_after")))
    for row in tables.get("emotion", ()):
        found.setdefault(row["touchpoint"], {}).update(
            measured=_float(row.get("measured")), measured_n=_int(row.get("measured_n")) or 0,
            measured_ci_high=_float(row.get("measured_ci_high")), measured_from=_text(row.get("measured_from")),
            votes=_int(row.get("voted_n")) or 0)
    for row in tables.get("sentiment", ()):
        if _text(row.get("touchpoint")):
            found.setdefault(row["touchpoint"], {}).update(
                sentiment=_float(row.get("mean")), sentiment_n=_int(row.get("n")) or 0)
    for row in tables.get("themes", ()):
        mean, n, share = _float(row.get("mean")), _int(row.get("n")) or 0, _float(row.get("share")) or 0.0
        # Theme 0 holds the texts no theme took; a theme is only worth naming with a few texts behind it.
        if row.get("group_by") != "touchpoint" or not (_int(row.get("theme")) or 0) > 0 or mean is None or n < 3:
            continue
        values = found.setdefault(str(row["group"]), {})
        # The worst theme is the most negative one weighted by how many of the touchpoint's texts it holds.
        if values.get("theme") is None or mean * share < values["theme"][3] * values["theme"][2]:
            values["theme"] = (_text(row.get("label")), n, share, mean)
    by_tp: dict[str, list[ScoreRow]] = {}
    for s in scores:
        if s.group_by == "touchpoint":
            by_tp.setdefault(s.group, []).append(s)
    for tp, rows in by_tp.items():
        found.setdefault(tp, {})["scores"] = tuple(rows)
    return {str(tp): Signals(touchpoint=str(tp), **values) for tp, values in found.items() if _text(tp)}


# --- reasons, failure points, ranking --------------------------------------------------------------------------


def reasons(sig: Signals, *, last_stage: bool = False) -> list[Reason]:
    """Every reason this touchpoint hurts, worst first, each with its numbers."""
    out: list[Reason] = []
    if sig.measured is not None and sig.measured < 0:
        out.append(Reason("emotion", min(1.0, -sig.measured / 2),
                          f"measured emotion {sig.measured:+.2f} on −2..+2 (n={sig.measured_n}, "
                          f"from {sig.measured_from or 'data'})"))
    if _counted_dropoff(sig, last_stage) and sig.dropoff is not None and sig.dropoff >= HOTSPOT_DROPOFF:
        out.append(Reason("drop-off", sig.dropoff,
                          f"{sig.dropoff:.0%} of its {sig.customers} customers went no further"))
    for s in sig.scores:
        badness = _score_badness(s)
        if badness > 0:
            out.append(Reason("score", badness, f"{score_text(s)} (n={s.n})"))
    if sig.sentiment is not None and sig.sentiment < 0:
        out.append(Reason("sentiment", min(1.0, -sig.sentiment),
                          f"mean sentiment {sig.sentiment:+.2f} on −1..1 over {sig.sentiment_n} verbatims"))
    if sig.theme is not None and sig.theme[3] < 0:
        label, n, share, mean = sig.theme
        out.append(Reason("theme", min(1.0, -mean * share),
                          f"theme “{label}”: {n} verbatims ({share:.0%} of them), mean sentiment {mean:+.2f}"))
    return sorted(out, key=lambda r: -r.badness)


def failure(sig: Signals, *, last_stage: bool = False) -> str | None:
    """Why this touchpoint is a failure point (many customers leave, or the data is clearly negative), or None."""
    if _counted_dropoff(sig, last_stage) and sig.dropoff is not None and sig.dropoff >= FAILURE_DROPOFF:
        return _("{share} of its {n} customers went no further").format(share=f"{sig.dropoff:.0%}", n=sig.customers)
    for s in sig.scores:
        side, edge = POOR_SCORES.get(s.metric, ("", 0.0))
        bound = s.ci_high if side == "below" else s.ci_low if side == "above" else None
        if bound is not None and ((side == "below" and bound < edge) or (side == "above" and bound > edge)):
            return (_("{score}, 95 % CI {low}…{high} (n={n}), all below {edge}") if side == "below" else
                    _("{score}, 95 % CI {low}…{high} (n={n}), all above {edge}")).format(
                score=score_text(s), low=_num(s.ci_low), high=_num(s.ci_high), n=s.n, edge=_num(edge))
    if sig.measured is not None and sig.measured_ci_high is not None and sig.measured_ci_high < 0:
        return _("measured emotion {value} with its 95 % CI below 0 (up to {high}, n={n}, from {source})").format(
            value=f"{sig.measured:+.2f}", high=f"{sig.measured_ci_high:+.2f}", n=sig.measured_n,
            source=_(sig.measured_from) if sig.measured_from else _("data"))
    return None


def rank(touchpoints: Touchpoints, signals: Mapping[str, Signals]) -> list[Hotspot]:
    """Touchpoints with at least one reason, worst first (ties: more reasons, then journey order)."""
    last = touchpoints.stages[-1].id if touchpoints.stages else None
    order = [t for s in touchpoints.stages for t in touchpoints.in_stage(s.id)]
    found = []
    for t in order:
        sig = signals.get(t.id)
        if sig is None:
            continue
        why = reasons(sig, last_stage=t.stage == last)
        if why:
            found.append(Hotspot(t.id, t.label, t.stage, tuple(why)))
    position = {h.touchpoint: i for i, h in enumerate(found)}
    return sorted(found, key=lambda h: (-h.score, -sum(r.badness for r in h.reasons), position[h.touchpoint]))


def table(ws: Workshop, top: int | None = 10) -> pd.DataFrame:
    """The hotspot ranking of a workshop for notebook 5 and the check: reasons with numbers, and any child map.

    Columns: rank, touchpoint, stage, score (0..1), reasons (one per line), child map (its folder and state).
    """
    import pandas as pd

    from jmapkit import drilldown
    from jmapkit.quality import view_of

    view = view_of(ws, links=False)
    stage_label = {s.id: s.label for s in view.touchpoints.stages}
    children = {c.hotspot: c for c in drilldown.children(ws)}
    ranked = rank(view.touchpoints, view.signals)[:top]
    rows = [{"rank": i, "touchpoint": h.label, "stage": stage_label.get(h.stage, h.stage),
             "score": round(h.score, 2), "reasons": "\n".join(r.text for r in h.reasons),
             "child map": children[h.touchpoint].describe() if h.touchpoint in children else ""}
            for i, h in enumerate(ranked, start=1)]
    return pd.DataFrame(rows, columns=["rank", "touchpoint", "stage", "score", "reasons", "child map"])


def score_text(s: ScoreRow) -> str:
    """'CSAT 43.7 %', 'NPS −12', 'CES 4.6': a score as people read it."""
    unit = " %" if s.metric == "csat" else ""
    return f"{s.metric.upper()} {_num(s.value)}{unit}"


# --- internals ---------------------------------------------------------------------------------------------------


def _counted_dropoff(sig: Signals, last_stage: bool) -> bool:
    return not last_stage and (sig.customers or 0) >= MIN_CUSTOMERS


def _score_badness(s: ScoreRow) -> float:
    side, edge = POOR_SCORES.get(s.metric, ("", 0.0))
    poor = (side == "below" and s.value < edge) or (side == "above" and s.value > edge)
    return min(1.0, -TO_EMOTION[s.metric](s.value) / 2) if poor else 0.0


def _text(value: Any) -> str:
    """A table cell as text: '' for empty, None or NaN (pandas reads empty CSV cells as NaN)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _float(text: Any) -> float | None:
    try:
        value = float(text) if text not in (None, "") else None
    except (TypeError, ValueError):
        return None
    return None if value is None or math.isnan(value) else value


def _int(text: Any) -> int | None:
    value = _float(text)
    return None if value is None else int(value)


def _num(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"
