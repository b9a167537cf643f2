"""benchmarks/bench_analytics.py on a small file: its engines must agree, and its time order is a true sort.

The script stops when jmapkit, the hand-written SQL and pandas disagree on customers per stage,
entrants, median hours or unmapped events (with --step4 also per segment, and on touchpoints, top
paths and transitions), so running it is a three-way check of step 4's behaviour analytics.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_analytics.py"
ENGINES = ["jmapkit", "jmapkit-again", "duckdb-sql", "duckdb-sql-table", "pandas"]

pytestmark = pytest.mark.slow


def _run(data: Path, order: str, *more: str) -> str:
    out = subprocess.run([sys.executable, str(SCRIPT), "--sizes", "30K", "--order", order, "--data", str(data),
                          "--engines", *ENGINES, *more], capture_output=True, text=True, timeout=600, check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


@pytest.mark.parametrize(("order", "more"), [("time", ()), ("shuffled", ()), ("time", ("--step4",))])
def test_engines_agree(tmp_path: Path, order: str, more: tuple[str, ...]) -> None:
    printed = _run(tmp_path, order, *more)
    line = re.compile(r"^\s+30K (\S+)\s+[\d.]+\s+\d+\s+(\[[^]]*\] / \[[^]]*\])", re.M)
    rows = {m.group(1): m.group(2) for m in line.finditer(printed)}
    assert set(rows) == set(ENGINES), printed
    assert len(set(rows.values())) == 1, rows  # the same reached / entered lists, as the script checks too
    reached = [int(x) for x in re.match(r"\[([^]]*)\]", rows["pandas"]).group(1).split(", ")]
    assert reached == sorted(reached, reverse=True) and reached[0] > reached[-1] > 0


def test_time_order_is_the_same_rows_sorted(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("bench_analytics", SCRIPT)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    shuffled_path, ordered_path = bench.data_file("30K", "shuffled", tmp_path), bench.data_file("30K", "time", tmp_path)
    bench.generate(30_000, shuffled_path)  # as the script makes them: generated, then a sorted copy
    bench.sort_by_time(shuffled_path, ordered_path)
    shuffled, ordered = pq.read_table(shuffled_path), pq.read_table(ordered_path)
    assert ordered.num_rows == shuffled.num_rows == 30_000
    times = ordered["timestamp"].to_numpy()
    assert (times[1:] >= times[:-1]).all()
    keys = ["timestamp", "customer_id", "event", "channel", "segment", "value"]
    assert ordered.sort_by([(k, "ascending") for k in keys]).equals(shuffled.sort_by([(k, "ascending") for k in keys]))
    assert pc.sum(ordered["value"]).as_py() == pytest.approx(pc.sum(shuffled["value"]).as_py())
