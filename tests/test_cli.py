from __future__ import annotations

from pathlib import Path
from unittest import mock

import pytest
from click.testing import CliRunner

from jmapkit import __version__
from jmapkit.cli import main
from jmapkit.pipeline import NotebookRun, Run
from jmapkit.store import Workshop


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def test_version() -> None:
    assert invoke("--version") == (0, f"jmapkit, version {__version__}\n", "")


def test_new_creates_a_workshop(tmp_path: Path) -> None:
    code, out, _ = invoke("new", tmp_path / "w", "--template", "restaurant", "--lang", "de")
    assert code == 0
    target = tmp_path / "w"
    assert out == f"Created workshop 'Vivan los Tacos — lunch visit' in {target}\nNext: jmapkit lab {target}\n"
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


def test_run_calls_the_pipeline(restaurant: Workshop, tmp_path: Path) -> None:
    fake = Run(id="r1", folder=tmp_path / "r1", notebooks=[NotebookRun("1-goals.ipynb", "ok", 1.25)])
    with mock.patch("jmapkit.pipeline.run", return_value=fake) as run:
        code, out, _ = invoke("run", restaurant.root, "--data", "events=x.csv", "--data", "survey=y.csv",
                              "--from-step", "4")
    assert code == 0
    (ws,), kwargs = run.call_args
    assert ws.root == restaurant.root
    assert kwargs["data"] == {"events": "x.csv", "survey": "y.csv"}
    assert kwargs["from_step"] == 4
    assert out == f"     ok  1-goals.ipynb  1.2 s\nRun written to {tmp_path / 'r1'}\n"


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
