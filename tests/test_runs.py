"""jmapkit.runs: run records, the results each run kept, their diff, and staleness (no notebooks run here)."""

from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from jmapkit import runs
from jmapkit.errors import JmapkitError
from jmapkit.model import BehaviourResults, FunnelRow, Goals, Map
from jmapkit.store import Workshop

T0 = datetime(2026, 9, 30, 12, 0, tzinfo=timezone.utc)


def _funnel(reached: list[int]) -> list[dict]:
    stages = ("visit", "order", "pay")
    return [FunnelRow(stage=s, reached=n, conversion_from_previous=n / reached[i - 1] if i else None,
                      conversion_from_first=n / reached[0], median_hours=None, p90_hours=None).model_dump()
            for i, (s, n) in enumerate(zip(stages, reached, strict=True))]


def fake_run(ws: Workshop, run_id: str, *, reached: list[int] | None = None, status: str = "ok",
             finished: datetime = T0, data: dict | None = None) -> Path:
    """A run folder as the pipeline writes it: run.json and, for a successful run, the kept step files."""
    folder = ws.path("runs", run_id)
    folder.mkdir(parents=True)
    record = {"run": run_id, "status": status, "started": (finished - timedelta(seconds=12.5)).isoformat(),
              "finished": finished.isoformat(), "data": data or {}, "warnings": ["one warning"],
              "failure": None if status == "ok" else {"notebook": "2-personas.ipynb", "reason": "boom"}}
    (folder / "run.json").write_text(json.dumps(record))
    if reached is not None:
        results = BehaviourResults(funnel=_funnel(reached)).model_dump(mode="json")
        envelope = {"schema": "jmapkit/behaviour-results", "version": 1, "data": results}
        (folder / "4-behaviour-results.json").write_text(json.dumps(envelope))
        envelope = {"schema": "jmapkit/map", "version": 1, "data": Map().model_dump(mode="json")}
        (folder / "5-map.json").write_text(json.dumps(envelope))
    return folder


def test_history_last_and_find(restaurant: Workshop) -> None:
    fake_run(restaurant, "20260901T100000Z", reached=[100, 50, 25])
    fake_run(restaurant, "20260902T100000Z", status="failed")
    broken = restaurant.path("runs", "20260903T100000Z")
    broken.mkdir()
    (broken / "run.json").write_text("{cut sh")
    found = runs.history(restaurant)
    assert [(r.id, r.status) for r in found] == [
        ("20260901T100000Z", "ok"), ("20260902T100000Z", "failed"), ("20260903T100000Z", "unreadable")]
    assert found[0].seconds == 12.5 and found[0].warnings == ["one warning"]
    assert runs.last(restaurant).id == "20260901T100000Z"
    assert runs.last(restaurant, ok=False).id == "20260903T100000Z"
    assert runs.find(restaurant, "20260902").id == "20260902T100000Z"
    with pytest.raises(JmapkitError, match=r"'202609' matches 3 runs\..*latest: 20260901T100000Z, 20260902T1"):
        runs.find(restaurant, "202609")
    with pytest.raises(JmapkitError, match="no run 'nope'"):
        runs.find(restaurant, "nope")


def test_no_runs_yet(restaurant: Workshop) -> None:
    assert runs.history(restaurant) == [] and runs.last(restaurant) is None
    assert runs.staleness(restaurant).last_run is None


def test_diff_defaults_to_the_last_two_comparable_runs(restaurant: Workshop) -> None:
    fake_run(restaurant, "20260901T100000Z", reached=[1000, 800, 600])
    fake_run(restaurant, "20260902T100000Z", reached=[1000, 800, 300])
    fake_run(restaurant, "20260903T100000Z", status="failed")  # kept nothing: not comparable
    result = runs.diff(restaurant)
    assert (result.before.id, result.after.id) == ("20260901T100000Z", "20260902T100000Z")
    assert [(c.key, c.field) for c in result.significant] == [
        ("pay", "conversion_from_previous"), ("pay", "conversion_from_first")]
    same = runs.diff(restaurant, "20260901T100000Z", "20260901T100000Z")
    assert same.changes == []
    with pytest.raises(JmapkitError, match=r"run 20260903T100000Z kept no step-4 results \(failed\)"):
        runs.diff(restaurant, "20260901T100000Z", "20260903T100000Z")


def test_diff_needs_two_runs(restaurant: Workshop) -> None:
    fake_run(restaurant, "20260901T100000Z", reached=[10, 5, 2])
    with pytest.raises(JmapkitError, match="there is 1 successful run with kept results; a diff needs two"):
        runs.diff(restaurant)


def test_data_changes_hash_only_files_whose_size_or_mtime_moved(restaurant: Workshop) -> None:
    events, survey = restaurant.path("data", "events.csv"), restaurant.path("data", "survey.csv")
    record = runs.data_record(restaurant, {"events": events, "survey": survey})
    assert record["events"] == {"path": "data/events.csv", "sha256": hashlib.sha256(events.read_bytes()).hexdigest(),
                                "size": events.stat().st_size, "mtime_ns": events.stat().st_mtime_ns}
    fake_run(restaurant, "20260901T100000Z", reached=[10, 5, 2], data=record)
    assert runs.staleness(restaurant).data_changes == []
    os.utime(events, ns=(events.stat().st_atime_ns, events.stat().st_mtime_ns + 10**9))  # touched, same bytes
    assert runs.staleness(restaurant).data_changes == []
    with open(events, "a", encoding="utf-8") as f:
        f.write("VLT-99999,2026-09-30T12:00:00+02:00,pos_order,store,regular\n")
    survey.unlink()
    facts = runs.staleness(restaurant)
    assert [(c.name, c.reason) for c in facts.data_changes] == [("events", "changed"), ("survey", "missing")]
    assert facts.stale
    assert facts.reasons() == ["events file data/events.csv changed since the last run",
                               "survey file data/survey.csv read by the last run is gone"]


@pytest.mark.parametrize(
    ("refresh", "now", "overdue"),
    [(None, T0 + timedelta(days=999), False), ("quarterly", T0 + timedelta(days=92), True),
     ("quarterly", T0 + timedelta(days=90), False), ("monthly", T0 + timedelta(days=31), True),
     ("yearly", T0 + timedelta(days=364), False)],
)
def test_overdue_against_the_refresh_cadence(restaurant: Workshop, refresh: str | None, now: datetime,
                                             overdue: bool) -> None:
    restaurant.save(restaurant.load(Goals).model_copy(update={"refresh": refresh}))
    fake_run(restaurant, "20260930T120000Z", reached=[10, 5, 2])
    facts = runs.staleness(restaurant, now=now)
    assert (facts.as_of, facts.overdue, facts.stale) == (T0, overdue, overdue)
    if refresh == "quarterly":
        assert facts.due == datetime(2026, 12, 30, 12, 0, tzinfo=timezone.utc)
        assert facts.reasons() == ([] if not overdue else [
            "the map's data is from 2026-09-30; with a quarterly refresh it was due again on 2026-12-30"])


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [((2026, 8, 31), 1, (2026, 9, 30)), ((2026, 11, 30), 3, (2027, 2, 28)), ((2027, 11, 30), 3, (2028, 2, 29)),
     ((2026, 1, 15), 12, (2027, 1, 15)), ((2026, 7, 31), 6, (2027, 1, 31))],
)
def test_add_months_keeps_the_day_or_takes_the_months_last(start: tuple, months: int, expected: tuple) -> None:
    assert runs.add_months(datetime(*start), months) == datetime(*expected)


def test_map_saved_before_the_results(restaurant: Workshop) -> None:
    facts = runs.staleness(restaurant)
    assert facts.map_saved is not None and facts.results_saved is None  # nothing computed yet
    assert not facts.map_before_results
    restaurant.save(BehaviourResults(warnings=["computed in notebook 4"]))
    assert runs.staleness(restaurant).map_before_results
    restaurant.save(restaurant.load(Map).model_copy(update={"kpis": []}))  # the team revisits the map
    assert not runs.staleness(restaurant).map_before_results


def test_map_before_the_results_of_the_current_data_not_of_each_rerun(restaurant: Workshop) -> None:
    saved = runs.staleness(restaurant).map_saved
    q3 = {"events": {"path": "data/events.csv", "sha256": "a" * 64}}
    q4 = {"events": {"path": "data/events-q4.csv", "sha256": "b" * 64}}
    fake_run(restaurant, "r1", reached=[10, 5, 2], data=q3, finished=saved - timedelta(days=2))
    fake_run(restaurant, "r2", reached=[10, 5, 2], data=q3, finished=saved + timedelta(days=1))  # same data again
    facts = runs.staleness(restaurant, now=saved + timedelta(days=2))
    assert facts.data_since == saved - timedelta(days=2) and not facts.map_before_results
    fake_run(restaurant, "r3", reached=[10, 5, 1], data=q4, finished=saved + timedelta(days=3))  # new data
    fake_run(restaurant, "r4", reached=[10, 5, 1], data=q4, finished=saved + timedelta(days=4))
    facts = runs.staleness(restaurant, now=saved + timedelta(days=5))
    assert facts.data_since == saved + timedelta(days=3) and facts.map_before_results


def test_warnings_of_reads_step_4(restaurant: Workshop) -> None:
    restaurant.save(BehaviourResults(warnings=["a", "b"]))
    assert runs.warnings_of(restaurant) == ["a", "b"]


def test_title_lines_say_the_run_the_data_period_and_stale(restaurant: Workshop) -> None:
    events = restaurant.path("data", "events.csv")
    fake_run(restaurant, "20260930T120000Z", reached=[10, 5, 2], data=runs.data_record(restaurant, {"events": events}))
    period = (datetime(2026, 7, 1, 5, 0, tzinfo=timezone.utc), datetime(2026, 9, 29, 20, 0, tzinfo=timezone.utc))
    restaurant.save(BehaviourResults(period=period))
    soon = T0 + timedelta(days=10)
    assert runs.title_lines(restaurant, now=soon) == [
        ("Run", "20260930T120000Z (2026-09-30)"), ("Data", "2026-07-01 – 2026-09-29"),
        ("Status", "current (refresh quarterly: next by 2026-12-30)")]
    events.write_text(events.read_text() + "VLT-99999,2026-10-01T12:00:00+02:00,pos_order,store,regular\n")
    assert runs.title_lines(restaurant, now=T0 + timedelta(days=100))[2] == (
        "Status", "stale: events file data/events.csv changed since the last run; the map's data is from "
                  "2026-09-30; with a quarterly refresh it was due again on 2026-12-30")
