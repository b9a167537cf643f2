"""`jmapkit run` end to end on the restaurant example: five notebooks under papermill, outputs checked."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest
import yaml

from jmapkit.errors import RunFailed
from jmapkit.model import BehaviourResults
from jmapkit.pipeline import run
from jmapkit.resources import templates_dir
from jmapkit.store import Workshop, new_workshop
from tests.independent import csat, nps, ordered_funnel

pytestmark = pytest.mark.slow
NOTEBOOKS = ["1-goals.ipynb", "2-personas.ipynb", "3-touchpoints.ipynb", "4-behaviour.ipynb",
             "5-map.ipynb"]


@pytest.fixture(scope="module")
def done(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workshop, Path]:
    ws = new_workshop(tmp_path_factory.mktemp("run") / "tacos", template="restaurant")
    result = run(ws)
    return ws, result.folder


def _template() -> dict:
    return yaml.safe_load((templates_dir() / "restaurant" / "template.yaml").read_text())["steps"]


def _restaurant_events(path: Path) -> pd.DataFrame:
    spec = _template()["touchpoints"]
    stage_of = {t["id"]: t["stage"] for t in spec["touchpoints"]}
    events = pd.read_csv(path)
    events["timestamp"] = pd.to_datetime(events["timestamp"], utc=True)
    events["stage"] = events["event"].map(spec["event_map"]).map(stage_of)
    return events


def test_run_json_records_the_run(done: tuple[Workshop, Path]) -> None:
    ws, folder = done
    record = json.loads((folder / "run.json").read_text())
    assert record["status"] == "ok"
    assert [(n["notebook"], n["status"]) for n in record["notebooks"]] == [(nb, "ok") for nb in NOTEBOOKS]
    assert all(n["seconds"] > 0 for n in record["notebooks"])
    assert record["parameters"]["interactive"] is False
    assert record["parameters"]["workshop_dir"] == str(ws.root)
    for name in ("events", "survey", "verbatims"):
        data = (ws.root / "data" / f"{name}.csv").read_bytes()
        assert record["data"][name] == {"path": f"data/{name}.csv", "sha256": hashlib.sha256(data).hexdigest()}
    assert {"python", "jmapkit", "papermill", "duckdb", "pandas"} <= set(record["versions"])
    for nb in NOTEBOOKS:
        nbformat.validate(nbformat.read(folder / nb, as_version=4))


def test_saved_funnel_matches_an_independent_calculation(done: tuple[Workshop, Path]) -> None:
    ws, _ = done
    order = [s["id"] for s in _template()["touchpoints"]["stages"]]
    expected = ordered_funnel(_restaurant_events(ws.root / "data" / "events.csv"), order)
    saved = ws.load(BehaviourResults)
    assert [r.stage for r in saved.funnel] == order
    assert [r.reached for r in saved.funnel] == expected["reached"].tolist()
    for row, (_, exp) in zip(saved.funnel, expected.iterrows(), strict=True):
        assert row.conversion_from_first == pytest.approx(exp["conversion_from_first"])
        if exp["median_hours"] is not None and not pd.isna(exp["median_hours"]):
            assert row.median_hours == pytest.approx(exp["median_hours"])
            assert row.p90_hours == pytest.approx(exp["p90_hours"])
    table = pd.read_csv(ws.root / saved.tables["funnel"])
    assert table["reached"].tolist() == expected["reached"].tolist()


def test_saved_survey_scores_match_an_independent_calculation(done: tuple[Workshop, Path]) -> None:
    ws, _ = done
    survey = pd.read_csv(ws.root / "data" / "survey.csv")
    rows = {(r.group_by, r.group, r.metric): r for r in ws.load(BehaviourResults).scores}
    n, value, low, high = nps(survey.query("question == 'nps' and touchpoint == 'food_served'")["score"].tolist())
    got = rows[("touchpoint", "food_served", "nps")]
    assert (got.n, got.value) == (n, pytest.approx(value))
    assert (got.ci_low, got.ci_high) == (pytest.approx(low), pytest.approx(high))
    n, value = csat(survey.query("question == 'csat' and touchpoint == 'order_counter'")["score"].tolist())
    got = rows[("touchpoint", "order_counter", "csat")]
    assert (got.n, got.value) == (n, pytest.approx(value))


def test_executed_notebook_shows_charts_offline(done: tuple[Workshop, Path]) -> None:
    _, folder = done
    book = nbformat.read(folder / "4-behaviour.ipynb", as_version=4)
    outputs = [o for c in book.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    svgs = [o for o in outputs if "image/svg+xml" in o.get("data", {})]
    assert len(svgs) >= 4  # funnel, time between stages, transitions, scores, emotion
    text = json.dumps(book)
    assert "cdn.jsdelivr" not in text and "<script src=\"http" not in text
    assert (folder / "4-behaviour.ipynb").stat().st_size < 2_000_000  # aggregated tables only
    book5 = nbformat.read(folder / "5-map.ipynb", as_version=4)
    assert any("image/svg+xml" in o.get("data", {}) for c in book5.cells for o in c.get("outputs", []))


def test_new_events_change_the_saved_funnel(done: tuple[Workshop, Path], tmp_path: Path) -> None:
    ws, _ = done
    before = [r.reached for r in ws.load(BehaviourResults).funnel]
    events = pd.read_csv(ws.root / "data" / "events.csv")
    # Next quarter: half the retention events (loyalty stamps, repeat visits) are gone.
    fewer = events[~events["event"].isin(["loyalty_stamp", "repeat_visit"]) | (events.index % 2 == 0)]
    path = tmp_path / "events-q4.csv"
    fewer.to_csv(path, index=False)
    result = run(ws, data={"events": str(path)}, from_step=4)
    after = ws.load(BehaviourResults)
    expected = ordered_funnel(_restaurant_events(path), [s.id for s in ws.load(3).stages])
    assert [r.reached for r in after.funnel] == expected["reached"].tolist() != before
    assert after.inputs["events"].sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert ("inputs", "events") in {(c.table, c.key) for c in result.changes}
    assert any(c.table == "funnel" and c.field == "reached" for c in result.changes)
    record = json.loads((result.folder / "run.json").read_text())
    assert [n["status"] for n in record["notebooks"]] == ["skipped"] * 3 + ["ok"] * 2


def test_a_failing_notebook_stops_the_run_and_is_kept(tmp_path: Path) -> None:
    ws = new_workshop(tmp_path / "w", template="restaurant")
    book = nbformat.read(ws.path("notebooks", NOTEBOOKS[2]), as_version=4)
    book.cells.append(nbformat.v4.new_code_cell("raise ValueError('the kitchen is on fire')"))
    nbformat.write(book, ws.path("notebooks", NOTEBOOKS[2]))
    with pytest.raises(RunFailed) as info:
        run(ws)
    message = str(info.value)
    assert "3-touchpoints.ipynb failed at cell" in message and "ValueError: the kitchen is on fire" in message
    folder = next(ws.path("runs").iterdir())
    record = json.loads((folder / "run.json").read_text())
    assert [n["status"] for n in record["notebooks"]] == ["ok", "ok", "failed"]
    assert (folder / NOTEBOOKS[2]).is_file() and not (folder / NOTEBOOKS[3]).exists()


def test_notebook_4_runs_directly_with_the_papermill_cli(done: tuple[Workshop, Path], tmp_path: Path) -> None:
    ws, _ = done
    papermill = shutil.which("papermill", path=str(Path(sys.executable).parent))
    out = tmp_path / "out.ipynb"
    subprocess.run([papermill, str(ws.path("notebooks", NOTEBOOKS[3])), str(out), "-p", "workshop_dir",
                    str(ws.root), "-p", "interactive", "False"], check=True, capture_output=True, cwd=tmp_path)
    nbformat.validate(nbformat.read(out, as_version=4))
