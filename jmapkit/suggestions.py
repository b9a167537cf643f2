"""Suggested pain points: step 4's negative themes offered to the team in step 5, with their evidence.

A negative theme of a touchpoint's verbatims (mean sentiment ≤ −0.05) becomes a suggestion: its label,
touchpoint, a frequency 1..5 from the theme's share of the touchpoint's verbatims, a severity 1..5 from
its mean sentiment, its quotes, n, share, mean and 95 % CI, and `data` provenance. The team accepts
(optionally edited), or dismisses it; a dismissed suggestion stays away until its theme changes.
A pain point the team typed can be linked to evidence too (a theme, a drop-off, a low score), and its
frequency is then suggested from that evidence. No widgets here: notebook 5's form calls these.

>>> from jmapkit import suggestions
>>> for s in suggestions.pending(ws): print(s.label, s.frequency, s.severity)  # doctest: +SKIP
>>> suggestions.accept(ws, s.id, edits={"owner": "Ops"})                         # doctest: +SKIP
>>> suggestions.dismiss(ws, other.id)                                            # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from jmapkit.errors import JmapkitError
from jmapkit.model import BehaviourResults, EvidenceLink, Map, PainPoint, Source, Touchpoints

if TYPE_CHECKING:
    import pandas as pd

    from jmapkit.store import Workshop

__all__ = [
    "EDITABLE",
    "FREQUENCY_SHARES",
    "SEVERITY_MEANS",
    "Evidence",
    "Suggestion",
    "accept",
    "dismiss",
    "evidence",
    "evidence_options",
    "frequency_from_share",
    "link_evidence",
    "pending",
    "severity_from_mean",
    "suggest",
    "theme_id",
    "theme_signature",
]

THEMES_TABLE = "themes"
NEGATIVE = -0.05  # the same neutral band as the theme table's polarity split
# frequency k is given when the share reaches FREQUENCY_SHARES[k - 2]: < 5 % → 1, 5–10 % → 2, 10–20 % → 3,
# 20–35 % → 4, ≥ 35 % → 5 (a third of a touchpoint's verbatims saying the same thing is "very frequent").
FREQUENCY_SHARES = (0.05, 0.10, 0.20, 0.35)
# severity k is given when the mean sentiment is at or below SEVERITY_MEANS[k - 2]: > −0.1 → 1,
# −0.1..−0.25 → 2, −0.25..−0.4 → 3, −0.4..−0.6 → 4, ≤ −0.6 → 5 (on the −1..1 scale of step 4).
SEVERITY_MEANS = (-0.10, -0.25, -0.40, -0.60)
EDITABLE = ("description", "touchpoint", "severity", "frequency", "owner", "fix")


@dataclass(frozen=True)
class Suggestion:
    """One suggested pain point, with everything the form shows and the evidence it will link."""

    id: str  # stable: hash of the touchpoint and the theme's three label terms
    signature: str  # changes when the theme does (terms, frequency or severity): what a dismissal remembers
    label: str
    touchpoint: str
    frequency: int
    severity: int
    quotes: tuple[str, ...]
    n: int
    share: float
    mean: float
    ci_low: float
    ci_high: float
    terms: tuple[str, ...] = ()
    source: Source = field(default_factory=lambda: Source(kind="data"))
    where: str = ""  # the touchpoint's name as the team gave it in step 3 (the id when unknown)

    @property
    def summary(self) -> str:
        """One plain sentence with n, share and the mean with its CI (for the form, the deck's notes)."""
        return theme_summary(self.n, self.share, self.where or self.touchpoint, self.mean, self.ci_low, self.ci_high)

    def link(self) -> EvidenceLink:
        """The evidence an accepted pain point keeps: this theme, its n, summary and quotes."""
        return EvidenceLink(kind="theme", ref=self.id, n=self.n, summary=self.summary, quotes=list(self.quotes),
                            value=self.share, base=_base(self.n, self.share))

    def pain_point(self, edits: Mapping[str, Any] | None = None) -> PainPoint:
        """The pain point this suggestion becomes, with the team's edits applied (validated by the model)."""
        edits = dict(edits or {})
        unknown = sorted(set(edits) - set(EDITABLE))
        if unknown:
            raise JmapkitError(
                f"cannot edit {', '.join(map(repr, unknown))} of a suggested pain point.",
                where=f"suggestion {self.id}",
                fix=f"edit only {', '.join(EDITABLE)}.",
            )
        suggested = {"touchpoint": self.touchpoint, "description": self.label, "severity": self.severity,
                     "frequency": self.frequency, "owner": "", "fix": ""}
        changed = sorted(k for k, v in edits.items() if v != suggested[k])
        detail = self.source.detail or ""
        if changed:
            detail = f"{detail}; edited by the team: {', '.join(changed)}".lstrip("; ")
        values = {
            **suggested,
            **edits,
            "evidence_links": [self.link()],
            "source": self.source.model_copy(update={"detail": detail or None}),
        }
        try:
            return PainPoint(**values)
        except ValueError as exc:
            raise JmapkitError(
                f"the edited pain point is not valid: {exc}",
                where=f"suggestion {self.id}",
                fix="severity and frequency are 1..5 and the description must not be empty.",
            ) from None


@dataclass(frozen=True)
class Evidence:
    """Evidence for a team-typed pain point, and the frequency it suggests (None when it says nothing of it)."""

    link: EvidenceLink
    frequency: int | None
    share: float | None


# --- the rules -------------------------------------------------------------------------------------------


def frequency_from_share(share: float) -> int:
    """1..5 from the share (0..1) of a touchpoint's verbatims or customers the evidence covers."""
    return 1 + sum(share >= s for s in FREQUENCY_SHARES)


def severity_from_mean(mean: float) -> int:
    """1..5 from a theme's mean sentiment (−1..1): the more negative, the more severe."""
    return 1 + sum(mean <= m for m in SEVERITY_MEANS)


def theme_id(touchpoint: str, terms: Sequence[str]) -> str:
    """Stable id of a touchpoint's theme: the same touchpoint and top three terms give the same id."""
    key = "\x1f".join([touchpoint, *sorted(t.strip() for t in terms[:3])])
    return "theme-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]


def theme_signature(terms: Sequence[str], frequency: int, severity: int) -> str:
    """What a dismissal remembers: a change of the theme's terms, frequency or severity brings it back."""
    key = "\x1f".join([*terms, str(frequency), str(severity)])
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]


def theme_summary(n: int, share: float, group: str, mean: float, low: float, high: float) -> str:
    """'41 verbatims (19 % of payment), mean sentiment −0.42 (95 % CI −0.51 to −0.33)'."""
    ci = "" if math.isnan(low) else f" (95 % CI {_signed(low)} to {_signed(high)})"
    return f"{n} verbatim{'s' if n != 1 else ''} ({100 * share:.0f} % of {group}), mean sentiment {_signed(mean)}{ci}"


def _signed(value: float) -> str:
    return f"{value:+.2f}".replace("-", "\u2212")


def suggest(
    themes: pd.DataFrame,
    *,
    dismissed: Mapping[str, str] | None = None,
    accepted: Sequence[str] = (),
    source: Source | None = None,
    names: Mapping[str, str] | None = None,
) -> list[Suggestion]:
    """Negative themes of touchpoints → suggestions, most frequent and severe first; dismissed/accepted left out.

    `themes` is step 4's theme table (`jmapkit.analytics.themes(..., by="touchpoint")`); a dismissed
    id stays out while its signature is unchanged. `names` maps touchpoint ids to the names people read.
    """
    dismissed = dismissed or {}
    names = names or {}
    out = []
    if themes is None or not len(themes):
        return out
    rows = themes[(themes["group_by"] == "touchpoint") & themes["group"].notna() & (themes["theme"] > 0)]
    for r in rows.to_dict("records"):
        mean = _float(r["mean"])
        if math.isnan(mean) or mean > NEGATIVE:
            continue
        terms = tuple(t.strip() for t in str(r["terms"] or "").split(",") if t.strip())
        touchpoint = str(r["group"])
        frequency, severity = frequency_from_share(float(r["share"])), severity_from_mean(mean)
        sid = theme_id(touchpoint, terms or (str(r["label"]),))
        signature = theme_signature(terms, frequency, severity)
        if sid in accepted or dismissed.get(sid) == signature:
            continue
        quotes = tuple(str(r[c]) for c in ("quote_1", "quote_2", "quote_3") if not _blank(r.get(c)))
        base = source or Source(kind="data")
        detail = f"{base.detail or 'verbatims'}: theme {int(r['theme'])} of {touchpoint} ({r['method']})"
        theme_source = base.model_copy(update={"detail": detail})
        out.append(
            Suggestion(
                id=sid, signature=signature, label=str(r["label"]), touchpoint=touchpoint, frequency=frequency,
                severity=severity, quotes=quotes, n=int(r["n"]), share=float(r["share"]), mean=mean,
                ci_low=_float(r["ci_low"]), ci_high=_float(r["ci_high"]), terms=terms, source=theme_source,
                where=names.get(touchpoint, touchpoint),
            )
        )
    out.sort(key=lambda s: (-(s.frequency * s.severity), -s.n, s.touchpoint, s.id))
    return out


# --- on a workshop ---------------------------------------------------------------------------------------


def pending(ws: Workshop) -> list[Suggestion]:
    """The suggestions the form should show now: step 4's negative themes not yet accepted or dismissed."""
    step5, _ = _map(ws)
    return suggest(
        _table(ws, THEMES_TABLE), dismissed=step5.dismissed, accepted=_accepted_ids(step5), source=_source(ws),
        names=_names(ws),
    )


def table(ws: Workshop) -> pd.DataFrame:
    """The pending suggestions for people (a run's notebook 5 shows them; the form offers them to accept)."""
    import pandas as pd

    rows = [{"touchpoint": s.where or s.touchpoint, "suggested pain point": s.label, "severity": s.severity,
             "frequency": s.frequency, "comments": s.n, "evidence": s.summary,
             "quote": s.quotes[0] if s.quotes else "–"} for s in pending(ws)]
    return pd.DataFrame(rows, columns=["touchpoint", "suggested pain point", "severity", "frequency", "comments",
                                       "evidence", "quote"])


def _names(ws: Workshop) -> dict[str, str]:
    return {t.id: t.label for t in ws.load_or_default(Touchpoints).touchpoints}


def accept(ws: Workshop, suggestion_id: str, edits: Mapping[str, Any] | None = None) -> PainPoint:
    """Add the suggestion to step 5 as a pain point (with the team's edits) linked to its theme and quotes.

    Accepting one already on the map returns that pain point and adds nothing.
    """
    step5, base = _map(ws)
    for p in step5.pain_points:
        if any(link.kind == "theme" and link.ref == suggestion_id for link in p.evidence_links):
            return p
    suggestion = _find(ws, suggestion_id)
    point = suggestion.pain_point(edits)
    ws.save(step5.model_copy(update={"pain_points": [*step5.pain_points, point]}), base=base)
    return point


def dismiss(ws: Workshop, suggestion_id: str) -> None:
    """Remember that the team dismissed this suggestion; it comes back only if its theme changes."""
    suggestion = _find(ws, suggestion_id)
    step5, base = _map(ws)
    ws.save(step5.model_copy(update={"dismissed": {**step5.dismissed, suggestion.id: suggestion.signature}}),
            base=base)


def evidence(ws: Workshop, kind: str, ref: str) -> Evidence:
    """The evidence `ref` of `kind` (theme, dropoff, score) in step 4's tables, and the frequency it suggests."""
    if kind == "theme":
        for r in _theme_rows(ws):
            if r["id"] == ref:
                share = float(r["share"])
                where = _names(ws).get(str(r["group"]), str(r["group"]))
                summary = theme_summary(int(r["n"]), share, where, _float(r["mean"]),
                                        _float(r["ci_low"]), _float(r["ci_high"]))
                link = EvidenceLink(kind="theme", ref=ref, n=int(r["n"]), summary=f"{r['label']}: {summary}",
                                    quotes=[str(r[c]) for c in ("quote_1", "quote_2", "quote_3")
                                            if not _blank(r.get(c))], value=share, base=_base(int(r["n"]), share))
                return Evidence(link=link, frequency=frequency_from_share(share), share=share)
    elif kind == "dropoff":
        funnel = _table(ws, "funnel")
        if funnel is not None:
            records = funnel.to_dict("records")
            for before, r in zip(records, records[1:], strict=False):
                if str(r["stage"]) == ref and int(before["reached"]) > 0:
                    lost = int(before["reached"]) - int(r["reached"])
                    share = lost / int(before["reached"])
                    summary = (f"{lost} of {int(before['reached'])} customers who reached {before['stage']} did not "
                               f"reach {ref} ({100 * share:.0f} %)")
                    link = EvidenceLink(kind="dropoff", ref=ref, n=lost, summary=summary, value=share,
                                        base=int(before["reached"]))
                    return Evidence(link, frequency_from_share(share), share)
    elif kind == "score":
        metric, _, group = ref.partition(":")
        scores = _table(ws, "scores")
        if scores is not None:
            hit = scores[(scores["metric"] == metric) & (scores["group"].astype(str) == group)]
            if len(hit):
                r = hit.iloc[0]
                n, value = int(r["n"]), float(r["value"])
                summary = f"{metric.upper()} {value:.1f} at {group} (n={n}{_ci(r['ci_low'], r['ci_high'])})"
                # Only CSAT says what share is unhappy (100 % − the satisfied share); NPS and means do not.
                share = (100 - value) / 100 if metric == "csat" else None
                # CSAT is a share of answers, testable as a proportion later; other scores keep no share.
                link = EvidenceLink(kind="score", ref=ref, n=n, summary=summary, value=None if share is None
                                    else share, base=n if share is not None else None)
                return Evidence(link, None if share is None else frequency_from_share(share), share)
    else:
        raise JmapkitError(f"evidence kind {kind!r} is unknown.", fix="use theme, dropoff or score.")
    raise JmapkitError(
        f"step 4 has no {kind} {ref!r}.",
        where="steps/4-behaviour",
        fix="pick one of jmapkit.suggestions.evidence_options(ws), or re-run step 4 on the data.",
    )


@dataclass(frozen=True)
class Moved:
    """A pain point's evidence whose share moved significantly since it was linked (two-proportion z-test)."""

    pain_point: int  # 0-based, in step 5's order
    link: EvidenceLink
    now: EvidenceLink
    p_value: float


def moved(ws: Workshop, *, alpha: float = 0.05) -> list[Moved]:
    """Evidence on step 5's pain points that the current step-4 data no longer supports as it did.

    A link's share then (value of base) is tested against the same evidence now; a link step 4 no longer
    has, or one that kept no share (NPS, means), is left out.
    """
    from jmapkit.analytics.stats import two_proportion

    out = []
    for i, p in enumerate(ws.load_or_default(Map).pain_points):
        for link in p.evidence_links:
            if link.kind == "note" or link.value is None or not link.base:
                continue
            try:
                now = evidence(ws, link.kind, link.ref).link
            except JmapkitError:
                continue
            if now.value is None or not now.base:
                continue
            test = two_proportion(round(link.value * link.base), link.base, round(now.value * now.base), now.base)
            if test.p_value < alpha:
                out.append(Moved(i, link, now, test.p_value))
    return out


def _base(n: int, share: float) -> int | None:
    return round(n / share) if share > 0 else None


def evidence_options(ws: Workshop) -> list[tuple[str, str, str]]:
    """(kind, ref, what the form shows) for every theme, drop-off and score step 4 computed."""
    out = [("theme", r["id"], f"{r['group']}: {r['label']} (n={int(r['n'])}, mean {_float(r['mean']):+.2f})")
           for r in _theme_rows(ws)]
    funnel = _table(ws, "funnel")
    if funnel is not None:
        records = funnel.to_dict("records")
        out += [("dropoff", str(r["stage"]), f"drop-off before {r['stage']}") for r in records[1:]]
    scores = _table(ws, "scores")
    if scores is not None:
        out += [("score", f"{r['metric']}:{r['group']}", f"{str(r['metric']).upper()} at {r['group']} "
                 f"({float(r['value']):.1f}, n={int(r['n'])})") for r in scores.to_dict("records")]
    return out


def link_evidence(
    ws: Workshop, pain_point: int, kind: str, ref: str, *, use_frequency: bool = False, note: str | None = None
) -> PainPoint:
    """Link evidence to step 5's pain point number `pain_point` (0-based); with use_frequency, take its frequency.

    kind "note" links a room note by id with `note` as its text (no frequency).
    """
    step5, base = _map(ws)
    if not 0 <= pain_point < len(step5.pain_points):
        raise JmapkitError(
            f"there is no pain point number {pain_point} in step 5 (it has {len(step5.pain_points)}).",
            where="steps/5-map.json",
            fix="give the 0-based position of a pain point on the map.",
        )
    if kind == "note":
        found = Evidence(EvidenceLink(kind="note", ref=ref, summary=note or ""), None, None)
    else:
        found = evidence(ws, kind, ref)
    point = step5.pain_points[pain_point]
    links = [link for link in point.evidence_links if (link.kind, link.ref) != (kind, ref)] + [found.link]
    update: dict[str, Any] = {"evidence_links": links}
    if use_frequency and found.frequency is not None:
        update["frequency"] = found.frequency
    updated = point.model_copy(update=update)
    points = list(step5.pain_points)
    points[pain_point] = updated
    ws.save(step5.model_copy(update={"pain_points": points}), base=base)
    return updated


# --- helpers ---------------------------------------------------------------------------------------------


def _find(ws: Workshop, suggestion_id: str) -> Suggestion:
    for s in suggest(_table(ws, THEMES_TABLE), source=_source(ws), names=_names(ws)):
        if s.id == suggestion_id:
            return s
    raise JmapkitError(
        f"suggestion {suggestion_id!r} is not among step 4's current negative themes.",
        where="steps/4-behaviour/themes.csv",
        fix="take an id from jmapkit.suggestions.pending(ws); after new data, re-run step 4 first.",
    )


def _theme_rows(ws: Workshop) -> list[dict[str, Any]]:
    table = _table(ws, THEMES_TABLE)
    if table is None:
        return []
    rows = []
    for r in table[table["group"].notna() & (table["theme"] > 0)].to_dict("records"):
        terms = [t.strip() for t in str(r["terms"] or "").split(",") if t.strip()]
        rows.append({**r, "id": theme_id(str(r["group"]), terms or [str(r["label"])])})
    return rows


def _map(ws: Workshop) -> tuple[Map, int]:
    """Step 5 and the revision it was read at: a save on it merges with a form's save in between."""
    base = ws.revision(Map)
    return ws.load_or_default(Map), base


def _accepted_ids(step5: Map) -> list[str]:
    return [link.ref for p in step5.pain_points for link in p.evidence_links if link.kind == "theme"]


def _table(ws: Workshop, name: str) -> pd.DataFrame | None:
    """One of step 4's CSV tables, or None when step 4 has not produced it."""
    import pandas as pd

    from jmapkit.safe import restored

    path = ws.tables_dir(4) / f"{name}.csv"
    if not path.is_file():
        return None
    # Quotes and labels are text: never let pandas guess numbers, dates or NaN ("N/A") out of them.
    text = {c: "string" for c in ("group", "label", "terms", "quote_1", "quote_2", "quote_3", "quote_ids", "stage",
                                  "metric", "method", "polarity", "group_by")}
    # Step 4 wrote text that starts like a formula with a leading quote (jmapkit.safe): take it off.
    return restored(pd.read_csv(path, dtype=text, keep_default_na=False, na_values=[""]))


def _source(ws: Workshop) -> Source:
    """`data` provenance of step 4's themes: the verbatims file's name and hash, and the run that computed them."""
    results = ws.load_or_default(BehaviourResults)
    ref = results.inputs.get("verbatims")
    return Source(kind="data", detail=ref.path if ref else None, sha256=ref.sha256 if ref else None,
                  run=results.run)


def _ci(low: Any, high: Any) -> str:
    return "" if _blank(low) or _blank(high) else f", 95 % CI {float(low):.1f} to {float(high):.1f}"


def _float(value: Any) -> float:
    return math.nan if _blank(value) else float(value)


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    try:
        import pandas as pd

        return bool(pd.isna(value)) or (isinstance(value, str) and not value.strip())
    except (TypeError, ValueError):
        return False
