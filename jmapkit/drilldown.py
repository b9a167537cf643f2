"""From an experience map's hotspot to a journey map, linked both ways.

Good practice starts broad with a customer experience map (the whole brand) to find hotspots, then maps
the worst one in depth as a customer journey map. `new_child` starts that journey map pre-filled from the
experience map: the hotspot's stage, split into one stage per touchpoint (the depth the journey map is
for), the chosen persona, the parent's data files and what the parent knows about the hotspot. Both
workshop.json files record the link; `feed_back` writes the journey map's key numbers into the
experience map's pain points at the hotspot after the journey map has run.

>>> from jmapkit import drilldown
>>> drilldown.new_child(shop, "shop-checkout", hotspot="checkout")  # doctest: +SKIP
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from jmapkit.errors import JmapkitError
from jmapkit.model import (
    KPI,
    Behaviour,
    BehaviourResults,
    Goals,
    Map,
    MapLink,
    Opportunity,
    PainPoint,
    Persona,
    Personas,
    Source,
    Stage,
    Touchpoint,
    Touchpoints,
    WorkshopMeta,
)

if TYPE_CHECKING:
    from jmapkit.store import Workshop

FEEDBACK_PREFIX = "journey map"  # evidence lines written by feed_back start with this and the child's path


@dataclass(frozen=True)
class LinkState:
    """One drill-down link as seen from a workshop: where the other map is and how far it has got."""

    role: Literal["parent", "child"]
    path: str  # as stored in workshop.json
    hotspot: str
    persona: str | None
    exists: bool
    name: str = ""  # the other workshop's name
    last_run: str | None = None
    errors: int | None = None  # a child's check (None for a parent, or when it is missing)
    warnings: int | None = None

    def describe(self) -> str:
        """'../shop-checkout: run 20261201T101500Z, 0 errors, 4 warnings' (or why it cannot say)."""
        if not self.exists:
            return f"{self.path}: missing"
        if self.role == "parent":
            return f"{self.path} ({self.name}), hotspot {self.hotspot}"
        if self.errors is None:
            return f"{self.path}: cannot be checked (a step file is broken; run jmapkit check there)"
        ran = f"run {self.last_run}" if self.last_run else "not run yet"
        return f"{self.path}: {ran}, {self.errors} errors, {self.warnings} warnings"

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "state": self.describe()}


# --- starting a journey map from a hotspot ---------------------------------------------------------------------------


def new_child(
    parent: Workshop,
    path: str | os.PathLike[str],
    *,
    hotspot: str,
    persona: str | None = None,
    name: str | None = None,
) -> Workshop:
    """Create a journey-map workshop at `path` for the parent's touchpoint `hotspot`, linked both ways."""
    from jmapkit.store import new_workshop

    goals, personas, tps = parent.load(Goals), parent.load(Personas), parent.load(Touchpoints)
    tp = _touchpoint(parent, tps, hotspot)
    chosen = _persona(parent, personas, persona)
    stage = next(s for s in tps.stages if s.id == tp.stage)
    meta = parent.meta
    child = new_workshop(path, language=meta.language, name=name or f"{meta.name} — {tp.label}")
    origin = Source(kind="template", detail=f"experience map {meta.name!r}, hotspot {tp.id}")
    for model in _child_steps(parent, child, goals, chosen, tps, stage, tp, origin):
        child.save(model)
    who = chosen.name if chosen else None
    # The parent's template, so the journey map gets the same facilitator notes and KPI library.
    _write_meta(child, child.meta.model_copy(update={
        "template": meta.template, "parent": MapLink(path=_link_path(child, parent.root), hotspot=tp.id, persona=who)}))
    link = MapLink(path=_link_path(parent, child.root), hotspot=tp.id, persona=who)
    others = [c for c in meta.children if parent.resolve(c.path).resolve() != child.root]
    _write_meta(parent, meta.model_copy(update={"children": [*others, link]}))
    return child


def _child_steps(parent: Workshop, child: Workshop, goals: Goals, persona: Persona | None, tps: Touchpoints,
                 stage: Stage, hotspot: Touchpoint, origin: Source) -> list[Any]:
    """Steps 1–5 of the journey map, every record marked as pre-filled (template) until the team reviews it."""
    from jmapkit.hotspots import reasons
    from jmapkit.quality import view_of

    in_stage = tps.in_stage(stage.id)
    ids = {t.id for t in in_stage}
    mark = {"source": origin}
    new_goals = goals.model_copy(update={
        "scope": "journey", **mark,
        "out_of_scope": [*goals.out_of_scope, f"Stages other than {stage.label!r} (see the experience map)"]})
    people = Personas(personas=[persona.model_copy(update={
        **mark, "evidence": [_repoint(parent, child, e) for e in persona.evidence]})] if persona else [])
    # One stage per touchpoint of the hotspot's stage: the journey map follows that stage step by step.
    steps = Touchpoints(
        stages=[Stage(id=t.id, name=t.label, source=origin) for t in in_stage],
        touchpoints=[t.model_copy(update={"stage": t.id, **mark}) for t in in_stage],
        event_map={event: tp for event, tp in tps.event_map.items() if tp in ids},
    )
    behaviour = parent.load_or_default(Behaviour)
    data = {n: _relative_to(child, parent.resolve(p)) for n, p in behaviour.data.items()}
    emotions = [e.model_copy(update=mark) for e in behaviour.emotions if e.touchpoint in ids]
    team = Behaviour(data=data, options=behaviour.options, emotions=emotions)
    parent_map = parent.load_or_default(Map)
    view = view_of(parent, links=False)
    sig = view.signals.get(hotspot.id)
    last = hotspot.stage == tps.stages[-1].id
    numbers = [f"experience map {parent.meta.name!r}: {r.text}" for r in reasons(sig, last_stage=last)] if sig else []
    pains = [p.model_copy(update={**mark, "evidence": [*(_repoint(parent, child, e) for e in p.evidence),
                                                        *(numbers if p.touchpoint == hotspot.id else [])]})
             for p in parent_map.pain_points if p.touchpoint in ids]
    if not any(p.touchpoint == hotspot.id for p in pains):
        pains.append(PainPoint(touchpoint=hotspot.id, description=f"Hotspot of the experience map at {hotspot.label}",
                               evidence=numbers, source=origin))
    opportunities = [o.model_copy(update={**mark, "stage": None}) for o in parent_map.opportunities
                     if o.touchpoint in ids]
    opportunities += [Opportunity(stage=hotspot.id, description=o.description, owner=o.owner, source=origin)
                      for o in parent_map.opportunities if o.stage == stage.id and o.touchpoint is None]
    kpis = [KPI(**{**k.model_dump(), "stage": hotspot.id, "source": origin.model_dump()})
            for k in parent_map.kpis if k.stage == stage.id]
    content = Map(pain_points=pains, opportunities=opportunities, kpis=kpis)
    return [new_goals, people, steps, team, content]


# --- the links and their state ---------------------------------------------------------------------------------------


def link_states(ws: Workshop) -> list[LinkState]:
    """This workshop's parent (if it was drilled from an experience map) and children, with their state."""
    meta = ws.meta
    out = []
    if meta.parent:
        other = _open(ws, meta.parent.path)
        out.append(LinkState("parent", meta.parent.path, meta.parent.hotspot, meta.parent.persona,
                             exists=other is not None, name=other.meta.name if other else ""))
    out += [_child_state(ws, link) for link in meta.children]
    return out


def children(ws: Workshop) -> list[LinkState]:
    """The journey maps drilled from this workshop's hotspots, with their last run and check counts."""
    return [link for link in link_states(ws) if link.role == "child"]


def _child_state(ws: Workshop, link: MapLink) -> LinkState:
    from jmapkit.quality import check_view, view_of

    child = _open(ws, link.path)
    if child is None:
        return LinkState("child", link.path, link.hotspot, link.persona, exists=False)
    try:
        findings, run = check_view(view_of(child, links=False)), child_run(child)
    except JmapkitError:
        findings, run = None, None  # a child with a broken step file: say so rather than fail the parent's check
    errors = None if findings is None else sum(f.severity == "error" for f in findings)
    return LinkState("child", link.path, link.hotspot, link.persona, exists=True, name=child.meta.name,
                     last_run=run, errors=errors,
                     warnings=None if findings is None else len(findings) - (errors or 0))


# --- feeding a journey map's findings back ------------------------------------------------------------------------


def feed_back(child: Workshop) -> str:
    """Write the journey map's key numbers into its experience map's pain points at the hotspot; returns the line.

    An earlier line from the same journey map is replaced, so a re-run updates the evidence instead of piling
    it up. With no pain point at the hotspot yet, one is added (owner and fix left for the team).
    """
    link = child.meta.parent
    parent = _open(child, link.path) if link else None
    if link is None or parent is None:
        where = f"its parent {link.path} is missing" if link else "it was not drilled from an experience map"
        raise JmapkitError(f"cannot feed {child.root.name} back: {where}.", where=str(child.root / "workshop.json"),
                           fix="start the journey map with `jmapkit new CHILD --from PARENT --hotspot TOUCHPOINT`.")
    prefix = f"{FEEDBACK_PREFIX} {_link_path(parent, child.root)}"
    line = f"{prefix}: {key_numbers(child, link.hotspot)}"
    content = parent.load_or_default(Map)
    run = child_run(child)
    found = False
    pains = []
    for p in content.pain_points:
        if p.touchpoint == link.hotspot:
            found = True
            p = p.model_copy(update={"evidence": [e for e in p.evidence if not e.startswith(prefix)] + [line]})
        pains.append(p)
    if not found:
        pains.append(PainPoint(touchpoint=link.hotspot, description=f"Found by the journey map {child.meta.name}",
                               evidence=[line], source=Source(kind="data", detail=prefix, run=run)))
    parent.save(content.model_copy(update={"pain_points": pains}))
    return line


def key_numbers(child: Workshop, hotspot: str) -> str:
    """The journey map's findings in one line: its run, conversion through its stages, the hotspot's scores."""
    from jmapkit.hotspots import score_text
    from jmapkit.quality import view_of

    view = view_of(child, links=False)
    parts = [f"run {child_run(child) or 'interactive'}"]
    funnel = list(view.results.funnel)
    if len(funnel) > 1 and funnel[0].reached:
        first, last = funnel[0], funnel[-1]
        label = {s.id: s.label for s in view.touchpoints.stages}
        parts.append(f"{last.reached / first.reached:.0%} of the {first.reached} customers who reached "
                     f"{label.get(first.stage, first.stage)} got through {label.get(last.stage, last.stage)}")
    sig = view.signals.get(hotspot)
    if sig:
        parts += [f"{score_text(s)} (n={s.n})" for s in sig.scores]
        if sig.measured is not None:
            parts.append(f"measured emotion {sig.measured:+.2f} (n={sig.measured_n})")
    pains = list(view.map.pain_points)
    done = sum(bool(p.owner.strip() and p.fix.strip()) for p in pains)
    parts.append(f"{len(pains)} pain points, {done} with owner and fix")
    return "; ".join(parts)


def child_run(child: Workshop) -> str | None:
    """The run the journey map's numbers come from: its latest successful run, else the run step 4 recorded."""
    from jmapkit.runs import last

    run = last(child)
    return run.id if run else child.load_or_default(BehaviourResults).run


# --- internals -----------------------------------------------------------------------------------------------------


def _touchpoint(ws: Workshop, tps: Touchpoints, hotspot: str) -> Touchpoint:
    wanted = hotspot.strip().casefold()
    for t in tps.touchpoints:
        if wanted in (t.id.casefold(), t.label.casefold()):
            return t
    known = ", ".join(t.id for t in tps.touchpoints) or "(none yet: add them in step 3)"
    raise JmapkitError(f"the experience map has no touchpoint {hotspot!r}.", where=str(ws.step_path(3)),
                       fix=f"use one of: {known}.")


def _persona(ws: Workshop, personas: Personas, name: str | None) -> Persona | None:
    if name is None:
        return personas.personas[0] if personas.personas else None
    for p in personas.personas:
        if p.name.casefold() == name.strip().casefold():
            return p
    raise JmapkitError(f"the experience map has no persona {name!r}.", where=str(ws.step_path(2)),
                       fix=f"use one of: {', '.join(repr(p.name) for p in personas.personas) or '(none yet)'}.")


def _open(ws: Workshop, path: str) -> Workshop | None:
    from jmapkit.store import WORKSHOP_FILE, Workshop

    target = ws.resolve(path)
    return Workshop(target) if (target / WORKSHOP_FILE).is_file() else None


def _link_path(ws: Workshop, other: Path) -> str:
    """`other` relative to this workshop's folder (so two maps moved together stay linked), else absolute."""
    return _relative_to(ws, other)


def _relative_to(ws: Workshop, target: Path) -> str:
    try:
        return Path(os.path.relpath(target.resolve(), ws.root)).as_posix()
    except ValueError:  # another drive (Windows): no relative path exists
        return str(target.resolve())


def _repoint(parent: Workshop, child: Workshop, evidence: str) -> str:
    """Evidence naming a file of the parent's folder, re-pointed so it still names that file from the child."""
    target = parent.resolve(evidence)
    return _relative_to(child, target) if not Path(evidence).is_absolute() and target.exists() else evidence


def _write_meta(ws: Workshop, meta: WorkshopMeta) -> None:
    from jmapkit.store import WORKSHOP_FILE, atomic_write_text

    with ws.locked():
        atomic_write_text(ws.path(WORKSHOP_FILE), meta.model_dump_json(indent=2) + "\n")
