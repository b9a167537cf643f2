from __future__ import annotations

import pytest
from pydantic import ValidationError

from jmapkit.model import (
    KPI,
    Behaviour,
    Goals,
    Map,
    PainPoint,
    Persona,
    Personas,
    Stage,
    TeamEmotion,
    Touchpoint,
    Touchpoints,
    step_info,
)


def _tps(**kw: object) -> Touchpoints:
    base = dict(
        stages=[Stage(id="visit"), Stage(id="order")],
        touchpoints=[Touchpoint(id="web", stage="visit"), Touchpoint(id="till", stage="order")],
        event_map={"page_view": "web", "order_placed": "till"},
    )
    return Touchpoints(**{**base, **kw})


def test_valid_touchpoints() -> None:
    tps = _tps()
    assert tps.stage_of() == {"web": "visit", "till": "order"}
    assert tps.stage_order() == ["visit", "order"]
    assert [t.id for t in tps.in_stage("order")] == ["till"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"stages": [Stage(id="visit"), Stage(id="visit")]}, "duplicate stage id: 'visit'"),
        ({"touchpoints": [Touchpoint(id="web", stage="nowhere")]}, "touchpoint 'web' is in stage 'nowhere'"),
        ({"event_map": {"click": "ghost"}}, "event 'click' maps to touchpoint 'ghost'"),
        ({"touchpoints": [Touchpoint(id="a", stage="visit"), Touchpoint(id="a", stage="order")],
          "event_map": {}}, "duplicate touchpoint id: 'a'"),
    ],
)
def test_touchpoint_rules(change: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        _tps(**change)


def test_all_touchpoint_problems_are_reported_together() -> None:
    with pytest.raises(ValidationError) as info:
        _tps(touchpoints=[Touchpoint(id="web", stage="x")], event_map={"a": "ghost"})
    assert "touchpoint 'web' is in stage 'x'" in str(info.value)
    assert "event 'a' maps to touchpoint 'ghost'" in str(info.value)


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: Goals(scope="galaxy"), "scope"),
        (lambda: Persona(name=""), "name"),
        (lambda: Personas(personas=[Persona(name="A"), Persona(name="A")]), "duplicate persona name"),
        (lambda: PainPoint(touchpoint="t", description="slow", severity=6), "severity"),
        (lambda: PainPoint(touchpoint="t", description="slow", frequency=0), "frequency"),
        (lambda: TeamEmotion(touchpoint="t", emotion=3), "emotion"),
        (lambda: KPI(stage="s", name=""), "name"),
        (lambda: Stage(id="has space"), "id"),
        (lambda: Goals(unknown_field=1), "unknown_field"),
    ],
)
def test_invalid_values_are_rejected(build, field: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError, match=field):
        build()


@pytest.mark.parametrize(
    ("severity", "frequency", "moment_of_truth", "priority"),
    [(1, 1, False, 1), (5, 4, False, 20), (5, 4, True, 40), (3, 3, True, 18)],
)
def test_pain_point_priority(severity: int, frequency: int, moment_of_truth: bool, priority: int) -> None:
    pain = PainPoint(touchpoint="t", description="d", severity=severity, frequency=frequency)
    assert pain.priority(moment_of_truth) == priority


@pytest.mark.parametrize(("key", "number", "model"), [
    ("goals", 1, Goals), ("personas", 2, Personas), ("touchpoints", 3, Touchpoints),
    ("behaviour", 4, Behaviour), ("map", 5, Map),
])
def test_step_lookup(key: str, number: int, model: type) -> None:
    assert step_info(key).number == number
    assert step_info(number).model is model
    assert step_info(model()).key == key
    assert step_info(number).filename == f"{number}-{key}.json"


def test_unknown_step_lists_the_steps() -> None:
    with pytest.raises(KeyError, match="1/goals, 2/personas"):
        step_info("moods")
