"""`jmapkit check`: the coded rules a journey map must pass before it is presented.

A map is only useful when it is tied to a customer goal and a time period, rests on evidence, marks
moments of truth, handoffs and failure points, gives every pain point an owner and a candidate fix, and
is not older than the data it stands on. "A journey map is not a persona with arrows."

Every rule has a stable code (like a linter's), a severity, the step it is about, and a fix; each finding
names the item it is about. docs/check.md lists every rule. The rules read a `MapView`: the saved steps
plus the few step-4 numbers, run facts and links they need, so they never touch the workshop folder.

>>> from jmapkit import quality
>>> [f.code for f in quality.check(ws)]  # doctest: +SKIP
['JM101', 'JM501', ...]
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, Protocol

from jmapkit.bundle import Bundle
from jmapkit.hotspots import Signals, failure
from jmapkit.i18n import N_, _, ngettext
from jmapkit.model import (
    KPI,
    STEPS,
    DataRef,
    FunnelRow,
    Goals,
    PainPoint,
    Personas,
    ScoreRow,
    Touchpoints,
)

if TYPE_CHECKING:
    from jmapkit.drilldown import LinkState
    from jmapkit.kpis import KpiStatus
    from jmapkit.runs import Staleness
    from jmapkit.store import Workshop
    from jmapkit.suggestions import Moved

Severity = Literal["error", "warning"]
# Sources that are themselves evidence: participants' votes and notes, and numbers from data.
EVIDENCE_SOURCES = ("vote", "participant", "data")


@dataclass(frozen=True)
class Finding:
    """One problem: which rule (code, name), how bad, which step and item, what is wrong and how to fix it."""

    code: str
    name: str
    severity: Severity
    step: int
    item: str | None  # what it is about (a touchpoint, persona, KPI, file …); None: the step as a whole
    message: str
    fix: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def line(self) -> str:
        """'JM101 error   step 1  goal-missing: no customer goal … Fix: …' for the terminal."""
        severity = _("error") if self.severity == "error" else _("warning")
        return (f"{self.code} {severity:<7} " + _("step {n}").format(n=self.step) + f"  {self.name}: {self.message} "
                + _("Fix: {fix}").format(fix=self.fix))


# --- what the rules read ----------------------------------------------------------------------------------------


class TeamInput(Protocol):
    """Step 4 as the team enters it."""

    @property
    def data(self) -> Mapping[str, str]: ...
    @property
    def emotions(self) -> Sequence[Any]: ...  # each with .touchpoint


class Results(Protocol):
    """Step 4 as jmapkit computes it."""

    @property
    def inputs(self) -> Mapping[str, DataRef]: ...
    @property
    def funnel(self) -> Sequence[FunnelRow]: ...
    @property
    def scores(self) -> Sequence[ScoreRow]: ...
    @property
    def tables(self) -> Mapping[str, str]: ...


class MapContent(Protocol):
    """Step 5: what the team placed on the map."""

    @property
    def pain_points(self) -> Sequence[PainPoint]: ...
    @property
    def kpis(self) -> Sequence[KPI]: ...


@dataclass(frozen=True)
class MapView:
    """Everything the rules read, typed; built from a workshop by `view_of` (or from any set of step models)."""

    goals: Goals
    personas: Personas
    touchpoints: Touchpoints
    behaviour: TeamInput
    results: Results
    map: MapContent
    signals: Mapping[str, Signals] = field(default_factory=dict)  # touchpoint → what step 4 measured there
    segments: frozenset[str] | None = None  # segment values found in the events (None: not known)
    age: Staleness | None = None  # the last run and what has moved since (jmapkit.runs.staleness)
    links: tuple[LinkState, ...] = ()  # drill-down links (parent and children) and whether they hold
    kpis: tuple[KpiStatus, ...] = ()  # each KPI with this run's measured value and flags (jmapkit.kpis)
    moved: tuple[Moved, ...] = ()  # pain points' evidence that moved significantly since it was linked

    @property
    def journey_order(self) -> list[Any]:
        """Touchpoints in the order a customer meets them: by stage, then as listed in step 3."""
        return [t for s in self.touchpoints.stages for t in self.touchpoints.in_stage(s.id)]


# --- the rules ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    """What a rule found: the item and the message, and a fix or step when they differ from the rule's own."""

    item: str | None
    message: str
    fix: str | None = None
    step: int | None = None


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Severity
    step: int
    summary: str  # what the rule asks, for docs/check.md and `jmapkit check --rules`
    fix: str
    run: Callable[[MapView], Iterator[Hit]]


RULES: dict[str, Rule] = {}
STRICT = ("JM601",)  # codes that --strict turns into errors
REFRESH_NAMES = (N_("monthly"), N_("quarterly"), N_("half-yearly"), N_("yearly"))  # step 1's cadences, via _()


def rule(code: str, name: str, severity: Severity, step: int, summary: str, fix: str
         ) -> Callable[[Callable[[MapView], Iterator[Hit]]], Callable[[MapView], Iterator[Hit]]]:
    """Register a rule under its stable code."""

    def register(fn: Callable[[MapView], Iterator[Hit]]) -> Callable[[MapView], Iterator[Hit]]:
        if code in RULES:
            raise ValueError(f"rule code {code} is used twice")
        RULES[code] = Rule(code, name, severity, step, summary, fix, fn)
        return fn

    return register


@rule("JM101", "goal-missing", "error", 1, N_("Step 1 names the customer goal the map follows."),
      N_("write the customer's goal in step 1 (e.g. 'get lunch within 30 minutes')."))
def _goal(v: MapView) -> Iterator[Hit]:
    if not v.goals.customer_goal.strip():
        yield Hit(None, _("no customer goal: a map must follow one goal."))


@rule("JM102", "period-missing", "error", 1, N_("Step 1 names the time period the map describes."),
      N_("write the period in step 1 (e.g. '2026 Q3')."))
def _period(v: MapView) -> Iterator[Hit]:
    if not v.goals.time_period.strip():
        yield Hit(None, _("no time period: say which period the map describes."))


@rule("JM201", "persona-missing", "error", 2, N_("Step 2 has at least one persona."),
      N_("add the persona the map follows in step 2."))
def _persona(v: MapView) -> Iterator[Hit]:
    if not v.personas.personas:
        yield Hit(None, _("no persona: a journey map follows a persona."))


@rule("JM202", "persona-many", "warning", 2, N_("A journey map (scope 'journey') follows one persona."),
      N_("keep one persona, or set the scope to 'experience' in step 1."))
def _persona_many(v: MapView) -> Iterator[Hit]:
    if v.goals.scope == "journey" and len(v.personas.personas) > 1:
        names = ", ".join(p.name for p in v.personas.personas)
        yield Hit(None, _("a journey map follows one persona in depth; this one has {names}.").format(names=names))


@rule("JM203", "persona-evidence", "warning", 2,
      N_("Each persona cites evidence (research, a data file) or is linked to a segment found in the data."),
      N_("add evidence links to the persona in step 2, or link it to a segment value of the events file."))
def _persona_evidence(v: MapView) -> Iterator[Hit]:
    for p in v.personas.personas:
        if p.evidence or p.source.kind in EVIDENCE_SOURCES:
            continue
        if p.segment and v.segments is not None and p.segment in v.segments:
            continue
        why = (_("its segment “{segment}” is not in the events data") if p.segment and v.segments is not None
               else _("its segment “{segment}” has not been found in data yet") if p.segment
               else _("no segment link")).format(segment=p.segment)
        yield Hit(p.name, _("persona “{name}” cites no evidence ({why}): it may be a guess.").format(name=p.name,
                                                                                                 why=why))


@rule("JM301", "stages-missing", "error", 3, N_("Step 3 has stages."), N_("add the journey's stages in step 3."))
def _stages(v: MapView) -> Iterator[Hit]:
    if not v.touchpoints.stages:
        yield Hit(None, _("no stages."))


@rule("JM302", "stage-empty", "warning", 3, N_("Every stage has at least one touchpoint."),
      N_("add a touchpoint to the stage in step 3, or remove the stage."))
def _stage_empty(v: MapView) -> Iterator[Hit]:
    for stage in v.touchpoints.stages:
        if not v.touchpoints.in_stage(stage.id):
            yield Hit(stage.id, _("stage “{stage}” has no touchpoint.").format(stage=stage.label))


@rule("JM303", "no-moment-of-truth", "warning", 3, N_("At least one touchpoint is marked as a moment of truth."),
      N_("mark the touchpoints where the customer decides to stay or leave as moments of truth in step 3."))
def _moment_of_truth(v: MapView) -> Iterator[Hit]:
    if v.touchpoints.touchpoints and not any(t.moment_of_truth for t in v.touchpoints.touchpoints):
        yield Hit(None, _("no touchpoint is marked as a moment of truth."))


@rule("JM304", "touchpoint-owner", "warning", 3, N_("Every touchpoint has an owner team."),
      N_("name the team that owns the touchpoint in step 3."))
def _touchpoint_owner(v: MapView) -> Iterator[Hit]:
    for t in v.touchpoints.touchpoints:
        if not t.owner.strip():
            yield Hit(t.id, _("touchpoint “{touchpoint}” has no owner team.").format(touchpoint=t.label))


@rule("JM305", "handoff-unmarked", "warning", 3,
      N_("Where the owner team changes between consecutive touchpoints, one of the two is marked as a handoff."),
      N_("mark the handoff in step 3 (handoff flag on either touchpoint), or correct the owner."))
def _handoff(v: MapView) -> Iterator[Hit]:
    order = v.journey_order
    for a, b in zip(order, order[1:], strict=False):
        owners = a.owner.strip(), b.owner.strip()
        if all(owners) and owners[0].casefold() != owners[1].casefold() and not (a.handoff or b.handoff):
            yield Hit(f"{a.id}→{b.id}",
                      _("the owner changes from {owner_a} (“{a}”) to {owner_b} (“{b}”) with no handoff marked: "
                        "handoffs are where journeys break.").format(owner_a=owners[0], a=a.label,
                                                                     owner_b=owners[1], b=b.label),
                      fix=_("mark “{a}” or “{b}” as a handoff in step 3, or correct the owner.").format(
                          a=a.label, b=b.label))


@rule("JM401", "no-evidence", "warning", 4, N_("Step 4 has read at least one data file."),
      N_("choose the events, survey or verbatims file in step 4 and run it (jmapkit run)."))
def _data(v: MapView) -> Iterator[Hit]:
    if not v.results.inputs:
        yield Hit(None, _("step 4 read no data: the map rests on the room's opinion only."))


@rule("JM402", "emotion-unbacked", "warning", 4,
      N_("The emotion curve rests on participants' votes or on data, not on the team's estimate alone."),
      N_("let participants vote (jmapkit serve), or add a survey or verbatims file in step 4."))
def _emotion(v: MapView) -> Iterator[Hit]:
    tps = v.touchpoints.touchpoints
    backed = {tp for tp, s in v.signals.items() if s.votes or s.measured_n}
    if tps and not backed & {t.id for t in tps}:
        yield Hit(None, _("no touchpoint's emotion comes from participants' votes or from data: "
                          "the emotion curve is a guess."))
        return
    labels = {t.id: t.label for t in tps}
    for e in v.behaviour.emotions:
        if e.touchpoint in labels and e.touchpoint not in backed:
            yield Hit(e.touchpoint, _("the emotion at “{touchpoint}” is the team's estimate only: "
                                      "neither participants' votes nor data.").format(touchpoint=labels[e.touchpoint]))


@rule("JM501", "no-pain-points", "error", 5, N_("Step 5 has pain points."),
      N_("place the pain points on the map in step 5 (each with an owner and a candidate fix)."))
def _pain_points(v: MapView) -> Iterator[Hit]:
    if not v.map.pain_points:
        yield Hit(None, _("no pain points: a journey map is not a persona with arrows."))


@rule("JM502", "pain-point-touchpoint", "error", 5, N_("Every pain point is on a touchpoint of step 3."),
      N_("move the pain point to a touchpoint of step 3, or add that touchpoint."))
def _pain_point_touchpoint(v: MapView) -> Iterator[Hit]:
    known = {t.id for t in v.touchpoints.touchpoints}
    for p in v.map.pain_points:
        if p.touchpoint not in known:
            yield Hit(_pain_label(p), _("pain point “{pain}” is on touchpoint “{touchpoint}”, which step 3 does not "
                                        "have.").format(pain=_pain_label(p), touchpoint=p.touchpoint))


@rule("JM503", "pain-point-owner", "error", 5, N_("Every pain point has an owner."),
      N_("name who owns the pain point in step 5."))
def _pain_point_owner(v: MapView) -> Iterator[Hit]:
    for p in v.map.pain_points:
        if not p.owner.strip():
            yield Hit(_pain_label(p), _("pain point “{pain}” has no owner.").format(pain=_pain_label(p)))


@rule("JM504", "pain-point-fix", "error", 5, N_("Every pain point has a candidate fix."),
      N_("write a candidate fix for the pain point in step 5."))
def _pain_point_fix(v: MapView) -> Iterator[Hit]:
    for p in v.map.pain_points:
        if not p.fix.strip():
            yield Hit(_pain_label(p), _("pain point “{pain}” has no candidate fix.").format(pain=_pain_label(p)))


@rule("JM505", "pain-point-evidence", "warning", 5,
      N_("Every pain point rests on evidence: a theme or score, a drop-off, votes or a note at its touchpoint, "
      "or evidence it cites."),
      N_("cite the evidence in the pain point (a file, a theme, a note), or bring data on its touchpoint in step 4."))
def _pain_point_evidence(v: MapView) -> Iterator[Hit]:
    for p in v.map.pain_points:
        sig = v.signals.get(p.touchpoint)
        cited = p.evidence or p.evidence_links  # a file or note it names, or a linked theme, drop-off or score
        if cited or p.source.kind in EVIDENCE_SOURCES or (sig and sig.measured_anything):
            continue
        yield Hit(_pain_label(p), _("pain point “{pain}” cites no evidence, and step 4 measured nothing at "
                                    "“{touchpoint}” (no score, theme, drop-off or vote).").format(
                                        pain=_pain_label(p), touchpoint=p.touchpoint))


@rule("JM506", "failure-point", "warning", 5,
      N_("Every failure point (many customers leave there, or its scores are clearly poor) has a pain point."),
      N_("add a pain point at the touchpoint in step 5 (or explain in the map why it is not one)."))
def _failure_points(v: MapView) -> Iterator[Hit]:
    last = v.touchpoints.stages[-1].id if v.touchpoints.stages else None
    with_pain = {p.touchpoint for p in v.map.pain_points}
    for t in v.journey_order:
        sig = v.signals.get(t.id)
        why = failure(sig, last_stage=t.stage == last) if sig else None
        if why and t.id not in with_pain:
            yield Hit(t.id, _("“{touchpoint}” is a failure point ({why}) with no pain point on it.").format(
                touchpoint=t.label, why=why))


@rule("JM510", "no-kpis", "error", 5, N_("Step 5 has KPIs."),
      N_("add one KPI per stage in step 5, with baseline, target, owner and data source."))
def _no_kpis(v: MapView) -> Iterator[Hit]:
    if v.touchpoints.stages and not v.map.kpis:
        yield Hit(None, _("no KPIs: nothing says how the team will know that the fixes worked."))


@rule("JM511", "kpi-stage", "error", 5, N_("Every KPI is on a stage of step 3."),
      N_("move the KPI to a stage of step 3, or add that stage."))
def _kpi_stage(v: MapView) -> Iterator[Hit]:
    stage_ids = {st.id for st in v.touchpoints.stages}
    for k in v.map.kpis:
        if k.stage not in stage_ids:
            yield Hit(k.name, _("KPI “{kpi}” is on stage “{stage}”, which step 3 does not have.").format(
                kpi=k.name, stage=k.stage))


@rule("JM512", "kpi-incomplete", "warning", 5, N_("Every KPI has a target and an owner."),
      N_("set the KPI's target and owner in step 5."))
def _kpi_incomplete(v: MapView) -> Iterator[Hit]:
    for k in v.map.kpis:
        if k.target is None or not k.owner.strip():
            yield Hit(k.name, _("KPI “{kpi}” needs a target and an owner.").format(kpi=k.name))


@rule("JM513", "stage-without-kpi", "warning", 5, N_("Every stage has a KPI."),
      N_("add a KPI for the stage in step 5 (the template's KPI library has suggestions)."))
def _stage_without_kpi(v: MapView) -> Iterator[Hit]:
    covered = {k.stage for k in v.map.kpis}
    for st in v.touchpoints.stages if v.map.kpis else ():
        if st.id not in covered:
            yield Hit(st.id, _("stage “{stage}” has no KPI.").format(stage=st.label))


@rule("JM514", "kpi-source", "warning", 5,
      N_("Every KPI names what measures it: a step-4 metric (csat@order_counter, conversion@purchase, nps, …) "
      "or an input file step 4 read (events, survey, verbatims)."),
      N_("set the KPI's data source to a metric step 4 measures (e.g. csat@checkout, conversion@buy, "
      "dropoff@checkout; docs/exports.md lists the forms), and bring that file in step 4."))
def _kpi_source(v: MapView) -> Iterator[Hit]:
    from jmapkit.kpis import FILES, UNKNOWN, parse

    for k in v.map.kpis:
        source = k.data_source.strip()
        head = source.partition(":")[0].strip().casefold()
        if not source:
            yield Hit(k.name, _("KPI “{kpi}” names no data source: nobody can measure it.").format(kpi=k.name))
        elif parse(source) is None and head not in FILES:
            yield Hit(k.name, _("KPI “{kpi}” is measured in “{source}”, which is neither a step-4 metric nor "
                                "an input file.").format(kpi=k.name, source=source))
        elif parse(source) is None and v.results.inputs and head not in v.results.inputs:
            yield Hit(k.name, _("KPI “{kpi}” is measured in the {file} file, which step 4 has not read.").format(
                kpi=k.name, file=head))
    for status in v.kpis:
        if UNKNOWN in status.flags:
            yield Hit(status.kpi.name, _("KPI “{kpi}”: {flag}").format(kpi=status.kpi.name, flag=status.flags[UNKNOWN]))


@rule("JM515", "kpi-baseline", "warning", 5,
      N_("A KPI's baseline agrees with what step 4 measured (inside its 95 % CI, or within 10 % without one)."),
      N_("set the baseline to the measured value, or check that the data source measures what the KPI means."))
def _kpi_baseline(v: MapView) -> Iterator[Hit]:
    from jmapkit.kpis import CONTRADICTS

    for status in v.kpis:
        if CONTRADICTS in status.flags:
            yield Hit(status.kpi.name, _("KPI “{kpi}”: {flag}").format(kpi=status.kpi.name,
                                                                       flag=status.flags[CONTRADICTS]))


@rule("JM516", "kpi-target", "warning", 5,
      N_("A KPI's target improves on its baseline and is not reached already."),
      N_("set a target that improves on the baseline and on this run's value, in the metric's direction."))
def _kpi_target(v: MapView) -> Iterator[Hit]:
    from jmapkit.kpis import NOT_IMPROVING, REACHED

    for status in v.kpis:
        for flag in (NOT_IMPROVING, REACHED):
            if flag in status.flags:
                yield Hit(status.kpi.name, _("KPI “{kpi}”: {flag}").format(kpi=status.kpi.name,
                                                                           flag=status.flags[flag]))


@rule("JM601", "template-content", "warning", 0,
      N_("Every item has been reviewed by the team (template content is example text, not this team's map)."),
      N_("review the step in its notebook: confirm or change each item (it then counts as the team's)."))
def _reviewed(v: MapView) -> Iterator[Hit]:
    parts = (v.goals, v.personas, v.touchpoints, v.behaviour, v.map)
    for info, model in zip(STEPS, parts, strict=True):
        labels = _template_items(model)
        if labels:
            more = len(labels) - 3
            shown = ", ".join(labels[:3]) + (" " + _("and {n} more").format(n=more) if more > 0 else "")
            yield Hit(info.key, ngettext(
                "{n} item in step {step} ({title}) still comes from the template, not reviewed by the team: {items}.",
                "{n} items in step {step} ({title}) still come from the template, not reviewed by the team: {items}.",
                len(labels)).format(n=len(labels), step=info.number, title=_(info.title), items=shown),
                      step=info.number,
                      fix=_("review step {step} in {notebook}: confirm or change each item.").format(
                          step=info.number, notebook=info.notebook))


@rule("JM701", "child-map-missing", "warning", 5,
      N_("Every journey map drilled from this experience map's hotspots is still where workshop.json says."),
      N_("move the journey map back, or correct its path in workshop.json (children)."))
def _children(v: MapView) -> Iterator[Hit]:
    for link in v.links:
        if link.role == "child" and not link.exists:
            yield Hit(link.hotspot, _("the journey map for hotspot “{hotspot}” is not at {path}.").format(
                hotspot=link.hotspot, path=link.path))


@rule("JM702", "parent-map-missing", "warning", 1,
      N_("The experience map this journey map was drilled from is still where workshop.json says."),
      N_("move the experience map back, or correct its path in workshop.json (parent)."))
def _parent(v: MapView) -> Iterator[Hit]:
    for link in v.links:
        if link.role == "parent" and not link.exists:
            yield Hit(link.path, _("the experience map this map was drilled from is not at {path}.").format(
                path=link.path))


@rule("JM801", "data-changed", "warning", 4,
      N_("The data files are the ones the last run read (same content hash)."),
      N_("run the workshop again on the new data (jmapkit run), so the map shows it."))
def _data_changed(v: MapView) -> Iterator[Hit]:
    if v.age is None or v.age.last_run is None:
        return
    for change in v.age.data_changes:
        message = (_("the {name} file {path} no longer exists since run {run}: the map shows older data.")
                   if change.reason == "missing" else
                   _("the {name} file {path} has changed since run {run}: the map shows older data."))
        yield Hit(change.name, message.format(name=change.name, path=change.path, run=v.age.last_run.id))


@rule("JM802", "saved-before-results", "warning", 5,
      N_("The team's own content in step 5 was saved after the data it rests on was first computed."),
      N_("review step 5's pain points and KPIs against the new numbers and save it."))
def _saved_before_results(v: MapView) -> Iterator[Hit]:
    a = v.age
    # Template content is JM601's business; this rule is about what the team wrote before the data moved.
    if a is None or not a.map_before_results or a.map_saved is None or not _has_team_content(v.map):
        return
    since = a.data_since or a.results_saved
    assert since is not None  # map_before_results holds only with it
    run = " (" + _("run {run}").format(run=a.last_run.id) + ")" if a.last_run else ""
    yield Hit("map", _("step 5's pain points and KPIs were saved on {saved}, before the data of {data}.").format(
        saved=_day(a.map_saved), data=_day(since) + run))


@rule("JM803", "refresh-due", "warning", 1, N_("The map's data is not older than the refresh cadence set in step 1."),
      N_("run the workshop on new data (jmapkit run --data ...), or change the refresh cadence in step 1."))
def _refresh(v: MapView) -> Iterator[Hit]:
    a = v.age
    if a is None or not a.overdue or a.as_of is None or a.due is None:
        return
    yield Hit(a.refresh, _("the map's data is from {as_of}; with a {refresh} refresh it was due again on {due}.")
              .format(as_of=_day(a.as_of), refresh=_(a.refresh), due=_day(a.due)))


@rule("JM804", "evidence-moved", "warning", 5,
      "The evidence a pain point was written on still says what it said (no significant change since).",
      "look at the pain point again with the new numbers: adjust its severity, frequency or text, or relink it.")
def _evidence_moved(v: MapView) -> Iterator[Hit]:
    for m in v.moved:
        p = v.map.pain_points[m.pain_point] if m.pain_point < len(v.map.pain_points) else None
        if p is None or m.link.value is None or m.now.value is None:
            continue
        yield Hit(p.description[:60], f"its {m.link.kind} evidence moved from {100 * m.link.value:.0f} % "
                                      f"(of {m.link.base}) to {100 * m.now.value:.0f} % (of {m.now.base}) since it was "
                                      f"linked (two-proportion test, p = {m.p_value:.3g}).")


# --- checking -----------------------------------------------------------------------------------------------------


def check_view(view: MapView, *, strict: bool = False) -> list[Finding]:
    """Every finding of every rule, errors first, then by step and code."""
    findings = []
    for r in RULES.values():
        severity: Severity = "error" if strict and r.code in STRICT else r.severity
        findings += [Finding(r.code, r.name, severity, hit.step or r.step, hit.item, hit.message,
                             hit.fix or _(r.fix)) for hit in r.run(view)]
    return sorted(findings, key=lambda f: (f.severity != "error", f.step, f.code))


def check(ws: Workshop, *, strict: bool = False) -> list[Finding]:
    """Check a workshop's saved steps (a step not saved yet counts as empty), its data's age and its links."""
    return check_view(view_of(ws), strict=strict)


def view_of(ws: Workshop, *, bundle: Bundle | None = None, links: bool = True) -> MapView:
    """The rules' view of a workshop: its steps, what step 4 measured per touchpoint, its age and its links.

    `bundle`: the workshop's steps when the caller has loaded them already. links=False leaves the
    drill-down links out (a child map's state is its own check without them, so two maps that link each
    other never check each other in a loop).
    """
    from jmapkit.drilldown import link_states
    from jmapkit.hotspots import signals_of
    from jmapkit.kpis import kpi_status
    from jmapkit.runs import staleness
    from jmapkit.suggestions import moved

    b = bundle or Bundle.load(ws)
    return MapView(goals=b.goals, personas=b.personas, touchpoints=b.touchpoints, behaviour=b.behaviour,
                   results=b.results, map=b.map, signals=signals_of(b), segments=_segments(b),
                   age=staleness(ws), links=tuple(link_states(ws)) if links else (),
                   kpis=tuple(kpi_status(b)), moved=tuple(moved(ws)))


def as_json(findings: Sequence[Finding], links: Sequence[LinkState] = ()) -> dict[str, Any]:
    """The check as one JSON document: counts, findings, and the drill-down links with their state."""
    errors = sum(f.severity == "error" for f in findings)
    return {"errors": errors, "warnings": len(findings) - errors, "findings": [f.as_dict() for f in findings],
            "links": [link.as_dict() for link in links]}


def summary_line(findings: Sequence[Finding], *, codes: bool = False) -> str:
    """'2 errors, 5 warnings', with codes=True '… (JM503 ×2, JM601 ×3)' (errors' codes first)."""
    errors = sum(f.severity == "error" for f in findings)
    warnings = len(findings) - errors
    line = (ngettext("{n} error", "{n} errors", errors).format(n=errors) + ", "
            + ngettext("{n} warning", "{n} warnings", warnings).format(n=warnings))
    if codes and findings:
        counts: dict[str, int] = {}
        for f in findings:  # already errors first
            counts[f.code] = counts.get(f.code, 0) + 1
        line += " (" + ", ".join(f"{code} ×{n}" if n > 1 else code for code, n in counts.items()) + ")"
    return line


# --- internals ---------------------------------------------------------------------------------------------------


def _day(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC") if at.utcoffset() == timedelta(0) else at.isoformat(timespec="minutes")


def _segments(b: Bundle) -> frozenset[str] | None:
    frame = b.tables.get("funnel_by_segment")
    if frame is None or "segment" not in frame:
        return None
    return frozenset(str(s) for s in frame["segment"].dropna() if str(s))


def _pain_label(p: PainPoint) -> str:
    return p.description if len(p.description) <= 40 else p.description[:39] + "…"


def _has_team_content(model: object) -> bool:
    """Whether any record of a step was entered or confirmed by the team (not only template content)."""
    return any(kind != "template" for _, kind in _sourced(model))


def _template_items(model: object) -> list[str]:
    """Labels of the records in a step that still carry the template's provenance."""
    return [label for label, kind in _sourced(model) if kind == "template"]


def _sourced(model: object) -> list[tuple[str, str]]:
    """(label, source kind) of every record with a provenance in a step, depth first."""
    from pydantic import BaseModel

    from jmapkit.model import Source

    found: list[tuple[str, str]] = []
    if isinstance(model, BaseModel):
        source = getattr(model, "source", None)
        if isinstance(source, Source):
            found.append((_record_label(model), source.kind))
        for name in type(model).model_fields:
            value = getattr(model, name)
            for v in value if isinstance(value, list) else [value]:
                if isinstance(v, BaseModel) and not isinstance(v, Source):
                    found += _sourced(v)
    return found


def _record_label(model: Any) -> str:
    for attr in ("name", "id", "description", "touchpoint"):
        value = getattr(model, attr, None)
        if isinstance(value, str) and value:
            return value if len(value) <= 30 else value[:29] + "…"
    return type(model).__name__.lower()


__all__ = ["RULES", "Finding", "MapView", "as_json", "check", "check_view", "summary_line", "view_of"]
