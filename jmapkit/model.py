"""The five steps' data models: what the team enters and what jmapkit derives, with provenance.

No widgets, charts or exporters are imported here; everything else depends on this module.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Scope = Literal["journey", "experience"]
Language = Literal["en", "de", "ko", "ja"]
LANGUAGES: tuple[str, ...] = ("en", "de", "ko", "ja")
Emotion = Annotated[int, Field(ge=-2, le=2)]
Rating = Annotated[int, Field(ge=1, le=5)]
Refresh = Literal["monthly", "quarterly", "half-yearly", "yearly"]

DEFAULT_STAGES = ("awareness", "consideration", "purchase", "onboarding", "retention", "advocacy")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class Source(_Model):
    """Where a value came from: the template, the team, participants' votes, or a data file."""

    kind: Literal["template", "team", "vote", "participant", "data"] = "team"
    detail: str | None = None  # data: file name; vote: vote kind; participant: note id
    sha256: str | None = None  # data: content hash of the file
    run: str | None = None  # data: the run that computed it
    n: int | None = None  # vote: how many participants


TEMPLATE = Source(kind="template")


class _Sourced(_Model):
    source: Source = Field(default_factory=Source)


# --- step 1 -----------------------------------------------------------------------------------


class Goals(_Sourced):
    """Step 1: what the map is for, for whom, and over which period."""

    scope: Scope = "journey"
    customer_goal: str = ""
    business_objectives: list[str] = []
    time_period: str = ""
    success_metrics: list[str] = []
    out_of_scope: list[str] = []
    refresh: Refresh | None = None  # how often the team means to re-run the map on new data


# --- step 2 -----------------------------------------------------------------------------------


NAME_LENGTH = 120  # names show in titles, axes and map cells; longer text belongs in a description


class Persona(_Sourced):
    name: str = Field(min_length=1, max_length=NAME_LENGTH)
    role: str = ""
    segment: str | None = None  # a value of the data's `segment` column
    goals: list[str] = []
    needs: list[str] = []
    frustrations: list[str] = []
    quote: str = ""
    evidence: list[str] = []


class Personas(_Model):
    """Step 2: persona cards, each optionally linked to a data segment."""

    personas: list[Persona] = []

    @model_validator(mode="after")
    def _unique_names(self) -> Personas:
        _require_unique([p.name for p in self.personas], "persona name")
        return self


# --- step 3 -----------------------------------------------------------------------------------


class Stage(_Sourced):
    id: str = Field(min_length=1, pattern=r"^[^\s/\\]+$")
    name: str = Field("", max_length=NAME_LENGTH)
    actions: list[str] = []  # what the customer does in this stage

    @property
    def label(self) -> str:
        return self.name or self.id


class Touchpoint(_Sourced):
    id: str = Field(min_length=1, pattern=r"^[^\s/\\]+$")
    name: str = Field("", max_length=NAME_LENGTH)
    stage: str
    channel: str = ""
    layer: Literal["frontstage", "backstage"] = "frontstage"
    owner: str = ""
    handoff: bool = False
    moment_of_truth: bool = False

    @property
    def label(self) -> str:
        return self.name or self.id


class Touchpoints(_Model):
    """Step 3: ordered stages, touchpoints per stage, and raw event names mapped to touchpoints."""

    stages: list[Stage] = []
    touchpoints: list[Touchpoint] = []
    event_map: dict[str, str] = {}

    @model_validator(mode="after")
    def _consistent(self) -> Touchpoints:
        _require_unique([s.id for s in self.stages], "stage id")
        _require_unique([t.id for t in self.touchpoints], "touchpoint id")
        stage_ids = {s.id for s in self.stages}
        tp_ids = {t.id for t in self.touchpoints}
        problems = [
            f"touchpoint {t.id!r} is in stage {t.stage!r}, which is not one of {sorted(stage_ids)}"
            for t in self.touchpoints
            if t.stage not in stage_ids
        ]
        problems += [
            f"event {event!r} maps to touchpoint {tp!r}, which is not one of {sorted(tp_ids)}"
            for event, tp in self.event_map.items()
            if tp not in tp_ids
        ]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def stage_of(self) -> dict[str, str]:
        """Touchpoint id → stage id."""
        return {t.id: t.stage for t in self.touchpoints}

    def stage_order(self) -> list[str]:
        return [s.id for s in self.stages]

    def in_stage(self, stage: str) -> list[Touchpoint]:
        return [t for t in self.touchpoints if t.stage == stage]


# --- step 4 -----------------------------------------------------------------------------------


class TeamEmotion(_Sourced):
    """The team's own estimate of how the customer feels at one touchpoint, on the −2..+2 scale."""

    touchpoint: str
    emotion: float = Field(ge=-2, le=2)


class Behaviour(_Model):
    """Step 4, team input: which data files to read (with reader options) and the team's emotion estimates.

    What jmapkit computes from the data lives in `BehaviourResults`, its own envelope, so no form can
    overwrite it; participants' votes live in votes/ and never change a team value.
    """

    data: dict[str, str] = {}  # input name → path, relative to the workshop folder when inside it
    options: dict[str, dict[str, str]] = {}  # input name → reader option → value (delimiter, encoding, ...)
    emotions: list[TeamEmotion] = []

    @model_validator(mode="after")
    def _one_estimate_per_touchpoint(self) -> Behaviour:
        _require_unique([e.touchpoint for e in self.emotions], "emotion estimate for touchpoint")
        return self


class FunnelRow(_Model):
    stage: str
    reached: int
    conversion_from_previous: float | None
    conversion_from_first: float | None
    median_hours: float | None
    p90_hours: float | None
    entered_here: int = 0


class ScoreRow(_Model):
    """One survey metric for one group (a touchpoint, a stage or a segment)."""

    group_by: Literal["touchpoint", "stage", "segment", "all"]
    group: str
    metric: str  # nps, csat, ces, or a custom question's name
    n: int
    value: float
    ci_low: float | None
    ci_high: float | None


class DataRef(_Model):
    """A data file the analytics read, identified by content hash so a run can be reproduced."""

    path: str
    sha256: str
    rows: int | None = None


class BehaviourResults(_Model):
    """Step 4, computed: what the data says. Written only by the compute step (`steps.behaviour.run`)."""

    inputs: dict[str, DataRef] = {}  # what was actually read, with hashes
    funnel: list[FunnelRow] = []
    scores: list[ScoreRow] = []
    tables: dict[str, str] = {}  # table name → CSV path under steps/4-behaviour/
    warnings: list[str] = []
    run: str | None = None
    based_on: int | None = None  # the revision of the team's step-4 input these results were computed from
    period: tuple[datetime, datetime] | None = None  # the first and the last event's time (UTC)


# --- step 5 -----------------------------------------------------------------------------------


class EvidenceLink(_Model):
    """What a pain point rests on: a theme of verbatims, a funnel drop-off, a low score, or a note.

    `ref` names it in step 4's tables: theme → the theme's suggestion id (jmapkit.suggestions.theme_id),
    dropoff → the stage id, score → "metric:group" (e.g. "csat:payment"), note → the note's id.
    """

    kind: Literal["theme", "dropoff", "score", "note"]
    ref: str = Field(min_length=1)
    n: int | None = None  # how many verbatims, customers or answers the evidence counts
    summary: str = ""  # one plain sentence: what the data says, with n
    quotes: list[str] = []  # verbatims, as the customers wrote them (shown as text)
    # The share the evidence measured when it was linked, out of `base` (customers reaching the stage,
    # answers, the touchpoint's verbatims): what `jmapkit check` tests the current data against.
    value: float | None = None
    base: int | None = None


class PainPoint(_Sourced):
    touchpoint: str
    description: str = Field(min_length=1)
    severity: Rating = 3
    frequency: Rating = 3
    owner: str = ""
    fix: str = ""
    evidence: list[str] = []
    evidence_links: list[EvidenceLink] = []

    def priority(self, moment_of_truth: bool) -> int:
        """Severity × frequency, doubled at a moment of truth: where the map asks for action first."""
        return self.severity * self.frequency * (2 if moment_of_truth else 1)


class Opportunity(_Sourced):
    touchpoint: str | None = None
    stage: str | None = None
    description: str = Field(min_length=1)
    owner: str = ""
    evidence: list[str] = []


class KPI(_Sourced):
    stage: str
    name: str = Field(min_length=1, max_length=NAME_LENGTH)
    baseline: float | None = None
    target: float | None = None
    unit: str = ""
    owner: str = ""
    data_source: str = ""


class Map(_Model):
    """Step 5: pain points, opportunities and KPIs placed on the stages of step 3."""

    pain_points: list[PainPoint] = []
    opportunities: list[Opportunity] = []
    kpis: list[KPI] = []
    dismissed: dict[str, str] = {}  # suggestion id → the theme signature it was dismissed at

    def ranked(self, touchpoints: Touchpoints) -> list[tuple[PainPoint, int]]:
        """Pain points with their priority, highest first (ties keep the team's order): the one ranking."""
        mot = {t.id: t.moment_of_truth for t in touchpoints.touchpoints}
        scored = [(p, p.priority(mot.get(p.touchpoint, False))) for p in self.pain_points]
        return sorted(scored, key=lambda item: -item[1])


# --- the workshop -----------------------------------------------------------------------------


class MapLink(_Model):
    """A link between an experience map and a journey map drilled into one of its hotspots."""

    path: str  # the other workshop's folder, relative to this one's when they share a parent folder
    hotspot: str  # the experience map's touchpoint id
    persona: str | None = None  # the persona the journey map follows


class WorkshopMeta(_Model):
    """workshop.json: what this workshop is, and which jmapkit made it."""

    name: str
    scope: Scope = "journey"
    language: Language = "en"
    template: str = "default"
    created: datetime
    jmapkit: str
    parent: MapLink | None = None  # a journey map: the experience map it was drilled from
    children: list[MapLink] = []  # an experience map: the journey maps drilled from its hotspots


# --- the chain --------------------------------------------------------------------------------

StepModel = Goals | Personas | Touchpoints | Behaviour | BehaviourResults | Map


class StepInfo(BaseModel):
    """One saved record of the chain: a step's team input, or step 4's computed results."""

    number: int
    key: str  # one name per step, used in the file, the schema, the module and the notebook
    title: str
    model: type[_Model]
    schema_version: int = 1
    computed: bool = False  # written only by the compute step, never by a form

    @property
    def filename(self) -> str:
        return f"{self.number}-{self.key}.json"

    @property
    def notebook(self) -> str:
        return f"{self.number}-{STEPS[self.number - 1].key}.ipynb"


STEPS: tuple[StepInfo, ...] = (
    StepInfo(number=1, key="goals", title="Goals", model=Goals),
    StepInfo(number=2, key="personas", title="Personas", model=Personas),
    StepInfo(number=3, key="touchpoints", title="Touchpoints", model=Touchpoints),
    StepInfo(number=4, key="behaviour", title="Behaviour & sentiment", model=Behaviour, schema_version=2),
    StepInfo(number=5, key="map", title="Map & KPIs", model=Map),
)
RESULTS = StepInfo(number=4, key="behaviour-results", title="Behaviour & sentiment: results",
                   model=BehaviourResults, computed=True)
RECORDS: tuple[StepInfo, ...] = (*STEPS, RESULTS)
NOTEBOOKS = tuple(info.notebook for info in STEPS)


def step_info(step: int | str | type[_Model] | _Model) -> StepInfo:
    """Find a record by step number (the team's input), key, model class or model instance."""
    for info in RECORDS:
        if isinstance(step, int) and not isinstance(step, bool):
            if info.number == step and not info.computed:
                return info
        elif step == info.key or step is info.model or type(step) is info.model:
            return info
    allowed = ", ".join(f"{i.number}/{i.key}" for i in STEPS)
    raise KeyError(f"unknown step {step!r}; steps are {allowed}")


def _require_unique(values: list[str], what: str) -> None:
    dupes = sorted(value for value, count in Counter(values).items() if count > 1)
    if dupes:
        raise ValueError(f"duplicate {what}: {', '.join(map(repr, dupes))}")
