"""`jmapkit check`: every rule with one failing and one passing case, strict mode, staleness, and the CLI."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from jmapkit.cli import main
from jmapkit.drilldown import LinkState
from jmapkit.hotspots import Signals
from jmapkit.kpis import CONTRADICTS, NOT_IMPROVING, REACHED, UNKNOWN, KpiStatus, kpi_status
from jmapkit.model import (
    KPI,
    Behaviour,
    BehaviourResults,
    DataRef,
    EvidenceLink,
    FunnelRow,
    Goals,
    Map,
    PainPoint,
    Persona,
    Personas,
    ScoreRow,
    Source,
    Stage,
    TeamEmotion,
    Touchpoint,
    Touchpoints,
)
from jmapkit.quality import RULES, MapView, check, check_view, summary_line
from jmapkit.runs import DataChange, RunRecord, Staleness
from jmapkit.store import Workshop
from jmapkit.suggestions import Moved

TEAM = Source(kind="team")
NOW = datetime(2026, 12, 1, 12, tzinfo=timezone.utc)
RESULTS_AT = NOW - timedelta(days=10)


def csat(tp: str, value: float, low: float, high: float, n: int = 100, metric: str = "csat") -> ScoreRow:
    return ScoreRow(group_by="touchpoint", group=tp, metric=metric, n=n, value=value, ci_low=low, ci_high=high)


def tps(till: dict[str, Any] | None = None, table: dict[str, Any] | None = None) -> Touchpoints:
    return Touchpoints(
        stages=[Stage(id="order", source=TEAM), Stage(id="eat", source=TEAM)],
        touchpoints=[Touchpoint(**{"id": "till", "stage": "order", "owner": "Store", "moment_of_truth": True,
                                   "source": TEAM, **(till or {})}),
                     Touchpoint(**{"id": "table", "stage": "eat", "owner": "Kitchen", "handoff": True, "source": TEAM,
                                   **(table or {})})],
    )


PAIN = PainPoint(touchpoint="till", description="slow", owner="Store", fix="2nd till", source=TEAM)
KPIS = [KPI(stage="order", name="wait", target=8, owner="Store", data_source="events", source=TEAM),
        KPI(stage="eat", name="csat", target=90, owner="Kitchen", data_source="csat", source=TEAM)]
SIGNALS = {
    "till": Signals("till", customers=100, dropoff=0.1, measured=-0.5, measured_n=30, measured_ci_high=0.1,
                    scores=(csat("till", 60, 50, 70),)),
    "table": Signals("table", customers=90, dropoff=1.0, measured=1.0, measured_n=20, measured_ci_high=1.5),
}


def good() -> MapView:
    """A map that passes every rule."""
    results = BehaviourResults(inputs={"events": DataRef(path="data/e.csv", sha256="ab" * 32)},
                        funnel=[FunnelRow(stage="order", reached=100, conversion_from_previous=None,
                                          conversion_from_first=1.0, median_hours=None, p90_hours=None)],
                        scores=[csat("till", 60, 50, 70)])
    return MapView(
        goals=Goals(customer_goal="Lunch in 30 minutes", time_period="2026 Q3", refresh="quarterly", source=TEAM),
        personas=Personas(personas=[Persona(name="Olivia", segment="office", source=TEAM)]),
        touchpoints=tps(),
        behaviour=Behaviour(emotions=[TeamEmotion(touchpoint="table", emotion=1, source=TEAM)]),
        results=results,
        map=Map(pain_points=[PAIN], kpis=KPIS),
        signals=SIGNALS,
        segments=frozenset({"office"}),
        age=Staleness(last_run=RunRecord("R1", Path("runs/R1"), "ok", RESULTS_AT - timedelta(minutes=1), RESULTS_AT),
                      data_changes=[], refresh="quarterly", as_of=RESULTS_AT, due=RESULTS_AT + timedelta(days=92),
                      overdue=False, results_saved=RESULTS_AT, map_saved=RESULTS_AT + timedelta(hours=1),
                      data_since=RESULTS_AT),
    )


G = good()


def signals(**changes: Signals) -> dict[str, Signals]:
    return {**SIGNALS, **changes}


def team_map(**changes: Any) -> Map:
    return Map(**{"pain_points": [PAIN], "kpis": KPIS, **changes})


# (rule code, failing view, passing view, other codes the failing view also raises)
CASES: list[tuple[str, MapView, MapView, set[str]]] = [
    ("JM101", replace(G, goals=G.goals.model_copy(update={"customer_goal": "  "})),
     replace(G, goals=G.goals.model_copy(update={"customer_goal": "x"})), set()),
    ("JM102", replace(G, goals=G.goals.model_copy(update={"time_period": ""})),
     replace(G, goals=G.goals.model_copy(update={"time_period": "June"})), set()),
    ("JM201", replace(G, personas=Personas()), G, set()),
    ("JM202", replace(G, personas=Personas(personas=[Persona(name="a", evidence=["i"], source=TEAM),
                                                     Persona(name="b", evidence=["i"], source=TEAM)])),
     replace(G, goals=G.goals.model_copy(update={"scope": "experience"}),
             personas=Personas(personas=[Persona(name="a", evidence=["i"], source=TEAM),
                                         Persona(name="b", evidence=["i"], source=TEAM)])), set()),
    ("JM203", replace(G, personas=Personas(personas=[Persona(name="a", segment="retired", source=TEAM)])),
     replace(G, personas=Personas(personas=[Persona(name="a", evidence=["interviews.pdf"], source=TEAM)])), set()),
    ("JM301", replace(G, touchpoints=Touchpoints(), map=Map()), G, {"JM501"}),
    ("JM302", replace(G, touchpoints=tps().model_copy(update={"stages": [Stage(id="pay"), *tps().stages]})), G,
     {"JM513"}),
    ("JM303", replace(G, touchpoints=tps(till={"moment_of_truth": False})), G, set()),
    ("JM304", replace(G, touchpoints=tps(till={"owner": " "})), G, set()),
    ("JM305", replace(G, touchpoints=tps(table={"handoff": False})),
     replace(G, touchpoints=tps(till={"owner": "Store"}, table={"owner": "store ", "handoff": False})), set()),
    ("JM401", replace(G, results=G.results.model_copy(update={"inputs": {}})), G, set()),
    ("JM402", replace(G, signals=signals(table=Signals("table", customers=90))),
     replace(G, signals=signals(table=Signals("table", customers=90, votes=3))), set()),
    ("JM501", replace(G, map=team_map(pain_points=[])), G, set()),
    ("JM502", replace(G, map=team_map(pain_points=[PAIN.model_copy(update={"touchpoint": "ghost", "evidence": ["x"]})])
                      ), G, set()),
    ("JM503", replace(G, map=team_map(pain_points=[PAIN.model_copy(update={"owner": ""})])), G, set()),
    ("JM504", replace(G, map=team_map(pain_points=[PAIN.model_copy(update={"fix": ""})])), G, set()),
    ("JM505", replace(G, signals=signals(till=Signals("till"))),
     replace(G, signals=signals(till=Signals("till")),
             map=team_map(pain_points=[PAIN.model_copy(update={"evidence": ["interview 12"]})])), set()),
    ("JM505", replace(G, signals=signals(till=Signals("till"))),
     replace(G, signals=signals(till=Signals("till")), map=team_map(pain_points=[PAIN.model_copy(
         update={"evidence_links": [EvidenceLink(kind="score", ref="csat:till", n=40)]})])), set()),
    ("JM506", replace(G, signals=signals(till=replace(SIGNALS["till"], dropoff=0.5)),
                      map=team_map(pain_points=[PAIN.model_copy(update={"touchpoint": "table"})])),
     replace(G, signals=signals(till=replace(SIGNALS["till"], dropoff=0.49)),
             map=team_map(pain_points=[PAIN.model_copy(update={"touchpoint": "table"})])), set()),
    ("JM510", replace(G, map=team_map(kpis=[])), G, set()),
    ("JM511", replace(G, map=team_map(kpis=[*KPIS, KPIS[0].model_copy(update={"stage": "ghost"})])), G, set()),
    ("JM512", replace(G, map=team_map(kpis=[KPIS[0].model_copy(update={"target": None}), KPIS[1]])),
     replace(G, map=team_map(kpis=[KPIS[0].model_copy(update={"target": 0.0}), KPIS[1]])), set()),
    ("JM513", replace(G, map=team_map(kpis=KPIS[:1])), G, set()),
    ("JM514", replace(G, map=team_map(kpis=[KPIS[0], KPIS[1].model_copy(update={"data_source": "weekly report"})])),
     replace(G, map=team_map(kpis=[KPIS[0], KPIS[1].model_copy(update={"data_source": "survey: CSAT@till"})])),
     set()),
    ("JM515", replace(G, kpis=(KpiStatus(KPIS[1], "csat", flags={CONTRADICTS: "baseline 48 contradicts …"}),)),
     replace(G, kpis=(KpiStatus(KPIS[1], "csat", flags={}),)), set()),
    ("JM516", replace(G, kpis=(KpiStatus(KPIS[1], "csat", flags={REACHED: "target 90 is already reached …"}),)),
     replace(G, kpis=(KpiStatus(KPIS[1], "csat", flags={}),)), set()),
    ("JM601", replace(G, goals=G.goals.model_copy(update={"source": Source(kind="template")})), G, set()),
    ("JM701", replace(G, links=(LinkState("child", "../c", "till", None, exists=False),)),
     replace(G, links=(LinkState("child", "../c", "till", None, exists=True, last_run="R", errors=0, warnings=0),)),
     set()),
    ("JM702", replace(G, links=(LinkState("parent", "../p", "till", None, exists=False),)),
     replace(G, links=(LinkState("parent", "../p", "till", None, exists=True, name="P"),)), set()),
    ("JM801", replace(G, age=replace(G.age, data_changes=[DataChange("events", "data/e.csv", "changed")])), G, set()),
    ("JM802", replace(G, age=replace(G.age, map_saved=RESULTS_AT - timedelta(hours=1))),
     replace(G, age=replace(G.age, map_saved=RESULTS_AT)), set()),
    ("JM802", replace(G, age=replace(G.age, map_saved=RESULTS_AT - timedelta(hours=1))),
     replace(G, age=replace(G.age, map_saved=RESULTS_AT - timedelta(hours=1)),  # the map is template content
             map=team_map(pain_points=[PAIN.model_copy(update={"source": Source(kind="template")})],
                          kpis=[k.model_copy(update={"source": Source(kind="template")}) for k in KPIS])),
     set()),
    ("JM803", replace(G, age=replace(G.age, overdue=True, due=NOW - timedelta(days=1))), G, set()),
    ("JM804", replace(G, moved=(Moved(0, EvidenceLink(kind="dropoff", ref="eat", n=40, value=0.4, base=100),
                                      EvidenceLink(kind="dropoff", ref="eat", n=10, value=0.1, base=100), 1e-6),)),
     G, set()),
]


def codes(view: MapView, strict: bool = False) -> list[str]:
    return [f.code for f in check_view(view, strict=strict)]


def test_a_good_map_has_no_findings() -> None:
    assert check_view(G) == []


def test_every_rule_has_a_case() -> None:
    assert sorted({c for c, *_ in CASES}) == sorted(RULES)


@pytest.mark.parametrize(("code", "failing", "passing", "also"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_rule_fails_and_passes(code: str, failing: MapView, passing: MapView, also: set[str]) -> None:
    found = codes(failing)
    assert code in found
    assert set(found) == {code} | also
    assert code not in codes(passing)
    rule = RULES[code]
    finding = next(f for f in check_view(failing) if f.code == code)
    assert (finding.name, finding.severity) == (rule.name, rule.severity)
    assert finding.message and finding.fix


@pytest.mark.parametrize(
    ("till", "why"),
    [
        (replace(SIGNALS["till"], scores=(csat("till", 40, 30, 49.9),)),
         "CSAT 40 %, 95 % CI 30…49.9 (n=100), all below 50"),
        (replace(SIGNALS["till"], scores=(csat("till", 4.5, 4.1, 4.9, metric="ces"),)),
         "CES 4.5, 95 % CI 4.1…4.9 (n=100), all above 4"),
        (replace(SIGNALS["till"], scores=(csat("till", -20, -35, -1, metric="nps"),)),
         "NPS -20, 95 % CI -35…-1 (n=100), all below 0"),
        (replace(SIGNALS["till"], measured=-0.8, measured_ci_high=-0.1, measured_from="csat"),
         "measured emotion -0.80 with its 95 % CI below 0 (up to -0.10, n=30, from csat)"),
    ],
)
def test_failure_point_reasons(till: Signals, why: str) -> None:
    elsewhere = team_map(pain_points=[PAIN.model_copy(update={"touchpoint": "table"})])
    found = [f for f in check_view(replace(G, signals=signals(till=till), map=elsewhere)) if f.code == "JM506"]
    assert [(f.item, f.message) for f in found] == [
        ("till", f"“till” is a failure point ({why}) with no pain point on it.")]


def test_last_stage_drop_off_is_where_journeys_end() -> None:
    assert SIGNALS["table"].dropoff == 1.0
    view = replace(G, map=team_map(pain_points=[PAIN]))  # no pain point on 'table'
    assert "JM506" not in codes(view)


def test_emotion_rule_names_each_touchpoint_or_the_whole_curve() -> None:
    only_table = replace(G, signals=signals(table=Signals("table", customers=90)))
    assert [(f.item, f.message) for f in check_view(only_table) if f.code == "JM402"] == [
        ("table", "the emotion at “table” is the team's estimate only: neither participants' votes nor data.")]
    nothing = replace(G, signals={"till": Signals("till", customers=100), "table": Signals("table", customers=90)})
    assert [(f.item, f.message) for f in check_view(nothing) if f.code == "JM402"] == [
        (None, "no touchpoint's emotion comes from participants' votes or from data: the emotion curve is a guess.")]


def test_handoff_names_both_touchpoints() -> None:
    [finding] = check_view(replace(G, touchpoints=tps(table={"handoff": False})))
    assert finding.item == "till→table"
    assert finding.fix == "mark “till” or “table” as a handoff in step 3, or correct the owner."


@pytest.mark.parametrize(
    ("source", "flags", "message"),
    [
        ("", {}, "KPI “csat” names no data source: nobody can measure it."),
        ("verbatims", {}, "KPI “csat” is measured in the verbatims file, which step 4 has not read."),
        ("nps@till", {UNKNOWN: "“nps@till” names no metric step 4 measured."},
         "KPI “csat”: “nps@till” names no metric step 4 measured."),
    ],
)
def test_kpi_source_messages(source: str, flags: dict[str, str], message: str) -> None:
    kpi = KPIS[1].model_copy(update={"data_source": source})
    view = replace(G, map=team_map(kpis=[KPIS[0], kpi]), kpis=(KpiStatus(kpi, flags=flags),))
    assert [(f.item, f.message) for f in check_view(view)] == [("csat", message)]


def test_kpi_flags_are_the_exports_flags(restaurant: Workshop) -> None:
    """check reports the same baseline and target flags as the exports (jmapkit.kpis.kpi_status)."""
    from jmapkit.bundle import Bundle
    from jmapkit.steps import behaviour

    behaviour.run(restaurant)
    expected = [(f"KPI “{s.kpi.name}”: {s.flags[flag]}", code) for s in kpi_status(Bundle.load(restaurant))
                for flag, code in ((CONTRADICTS, "JM515"), (NOT_IMPROVING, "JM516"), (REACHED, "JM516"))
                if flag in s.flags]
    assert ("KPI “CSAT of the food”: target 90% does not improve on the baseline 90%.", "JM516") in expected
    found = [(f.message, f.code) for f in check(restaurant) if f.code in ("JM515", "JM516")]
    assert sorted(found) == sorted(expected)


def test_strict_turns_template_content_into_errors() -> None:
    view = replace(G, goals=G.goals.model_copy(update={"source": Source(kind="template")}))
    assert [(f.code, f.severity) for f in check_view(view)] == [("JM601", "warning")]
    assert [(f.code, f.severity) for f in check_view(view, strict=True)] == [("JM601", "error")]


def test_template_content_counts_unreviewed_items(restaurant: Workshop) -> None:
    found = {f.step: f for f in check(restaurant) if f.code == "JM601"}
    # 3 personas; 6 stages + 13 touchpoints; 8 emotions; 3 pain points + 2 opportunities + 6 KPIs (template.yaml)
    assert found[2].message.startswith("3 items in step 2 (Personas) still come from the template")
    assert found[3].message.startswith("19 items in step 3 ")
    assert found[4].message.startswith("8 items in step 4 ")
    assert found[5].message.startswith("11 items in step 5 ")
    assert found[1].message.startswith("1 item in step 1 (Goals) still comes from the template")
    assert {f.severity for f in check(restaurant, strict=True) if f.code == "JM601"} == {"error"}


def test_summary_line_lists_codes_errors_first() -> None:
    view = replace(G, goals=G.goals.model_copy(update={"customer_goal": ""}), touchpoints=tps(table={"handoff": False}),
                   map=team_map(kpis=[KPIS[0].model_copy(update={"target": None}), KPIS[1]]))
    findings = check_view(view)
    assert summary_line(findings) == "1 error, 2 warnings"
    assert summary_line(findings, codes=True) == "1 error, 2 warnings (JM101, JM305, JM512)"


# --- staleness on a real workshop folder ----------------------------------------------------------------------------


def _record_run(ws: Workshop, run_id: str, status: str = "ok", finished: datetime | None = None) -> None:
    """A run.json as `jmapkit run` records it (runs.data_record: path, sha256, size and mtime of each file)."""
    from jmapkit.runs import data_record

    files = {name: ws.path("data", f"{name}.csv") for name in ("events", "survey")
             if ws.path("data", f"{name}.csv").is_file()}
    folder = ws.path("runs", run_id)
    folder.mkdir(parents=True)
    at = (finished or datetime(2026, 11, 30, 10, tzinfo=timezone.utc)).isoformat()
    record = {"run": run_id, "status": status, "data": data_record(ws, files), "finished": at}
    (folder / "run.json").write_text(json.dumps(record))


def test_data_changed_since_the_last_run_until_it_runs_again(restaurant: Workshop) -> None:
    _record_run(restaurant, "20261130T100000Z")
    assert "JM801" not in [f.code for f in check(restaurant)]
    with open(restaurant.path("data", "events.csv"), "a", encoding="utf-8") as f:
        f.write("VLT-09999,2026-09-30T12:00:00+02:00,queue_joined,store,family\n")
    restaurant.path("data", "survey.csv").unlink()
    found = [(f.item, f.message) for f in check(restaurant) if f.code == "JM801"]
    assert found == [
        ("events", "the events file data/events.csv has changed since run 20261130T100000Z: the map shows older data."),
        ("survey", "the survey file data/survey.csv no longer exists since run 20261130T100000Z: "
                   "the map shows older data.")]
    _record_run(restaurant, "20261130T110000Z", status="failed")  # a failed run read nothing the map shows
    assert len([f for f in check(restaurant) if f.code == "JM801"]) == 2
    restaurant.path("data", "survey.csv").write_text("respondent_id,touchpoint,question,score\nr1,payment,csat,4\n")
    _record_run(restaurant, "20261130T120000Z")
    assert "JM801" not in [f.code for f in check(restaurant)]


def test_refresh_cadence_counts_from_the_last_run(restaurant: Workshop) -> None:
    restaurant.save(restaurant.load(1).model_copy(update={"refresh": "monthly"}))
    now = datetime.now(timezone.utc)
    finished = now - timedelta(days=40)
    _record_run(restaurant, "20260101T000000Z", finished=finished)
    [found] = [f for f in check(restaurant) if f.code == "JM803"]
    assert found.item == "monthly"
    assert found.message.startswith(f"the map's data is from {finished:%Y-%m-%d %H:%M} UTC; with a monthly "
                                    "refresh it was due again on ")
    _record_run(restaurant, "20260102T000000Z", finished=now - timedelta(days=20))
    assert "JM803" not in [f.code for f in check(restaurant)]


def test_map_saved_before_new_results_is_stale_once_the_team_wrote_it(restaurant: Workshop) -> None:
    from jmapkit.steps import behaviour

    assert "JM802" not in [f.code for f in check(restaurant)]
    content = restaurant.load(5)
    restaurant.save(content.model_copy(update={"pain_points": [p.model_copy(update={"source": TEAM})
                                                               for p in content.pain_points]}))
    behaviour.run(restaurant)  # new results after the team's map
    [finding] = [f for f in check(restaurant) if f.code == "JM802"]
    assert (finding.step, finding.item) == (5, "map")
    restaurant.save(restaurant.load(5).model_copy(update={"opportunities": []}))  # the team reviewed it
    assert "JM802" not in [f.code for f in check(restaurant)]


# --- the command --------------------------------------------------------------------------------------------------


def test_check_json_on_a_persona_with_arrows(blank: Workshop) -> None:
    """A blank workshop with one persona and stages and touchpoints only: refused, with the rules by code."""
    blank.save(Personas(personas=[Persona(name="Olivia", source=TEAM)]))
    blank.save(Touchpoints(stages=[Stage(id="order", source=TEAM), Stage(id="eat", source=TEAM)],
                           touchpoints=[Touchpoint(id="till", stage="order", owner="Store", source=TEAM),
                                        Touchpoint(id="table", stage="eat", owner="Kitchen", source=TEAM)]))
    result = CliRunner().invoke(main, ["check", str(blank.root), "--format", "json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    found = {f["code"] for f in report["findings"]}
    assert {"JM101", "JM102", "JM203", "JM401", "JM501", "JM510"} <= found
    assert report["errors"] == sum(f["severity"] == "error" for f in report["findings"]) >= 4
    first = report["findings"][0]
    assert set(first) == {"code", "name", "severity", "step", "item", "message", "fix"}


def test_check_text_exit_codes(restaurant: Workshop) -> None:
    result = CliRunner().invoke(main, ["check", str(restaurant.root)])
    assert result.exit_code == 0
    assert "JM601 warning step 2  template-content [personas]:" in result.stdout
    assert result.stdout.splitlines()[-1] == summary_line(check(restaurant))
    strict = CliRunner().invoke(main, ["check", str(restaurant.root), "--strict"])
    assert strict.exit_code == 1
    assert strict.stdout.splitlines()[-1].startswith("5 errors, ")


def test_docs_list_every_rule_with_its_fix() -> None:
    text = (Path(__file__).resolve().parent.parent / "docs" / "check.md").read_text(encoding="utf-8")
    for rule in RULES.values():
        assert f"| {rule.code} | {rule.name} | {rule.severity} |" in text, rule.code
        assert rule.fix in text, rule.code
