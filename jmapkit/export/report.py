"""What every export shows: the findings, tables, charts and provenance notes of one workshop, built once.

The pptx, html, slides, xlsx and png exporters all read a `Report`, so a number is derived in one place,
formatted the same way (the workshop's locale, `jmapkit.numbers`) and cited the same way everywhere
(data file + sha256 prefix + run, votes with n, team, or template). Headlines state the finding
("Come back → Recommend loses 91% of customers"), not the step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING, Any

from jmapkit import __version__, journey
from jmapkit.bundle import Bundle
from jmapkit.collation import sort_names
from jmapkit.i18n import N_, _
from jmapkit.journey import TEMPLATE_NOTE, data_evidence, describe_source
from jmapkit.kpis import CONTRADICTS, NOT_IMPROVING, REACHED, UNKNOWN, KpiStatus, kpi_status
from jmapkit.model import Goals, Map, Touchpoints
from jmapkit.numbers import NONE, fixed, missing, number, percent, points

if TYPE_CHECKING:
    import altair as alt
    import pandas as pd

    from jmapkit.store import Workshop

# Section key → short name (page navigation, sheet names); the order of the deck, the page and the slides.
SECTIONS: dict[str, str] = {
    "summary": N_("Summary"),
    "goals": N_("Goals"),
    "personas": N_("Personas"),
    "touchpoints": N_("Stages & touchpoints"),
    "funnel": N_("Funnel"),
    "dropoff": N_("Drop-off & paths"),
    "scores": N_("Scores per touchpoint"),
    "segments": N_("Scores per persona"),
    "emotion": N_("Emotion"),
    "map": N_("Journey map"),
    "pain_points": N_("Pain points"),
    "opportunities": N_("Opportunities"),
    "kpis": N_("KPIs"),
}  # names are shown through _()
# Sheet name → what it holds, in workbook order.
SHEETS = ("summary", "goals", "personas", "touchpoints", "funnel", "funnel by persona", "drop-off", "paths",
          "transitions", "scores", "emotion", "sentiment", "pain points", "opportunities", "kpis", "map")
FLAG_TEXT = {CONTRADICTS: N_("baseline contradicts the data"),
             NOT_IMPROVING: N_("target does not improve on the baseline"),
             REACHED: N_("target already reached"), UNKNOWN: N_("metric not found in step 4")}  # shown through _()
# Table headers: the frames keep these English names (the workbook's and the tests' keys); a deck or a page
# shows each header through _(), so every name a table can have is marked for the catalog here.
COLUMN_NAMES = (
    N_("finding"), N_("detail"), N_("field"), N_("value"), N_("name"), N_("role"), N_("data segment"), N_("goals"),
    N_("needs"), N_("frustrations"), N_("quote"), N_("evidence"), N_("source"), N_("stage"), N_("touchpoint"),
    N_("channel"), N_("layer"), N_("owner"), N_("handoff"), N_("moment of truth"), N_("event names"),
    N_("reached"), N_("from previous stage"), N_("from first stage"), N_("median hours"), N_("p90 hours"),
    N_("entered here"), N_("dropped"), N_("persona"), N_("segment"), N_("customers"), N_("share of all customers"),
    N_("journey ends here"), N_("path"), N_("steps"), N_("share of customers"), N_("from"), N_("to"), N_("moves"),
    N_("share of moves from"), N_("grouping"), N_("group"), N_("metric"), N_("95 % CI low"), N_("95 % CI high"),
    N_("reach the last stage"), N_("team estimate"), N_("team source"), N_("voted"), N_("votes"), N_("measured"),
    N_("measured n"), N_("measured CI low"), N_("measured CI high"), N_("measured from"), N_("mean"),
    N_("unscored"), N_("pain point"), N_("severity"), N_("frequency"), N_("priority"), N_("fix"),
    N_("opportunity"), N_("baseline"), N_("measured now"), N_("target"), N_("unit"), N_("data source"),
    N_("check"), N_("lane"), N_("level"), N_("step"), N_("rule"), N_("message"),
)
SOURCE_KINDS = (N_("team"), N_("template"), N_("vote"), N_("participant"), N_("data"))  # provenance, via _()
METRIC_NAMES = {"nps": "NPS", "csat": "CSAT", "ces": "CES"}


@dataclass
class Table:
    """A table for people: raw values (for the workbook) and how each column is formatted (for slides and pages).

    Formats: int, pct (a share 0..1), points (0..100 shown as %), dec1, dec2, signed (−2..+2), text.
    """

    frame: pd.DataFrame
    formats: dict[str, str] = field(default_factory=dict)
    template: list[bool] = field(default_factory=list)  # per row: un-reviewed template content

    def display(self) -> pd.DataFrame:
        """Every value as text in the workshop's locale ('–' for none)."""
        out = self.frame.copy()
        for column in out.columns:
            kind = self.formats.get(column, "text")
            out[column] = [fmt(v, kind) for v in out[column]]
        return out

    def __len__(self) -> int:
        return len(self.frame)


def fmt(value: Any, kind: str = "text") -> str:
    """One value for people, in the current locale."""
    if kind == "text":
        if value is None or (isinstance(value, float) and value != value):
            return ""
        return (_("yes") if value else "") if isinstance(value, bool) else str(value)
    if missing(value):
        return NONE
    return {"int": lambda v: number(round(float(v))), "pct": lambda v: percent(v), "points": lambda v: points(v),
            "dec1": lambda v: fixed(v, 1), "dec2": lambda v: fixed(v, 2), "signed": lambda v: fixed(v, 1, signed=True),
            "num": lambda v: number(v)}[kind](value)


@dataclass
class Report:
    """One workshop's content for export: steps, findings, tables, charts (rendered once) and notes."""

    steps: Bundle
    folder: str
    language: str = "en"
    exported: date = field(default_factory=date.today)
    findings: list[Any] | None = None  # `jmapkit check` (quality.Finding), when the report was built from a workshop
    links: list[Any] = field(default_factory=list)  # drill-down links (drilldown.LinkState)
    _png: dict[str, bytes] = field(default_factory=dict, repr=False)

    # --- text --------------------------------------------------------------------------------------------

    @property
    def title(self) -> str:
        return self.steps.name or self.folder

    @property
    def goals(self) -> Goals:
        return self.steps.goals

    @property
    def touchpoints(self) -> Touchpoints:
        return self.steps.touchpoints

    @property
    def map(self) -> Map:
        return self.steps.map

    def subtitle(self) -> list[tuple[str, str]]:
        """(label, value) lines for the title slide: goal, period, scope, date."""
        g = self.goals
        scope = _("customer journey map") if g.scope == "journey" else _("customer experience map")
        return [
            (_("Customer goal"), g.customer_goal or _("– (not set in step 1)")),
            (_("Period"), g.time_period or _("– (not set in step 1)")),
            (_("Scope"), scope),
            (_("Date"), self.exported.isoformat()),
            *[self._link_line(link) for link in self.links],
            *([(_("Check"), self.check_summary())] if self.findings is not None else []),
        ]

    def check_summary(self) -> str:
        """'0 errors, 12 warnings (JM305 ×5, JM601 ×4, …)': what `jmapkit check` says, with its rule codes."""
        from jmapkit.quality import summary_line

        return summary_line(self.findings or [], codes=True)

    def _link_line(self, link: Any) -> tuple[str, str]:
        if link.role == "parent":
            return (_("Drilled from"), _("{name} (experience map), hotspot {hotspot}").format(
                name=link.name or link.path, hotspot=self.touchpoint_label(link.hotspot)))
        return (_("Journey map"), f"{self.touchpoint_label(link.hotspot)}: {link.describe()}")

    def stage_label(self, stage: str) -> str:
        return {s.id: s.label for s in self.touchpoints.stages}.get(stage, stage)

    def touchpoint_label(self, tp: str) -> str:
        return {t.id: t.label for t in self.touchpoints.touchpoints}.get(tp, tp)

    # --- findings ------------------------------------------------------------------------------------------

    @cached_property
    def kpis(self) -> list[KpiStatus]:
        return kpi_status(self.steps)

    def biggest_drop(self) -> dict[str, Any] | None:
        """The stage step that loses the largest share of customers: from, to, lost share, counts."""
        f = self.steps.tables.get("funnel")
        if f is None or len(f) < 2:
            return None
        rows = f.to_dict("records")
        best = None
        for before, after in zip(rows, rows[1:], strict=False):
            if not before["reached"]:
                continue
            lost = 1 - float(after["reached"]) / float(before["reached"])
            if best is None or lost > best["lost"]:
                best = {"from": self.stage_label(str(before["stage"])), "to": self.stage_label(str(after["stage"])),
                        "lost": lost, "n_from": int(before["reached"]), "n_to": int(after["reached"])}
        if best:
            best.update(first=int(rows[0]["reached"]), last=int(rows[-1]["reached"]),
                        last_stage=self.stage_label(str(rows[-1]["stage"])))
        return best

    def lowest_touchpoint(self) -> dict[str, Any] | None:
        """The lowest-scoring touchpoint: CSAT where measured, else NPS, else the highest-effort CES."""
        s = self.steps.tables.get("scores")
        if s is None:
            return None
        for metric in ("csat", "nps", "ces"):
            part = s[(s["group_by"] == "touchpoint") & (s["metric"] == metric)]
            if not len(part):
                continue
            r = part.sort_values("value", ascending=metric != "ces", kind="stable").iloc[0]
            low, high = r.get("ci_low"), r.get("ci_high")
            half = None if missing(low) or missing(high) else (float(high) - float(low)) / 2
            return {"metric": metric, "name": METRIC_NAMES[metric],
                    "touchpoint": self.touchpoint_label(str(r["group"])), "value": float(r["value"]), "half": half,
                    "n": int(r["n"]), "of": len(part),
                    "ci_low": low, "ci_high": high}
        return None

    def score_text(self, metric: str, value: Any) -> str:
        """A score as people read it: CSAT as '44%', NPS as '+11', CES as '4.1'."""
        if metric == "csat":
            return points(value)
        if metric == "nps":
            return fixed(value, 0, signed=True)
        return fixed(value, 1)

    def top_pains(self, k: int = 3) -> list[tuple[Any, int]]:
        return self.map.ranked(self.touchpoints)[:k]

    def kpi_gaps(self) -> list[KpiStatus]:
        """KPIs still short of their target (largest gap first), then those whose figures need a second look."""
        short = sorted([s for s in self.kpis if s.gap is not None and s.gap > 0], key=lambda s: -(s.gap or 0))
        return short + [s for s in self.kpis if s.flags and s not in short]

    def ends(self) -> dict[str, Any] | None:
        """The touchpoint after which the most customers end their journey."""
        t = self.steps.tables.get("touchpoints")
        if t is None or "dropoff_after" not in t or not len(t):
            return None
        ended = (t["customers"] * t["dropoff_after"]).round()
        i = int(ended.idxmax())
        return {"touchpoint": self.touchpoint_label(str(t.loc[i, "touchpoint"])), "ended": int(ended[i]),
                "share": float(t.loc[i, "dropoff_after"])}

    def emotion_low(self) -> dict[str, Any] | None:
        """The touchpoint where customers feel worst, by the best evidence there is (measured, voted, team)."""
        points_ = [p for r in self.lanes[self.lanes["lane"] == "emotion"].to_dict("records") for p in r["points"]]
        for kind in ("measured", "voted", "team"):
            have = [p for p in points_ if p.get(kind) is not None]
            if have:
                p = min(have, key=lambda p: p[kind])
                return {"touchpoint": p["label"], "kind": kind, "value": p[kind],
                        "template": kind == "team" and p["team_kind"] == "template"}
        return None

    def headline(self, section: str) -> str:
        """The slide title: what the section found, not which step it is."""
        return getattr(self, f"_headline_{section}")()

    def _headline_summary(self) -> str:
        parts = []
        drop = self.biggest_drop()
        if drop:
            parts.append(_("{stage} loses {share} of customers").format(stage=f"{drop['from']} → {drop['to']}",
                                                                       share=percent(drop["lost"])))
        low = self.lowest_touchpoint()
        if low:
            half = f" (±{fixed(low['half'], 0)})" if low["half"] is not None else ""
            parts.append(_("{metric} at {touchpoint} is {value}{half}").format(
                metric=low["name"], touchpoint=low["touchpoint"], value=self.score_text(low["metric"], low["value"]),
                half=half))
        if not parts and self.map.pain_points:
            p, prio = self.top_pains(1)[0]
            parts.append(_("fix {touchpoint} first (P{priority})").format(
                touchpoint=self.touchpoint_label(p.touchpoint), priority=prio))
        text = "; ".join(parts) or _("no data and no pain points yet")
        return text[:1].upper() + text[1:]

    def _headline_goals(self) -> str:
        goal = self.goals.customer_goal
        return _("Goal: {goal}").format(goal=goal) if goal else _("Goals: no customer goal set in step 1 yet")

    def _headline_personas(self) -> str:
        ps = self.steps.personas.personas
        if not ps:
            return _("No persona yet: a journey map follows one")
        return _("Who we mapped: {names}").format(names=", ".join(p.name for p in ps))

    def _headline_touchpoints(self) -> str:
        tps = self.touchpoints
        mots = sum(t.moment_of_truth for t in tps.touchpoints)
        return _("{stages} stages, {touchpoints} touchpoints, {mots} moments of truth").format(
            stages=len(tps.stages), touchpoints=len(tps.touchpoints), mots=mots)

    def _headline_funnel(self) -> str:
        drop = self.biggest_drop()
        if not drop:
            return _("Funnel: no events file in step 4 yet")
        return _("{frm} → {to} loses {lost} of customers; {last} of {first} reach {stage}").format(
            to=drop["to"], lost=percent(drop["lost"]), frm=drop["from"], last=number(drop["last"]),
            first=number(drop["first"]), stage=drop["last_stage"])

    def _headline_dropoff(self) -> str:
        end = self.ends()
        if not end:
            return _("Drop-off: no events file in step 4 yet")
        return _("Most journeys end after {touchpoint}: {n} customers ({share} of its visitors)").format(
            touchpoint=end["touchpoint"], n=number(end["ended"]), share=percent(end["share"]))

    def _headline_scores(self) -> str:
        low = self.lowest_touchpoint()
        if not low:
            return _("Scores: no survey file in step 4 yet")
        half = f" (±{fixed(low['half'], 0)})" if low["half"] is not None else ""
        return _("{metric} at {touchpoint} is {value}{half}, the lowest of {k} touchpoints").format(
            metric=low["name"], touchpoint=low["touchpoint"], value=self.score_text(low["metric"], low["value"]),
            half=half, k=low["of"])

    def _headline_segments(self) -> str:
        t = self.segments_table().frame
        for metric, column in (("nps", "NPS"), ("csat", "CSAT"), ("ces", "CES")):
            if column in t and t[column].notna().sum() >= 2:
                # Higher is better except for CES (effort): the first row is the best either way.
                part = t[t[column].notna()].sort_values(column, ascending=metric == "ces", kind="stable")
                best, worst = part.iloc[0], part.iloc[-1]
                return _("{best} scores best ({metric} {value}), {worst} lowest ({low})").format(
                    best=best["persona"], metric=column, value=self.score_text(metric, best[column]),
                    worst=worst["persona"], low=self.score_text(metric, worst[column]))
        return _("Scores per persona: no survey scores per segment yet")

    def _headline_emotion(self) -> str:
        low = self.emotion_low()
        if not low:
            return _("Emotion: no estimate, vote or measurement yet")
        kind = {"measured": _("measured"), "voted": _("voted"), "team": _("team estimate")}[low["kind"]]
        if low["template"]:
            kind = _("template estimate, not reviewed")
        return _("Customers feel worst at {touchpoint} ({kind} {value})").format(
            touchpoint=low["touchpoint"], kind=kind, value=fixed(low["value"], 1, signed=True))

    def _headline_map(self) -> str:
        pains = self.top_pains(1)
        if not pains:
            return _("Journey map: no pain points placed yet")
        return _("Journey map: {n} pain points, the most urgent at {touchpoint}").format(
            n=len(self.map.pain_points), touchpoint=self.touchpoint_label(pains[0][0].touchpoint))

    def _headline_pain_points(self) -> str:
        pains = self.top_pains(1)
        if not pains:
            return _("Pain points: none placed on the map yet")
        p, prio = pains[0]
        owner = p.owner or _("no owner yet")
        return _("Fix first: {touchpoint} (P{priority}, {owner})").format(
            touchpoint=self.touchpoint_label(p.touchpoint), priority=prio, owner=owner)

    def _headline_opportunities(self) -> str:
        ops = self.map.opportunities
        if not ops:
            return _("Opportunities: none noted yet")
        return _("{n} opportunities to build on").format(n=len(ops))

    def _headline_kpis(self) -> str:
        if not self.kpis:
            return _("KPIs: none set in step 5 yet")
        measured = [s for s in self.kpis if s.measured is not None]
        flagged = [s for s in self.kpis if s.flags]
        text = _("{m} of {n} KPIs measured this run").format(m=len(measured), n=len(self.kpis))
        if flagged:
            text += "; " + _("{k} need a second look").format(k=len(flagged))
        return text

    def summary(self) -> list[tuple[str, list[str]]]:
        """The executive summary: (heading, lines) for the drop-off, the lowest score, pain points, KPI gaps."""
        blocks: list[tuple[str, list[str]]] = []
        drop = self.biggest_drop()
        blocks.append((_("Biggest drop-off"), [
            _("{frm} → {to}: {share} lost ({a} → {b} customers)").format(
                frm=drop["from"], to=drop["to"], share=percent(drop["lost"]), a=number(drop["n_from"]),
                b=number(drop["n_to"]))] if drop else [_("No funnel: {why}.").format(why=self.missing("funnel"))]))
        low = self.lowest_touchpoint()
        if low:
            ci = _("95 % CI {low}–{high}").format(low=self.score_text(low["metric"], low["ci_low"]),
                                                   high=self.score_text(low["metric"], low["ci_high"]))
            line = _("{touchpoint}: {metric} {value} ({ci}, n = {n})").format(
                touchpoint=low["touchpoint"], metric=low["name"], value=self.score_text(low["metric"], low["value"]),
                ci=ci, n=number(low["n"]))
            blocks.append((_("Lowest-scoring touchpoint"), [line]))
        else:
            blocks.append((_("Lowest-scoring touchpoint"), [_("No scores: {why}.").format(why=self.missing("scores"))]))
        pains = [
            _("P{priority} {touchpoint}: {description} — owner: {owner}; fix: {fix}").format(
                priority=prio, touchpoint=self.touchpoint_label(p.touchpoint), description=p.description,
                owner=p.owner or _("none yet"), fix=p.fix or _("none yet"))
            for p, prio in self.top_pains(3)]
        blocks.append((_("Top pain points"), pains or [_("No pain points on the map yet.")]))
        gaps = [self.kpi_line(s) for s in self.kpi_gaps()[:4]]
        blocks.append((_("KPI gaps"), gaps or [_("No KPI is measured against a target yet.")]))
        return blocks

    def kpi_line(self, s: KpiStatus) -> str:
        """'CSAT at ordering: 44% now (baseline 48%), target 70%' plus any flag."""
        unit = s.kpi.unit
        now = with_unit(round(s.measured.value, 1), unit) if s.measured else _("not measured")
        text = _("{name}: {now} now (baseline {baseline}), target {target}").format(
            name=s.kpi.name, now=now, baseline=with_unit(s.kpi.baseline, unit), target=with_unit(s.kpi.target, unit))
        flags = [_(FLAG_TEXT[f]) for f in s.flags]
        return text + (" — " + "; ".join(flags) if flags else "")

    # --- tables ------------------------------------------------------------------------------------------

    @cached_property
    def lanes(self) -> pd.DataFrame:
        return journey.lanes(self.steps)

    def data(self, name: str) -> Table:
        """A table by SHEETS name, with labels (never ids) and readable headers."""
        return getattr(self, {"funnel by persona": "segment_funnel_table", "drop-off": "dropoff_table",
                              "pain points": "pain_table"}.get(name, f"{name}_table"))()

    def summary_table(self) -> Table:
        import pandas as pd

        rows = [{"finding": heading, "detail": line} for heading, lines in self.summary() for line in lines]
        return Table(pd.DataFrame(rows, columns=["finding", "detail"]))

    def goals_table(self) -> Table:
        from jmapkit.steps import goals

        frame = goals.summary(self.goals)
        return Table(frame[frame["field"] != _("Source")].reset_index(drop=True))

    def personas_table(self) -> Table:
        import pandas as pd

        ps = self.steps.personas.personas
        rows = [{"name": p.name, "role": p.role, "data segment": p.segment or "", "goals": "\n".join(p.goals),
                 "needs": "\n".join(p.needs), "frustrations": "\n".join(p.frustrations), "quote": p.quote,
                 "evidence": "\n".join(p.evidence), "source": describe_source(p.source)} for p in ps]
        return Table(pd.DataFrame(rows, columns=["name", "role", "data segment", "goals", "needs", "frustrations",
                                                 "quote", "evidence", "source"]),
                     template=[p.source.kind == "template" for p in ps])

    def touchpoints_table(self) -> Table:
        from jmapkit.steps import touchpoints

        frame = touchpoints.summary(self.touchpoints).rename(columns={"moment_of_truth": "moment of truth",
                                                                      "events": "event names"})
        frame["source"] = [describe_source(t.source) for s in self.touchpoints.stages
                           for t in self.touchpoints.in_stage(s.id)]
        return Table(frame, template=[t.source.kind == "template" for s in self.touchpoints.stages
                                      for t in self.touchpoints.in_stage(s.id)])

    def funnel_table(self) -> Table:
        return self._funnel_like(self.steps.tables.get("funnel"), [])

    def segment_funnel_table(self) -> Table:
        return self._funnel_like(self.steps.tables.get("funnel_by_segment"), ["persona", "segment"])

    def _funnel_like(self, f: pd.DataFrame | None, keys: list[str]) -> Table:
        import pandas as pd

        columns = {"stage": "stage", "reached": "reached", "conversion_from_previous": "from previous stage",
                   "conversion_from_first": "from first stage", "median_hours": "median hours",
                   "p90_hours": "p90 hours", "entered_here": "entered here", "dropped": "dropped"}
        formats = {"reached": "int", "from previous stage": "pct", "from first stage": "pct", "median hours": "dec1",
                   "p90 hours": "dec1", "entered here": "int", "dropped": "int"}
        if f is None:
            return Table(pd.DataFrame(columns=keys + list(columns.values())), formats)
        keep = [c for c in keys if c in f] + [c for c in columns if c in f]
        frame = f[keep].rename(columns=columns).copy()
        frame["stage"] = [self.stage_label(str(s)) for s in frame["stage"]]
        return Table(frame.reset_index(drop=True), formats)

    def funnel_summary(self) -> pd.DataFrame:
        """The short funnel table of the funnel slide, as text."""
        t = self.funnel_table()
        keep = [c for c in ("stage", "reached", "from previous stage", "from first stage", "median hours")
                if c in t.frame]
        shown = t.display()[keep]
        if len(shown):
            shown.loc[0, "from previous stage"] = NONE
        return shown

    def dropoff_table(self) -> Table:
        import pandas as pd

        t = self.steps.tables.get("touchpoints")
        columns = ["touchpoint", "stage", "customers", "share of all customers", "journey ends here"]
        formats = {"customers": "int", "share of all customers": "pct", "journey ends here": "pct", "events": "int"}
        if t is None:
            return Table(pd.DataFrame(columns=columns), formats)
        frame = pd.DataFrame({
            "touchpoint": [self.touchpoint_label(str(v)) for v in t["touchpoint"]],
            "stage": [self.stage_label(str(v)) for v in t["stage"]],
            "customers": t["customers"],
            "share of all customers": t.get("share_of_customers"),
            "journey ends here": t.get("dropoff_after"),
        })
        return Table(frame.sort_values("journey ends here", ascending=False, kind="stable").reset_index(drop=True),
                     formats)

    def paths_table(self, top: int | None = None) -> Table:
        import pandas as pd

        p = journey.labelled(self.steps.tables.get("paths"), self.touchpoints)
        formats = {"steps": "int", "customers": "int", "share of customers": "pct"}
        if p is None:
            return Table(pd.DataFrame(columns=["path", "steps", "customers", "share of customers"]), formats)
        frame = p.rename(columns={"share": "share of customers"})
        return Table(frame.head(top) if top else frame, formats)

    def transitions_table(self) -> Table:
        import pandas as pd

        t = journey.labelled(self.steps.tables.get("transitions"), self.touchpoints)
        formats = {"moves": "int", "customers": "int", "share of moves from": "pct"}
        if t is None:
            return Table(pd.DataFrame(columns=["from", "to", "moves", "customers", "share of moves from"]), formats)
        return Table(t.rename(columns={"source": "from", "target": "to", "count": "moves",
                                       "share_of_source": "share of moves from"}), formats)

    def scores_table(self) -> Table:
        import pandas as pd

        s = self.steps.tables.get("scores")
        formats = {"n": "int", "value": "dec1", "95 % CI low": "dec1", "95 % CI high": "dec1"}
        columns = ["grouping", "group", "persona", "metric", "n", "value", "95 % CI low", "95 % CI high"]
        if s is None:
            return Table(pd.DataFrame(columns=columns), formats)
        personas = {p.segment: p.name for p in self.steps.personas.personas if p.segment}
        frame = pd.DataFrame({
            "grouping": s["group_by"],
            "group": [self.touchpoint_label(str(g)) if by == "touchpoint" else self.stage_label(str(g))
                      if by == "stage" else str(g) for by, g in zip(s["group_by"], s["group"], strict=True)],
            "persona": [personas.get(str(g), "") if by == "segment" else ""
                        for by, g in zip(s["group_by"], s["group"], strict=True)],
            "metric": [METRIC_NAMES.get(str(m), str(m)) for m in s["metric"]],
            "n": s["n"], "value": s["value"], "95 % CI low": s["ci_low"], "95 % CI high": s["ci_high"],
        })
        return Table(frame, formats)

    def metric_table(self, group_by: str) -> pd.DataFrame:
        """One row per touchpoint (or segment): NPS, CSAT and CES each as 'value (CI) n', as text."""
        import pandas as pd

        s = self.steps.tables.get("scores")
        if s is None:
            return pd.DataFrame()
        part = s[s["group_by"] == group_by]
        if group_by == "touchpoint":
            order = [t.id for t in self.touchpoints.touchpoints]
            label = self.touchpoint_label
        else:
            personas = {p.segment: p.name for p in self.steps.personas.personas if p.segment}
            label = lambda g: personas.get(g, g)  # noqa: E731
            order = sort_names(set(part["group"].astype(str)), self.language, key=label)  # by persona name
        metrics = [m for m in ("nps", "csat", "ces") if m in set(part["metric"])]
        metrics += sorted(set(part["metric"].astype(str)) - set(metrics))
        rows = []
        for g in [g for g in order if g in set(part["group"].astype(str))]:
            row = {_("touchpoint") if group_by == "touchpoint" else _("persona"): label(g)}
            for m in metrics:
                hit = part[(part["group"].astype(str) == g) & (part["metric"] == m)]
                row[METRIC_NAMES.get(m, m)] = self._score_cell(m, hit.iloc[0]) if len(hit) else NONE
            rows.append(row)
        return pd.DataFrame(rows)

    def _score_cell(self, metric: str, r: Any) -> str:
        ci = "" if missing(r["ci_low"]) else (
            f" ({self.score_text(metric, r['ci_low'])}…{self.score_text(metric, r['ci_high'])})")
        return f"{self.score_text(metric, r['value'])}{ci}, n = {number(r['n'])}"

    def segments_table(self) -> Table:
        """Per persona (data segment): NPS, CSAT, CES and the share reaching the last stage."""
        import pandas as pd

        s = self.steps.tables.get("scores")
        f = self.steps.tables.get("funnel_by_segment")
        personas = {p.segment: p.name for p in self.steps.personas.personas if p.segment}
        groups = sort_names(set(s.loc[s["group_by"] == "segment", "group"].astype(str)) if s is not None else set(),
                            self.language, key=lambda g: personas.get(g, g))  # by persona name, as readers sort
        rows = []
        for g in groups:
            row: dict[str, Any] = {"persona": personas.get(g, g), "segment": g}
            for m, column in METRIC_NAMES.items():
                hit = s[(s["group_by"] == "segment") & (s["group"].astype(str) == g) & (s["metric"] == m)]
                row[column] = float(hit.iloc[0]["value"]) if len(hit) else None
                row[f"{column} n"] = int(hit.iloc[0]["n"]) if len(hit) else None
            if f is not None and "segment" in f:
                own = f[f["segment"].astype(str) == g]
                row["reach the last stage"] = float(own.iloc[-1]["conversion_from_first"]) if len(own) else None
            rows.append(row)
        formats = {"NPS": "dec1", "CSAT": "dec1", "CES": "dec2", "NPS n": "int", "CSAT n": "int", "CES n": "int",
                   "reach the last stage": "pct"}
        return Table(pd.DataFrame(rows), formats)

    def emotion_table(self) -> Table:
        """Per touchpoint: the team's estimate, the participants' votes and the measured emotion, kept apart."""
        import pandas as pd

        rows, template = [], []
        for r in self.lanes[self.lanes["lane"] == "emotion"].to_dict("records"):
            for p in r["points"]:
                team_source = {None: "", "template": _(TEMPLATE_NOTE)}.get(p["team_kind"], _(p["team_kind"] or ""))
                rows.append({"stage": r["stage_label"], "touchpoint": p["label"], "team estimate": p["team"],
                             "team source": team_source, "voted": p["voted"], "votes": p["voted_n"],
                             "measured": p["measured"], "measured n": p["measured_n"],
                             "measured CI low": p["measured_ci_low"], "measured CI high": p["measured_ci_high"],
                             "measured from": journey.signals_text(p["measured_from"] or "")})
                template.append(p["team_kind"] == "template")
        formats = {"team estimate": "signed", "voted": "signed", "votes": "int", "measured": "signed",
                   "measured n": "int", "measured CI low": "signed", "measured CI high": "signed"}
        columns = ["stage", "touchpoint", "team estimate", "team source", "voted", "votes", "measured", "measured n",
                   "measured CI low", "measured CI high", "measured from"]
        return Table(pd.DataFrame(rows, columns=columns), formats, template)

    def sentiment_table(self) -> Table:
        import pandas as pd

        t = journey.labelled(self.steps.tables.get("sentiment"), self.touchpoints)
        formats = {"n": "int", "mean": "dec2", "ci_low": "dec2", "ci_high": "dec2", "unscored": "int"}
        if t is None:
            return Table(pd.DataFrame(columns=["touchpoint", "n", "mean"]), formats)
        return Table(t, formats)

    def pain_table(self) -> Table:
        from jmapkit.steps import map as map_step

        frame = map_step.pain_points(self.map, self.touchpoints)
        frame["evidence"] = ["\n".join(p.evidence) for p, _prio in self.map.ranked(self.touchpoints)]
        frame["source"] = [describe_source(p.source) for p, _prio in self.map.ranked(self.touchpoints)]
        return Table(frame, {"severity": "int", "frequency": "int", "priority": "int"},
                     [p.source.kind == "template" for p, _prio in self.map.ranked(self.touchpoints)])

    def opportunities_table(self) -> Table:
        import pandas as pd

        ops = self.map.opportunities
        rows = [{"stage": self.stage_label(o.stage) if o.stage else
                 self.stage_label(self.touchpoints.stage_of().get(o.touchpoint or "", "")),
                 "touchpoint": self.touchpoint_label(o.touchpoint) if o.touchpoint else "",
                 "opportunity": o.description, "owner": o.owner, "source": describe_source(o.source)} for o in ops]
        return Table(pd.DataFrame(rows, columns=["stage", "touchpoint", "opportunity", "owner", "source"]),
                     template=[o.source.kind == "template" for o in ops])

    def kpis_table(self) -> Table:
        import pandas as pd

        order = {s.id: i for i, s in enumerate(self.touchpoints.stages)}
        statuses = sorted(self.kpis, key=lambda s: order.get(s.kpi.stage, len(order)))
        rows = [{"stage": self.stage_label(s.kpi.stage), "KPI": s.kpi.name, "baseline": s.kpi.baseline,
                 "measured now": s.measured.value if s.measured else None,
                 "95 % CI low": s.measured.ci_low if s.measured else None,
                 "95 % CI high": s.measured.ci_high if s.measured else None,
                 "target": s.kpi.target, "unit": s.kpi.unit, "owner": s.kpi.owner, "data source": s.kpi.data_source,
                 "check": "; ".join(s.flags.values()), "source": describe_source(s.kpi.source)} for s in statuses]
        columns = ["stage", "KPI", "baseline", "measured now", "95 % CI low", "95 % CI high", "target", "unit",
                   "owner", "data source", "check", "source"]
        return Table(pd.DataFrame(rows, columns=columns),
                     {"baseline": "num", "measured now": "dec1", "95 % CI low": "dec1", "95 % CI high": "dec1",
                      "target": "num"}, [s.kpi.source.kind == "template" for s in statuses])

    def kpi_rows(self) -> pd.DataFrame:
        """The KPI slide's table as text: stage, KPI, baseline, measured now, target, owner, check."""
        import pandas as pd

        order = {s.id: i for i, s in enumerate(self.touchpoints.stages)}
        rows = []
        for s in sorted(self.kpis, key=lambda s: order.get(s.kpi.stage, len(order))):
            unit = s.kpi.unit
            now = NONE
            if s.measured:
                ci = "" if s.measured.ci_low is None else f" ({number(s.measured.ci_low, 0)}…" \
                                                          f"{number(s.measured.ci_high, 0)})"
                now = with_unit(round(s.measured.value, 1), unit) + ci
            rows.append({_("stage"): self.stage_label(s.kpi.stage), "KPI": s.kpi.name,
                         _("baseline"): with_unit(s.kpi.baseline, unit), _("measured now"): now,
                         _("target"): with_unit(s.kpi.target, unit),
                         _("owner"): s.kpi.owner, _("check"): "; ".join(_(FLAG_TEXT[f]) for f in s.flags) or "✓"
                         if s.measured else "; ".join(_(FLAG_TEXT[f]) for f in s.flags) or _("not tied to a metric")})
        return pd.DataFrame(rows)

    def map_table(self) -> Table:
        """The map as a grid: one row per lane, one column per stage."""
        import pandas as pd

        lanes = self.lanes
        grid = {}
        for stage in self.touchpoints.stages:
            cells = lanes[lanes["stage"] == stage.id].sort_values("lane_index")
            grid[stage.label] = list(cells["text"])
        labels = [_(label) for label in journey.LANES.values()]
        frame = pd.DataFrame({"lane": labels, **grid}) if grid else pd.DataFrame({"lane": labels})
        return Table(frame)

    def missing(self, table: str) -> str | None:
        """Why a step-4 table is not there (None when it is)."""
        if table in self.steps.tables:
            return None
        return self.steps.missing_tables.get(table, _("not computed"))

    # --- charts ------------------------------------------------------------------------------------------

    def chart(self, name: str, width: int | None = None) -> alt.TopLevelMixin:
        """funnel, time, nps, csat, ces, emotion or map, with step-3 labels and order."""
        from jmapkit import charts

        tables = self.steps.tables
        tp_order = [t.id for t in self.touchpoints.touchpoints]
        if name == "map":
            return charts.journey_map(self.lanes)
        if name in ("funnel", "time"):
            f = tables.get("funnel")
            if f is not None:
                f = f.assign(stage=[self.stage_label(str(s)) for s in f["stage"]])
            if name == "funnel":
                return charts.funnel(f, width=width or 460)
            return charts.time_between_stages(f, width=width or 420)
        if name in ("nps", "csat", "ces"):
            scores = tables.get("scores")
            if scores is not None:
                tp = scores["group_by"] == "touchpoint"
                scores = scores.assign(group=[self.touchpoint_label(str(g)) if t else str(g)
                                              for g, t in zip(scores["group"], tp, strict=True)])
            return charts.scores(scores, metric=name, order=[self.touchpoint_label(t) for t in tp_order],
                                 width=width or 760)
        if name == "emotion":
            e = tables.get("emotion")
            if e is not None:
                e = e.assign(touchpoint=[self.touchpoint_label(str(t)) for t in e["touchpoint"]])
            return charts.emotion_curve(e, (), [self.touchpoint_label(t) for t in tp_order])
        raise KeyError(name)

    def png(self, name: str, scale: float = 2.0, width: int | None = None) -> bytes:
        """The chart as PNG bytes, rendered once per report and size."""
        from jmapkit import charts

        key = f"{name}:{width}:{scale}"
        if key not in self._png:
            self._png[key] = charts.image(self.chart(name, width), scale=scale)
        return self._png[key]

    def svg(self, name: str, width: int | None = None) -> str:
        """The chart as SVG text (selectable text in a page), rendered offline."""
        from jmapkit import charts

        return charts.svg(self.chart(name, width))

    # --- provenance --------------------------------------------------------------------------------------

    def footer(self, section: str) -> str:
        """One line for the bottom of a slide or section: where its content comes from."""
        events, survey = data_evidence(self.steps, "events"), data_evidence(self.steps, "survey")
        return _("Source: ") + {
            "title": f"jmapkit {__version__} · " + _("exported {date}").format(date=self.exported.isoformat()),
            "summary": data_evidence(self.steps),
            "goals": describe_source(self.goals.source),
            "personas": _kinds([p.source for p in self.steps.personas.personas]),
            "touchpoints": _kinds([t.source for t in self.touchpoints.touchpoints]),
            "funnel": events,
            "dropoff": events,
            "scores": survey,
            "segments": survey,
            "emotion": self._emotion_sources(),
            "map": self._map_sources(),
            "pain_points": _kinds([p.source for p in self.map.pain_points]),
            "opportunities": _kinds([o.source for o in self.map.opportunities]),
            "kpis": _kinds([k.source for k in self.map.kpis]),
        }[section]

    def notes(self, section: str) -> str:
        """Speaker notes: where each number and each piece of content on the slide came from."""
        return "\n".join(getattr(self, f"_notes_{section}")())

    def _notes_title(self) -> list[str]:
        b = self.steps.results
        lines = [_("Workshop “{title}” (folder {folder}), exported {date} with jmapkit {version}.").format(
                     title=self.title, folder=self.folder, date=self.exported.isoformat(), version=__version__),
                 _("Customer goal and period: {source}.").format(source=describe_source(self.goals.source))]
        lines.append(_("Data: {evidence}.").format(evidence=data_evidence(self.steps)) if b and b.inputs else
                     _("Data: step 4 has not been run on data yet; the deck shows the team's content only."))
        if self.findings is not None:
            lines.append(_("jmapkit check: {summary}.").format(summary=self.check_summary()))
            lines += [f"{f.code} {_(f.severity)} (" + _("step {n}").format(n=f.step) + f"): {f.message}"
                      for f in self.findings[:15]]
            if len(self.findings) > 15:
                lines.append(_("… and {n} more (run `jmapkit check`).").format(n=len(self.findings) - 15))
        return lines

    def _notes_summary(self) -> list[str]:
        lines = [_("The findings of this workshop, each worked out from the tables on the following slides.")]
        for heading, items in self.summary():
            lines += [f"{heading}: {item}" for item in items]
        if self.findings is not None:
            lines.append(_("jmapkit check: {summary}.").format(summary=self.check_summary()))
        lines.append(_("Pain point priority P = severity × frequency, doubled at a moment of truth."))
        return lines

    def _notes_goals(self) -> list[str]:
        return [_("Goals come from step 1 ({source}).").format(source=describe_source(self.goals.source)),
                _("A map is tied to one customer goal and one period: say both before showing the map.")]

    def _notes_personas(self) -> list[str]:
        ps = self.steps.personas.personas
        if not ps:
            return [_("No personas saved in step 2: a journey map follows a persona — add one before presenting.")]
        lines = []
        for p in ps:
            evidence = "; " + (_("evidence: {evidence}").format(evidence=", ".join(p.evidence)) if p.evidence
                               else _("no evidence linked"))
            segment = "; " + _("data segment “{segment}”").format(segment=p.segment) if p.segment else ""
            lines.append(f"{p.name}: {describe_source(p.source)}{segment}{evidence}.")
        return lines

    def _notes_touchpoints(self) -> list[str]:
        tps = self.touchpoints
        lines = [_("{stages} stages and {touchpoints} touchpoints from step 3 ({sources}).").format(
                     stages=len(tps.stages), touchpoints=len(tps.touchpoints),
                     sources=_kinds([t.source for t in tps.touchpoints])),
                 _("★ marks a moment of truth, ⇄ a handoff between teams.")]
        mots = [t.label for t in tps.touchpoints if t.moment_of_truth]
        if mots:
            lines.append(_("Moments of truth: {names}.").format(names=", ".join(mots)))
        return lines

    def _notes_funnel(self) -> list[str]:
        why = self.missing("funnel")
        if why:
            return [_("No funnel: {why}.").format(why=why)]
        lines = [_("Funnel and time between stages computed from {evidence}.").format(
                     evidence=data_evidence(self.steps, "events")),
                 _("Ordered funnel: a customer reaches a stage after reaching the previous one; median and p90 hours "
                   "are from the first event of the previous stage to the first qualifying event of this one.")]
        f = self.steps.tables["funnel"]
        if "entered_here" in f:
            later = list(zip(f["stage"], f["entered_here"].fillna(0), strict=True))[1:]  # the first stage is the entry
            entered = ", ".join(f"{self.stage_label(str(s))} {number(n)}" for s, n in later if n)
            if entered:
                lines.append(_("Customers who entered the journey at a later stage (counted apart): {stages}.")
                             .format(stages=entered))
        return lines  # data warnings and install hints belong in step 4, not in what the presenter reads out

    def _notes_dropoff(self) -> list[str]:
        why = self.missing("touchpoints")
        if why:
            return [_("No drop-off per touchpoint: {why}.").format(why=why)]
        return [_("Drop-off and paths from {evidence}.").format(evidence=data_evidence(self.steps, "events")),
                _("“Journey ends here” is the share of a touchpoint's customers for whom it was the last touchpoint; "
                  "paths collapse repeated touchpoints.")]

    def _notes_scores(self) -> list[str]:
        why = self.missing("scores")
        if why:
            return [_("No NPS, CSAT or CES: {why}.").format(why=why)]
        s = self.steps.tables["scores"]
        lines = [_("NPS, CSAT and CES per touchpoint from {evidence}.").format(
                     evidence=data_evidence(self.steps, "survey")),
                 _("NPS = % promoters (9–10) − % detractors (0–6); CSAT = % scoring 4–5; CES = mean effort 1–7 "
                   "(lower is better); brackets are 95 % CIs.")]
        overall = s[s["group_by"] == "all"]
        for r in overall.to_dict("records"):
            m = str(r["metric"])
            lines.append(_("All respondents: {metric} {value} (n = {n}, 95 % CI {low}…{high}).").format(
                metric=METRIC_NAMES.get(m, m), value=self.score_text(m, r["value"]), n=number(r["n"]),
                low=self.score_text(m, r["ci_low"]), high=self.score_text(m, r["ci_high"])))
        return lines

    def _notes_segments(self) -> list[str]:
        why = self.missing("scores")
        if why:
            return [_("No scores per persona: {why}.").format(why=why)]
        return [_("Scores per data segment from {evidence}; a persona is linked to its segment in step 2. "
                  "“Reach the last stage” is the segment's funnel.").format(
                    evidence=data_evidence(self.steps, "survey"))]

    def _notes_emotion(self) -> list[str]:
        lines = [_("Three sources, never mixed: the team's estimate (step 4), participants' votes (with n) and the "
                   "emotion measured from survey scores and verbatims (with n and 95 % CI), all on −2..+2.")]
        for r in self.lanes[self.lanes["lane"] == "emotion"].to_dict("records"):
            if r["evidence"]:
                lines.append(f"{r['stage_label']}: {r['evidence']}.")
        if any(p["team_kind"] == "template" for r in self.lanes["points"] for p in r):
            lines.append(_("Team estimates marked template: {note}; they are not votes.").format(note=_(TEMPLATE_NOTE)))
        return lines

    def _notes_map(self) -> list[str]:
        lanes = self.lanes
        cells = lanes[lanes["n"] > 0]
        template = int(cells["template"].sum())
        lines = [_("Journey map of {stages} stages; {cells} filled cells, {template} items with template content "
                   "({note}; grey italic).").format(stages=len(self.touchpoints.stages), cells=len(cells),
                                                    template=template, note=_(TEMPLATE_NOTE))]
        for r in lanes[lanes["lane"] == "emotion"].to_dict("records"):
            if r["evidence"]:
                lines.append(_("Emotion in {stage}: {evidence}.").format(stage=r["stage_label"],
                                                                         evidence=r["evidence"]))
        lines.append(_("Pain point priority P = severity × frequency, doubled at a moment of truth (★)."))
        return lines

    def _notes_pain_points(self) -> list[str]:
        jm = self.map
        if not jm.pain_points:
            return [_("No pain points in step 5: a journey map is not a persona with arrows; "
                      "add them before presenting.")]
        lines = [_("Priority = severity × frequency (1–5 each), ×2 at a moment of truth.")]
        for p, priority in jm.ranked(self.touchpoints):
            evidence = "; " + _("evidence: {evidence}").format(evidence=", ".join(p.evidence)) if p.evidence else ""
            if not p.evidence and not p.evidence_links:
                evidence = "; " + _("no evidence linked")
            lines.append(_("P{priority} at {touchpoint}: {source}").format(
                priority=priority, touchpoint=self.touchpoint_label(p.touchpoint), source=describe_source(p.source))
                + f"{evidence}.")
            for link in p.evidence_links:
                # The deck cites what the pain point rests on: n and the customers' own words.
                quotes = " ".join(f"“{q}”" for q in link.quotes[:3])
                n = f", n={link.n}" if link.n is not None else ""
                cited = "  " + _("Evidence ({kind}{n}): {summary}").format(kind=_(link.kind), n=n,
                                                                           summary=link.summary).rstrip(": ")
                lines.append(f"{cited} {quotes}" if quotes else cited)
        return lines

    def _notes_opportunities(self) -> list[str]:
        ops = self.map.opportunities
        if not ops:
            return [_("No opportunities in step 5.")]
        return [f"{o.description}: {describe_source(o.source)}." for o in ops]

    def _notes_kpis(self) -> list[str]:
        if not self.kpis:
            return [_("No KPIs in step 5: add one per stage with baseline, target and owner.")]
        lines = [_("“Measured now” is this run's value of the metric a KPI's data source names "
                   "(e.g. csat@order_counter); a baseline outside the measured 95 % CI contradicts the data.")]
        for s in self.kpis:
            where = s.kpi.data_source or _("no data source named")
            if s.measured:
                where += " = " + _("{metric} at {touchpoint}: {evidence}").format(
                    metric=s.measured.metric, touchpoint=s.measured.label,
                    evidence=data_evidence(self.steps, s.measured.source))
            lines.append(_("{kpi} ({stage}): {source}; measured in {where}.").format(
                kpi=s.kpi.name, stage=self.stage_label(s.kpi.stage), source=describe_source(s.kpi.source), where=where)
                + "".join(f" {m}" for m in s.flags.values()))
        return lines

    def _emotion_sources(self) -> str:
        kinds = set()
        for r in self.lanes[self.lanes["lane"] == "emotion"].to_dict("records"):
            kinds |= {k for k in str(r["sources"]).split(", ") if k}
        return ", ".join(sorted(_(k) for k in kinds)) or _("nothing entered yet")

    def _map_sources(self) -> str:
        kinds = set()
        for value in self.lanes["sources"]:
            kinds |= {k for k in str(value).split(", ") if k}
        shown = [_("template (grey italic, not yet reviewed)") if k == "template" else _(k) for k in sorted(kinds)]
        return ", ".join(shown) or _("nothing entered yet")


def with_unit(value: Any, unit: str) -> str:
    """'48%', '14 min', '1,200': a KPI value with its unit, in the workshop's number format."""
    if value is None:
        return NONE
    return number(value) + (unit if unit == "%" else f" {unit}" if unit else "")


def build(ws: Workshop) -> Report:
    """Load everything an export shows from a workshop folder, with its check and drill-down links."""
    from jmapkit.quality import check_view, view_of

    meta = ws.meta
    bundle = Bundle.load(ws)
    view = view_of(ws, bundle=bundle)
    return Report(steps=bundle, folder=ws.root.name, language=meta.language, findings=check_view(view),
                  links=list(view.links))


def _kinds(sources: list[Any]) -> str:
    """'3 team, 2 template — not yet reviewed by the team' for a list of Sources."""
    if not sources:
        return _("nothing entered yet")
    counts: dict[str, int] = {}
    for s in sources:
        text = describe_source(s)
        counts[text] = counts.get(text, 0) + 1
    if len(counts) == 1:
        return next(iter(counts))
    return ", ".join(f"{n} {text}" for text, n in sorted(counts.items(), key=lambda kv: -kv[1]))
