from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
from click.testing import CliRunner

from jmapkit import __version__
from jmapkit.cli import main
from jmapkit.diff import compare
from jmapkit.errors import RunFailed
from jmapkit.pipeline import NotebookRun, Run
from jmapkit.store import Workshop
from tests.independent import two_proportion_p
from tests.test_diff import halved
from tests.test_runs import T0, fake_run


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def test_version() -> None:
    assert invoke("--version") == (0, f"jmapkit, version {__version__}\n", "")


def test_new_creates_a_workshop(tmp_path: Path) -> None:
    code, out, _ = invoke("new", tmp_path / "w", "--template", "restaurant", "--lang", "de")
    assert code == 0
    target = tmp_path / "w"
    # A German workshop's command already answers in German.
    name = Workshop(target).meta.name  # the template's name in German
    assert out == f"Workshop „{name}“ in {target} angelegt\nWeiter: jmapkit lab {target}\n"
    assert Workshop(tmp_path / "w").meta.language == "de"


def test_unknown_template_is_one_line_and_exit_2(tmp_path: Path) -> None:
    code, out, err = invoke("new", tmp_path / "w", "--template", "bakery")
    assert code == 2
    assert err == ("Error: unknown template 'bakery'. "
                   "Fix: use one of: default, ecommerce, public-service, restaurant, saas-onboarding.\n")
    assert not (tmp_path / "w").exists()


def test_run_on_a_folder_that_is_not_a_workshop(tmp_path: Path) -> None:
    code, _, err = invoke("run", tmp_path)
    assert code == 2
    assert err.count("\n") == 1 and "is not a workshop" in err and "Traceback" not in err


def test_run_with_a_missing_data_file(restaurant: Workshop, tmp_path: Path) -> None:
    before = {p: p.read_bytes() for p in restaurant.path("steps").glob("*.json")}
    code, _, err = invoke("run", restaurant.root, "--data", f"events={tmp_path / 'nope.csv'}")
    assert code == 2
    assert err == (f"Error: {tmp_path / 'nope.csv'}: the events file does not exist. "
                   "Fix: check the path, or pass another file with --data events=PATH.\n")
    assert {p: p.read_bytes() for p in restaurant.path("steps").glob("*.json")} == before
    assert list(restaurant.path("runs").iterdir()) == []


@pytest.mark.parametrize("content", ["{broken", '{"schema": "jmapkit/map", "version": 1, "data": {"kpis": 5}}'])
def test_run_with_a_broken_step_file_changes_nothing(restaurant: Workshop, content: str) -> None:
    restaurant.step_path(5).write_text(content)
    before = {p: p.read_bytes() for p in restaurant.path("steps").glob("*.json")}
    code, _, err = invoke("run", restaurant.root)
    assert code == 2
    assert err.startswith(f"Error: {restaurant.step_path(5)}: ") and err.count("\n") == 1
    assert {p: p.read_bytes() for p in restaurant.path("steps").glob("*.json")} == before
    assert list(restaurant.path("runs").iterdir()) == []


def test_bad_data_option() -> None:
    code, _, err = invoke("run", ".", "--data", "events")
    assert code == 2 and "is not NAME=PATH" in err


@pytest.mark.parametrize("option", ["events", "events.delimiter", "=;", ".delimiter=;", "events.=;"])
def test_bad_reader_option(option: str) -> None:
    code, _, err = invoke("run", ".", "--option", option)
    assert (code, err) == (2, f"Error: --option {option!r} is not INPUT.OPTION=VALUE. Fix: write e.g. --option "
                              "events.delimiter=';' or --option survey.decimal=,\n")


def test_run_passes_reader_options_to_the_pipeline(restaurant: Workshop, tmp_path: Path) -> None:
    fake = Run(id="r1", folder=tmp_path / "r1")
    with mock.patch("jmapkit.pipeline.run", return_value=fake) as run:
        code, _, _ = invoke("run", restaurant.root, "--option", "events.delimiter=;", "--option",
                            "events.timestamp_format=%d.%m.%Y %H:%M", "--option", "survey.decimal=,",
                            "--option", "events.delimiter=tab")
    assert code == 0
    assert run.call_args.kwargs["options"] == {"events": {"delimiter": "tab", "timestamp_format": "%d.%m.%Y %H:%M"},
                                               "survey": {"decimal": ","}}


def test_run_calls_the_pipeline_and_shows_its_progress(restaurant: Workshop, tmp_path: Path) -> None:
    fake = Run(id="r1", folder=tmp_path / "r1", notebooks=[NotebookRun("4-behaviour.ipynb", "ok", 1.25)],
               warnings=["events.csv: dropped 2 rows"])

    def pipeline(ws: Workshop, **kwargs: object) -> Run:
        progress = kwargs["progress"]
        progress.start(["4-behaviour.ipynb"])
        progress.notebook_started("4-behaviour.ipynb")
        progress.notebook_finished(fake.notebooks[0])
        progress.warning("events.csv: dropped 2 rows")
        progress.close()
        return fake

    with mock.patch("jmapkit.pipeline.run", side_effect=pipeline) as run:
        code, out, err = invoke("run", restaurant.root, "--data", "events=x.csv", "--data", "survey=y.csv",
                                "--from-step", "4")
    assert code == 0
    (ws,), kwargs = run.call_args
    assert ws.root == restaurant.root
    assert kwargs["data"] == {"events": "x.csv", "survey": "y.csv"}
    assert kwargs["from_step"] == 4
    assert out == ("    ok  4-behaviour.ipynb  1.2 s\n"
                   "  warning: events.csv: dropped 2 rows\n"
                   "first run: nothing to compare\n"
                   f"Run written to {tmp_path / 'r1'}\n")
    assert err == ""  # the bar is drawn on a terminal only


def test_run_says_what_changed_since_the_last_run(restaurant: Workshop, tmp_path: Path) -> None:
    before, after = halved()
    fake = Run(id="r2", folder=tmp_path / "r2", changes=compare(before, after), compared_with="r1")
    with mock.patch("jmapkit.pipeline.run", return_value=fake):
        code, out, _ = invoke("run", restaurant.root)
    assert code == 0
    assert out.splitlines() == [
        "What changed since run r1: 2 significant of 3 changes (* = significant at 0.05 by its test, Holm-adjusted)",
        "  * funnel pay conversion_from_previous: 78.3 % → 39.1 % (significant: two-proportion z-test, p < 0.001)",
        "  * funnel pay conversion_from_first: 57.4 % → 28.7 % (significant: two-proportion z-test, p < 0.001)",
        "    funnel pay reached: 817 → 408",
        f"Run written to {tmp_path / 'r2'}",
    ]


def test_a_failed_run_is_one_line_and_exit_2(restaurant: Workshop) -> None:
    failed = RunFailed("2-personas.ipynb failed at cell [6]: the kernel died.", where="runs/r1", fix="see it.",
                       notebook="2-personas.ipynb", cell=6, ename="DeadKernelError", evalue="Kernel died")
    with mock.patch("jmapkit.pipeline.run", side_effect=failed):
        code, _, err = invoke("run", restaurant.root)
    assert (code, err) == (2, "Error: runs/r1: 2-personas.ipynb failed at cell [6]: the kernel died. Fix: see it.\n")


def test_a_notebook_cut_in_half_fails_the_run_before_any_kernel(restaurant: Workshop) -> None:
    book = restaurant.path("notebooks", "3-touchpoints.ipynb")
    book.write_bytes(book.read_bytes()[: book.stat().st_size // 2])
    code, out, err = invoke("run", restaurant.root)
    folder = next(restaurant.path("runs").iterdir())
    line = json.loads((folder / "run.json").read_text())
    assert (code, out) == (2, "")
    assert err.startswith(f"Error: {folder}: 3-touchpoints.ipynb failed: the notebook is not valid JSON (")
    assert err.endswith("); it may be cut short. Fix: copy 3-touchpoints.ipynb back from an earlier run (runs/*/) or "
                        "from a new workshop (`jmapkit new`), or restore it from version control.\n")
    assert err.count("\n") == 1
    assert line["status"] == "failed" and line["failure"]["notebook"] == "3-touchpoints.ipynb"
    assert line["failure"]["ename"] == "JSONDecodeError" and line["failure"]["cell"] is None
    assert [n["status"] for n in line["notebooks"]] == ["not run", "not run", "failed", "not run", "not run"]


def test_runs_lists_every_run(restaurant: Workshop) -> None:
    data = {"events": {"path": "data/events.csv", "sha256": "ca9e8d7fc9ce" + "0" * 52},
            "survey": {"path": "/elsewhere/survey-q4.xlsx", "sha256": "52fd085c1bf9" + "0" * 52}}
    fake_run(restaurant, "20260901T100000Z", reached=[10, 5, 2], data=data)
    fake_run(restaurant, "20260902T100000Z", status="failed", finished=T0 + timedelta(hours=1, seconds=3))
    code, out, _ = invoke("runs", restaurant.root)
    assert code == 0
    assert out.splitlines() == [
        "run                   date (UTC)        status      duration  data",
        "20260901T100000Z      2026-09-30 11:59  ok            12.5 s  events.csv ca9e8d7f, survey-q4.xlsx 52fd085c",
        "20260902T100000Z      2026-09-30 12:59  failed        12.5 s  –",
        "                      2-personas.ipynb: boom",
    ]


def test_runs_before_the_first(restaurant: Workshop) -> None:
    assert invoke("runs", restaurant.root) == (0, f"No runs yet: jmapkit run {restaurant.root}\n", "")


def test_diff_in_text_and_json(restaurant: Workshop) -> None:
    fake_run(restaurant, "20260901T100000Z", reached=[1000, 800, 600])
    fake_run(restaurant, "20260902T100000Z", reached=[1000, 800, 300])
    code, out, _ = invoke("diff", restaurant.root)
    assert code == 0
    assert out.splitlines()[:2] == [
        "From run 20260901T100000Z to run 20260902T100000Z",
        "What changed since run 20260901T100000Z: 2 significant of 3 changes "
        "(* = significant at 0.05 by its test, Holm-adjusted)",
    ]
    code, out, _ = invoke("diff", restaurant.root, "20260901", "20260902", "--format", "json")
    report = json.loads(out)
    assert (report["before"], report["after"]) == ("20260901T100000Z", "20260902T100000Z")
    first = report["changes"][0]
    assert {k: first[k] for k in ("table", "key", "field", "test", "significant")} == {
        "table": "funnel", "key": "pay", "field": "conversion_from_previous", "test": "two-proportion z-test",
        "significant": True}
    assert first["p_value"] == pytest.approx(two_proportion_p(600, 800, 300, 800), rel=1e-9)


def test_diff_with_one_run_is_one_line(restaurant: Workshop) -> None:
    code, _, err = invoke("diff", restaurant.root)
    assert code == 2 and err.count("\n") == 1
    assert "there are 0 successful runs with kept results; a diff needs two." in err


def test_check_exit_status(restaurant: Workshop) -> None:
    code, out, _ = invoke("check", restaurant.root)
    assert code == 0
    # JM202 (3 personas), 5 × JM305 (owner changes), JM401 and JM402 (no data yet), JM505 (web menu: no evidence),
    # JM513 ('Choose' has no KPI), JM516 ('CSAT of the food': target = baseline), 5 × JM601 (template content)
    assert out.splitlines()[-1] == "0 errors, 16 warnings"
    restaurant.save(restaurant.load(5).model_copy(update={"pain_points": []}))
    code, out, _ = invoke("check", restaurant.root)
    assert code == 1
    assert "JM501 error   step 5  no-pain-points: no pain points: a journey map is not a persona with arrows." in out


def test_lab_builds_the_jupyterlab_command(restaurant: Workshop) -> None:
    with mock.patch("subprocess.call", return_value=0) as call:
        code, _, _ = invoke("lab", restaurant.root, "--no-browser", "--port", "8899")
    assert code == 0
    cmd = call.call_args.args[0]
    assert cmd[1:4] == ["-m", "jupyterlab", f"--ServerApp.root_dir={restaurant.root}"]
    assert "--port=8899" in cmd and "--no-browser" in cmd


def test_serve_calls_the_room(restaurant: Workshop) -> None:
    with mock.patch("jmapkit.room.server.serve") as serve:
        code, _, _ = invoke("serve", restaurant.root, "--port", "9000", "--ip", "127.0.0.1", "--token", "abcdefgh")
    assert code == 0
    (ws,), kwargs = serve.call_args
    assert ws.root == restaurant.root
    assert {k: kwargs[k] for k in ("ip", "port", "token", "facilitator_token")} == {
        "ip": "127.0.0.1", "port": 9000, "token": "abcdefgh", "facilitator_token": None}


def test_serve_defaults_to_the_rooms_network_on_8866(restaurant: Workshop) -> None:
    with mock.patch("jmapkit.room.server.serve") as serve:
        invoke("serve", restaurant.root)
    assert (serve.call_args.kwargs["ip"], serve.call_args.kwargs["port"], serve.call_args.kwargs["token"]) == (
        "0.0.0.0", 8866, None)


def test_serve_without_step_3_is_one_line_and_exit_2(blank: Workshop) -> None:
    blank.step_path(3).unlink()
    code, _, err = invoke("serve", blank.root, "--port", "0", "--ip", "127.0.0.1")
    assert code == 2 and "step 3 (Touchpoints) has not been saved yet" in err


def test_serve_refuses_the_same_code_for_both_links(restaurant: Workshop) -> None:
    code, _, err = invoke("serve", restaurant.root, "--token", "samecode", "--facilitator-token", "samecode")
    assert code == 2 and "two different, non-empty codes" in err
