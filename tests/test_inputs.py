"""The input corpus (tests/data/inputs/, built by make_inputs.py): each real-export case read, or refused
with one line, through the API (jmapkit.io.read), through step 4 and through `jmapkit run`'s options.

Every expected value is written by hand from make_inputs.py, or read from the file by Python's own
csv module (an independent parser), never taken from a run of jmapkit.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from click.testing import CliRunner

from jmapkit import io, steps
from jmapkit.cli import main
from jmapkit.errors import JmapkitError, Problem
from jmapkit.model import Behaviour, BehaviourResults
from jmapkit.pipeline import Run
from jmapkit.store import Workshop, new_workshop
from tests.data.inputs import make_inputs

INPUTS = Path(__file__).resolve().parent / "data" / "inputs"
NUMBER_HINT = "allowed: numbers with '.' as the decimal mark (e.g. 1,234.5)"


def ambiguous_fix(option: str) -> str:
    return (f"Fix: say which with the option shown (--option events.{option}=... on jmapkit run, {option}=... in "
            "io.read), and correct any other listed values in the file.")


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("JMAPKIT_CACHE_DIR", str(cache))
    return cache


def generated_events(n: int) -> list[dict[str, Any]]:
    """make_inputs.events_rows as jmapkit keeps them (their timestamps are all UTC, written with Z)."""
    return [{"customer_id": c, "timestamp": datetime.fromisoformat(t.removesuffix("Z")), "touchpoint": tp,
             "_row": i + 2} for i, (c, t, tp) in enumerate(make_inputs.events_rows(n))]


def python_csv(name: str) -> list[dict[str, Any]]:
    """The file as Python's csv module reads it, numbered as a spreadsheet shows it (no blank lines in it)."""
    with (INPUTS / name).open(newline="", encoding="utf-8") as f:
        records = list(csv.reader(f))
    header = records[0]
    return [{**dict(zip(header, r, strict=True)), "_row": i} for i, r in enumerate(records[1:], start=2)]


@dataclass
class Case:
    """One corpus file: how to read it, and what it must read as (rows) or be refused with (error)."""

    file: str
    kind: str
    options: dict[str, str] = field(default_factory=dict)
    rows: list[dict[str, Any]] | Callable[[], list[dict[str, Any]]] | None = None
    warnings: list[str] = field(default_factory=list)
    dropped: list[Problem] = field(default_factory=list)
    error: str | None = None  # the message after "<path>: "
    encoding: str | None = None

    @property
    def path(self) -> Path:
        return INPUTS / self.file

    def expected_rows(self) -> list[dict[str, Any]]:
        assert self.rows is not None
        return self.rows() if callable(self.rows) else self.rows


CES_WARNING = ("column 'score': question 'ces': score between whole numbers, kept as it is (an averaged answer "
               "counts in the mean) (row 2), e.g. '2.5'")
CASES = [
    Case("verbatims_quoted_newlines.csv", "verbatims", rows=lambda: python_csv("verbatims_quoted_newlines.csv")),
    Case("events_header_only.csv", "events", rows=[], warnings=["the file has a header but no data rows."]),
    Case("events_duplicates.csv", "events", rows=lambda: generated_events(12) + [
        {**r, "_row": r["_row"] + 12} for r in generated_events(5)],
        warnings=["file: 5 rows equal in every column to an earlier row, kept: events may repeat (a log by the day); "
                  "if the file was exported twice, remove the copies (rows 14, 15, 16, 17, 18)"]),
    Case("survey_problems.csv", "survey", error=(
        "4 problems: file: missing column 'respondent_id'; the file has 'respondent', 'touchpoint', 'question', "
        "'score'; allowed: survey files need respondent_id, question, score and touchpoint or stage; column "
        f"'score': not a number (row 3), e.g. 'n/a'; {NUMBER_HINT}; column 'score': question 'nps': score is out of "
        "range (rows 4, 8), e.g. '11'; allowed: whole numbers 0..10 for nps; column 'score': question 'csat': score "
        "is out of range (rows 5, 6), e.g. '0'; allowed: whole numbers 1..5 for csat Fix: correct the listed values "
        "in the file and run again.")),
    Case("survey_ces_averaged.csv", "survey", rows=[
        {"respondent_id": f"R{i}", "touchpoint": "payment", "question": "ces", "score": s, "_row": i + 1}
        for i, s in enumerate([2.5, 3.0, 6.0], start=1)], warnings=[CES_WARNING]),
    Case("verbatims_chinese.csv", "verbatims", rows=[
        {"id": f"Z{i}", "text": t, "_row": i + 1} for i, t in enumerate(make_inputs.CHINESE, start=1)]),
    Case("events.csv.gz", "events", rows=lambda: generated_events(40)),
    Case("events.csv.zst", "events", rows=lambda: generated_events(40)),
    Case("survey_excel_unicode.txt", "survey", encoding="utf-16", rows=[
        {"respondent_id": "R1", "touchpoint": "queue", "question": "csat", "score": 4.0, "_row": 2},
        {"respondent_id": "R2", "touchpoint": "payment", "question": "csat", "score": 5.0, "_row": 3},
        {"respondent_id": "R3", "touchpoint": "queue", "question": "nps", "score": 10.0, "_row": 4}]),
    Case("events_crlf_trailing.csv", "events", rows=[
        {"customer_id": "C1", "timestamp": datetime(2026, 3, 1, 9, 0), "touchpoint": "queue", "_row": 2},
        {"customer_id": "C1", "timestamp": datetime(2026, 3, 1, 9, 20), "touchpoint": "payment", "_row": 3},
        {"customer_id": "C2", "timestamp": datetime(2026, 3, 2, 12, 0), "touchpoint": "instagram", "_row": 4}]),
    Case("events_thousands.csv", "events", rows=[
        {"customer_id": f"C{i}", "timestamp": datetime(2026, 3, 1, 8 + i), "touchpoint": "payment", "value": v,
         "_row": i + 1} for i, v in enumerate([1234.5, 12000.0, 7.25], start=1)]),
    Case("events_german.csv", "events", encoding="cp1252",
         warnings=["read as cp1252 (detected); set the option encoding= if any text looks wrong."], rows=[
        {"customer_id": "K1", "timestamp": datetime(2026, 1, 31, 14, 5), "touchpoint": "payment",
         "channel": "Kasse für Gäste", "value": 1234.5, "_row": 2},
        {"customer_id": "K2", "timestamp": datetime(2026, 2, 1, 9, 0), "touchpoint": "queue", "channel": "Straße",
         "value": 2.5, "_row": 3},
        {"customer_id": "K3", "timestamp": datetime(2026, 2, 2, 18, 30), "touchpoint": "payment",
         "channel": "Kasse für Gäste", "value": 3.0, "_row": 4},
        {"customer_id": "K4", "timestamp": datetime(2026, 2, 3, 12, 0), "touchpoint": "queue", "channel": "Straße",
         "value": 0.75, "_row": 5}]),
    Case("verbatims_korean_cp949.csv", "verbatims", encoding="cp949",
         warnings=["read as cp949 (detected); set the option encoding= if any text looks wrong."], rows=[
        {"id": "K1", "text": "주문 대기 시간이 너무 길었어요.", "_row": 2},
        {"id": "K2", "text": "직원분들이 정말 친절했습니다!", "_row": 3}]),
    Case("verbatims_japanese_sjis.csv", "verbatims", encoding="cp932",
         warnings=["read as cp932 (detected); set the option encoding= if any text looks wrong."], rows=[
        {"id": "J1", "text": "注文の待ち時間が長すぎました。", "_row": 2},
        {"id": "J2", "text": "店員さんがとても親切でした！", "_row": 3}]),
    Case("events_sep_line.csv", "events", warnings=["row 1 above the header skipped (not data: 'sep=;')."], rows=[
        {"customer_id": "C1", "timestamp": datetime(2026, 3, 1, 9, 0), "touchpoint": "queue", "_row": 3},
        {"customer_id": "C2", "timestamp": datetime(2026, 3, 1, 9, 5), "touchpoint": "payment", "_row": 4}]),
    Case("events_title_row.csv", "events",
         warnings=["rows 1–2 above the header skipped (not data: 'Touchpoint events, March 2026')."], rows=[
        {"customer_id": "C1", "timestamp": datetime(2026, 3, 1, 9, 0), "touchpoint": "queue", "_row": 4},
        {"customer_id": "C2", "timestamp": datetime(2026, 3, 1, 9, 5), "touchpoint": "payment", "_row": 5}]),
    Case("verbatims_unterminated_quote.csv", "verbatims", error=(
        "a quoted value starting on line 3 never ends: a closing '\"' is missing, so everything after it would be "
        "one value. Fix: add the closing quote on line 3 (or remove the opening one) and export the file again.")),
    Case("verbatims_unquoted_delimiter.csv", "verbatims", error=(
        "1 problem: file: a value beyond the named columns (column 3 has no header): a value holding the delimiter "
        "without quotes splits in two (row 3), e.g. 'and cold'; allowed: one value per named column; quotes around "
        "a value that holds the delimiter Fix: correct the listed values in the file and run again.")),
    Case("events_ambiguous_decimal.csv", "events", error=(
        "1 problem: column 'value': decimal comma or thousands separator? Every number fits both (row 2), e.g. "
        "'1,500'; allowed: say which: decimal=',' (1,5 is one and a half) or decimal='.' (1,500 is fifteen "
        f"hundred) {ambiguous_fix('decimal')}")),
    Case("events_ambiguous_decimal.csv", "events", {"decimal": ","}, rows=[
        {"customer_id": "C1", "timestamp": datetime(2026, 3, 1), "touchpoint": "payment", "value": 1.5, "_row": 2},
        {"customer_id": "C2", "timestamp": datetime(2026, 3, 2), "touchpoint": "payment", "value": 12.0, "_row": 3}]),
    Case("events_ambiguous_decimal.csv", "events", {"decimal": "."}, rows=[
        {"customer_id": "C1", "timestamp": datetime(2026, 3, 1), "touchpoint": "payment", "value": 1500.0, "_row": 2},
        {"customer_id": "C2", "timestamp": datetime(2026, 3, 2), "touchpoint": "payment", "value": 12.0, "_row": 3}]),
    Case("events_ambiguous_dates.csv", "events", error=(
        "1 problem: column 'timestamp': day-first or month-first? Every timestamp fits both %d/%m/%Y %H:%M and "
        "%m/%d/%Y %H:%M (rows 2, 3), e.g. '03/04/2026 10:00'; allowed: say which: timestamp_format='%d/%m/%Y %H:%M' "
        f"or timestamp_format='%m/%d/%Y %H:%M' {ambiguous_fix('timestamp_format')}")),
    Case("events_ambiguous_dates.csv", "events", {"timestamp_format": "%d/%m/%Y %H:%M"}, rows=[
        {"customer_id": "C1", "timestamp": datetime(2026, 4, 3, 10, 0), "touchpoint": "queue", "_row": 2},
        {"customer_id": "C2", "timestamp": datetime(2026, 4, 5, 11, 0), "touchpoint": "payment", "_row": 3}]),
    Case("events_unmapped.csv", "events", rows=[
        {"customer_id": "C1", "timestamp": datetime(2026, 3, 1, 9, 0), "event": "page_view", "_row": 2},
        {"customer_id": "C1", "timestamp": datetime(2026, 3, 1, 9, 5), "event": "add_to_cart", "_row": 3},
        {"customer_id": "C2", "timestamp": datetime(2026, 3, 2, 10, 0), "event": "page_view", "_row": 4}]),
    Case("survey_title_row.xlsx", "survey",
         warnings=["rows 1–2 above the header skipped (not data: 'Customer survey, Q1 2026')."], rows=[
        {"respondent_id": "R1", "touchpoint": "queue", "question": "csat", "score": 4.0, "_row": 4},
        {"respondent_id": "R2", "touchpoint": "payment", "question": "csat", "score": 2.0, "_row": 5},
        {"respondent_id": "R3", "touchpoint": "queue", "question": "nps", "score": 9.0, "_row": 6}]),
    Case("verbatims_empty_first_sheet.xlsx", "verbatims",
         error="the sheet 'Sheet1' is empty. Fix: pass the option sheet='Feedback'."),
    Case("verbatims_empty_first_sheet.xlsx", "verbatims", {"sheet": "Feedback"},
         rows=[{"id": "V1", "text": "Great tacos!", "_row": 2}]),
    Case("verbatims_empty_first_sheet.xlsx", "verbatims", {"sheet": "1"},
         rows=[{"id": "V1", "text": "Great tacos!", "_row": 2}]),
]
IDS = [f"{c.file}-{'-'.join(f'{k}={v}' for k, v in c.options.items()) or 'as-is'}" for c in CASES]


def test_the_corpus_is_what_make_inputs_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The committed files are the generator's output (workbooks compared by content: zip times differ)."""
    import openpyxl

    monkeypatch.setattr(make_inputs, "HERE", tmp_path)
    make_inputs.main()
    for made in sorted(tmp_path.iterdir()):
        if made.suffix == ".xlsx":
            def cells(path: Path) -> list[list[tuple[Any, ...]]]:
                book = openpyxl.load_workbook(path)
                return [list(ws.iter_rows(values_only=True)) for ws in book.worksheets]
            assert cells(made) == cells(INPUTS / made.name), made.name
        else:
            assert made.read_bytes() == (INPUTS / made.name).read_bytes(), made.name
    assert {c.file for c in CASES} == {p.name for p in tmp_path.iterdir()}


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_read_through_the_api(case: Case) -> None:
    if case.error is not None:
        with pytest.raises(JmapkitError) as info:
            io.read(case.path, case.kind, **io.reader_options(case.options))  # type: ignore[arg-type]
        assert info.value.message == f"{case.path}: {case.error}"
        return
    loaded = io.read(case.path, case.kind, **io.reader_options(case.options))  # type: ignore[arg-type]
    assert loaded.table.order_by("_row").to_pyarrow().to_pylist() == case.expected_rows()
    assert loaded.rows == len(case.expected_rows())
    assert (loaded.warnings, loaded.dropped, loaded.encoding) == (case.warnings, case.dropped,
                                                                  case.encoding or _plain(case))


def _plain(case: Case) -> str | None:
    return None if case.path.suffix in (".xlsx", ".parquet") else "utf-8"


# --- step 4 and the command line ------------------------------------------------------------------


@pytest.fixture
def workshop(tmp_path: Path) -> Workshop:
    """The restaurant workshop with step 4 reading nothing of its own: only the file under test."""
    ws = new_workshop(tmp_path / "w", template="restaurant")
    ws.save(ws.load(Behaviour).model_copy(update={"data": {}}))
    return ws


def run_cli(ws: Workshop, case: Case) -> tuple[int, str]:
    """`jmapkit run W --data KIND=PATH --option KIND.K=V`, with papermill replaced by step 4 in-process."""
    def pipeline(ws: Workshop, *, data: dict[str, str], options: dict[str, dict[str, str]], **_: Any) -> Run:
        steps.behaviour.run(ws, data=data, options=options)
        return Run(id="r", folder=ws.path("runs", "r"))

    args = ["run", str(ws.root), "--data", f"{case.kind}={case.path}"]
    for key, value in case.options.items():
        args += ["--option", f"{case.kind}.{key}={value}"]
    with mock.patch("jmapkit.pipeline.run", side_effect=pipeline) as called:
        result = CliRunner().invoke(main, args)
    assert called.call_args.kwargs["options"] == ({case.kind: case.options} if case.options else {})
    return result.exit_code, result.stderr


# What step 4 says beyond the reader, for the files it refuses or reads with more to say.
STEP4_ERRORS = {
    "events_header_only.csv": "the events file has no data rows; step 4 keeps its earlier results. Fix: export the "
                              "data again with its rows, or pass another file with --data events=PATH.",
    "events_unmapped.csv": "no event maps to a stage of step 3, so the funnel would be all zeros; the file's event "
                           "values are 'page_view' (2), 'add_to_cart' (1), step 3's touchpoints 'instagram', "
                           "'maps_listing', 'web_menu', 'reviews', 'queue' and 8 more. Step 4 keeps its earlier "
                           "results. Fix: map the event names to touchpoints in step 3 (notebook 3), then run step 4 "
                           "again.",
}


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_step_4_through_the_command_line(workshop: Workshop, case: Case) -> None:
    before = {p.name: p.read_bytes() for p in workshop.path("steps").glob("*.json")}
    code, err = run_cli(workshop, case)
    error = case.error or STEP4_ERRORS.get(case.file)
    if error is not None:
        assert (code, err) == (2, f"Error: {case.path}: {error}\n")
        assert {p.name: p.read_bytes() for p in workshop.path("steps").glob("*.json")} == before
        return
    assert (code, err) == (0, "")
    saved = workshop.load(BehaviourResults)
    assert saved.inputs[case.kind].rows == len(case.expected_rows())
    named = [w for w in saved.warnings if w.startswith(f"{case.path.name}: ")]
    # Every reader warning is in step 4's warnings, headed by the file's name.
    assert [f"{case.path.name}: {w}" for w in case.warnings] == named[:len(case.warnings)]
