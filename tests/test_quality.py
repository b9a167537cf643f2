from __future__ import annotations

import pytest

from jmapkit.model import (
    KPI,
    BehaviourResults,
    DataRef,
    Goals,
    Map,
    PainPoint,
    Persona,
    Personas,
    Source,
    Stage,
    Touchpoint,
    Touchpoints,
)
from jmapkit.quality import Steps, check, check_steps

TEAM = Source(kind="team")


def good() -> Steps:
    """A map that passes every rule."""
    return Steps(
        goals=Goals(customer_goal="Lunch in 30 minutes", time_period="2026 Q3", source=TEAM),
        personas=Personas(personas=[Persona(name="Olivia", segment="office", source=TEAM)]),
        touchpoints=Touchpoints(
            stages=[Stage(id="order", source=TEAM), Stage(id="eat", source=TEAM)],
            touchpoints=[Touchpoint(id="till", stage="order", owner="Store", moment_of_truth=True, source=TEAM),
                         Touchpoint(id="table", stage="eat", owner="Kitchen", source=TEAM)],
        ),
        results=BehaviourResults(inputs={"events": DataRef(path="data/e.csv", sha256="ab" * 32)}),
        map=Map(
            pain_points=[PainPoint(touchpoint="till", description="slow", owner="Store", fix="2nd till", source=TEAM)],
            kpis=[KPI(stage="order", name="wait", target=8, owner="Store", source=TEAM),
                  KPI(stage="eat", name="csat", target=90, owner="Kitchen", source=TEAM)],
        ),
    )


def test_a_good_map_has_no_findings() -> None:
    assert check_steps(good()) == []


def _with(steps: Steps, **changes: object) -> Steps:
    return Steps(**{**steps.__dict__, **changes})


S = good()


@pytest.mark.parametrize(
    ("steps", "rule", "level"),
    [
        (_with(S, goals=Goals(time_period="Q3", source=TEAM)), "goal-missing", "error"),
        (_with(S, goals=Goals(customer_goal="x", source=TEAM)), "period-missing", "error"),
        (_with(S, personas=Personas()), "persona-missing", "error"),
        (_with(S, personas=Personas(personas=[Persona(name="a", source=TEAM), Persona(name="b", source=TEAM)])),
         "persona-many", "warning"),
        (_with(S, results=BehaviourResults()), "no-evidence", "warning"),
        (_with(S, map=Map(kpis=S.map.kpis)), "no-pain-points", "error"),
        (_with(S, map=Map(pain_points=[PainPoint(touchpoint="till", description="d", fix="f",
                                                            source=TEAM)], kpis=S.map.kpis)),
         "pain-point-owner", "error"),
        (_with(S, map=Map(pain_points=[PainPoint(touchpoint="till", description="d", owner="o",
                                                            source=TEAM)], kpis=S.map.kpis)),
         "pain-point-fix", "error"),
        (_with(S, map=Map(pain_points=[PainPoint(touchpoint="ghost", description="d", owner="o", fix="f",
                                                            source=TEAM)], kpis=S.map.kpis)),
         "pain-point-touchpoint", "error"),
        (_with(S, map=Map(pain_points=S.map.pain_points, kpis=S.map.kpis[:1])),
         "stage-without-kpi", "warning"),
        (_with(S, map=Map(pain_points=S.map.pain_points,
                                     kpis=[*S.map.kpis, KPI(stage="eat", name="x", source=TEAM)])),
         "kpi-incomplete", "warning"),
        (_with(S, goals=Goals(customer_goal="x", time_period="y", source=Source(kind="template"))),
         "template-content", "warning"),
    ],
)
def test_each_rule_fires_alone(steps: Steps, rule: str, level: str) -> None:
    findings = check_steps(steps)
    assert [(f.rule, f.level) for f in findings] == [(rule, level)]


def test_restaurant_template_counts_unreviewed_items(restaurant) -> None:  # type: ignore[no-untyped-def]
    findings = {(f.rule, f.step): f.message for f in check(restaurant)}
    # 3 personas; 6 stages + 13 touchpoints; 8 emotions; 3 pain points + 2 opportunities + 6 KPIs (template.yaml)
    assert "3 items in step 2" in findings[("template-content", 2)]
    assert "19 items in step 3" in findings[("template-content", 3)]
    assert "8 items in step 4" in findings[("template-content", 4)]
    assert "11 items in step 5" in findings[("template-content", 5)]
    assert not [f for f in check(restaurant) if f.level == "error"]
