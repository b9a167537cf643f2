"""`jmapkit check`: the quality rules a journey map must pass before it is presented.

A map is only useful when it is tied to a customer goal and a time period, rests on evidence,
marks moments of truth, and gives every pain point an owner and a candidate fix.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from jmapkit.bundle import Bundle
from jmapkit.model import STEPS

if TYPE_CHECKING:
    from jmapkit.store import Workshop

Level = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    rule: str
    level: Level
    step: int
    message: str


Steps = Bundle  # the rules read one bundle of all steps
Rule = Callable[[Bundle], Iterator[Finding]]
RULES: list[Rule] = []


def rule(fn: Rule) -> Rule:
    RULES.append(fn)
    return fn


@rule
def goal_and_period(s: Steps) -> Iterator[Finding]:
    if not s.goals.customer_goal.strip():
        yield Finding("goal-missing", "error", 1, "no customer goal: a map must follow one goal.")
    if not s.goals.time_period.strip():
        yield Finding("period-missing", "error", 1, "no time period: say which period the map describes.")


@rule
def personas_present(s: Steps) -> Iterator[Finding]:
    if not s.personas.personas:
        yield Finding("persona-missing", "error", 2, "no persona: a journey map follows a persona.")
    elif s.goals.scope == "journey" and len(s.personas.personas) > 1:
        names = ", ".join(p.name for p in s.personas.personas)
        yield Finding("persona-many", "warning", 2,
                      f"a journey map (CJM) follows one persona in depth; this one has {names}. "
                      "Pick one, or set the scope to 'experience'.")


@rule
def stages_and_touchpoints(s: Steps) -> Iterator[Finding]:
    if not s.touchpoints.stages:
        yield Finding("stages-missing", "error", 3, "no stages.")
    for stage in s.touchpoints.stages:
        if not s.touchpoints.in_stage(stage.id):
            yield Finding("stage-empty", "warning", 3, f"stage {stage.label!r} has no touchpoint.")
    if s.touchpoints.touchpoints and not any(t.moment_of_truth for t in s.touchpoints.touchpoints):
        yield Finding("no-moment-of-truth", "warning", 3, "no touchpoint is marked as a moment of truth.")
    for t in s.touchpoints.touchpoints:
        if not t.owner.strip():
            yield Finding("touchpoint-owner", "warning", 3, f"touchpoint {t.label!r} has no owner team.")


@rule
def evidence(s: Steps) -> Iterator[Finding]:
    if not s.results.inputs:
        yield Finding("no-evidence", "warning", 4,
                      "step 4 read no data: the map rests on the room's opinion only.")


@rule
def pain_points(s: Steps) -> Iterator[Finding]:
    known = {t.id for t in s.touchpoints.touchpoints}
    if not s.map.pain_points:
        yield Finding("no-pain-points", "error", 5,
                      "no pain points: a journey map is not a persona with arrows.")
    for i, p in enumerate(s.map.pain_points, start=1):
        label = f"pain point {i} ({p.description[:40]!r})"
        if p.touchpoint not in known:
            yield Finding("pain-point-touchpoint", "error", 5,
                          f"{label} is on touchpoint {p.touchpoint!r}, which step 3 does not have.")
        if not p.owner.strip():
            yield Finding("pain-point-owner", "error", 5, f"{label} has no owner.")
        if not p.fix.strip():
            yield Finding("pain-point-fix", "error", 5, f"{label} has no candidate fix.")


@rule
def kpis(s: Steps) -> Iterator[Finding]:
    stage_ids = {st.id for st in s.touchpoints.stages}
    covered = {k.stage for k in s.map.kpis}
    for k in s.map.kpis:
        if k.stage not in stage_ids:
            yield Finding("kpi-stage", "error", 5,
                          f"KPI {k.name!r} is on stage {k.stage!r}, which step 3 does not have.")
        if k.target is None or not k.owner.strip():
            yield Finding("kpi-incomplete", "warning", 5, f"KPI {k.name!r} needs a target and an owner.")
    for st in s.touchpoints.stages:
        if st.id not in covered:
            yield Finding("stage-without-kpi", "warning", 5, f"stage {st.label!r} has no KPI.")


@rule
def reviewed(s: Steps) -> Iterator[Finding]:
    for info, model in zip(STEPS, (s.goals, s.personas, s.touchpoints, s.behaviour, s.map), strict=True):
        count = _template_records(model)
        if count:
            yield Finding("template-content", "warning", info.number,
                          f"{count} item{'s' if count != 1 else ''} in step {info.number} ({info.title}) "
                          "still come from the template and were not reviewed by the team.")


def check_steps(steps: Steps) -> list[Finding]:
    """Every finding of every rule, errors first."""
    findings = [f for r in RULES for f in r(steps)]
    return sorted(findings, key=lambda f: (f.level != "error", f.step))


def check(ws: Workshop) -> list[Finding]:
    """Check a workshop's saved steps; a missing step 1–3 is an error raised by the store."""
    return check_steps(Bundle.load(ws))


def _template_records(model: object) -> int:
    from pydantic import BaseModel

    from jmapkit.model import Source

    count = 0
    if isinstance(model, BaseModel):
        source = getattr(model, "source", None)
        if isinstance(source, Source) and source.kind == "template":
            count += 1
        for name in type(model).model_fields:
            value = getattr(model, name)
            items = value if isinstance(value, list) else [value]
            count += sum(_template_records(v) for v in items if isinstance(v, BaseModel) and not isinstance(v, Source))
    return count
