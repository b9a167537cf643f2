"""What every export shows: the tables, charts and provenance notes of one workshop, built once.

The pptx, html, xlsx and png exporters all read a `Report`, so a number is derived in one place and
cited the same way everywhere (data file + sha256 prefix + run, votes with n, team, or template).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING, Any

from jmapkit import __version__, journey
from jmapkit.bundle import Bundle
from jmapkit.journey import TEMPLATE_NOTE, data_evidence, describe_source, number
from jmapkit.model import Goals, Map, Touchpoints

if TYPE_CHECKING:
    import altair as alt
    import pandas as pd

    from jmapkit.store import Workshop

# Section key → slide/page title; the order of the deck and the page.
SECTIONS: dict[str, str] = {
    "goals": "Step 1 · Goals",
    "personas": "Step 2 · Personas",
    "touchpoints": "Step 3 · Stages & touchpoints",
    "funnel": "Step 4 · Behaviour: funnel",
    "scores": "Step 4 · Behaviour: NPS & CSAT",
    "map": "Step 5 · Journey map",
    "pain_points": "Step 5 · Pain points: owner & fix",
    "kpis": "Step 5 · KPIs: baseline → target",
}
# Sheet name → what it holds, in workbook order.
SHEETS = ("goals", "personas", "touchpoints", "funnel", "scores", "emotion", "pain points", "kpis", "map")


@dataclass
class Report:
    """One workshop's content for export: steps, lane table, tables, charts (rendered once) and notes."""

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
        scope = "customer journey map" if g.scope == "journey" else "customer experience map"
        return [
            ("Customer goal", g.customer_goal or "– (not set in step 1)"),
            ("Period", g.time_period or "– (not set in step 1)"),
            ("Scope", scope),
            ("Date", self.exported.isoformat()),
            *[self._link_line(link) for link in self.links],
            *([("Check", self.check_summary())] if self.findings is not None else []),
        ]

    def check_summary(self) -> str:
        """'0 errors, 12 warnings (JM305 ×5, JM601 ×4, …)': what `jmapkit check` says, with its rule codes."""
        from jmapkit.quality import summary_line

        return summary_line(self.findings or [], codes=True)

    def _link_line(self, link: Any) -> tuple[str, str]:
        if link.role == "parent":
            return ("Drilled from", f"{link.name or link.path} (experience map), hotspot "
                                    f"{self.touchpoint_label(link.hotspot)}")
        return ("Journey map", f"{self.touchpoint_label(link.hotspot)}: {link.describe()}")

    def stage_label(self, stage: str) -> str:
        return {s.id: s.label for s in self.touchpoints.stages}.get(stage, stage)

    def touchpoint_label(self, tp: str) -> str:
        return {t.id: t.label for t in self.touchpoints.touchpoints}.get(tp, tp)

    # --- tables ------------------------------------------------------------------------------------------

    @cached_property
    def lanes(self) -> pd.DataFrame:
        return journey.lanes(self.steps)

    def table(self, name: str) -> pd.DataFrame:
        """A table for people (labels, not ids), by SHEETS name; empty with its columns when the step is missing."""
        import pandas as pd

        from jmapkit.steps import goals, personas, touchpoints
        from jmapkit.steps import map as map_step

        if name == "goals":
            return goals.summary(self.goals)
        if name == "personas":
            return personas.summary(self.steps.personas)
        if name == "touchpoints":
            return touchpoints.summary(self.touchpoints)
        if name == "pain points":
            return map_step.pain_points(self.map, self.touchpoints)
        if name == "kpis":
            return map_step.kpis(self.map, self.touchpoints)
        if name == "map":
            frame = self.lanes[["stage_label", "lane_label", "text", "template", "sources", "evidence"]]
            return frame.rename(columns={"stage_label": "stage", "lane_label": "lane", "template": "template items"})
        frame = self.steps.tables.get(name)
        if frame is None:
            return pd.DataFrame()
        frame = frame.copy()
        if "stage" in frame:
            frame["stage"] = frame["stage"].astype(str).map(self.stage_label)
        if "touchpoint" in frame:
            frame["touchpoint"] = frame["touchpoint"].astype(str).map(self.touchpoint_label)
        if "group" in frame and "group_by" in frame:
            label = {"touchpoint": self.touchpoint_label, "stage": self.stage_label}
            pairs = zip(frame["group_by"], frame["group"], strict=True)
            frame["group"] = [label.get(by, str)(str(g)) for by, g in pairs]
        return frame

    def funnel_summary(self) -> pd.DataFrame:
        """The short funnel table of the behaviour slide: stage, reached, % of first, % from previous, median h."""
        import pandas as pd

        f = self.steps.tables.get("funnel")
        columns = ["stage", "reached", "of first", "from previous", "median hours"]
        if f is None:
            return pd.DataFrame(columns=columns)
        return pd.DataFrame({
            "stage": [self.stage_label(str(s)) for s in f["stage"]],
            "reached": [number(v) for v in f["reached"]],
            "of first": [_pct(v) for v in f["conversion_from_first"]],
            "from previous": ["–" if i == 0 else _pct(v) for i, v in enumerate(f["conversion_from_previous"])],
            "median hours": [number(v) for v in f["median_hours"]],
        }, columns=columns)

    def missing(self, table: str) -> str | None:
        """Why a step-4 table is not there (None when it is)."""
        if table in self.steps.tables:
            return None
        return self.steps.missing_tables.get(table, "not computed")

    # --- charts ------------------------------------------------------------------------------------------

    def chart(self, name: str) -> alt.TopLevelMixin:
        """funnel, time, nps, csat, emotion or map, with step-3 labels and order."""
        from jmapkit import charts

        tables = self.steps.tables
        tp_order = [t.id for t in self.touchpoints.touchpoints]
        if name == "map":
            return charts.journey_map(self.lanes)
        if name in ("funnel", "time"):
            f = tables.get("funnel")
            if f is not None:
                f = f.assign(stage=[self.stage_label(str(s)) for s in f["stage"]])
            return charts.funnel(f) if name == "funnel" else charts.time_between_stages(f)
        if name in ("nps", "csat"):
            scores = tables.get("scores")
            if scores is not None:
                tp = scores["group_by"] == "touchpoint"
                scores = scores.assign(group=[self.touchpoint_label(str(g)) if t else str(g)
                                              for g, t in zip(scores["group"], tp, strict=True)])
            return charts.scores(scores, metric=name, order=[self.touchpoint_label(t) for t in tp_order], width=760)
        if name == "emotion":
            e = tables.get("emotion")
            if e is not None:
                e = e.assign(touchpoint=[self.touchpoint_label(str(t)) for t in e["touchpoint"]])
            return charts.emotion_curve(e, (), [self.touchpoint_label(t) for t in tp_order])
        raise KeyError(name)

    def png(self, name: str, scale: float = 2.0) -> bytes:
        """The chart as PNG bytes, rendered once per report."""
        from jmapkit import charts

        if name not in self._png:
            self._png[name] = charts.image(self.chart(name), scale=scale)
        return self._png[name]

    # --- provenance --------------------------------------------------------------------------------------

    def footer(self, section: str) -> str:
        """One line for the bottom of a slide or section: where its content comes from."""
        return {
            "title": f"jmapkit {__version__} · exported {self.exported.isoformat()}",
            "goals": "Source: " + describe_source(self.goals.source),
            "personas": "Source: " + _kinds([p.source for p in self.steps.personas.personas]),
            "touchpoints": "Source: " + _kinds([t.source for t in self.touchpoints.touchpoints]),
            "funnel": "Source: " + data_evidence(self.steps, "events"),
            "scores": "Source: " + data_evidence(self.steps, "survey"),
            "map": "Source: " + self._map_sources(),
            "pain_points": "Source: " + _kinds([p.source for p in self.map.pain_points]),
            "kpis": "Source: " + _kinds([k.source for k in self.map.kpis]),
        }[section]

    def notes(self, section: str) -> str:
        """Speaker notes: where each number and each piece of content on the slide came from."""
        return "\n".join(getattr(self, f"_notes_{section}")())

    def _notes_title(self) -> list[str]:
        b = self.steps.results
        lines = [f"Workshop '{self.title}' (folder {self.folder}), exported {self.exported.isoformat()} "
                 f"with jmapkit {__version__}.",
                 f"Customer goal and period: {describe_source(self.goals.source)}."]
        lines.append(f"Data: {data_evidence(self.steps)}." if b and b.inputs else
                     "Data: step 4 has not been run on data yet; the deck shows the team's content only.")
        if self.findings is not None:
            lines.append(f"jmapkit check: {self.check_summary()}.")
            lines += [f"{f.code} {f.severity} (step {f.step}): {f.message}" for f in self.findings[:15]]
            if len(self.findings) > 15:
                lines.append(f"… and {len(self.findings) - 15} more (run `jmapkit check`).")
        return lines

    def _notes_goals(self) -> list[str]:
        return [f"Goals come from step 1 ({describe_source(self.goals.source)}).",
                "A map is tied to one customer goal and one period: say both before showing the map."]

    def _notes_personas(self) -> list[str]:
        ps = self.steps.personas.personas
        if not ps:
            return ["No personas saved in step 2: a journey map follows a persona — add one before presenting."]
        lines = []
        for p in ps:
            evidence = f"; evidence: {', '.join(p.evidence)}" if p.evidence else "; no evidence linked"
            segment = f"; data segment '{p.segment}'" if p.segment else ""
            lines.append(f"{p.name}: {describe_source(p.source)}{segment}{evidence}.")
        return lines

    def _notes_touchpoints(self) -> list[str]:
        tps = self.touchpoints
        lines = [f"{len(tps.stages)} stages and {len(tps.touchpoints)} touchpoints from step 3 "
                 f"({_kinds([t.source for t in tps.touchpoints])}).",
                 "★ marks a moment of truth, ⇄ a handoff between teams."]
        mots = [t.label for t in tps.touchpoints if t.moment_of_truth]
        if mots:
            lines.append("Moments of truth: " + ", ".join(mots) + ".")
        return lines

    def _notes_funnel(self) -> list[str]:
        why = self.missing("funnel")
        if why:
            return [f"No funnel: {why}."]
        lines = [f"Funnel and time between stages computed from {data_evidence(self.steps, 'events')}.",
                 "Ordered funnel: a customer reaches a stage after reaching the previous one; median and p90 hours "
                 "are from the first event of the previous stage to the first qualifying event of this one."]
        f = self.steps.tables["funnel"]
        if "entered_here" in f:
            later = list(zip(f["stage"], f["entered_here"].fillna(0), strict=True))[1:]  # the first stage is the entry
            entered = ", ".join(f"{self.stage_label(str(s))} {number(n)}" for s, n in later if n)
            if entered:
                lines.append(f"Customers who entered the journey at a later stage (counted apart): {entered}.")
        b = self.steps.results
        if b.warnings:
            unique = list(dict.fromkeys(b.warnings))
            lines += ["Data warning: " + w for w in unique[:5]]
            if len(unique) > 5:
                lines.append(f"… and {len(unique) - 5} more warnings (see step 4).")
        return lines

    def _notes_scores(self) -> list[str]:
        why = self.missing("scores")
        if why:
            return [f"No NPS or CSAT: {why}."]
        s = self.steps.tables["scores"]
        lines = [f"NPS and CSAT per touchpoint from {data_evidence(self.steps, 'survey')}.",
                 "NPS = % promoters (9–10) − % detractors (0–6); CSAT = % scoring 4–5; bars are 95 % CIs."]
        overall = s[s["group_by"] == "all"]
        for r in overall.to_dict("records"):
            lines.append(f"All respondents: {str(r['metric']).upper()} {number(r['value'])} "
                         f"(n={int(r['n'])}, 95 % CI {number(r['ci_low'])}…{number(r['ci_high'])}).")
        return lines

    def _notes_map(self) -> list[str]:
        lanes = self.lanes
        cells = lanes[lanes["n"] > 0]
        template = int((cells["template"] > 0).sum())
        lines = [f"Journey map of {len(self.touchpoints.stages)} stages; {len(cells)} filled cells, {template} of them "
                 f"with template content ({TEMPLATE_NOTE}; shown in grey)."]
        for r in lanes[lanes["lane"] == "emotion"].to_dict("records"):
            if r["evidence"]:
                lines.append(f"Emotion in {r['stage_label']}: {r['evidence']}.")
        lines.append("Pain point priority P = severity × frequency, doubled at a moment of truth (★).")
        return lines

    def _notes_pain_points(self) -> list[str]:
        jm = self.map
        if not jm.pain_points:
            return ["No pain points in step 5: a journey map is not a persona with arrows; add them before presenting."]
        lines = ["Priority = severity × frequency (1–5 each), ×2 at a moment of truth."]
        for p, priority in jm.ranked(self.touchpoints):
            evidence = f"; evidence: {', '.join(p.evidence)}" if p.evidence else "; no evidence linked"
            lines.append(f"P{priority} at {self.touchpoint_label(p.touchpoint)}: "
                         f"{describe_source(p.source)}{evidence}.")
        return lines

    def _notes_kpis(self) -> list[str]:
        jm = self.map
        if not jm.kpis:
            return ["No KPIs in step 5: add one per stage with baseline, target and owner."]
        b = self.steps.results
        lines = []
        for k in jm.kpis:
            where = k.data_source or "no data source named"
            if b and k.data_source in b.inputs:
                where = f"{k.data_source}: {data_evidence(self.steps, k.data_source)}"
            lines.append(f"{k.name} ({self.stage_label(k.stage)}): {describe_source(k.source)}; "
                         f"measured in {where}.")
        return lines

    def _map_sources(self) -> str:
        kinds = set()
        for value in self.lanes["sources"]:
            kinds |= {k for k in str(value).split(", ") if k}
        text = ", ".join(sorted(kinds)) or "nothing entered yet"
        return text.replace("template", "template (grey, not yet reviewed)")


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
        return "nothing entered yet"
    counts: dict[str, int] = {}
    for s in sources:
        text = describe_source(s)
        counts[text] = counts.get(text, 0) + 1
    if len(counts) == 1:
        return next(iter(counts))
    return ", ".join(f"{n} {text}" for text, n in sorted(counts.items(), key=lambda kv: -kv[1]))


def _pct(value: Any) -> str:
    text = number(None if value is None else 100 * float(value), 0) if value == value else "–"
    return text if text == "–" else f"{text} %"
