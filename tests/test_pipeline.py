"""`jmapkit run` end to end on the restaurant example: five notebooks under papermill, outputs checked."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from jmapkit.cli import main
from jmapkit.errors import RunFailed
from jmapkit.model import BehaviourResults
from jmapkit.pipeline import run
from jmapkit.resources import templates_dir
from jmapkit.store import Workshop, new_workshop
from tests.independent import csat, nps, ordered_funnel, two_proportion_p

pytestmark = pytest.mark.slow  # every test here runs notebooks in a kernel
NOTEBOOKS = ["1-goals.ipynb", "2-personas.ipynb", "3-touchpoints.ipynb", "4-behaviour.ipynb", "5-map.ipynb"]


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
        path = ws.root / "data" / f"{name}.csv"
        assert record["data"][name] == {"path": f"data/{name}.csv", "sha256": hashlib.sha256(path.read_bytes())
                                        .hexdigest(), "size": path.stat().st_size, "mtime_ns": path.stat().st_mtime_ns}
    assert {"python", "jmapkit", "papermill", "duckdb", "pandas"} <= set(record["versions"])
    assert (record["compared_with"], record["changes"], record["failure"]) == (None, [], None)
    kept = json.loads((folder / "4-behaviour-results.json").read_text())["data"]
    assert kept["run"] == folder.name and record["warnings"] == kept["warnings"] != []
    assert json.loads((folder / "5-map.json").read_text())["schema"] == "jmapkit/map"
    assert "over TCP without encryption" not in (folder / "kernel.log").read_text()
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
    times = _restaurant_events(ws.root / "data" / "events.csv")["timestamp"]
    assert saved.period == (times.min().to_pydatetime(), times.max().to_pydatetime())


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


def _write_events(events: pd.DataFrame, path: Path) -> Path:
    events.drop(columns=["stage"]).assign(timestamp=events["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%S%z")) \
        .to_csv(path, index=False)
    return path


def test_same_data_twice_then_a_halved_conversion_then_one_percent_fewer_customers(
    done: tuple[Workshop, Path], tmp_path: Path
) -> None:
    ws, first = done
    events = _restaurant_events(ws.root / "data" / "events.csv")
    order = [s.id for s in ws.load(3).stages]
    again = run(ws, from_step=4)
    assert again.compared_with == first.name
    assert [c for c in again.changes if c.significant] == []
    assert json.loads((again.folder / "run.json").read_text())["compared_with"] == first.name

    # Next quarter, half of the customers never get past consideration: purchase's conversion halves.
    rng = np.random.default_rng(7)
    customers = events["customer_id"].unique()
    lost = set(rng.choice(customers, size=len(customers) // 2, replace=False))
    later = events["stage"].isin(order[order.index("purchase"):])
    halved = _write_events(events[~(events["customer_id"].isin(lost) & later)], tmp_path / "events-q4.csv")
    result = run(ws, data={"events": str(halved)}, from_step=4)
    expected_before = ordered_funnel(events, order).set_index("stage")
    expected = ordered_funnel(_restaurant_events(halved), order).set_index("stage")
    assert [r.reached for r in ws.load(BehaviourResults).funnel] == expected["reached"].tolist()
    assert ws.load(BehaviourResults).inputs["events"].sha256 == hashlib.sha256(halved.read_bytes()).hexdigest()
    changes = {(c.key, c.field): c for c in result.changes}
    purchase = changes[("purchase", "conversion_from_previous")]
    assert purchase.significant and purchase.test == "two-proportion z-test"
    assert purchase.p_value == pytest.approx(two_proportion_p(
        int(expected_before.loc["purchase", "reached"]), int(expected_before.loc["consideration", "reached"]),
        int(expected.loc["purchase", "reached"]), int(expected.loc["consideration", "reached"])), rel=1e-9)
    assert result.changes[0].significant and ("inputs", "events") in {(c.table, c.key) for c in result.changes}
    code, out, _ = _cli("diff", ws.root, "--format", "json")
    listed = {(c["key"], c["field"]): c for c in json.loads(out)["changes"]}
    assert code == 0 and listed[("purchase", "conversion_from_previous")]["significant"] is True
    record = json.loads((result.folder / "run.json").read_text())
    assert [n["status"] for n in record["notebooks"]] == ["skipped"] * 3 + ["ok"] * 2

    # 1 % of the customers gone at random: noise, nothing flagged against the run on the full data.
    kept = set(rng.choice(customers, size=round(len(customers) * 0.99), replace=False))
    fewer = _write_events(events[events["customer_id"].isin(kept)], tmp_path / "events-99.csv")
    sample = run(ws, data={"events": str(fewer)}, from_step=4)
    code, out, _ = _cli("diff", ws.root, again.id, sample.id, "--format", "json")
    moved = json.loads(out)["changes"]
    assert code == 0 and any(c["table"] == "funnel" and c["test"] for c in moved)
    assert [c for c in moved if c["significant"]] == []


def _cli(*args: object) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def test_a_failing_notebook_stops_the_run_and_is_kept(tmp_path: Path) -> None:
    ws = new_workshop(tmp_path / "w", template="restaurant")
    book = nbformat.read(ws.path("notebooks", NOTEBOOKS[2]), as_version=4)
    book.cells.append(nbformat.v4.new_code_cell("raise ValueError('the kitchen is on fire')"))
    nbformat.write(book, ws.path("notebooks", NOTEBOOKS[2]))
    with pytest.raises(RunFailed) as info:
        run(ws)
    assert (info.value.notebook, info.value.ename, info.value.evalue) == (
        "3-touchpoints.ipynb", "ValueError", "the kitchen is on fire")
    code_cells = sum(c.cell_type == "code" for c in book.cells) + 1  # papermill's injected parameters cell
    assert info.value.cell == code_cells
    assert f"3-touchpoints.ipynb failed at cell [{code_cells}]: ValueError: the kitchen is on fire." in str(info.value)
    folder = next(ws.path("runs").iterdir())
    record = json.loads((folder / "run.json").read_text())
    assert [n["status"] for n in record["notebooks"]] == ["ok", "ok", "failed", "not run", "not run"]
    assert record["status"] == "failed" and record["failure"]["cell"] == code_cells
    assert (folder / NOTEBOOKS[2]).is_file() and not (folder / NOTEBOOKS[3]).exists()


def test_a_kernel_that_dies_is_recorded_and_one_line(tmp_path: Path) -> None:
    ws = new_workshop(tmp_path / "w", template="restaurant")
    book = nbformat.read(ws.path("notebooks", NOTEBOOKS[0]), as_version=4)
    book.cells.insert(2, nbformat.v4.new_code_cell("import os\nos._exit(1)"))
    nbformat.write(book, ws.path("notebooks", NOTEBOOKS[0]))
    code, out, err = _cli("run", ws.root)
    folder = next(ws.path("runs").iterdir())
    assert code == 2
    assert out == "failed  1-goals.ipynb  " + out.split("  ")[-1]  # one line per notebook that ran
    # The injected parameters cell is [2], so the cell inserted after the parameters cell is [3].
    assert err == (f"Error: {folder}: 1-goals.ipynb failed at cell [3]: the kernel died (the process exited or "
                   f"crashed). Fix: see {folder / 'kernel.log'} and the last cell of {folder / NOTEBOOKS[0]}; fix "
                   "the cause and run again.\n")
    record = json.loads((folder / "run.json").read_text())
    assert record["status"] == "failed"
    assert {k: record["failure"][k] for k in ("notebook", "cell", "ename", "reason")} == {
        "notebook": "1-goals.ipynb", "cell": 3, "ename": "DeadKernelError",
        "reason": "the kernel died (the process exited or crashed)"}


def test_notebook_4_runs_directly_with_the_papermill_cli(done: tuple[Workshop, Path], tmp_path: Path) -> None:
    ws, _ = done
    papermill = shutil.which("papermill", path=str(Path(sys.executable).parent))
    out = tmp_path / "out.ipynb"
    subprocess.run([papermill, str(ws.path("notebooks", NOTEBOOKS[3])), str(out), "-p", "workshop_dir",
                    str(ws.root), "-p", "interactive", "False"], check=True, capture_output=True, cwd=tmp_path)
    nbformat.validate(nbformat.read(out, as_version=4))
