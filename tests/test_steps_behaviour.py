"""Step 4 (jmapkit.steps.behaviour): reader options, inputs that cannot be used, warnings named by file.

A bad input must never replace good results: every refusal here leaves the step file and the
tables under steps/4-behaviour/ byte for byte as the last good run wrote them.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from jmapkit import steps
from jmapkit.errors import DataFileError, JmapkitError, ValidationFailed
from jmapkit.model import Behaviour, BehaviourResults
from jmapkit.store import Workshop, new_workshop
from tests.data.inputs import make_inputs

INPUTS = Path(__file__).resolve().parent / "data" / "inputs"


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JMAPKIT_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def computed(tmp_path: Path) -> Workshop:
    """The restaurant workshop after one good step-4 run on its own data."""
    ws = new_workshop(tmp_path / "w", template="restaurant")
    steps.behaviour.run(ws)
    return ws


def snapshot(ws: Workshop) -> dict[str, bytes]:
    files = [*ws.path("steps").glob("*.json"), *ws.tables_dir(4).glob("*.csv")]
    return {str(p.relative_to(ws.root)): p.read_bytes() for p in files}


@pytest.mark.parametrize(
    ("data", "options", "message"),
    [
        ({"events": INPUTS / "events_header_only.csv"}, {},
         f"{INPUTS / 'events_header_only.csv'}: the events file has no data rows; step 4 keeps its earlier results. "
         "Fix: export the data again with its rows, or pass another file with --data events=PATH."),
        ({}, {"events": {"delimitr": ";"}},
         "step 4 options for events: unknown reader option 'delimitr'. Fix: use one of delimiter, encoding, decimal, "
         "timestamp_format, sheet (docs/input-files.md shows each with examples)."),
        ({}, {"events": {"delimiter": ";;"}},
         "step 4 options for events: delimiter=';;' is not one character. Fix: give one character such as ';' or "
         "'|', or a name: tab, comma, semicolon, pipe."),
        ({}, {"survey": {"decimal": ";"}},
         "step 4 options for survey: decimal=';' is not a decimal mark. Fix: use ',' or '.'."),
        ({}, {"clicks": {"delimiter": ";"}},
         "step 4 options: reader options for unknown input 'clicks'. Fix: name inputs events, survey, verbatims "
         "(e.g. --option events.delimiter=';')."),
    ],
)
def test_an_unusable_input_or_option_keeps_the_earlier_results(computed: Workshop, data: dict[str, Path],
                                                               options: dict[str, dict[str, str]],
                                                               message: str) -> None:
    before = snapshot(computed)
    with pytest.raises(JmapkitError) as info:
        steps.behaviour.run(computed, data={k: str(v) for k, v in data.items()}, options=options)
    assert info.value.message == message
    assert snapshot(computed) == before


def test_every_unusable_file_in_one_error(computed: Workshop) -> None:
    before = snapshot(computed)
    header_only, problems = INPUTS / "events_header_only.csv", INPUTS / "survey_problems.csv"
    with pytest.raises(DataFileError) as info:
        steps.behaviour.run(computed, data={"events": str(header_only), "survey": str(problems)})
    message = info.value.message
    assert message.startswith(f"2 data files cannot be used: {header_only}: the events file has no data rows")
    assert f" | {problems}: 4 problems: file: missing column 'respondent_id'" in message
    assert message.endswith("Fix: fix each file as said; step 4 keeps its earlier results.")
    assert snapshot(computed) == before


def test_saved_options_are_used_and_a_run_overrides_them(computed: Workshop) -> None:
    ambiguous = str(INPUTS / "events_ambiguous_decimal.csv")
    computed.save(computed.load(Behaviour).model_copy(update={"data": {"events": ambiguous},
                                                       "options": {"events": {"decimal": ","}}}))
    steps.behaviour.run(computed)  # refused without the saved option (test_inputs.py)
    assert computed.load(BehaviourResults).inputs["events"].rows == 2
    # The run's option applies on top of the saved one: had decimal=',' been lost, the ambiguous
    # decimal would be listed too.
    with pytest.raises(ValidationFailed) as info:
        steps.behaviour.run(computed, options={"events": {"timestamp_format": "%d/%m/%Y"}})
    assert [(p.column, p.code, p.rows) for p in info.value.problems] == [("timestamp", "not_a_timestamp", (2, 3))]
    assert computed.load(Behaviour).options == {"events": {"decimal": ","}}  # a run's options are not saved


def test_warnings_are_headed_by_their_file(computed: Workshop) -> None:
    chinese = INPUTS / "verbatims_chinese.csv"
    result = steps.behaviour.run(computed, data={"verbatims": str(chinese), "events": str(INPUTS /
                                                                                          "events_duplicates.csv")})
    notes = [w for w in result.warnings if w.startswith("verbatims_chinese.csv: ")]
    no_method = [int(m) for w in notes for m in re.findall(r"^verbatims_chinese\.csv: No sentiment method for zh "
                                                          r"\((\d+) texts\)", w)]
    uncertain = [int(m) for w in notes for m in re.findall(r"^verbatims_chinese\.csv: (\d+) texts got no "
                                                          r"sentiment score because their language is uncertain", w)]
    assert len(no_method) == len(uncertain) == 1
    assert no_method[0] + uncertain[0] == len(make_inputs.CHINESE)
    assert notes[-1] == ("verbatims_chinese.csv: no text has a touchpoint, so sentiment is scored per text "
                         "(verbatims.csv) but not per touchpoint; add a 'touchpoint' column to compare it with the "
                         "room's emotions.")
    assert result.tables["verbatims"]["score"].isna().all()
    assert ("events_duplicates.csv: file: 5 rows equal in every column to an earlier row, kept: events may repeat "
            "(a log by the day); if the file was exported twice, remove the copies (rows 14, 15, 16, 17, 18)"
            ) in result.warnings


@pytest.mark.slow
def test_jmapkit_run_passes_options_to_the_notebook_and_a_bad_file_keeps_the_results(tmp_path: Path) -> None:
    """The real command: papermill gets `options`, and a header-only file fails the run with old results kept."""
    ws = new_workshop(tmp_path / "w", template="restaurant")
    jmapkit = [sys.executable, "-m", "jmapkit"]
    ambiguous = INPUTS / "events_ambiguous_decimal.csv"
    done = subprocess.run([*jmapkit, "run", str(ws.root), "--from-step", "4", "--data", f"events={ambiguous}",
                           "--option", "events.decimal=,"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert ws.load(BehaviourResults).inputs["events"].rows == 2
    record = json.loads(next(ws.path("runs").glob("*/run.json")).read_text())
    assert record["parameters"]["options"] == {"events": {"decimal": ","}}
    before = snapshot(ws)
    failed = subprocess.run([*jmapkit, "run", str(ws.root), "--from-step", "4", "--data",
                             f"events={INPUTS / 'events_header_only.csv'}"], capture_output=True, text=True,
                            timeout=600)
    assert failed.returncode == 2
    assert "the events file has no data rows; step 4 keeps its earlier results" in failed.stderr
    assert snapshot(ws) == before


def test_emotion_sources_show_signed_values_and_never_a_negative_zero(restaurant: Workshop) -> None:
    emotion = pd.DataFrame({
        "touchpoint": ["queue", "payment", "food_served"],
        "voted": [float("nan"), -0.04, 1.25],
        "voted_n": [0, 3, 4],
        "measured": [-0.03, -0.26, float("nan")],
        "measured_from": ["sentiment", "csat", None],
    })
    table = steps.behaviour.emotion_sources(restaurant, emotion).set_index("touchpoint")
    rows = table.loc[["Queue at the door", "Pay at the till", "Food served"], ["team", "voted", "measured"]]
    assert rows.values.tolist() == [["−1.0", "–", "+0.0"], ["−1.0", "+0.0", "−0.3"], ["+2.0", "+1.2", "–"]]
