"""Step-4 behaviour analytics at scale: jmapkit vs hand-written DuckDB SQL vs plain pandas.

Generates synthetic event logs that look like a real export (customer ids like C0000123, UTC
timestamps, raw touchpoint names, channel, segment, a skewed drop-off through five stages) as
Parquet under benchmarks/data/, then runs the ordered five-stage funnel of DESIGN.md in each engine,
each in its own process so the peak RSS is that engine's alone, and prints times, peak RSS and ratios.

    python benchmarks/bench_analytics.py --sizes 1M 10M          # 100M takes ~2 GB of disk
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
STAGES = ["awareness", "consideration", "purchase", "onboarding", "retention"]
TOUCHPOINTS = {  # touchpoint → stage, as step 3 would save it
    "instagram": "awareness", "maps_listing": "awareness", "web_menu": "consideration", "reviews": "consideration",
    "order_counter": "purchase", "app_order": "purchase", "food_served": "onboarding", "loyalty_app": "retention",
}
EVENTS_PER_CUSTOMER = 5  # on average


def generate(n_events: int, path: Path, seed: int = 7) -> None:
    """Write `n_events` synthetic events in chunks (bounded memory) to a Parquet file."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    tps = np.array(list(TOUCHPOINTS))
    stage_of = np.array([STAGES.index(TOUCHPOINTS[t]) for t in tps])
    by_stage = [np.flatnonzero(stage_of == k) for k in range(len(STAGES))]
    segments = np.array(["office_lunch", "family", "tourist"])
    channels = np.array(["social", "web", "web", "web", "store", "app", "store", "app"])
    start = np.datetime64("2026-07-01T00:00:00", "s").astype(np.int64)
    chunk = 5_000_000
    written = 0
    customer_base = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    with pq.ParquetWriter(path, pa.schema([("customer_id", pa.string()), ("timestamp", pa.timestamp("s")),
                                           ("touchpoint", pa.string()), ("channel", pa.string()),
                                           ("segment", pa.string())])) as writer:
        while written < n_events:
            n = min(chunk, n_events - written)
            customers = n // EVENTS_PER_CUSTOMER
            cust = customer_base + rng.integers(0, customers, n)
            # Skewed funnel: most events early in the journey, few late; some customers enter late.
            stage = np.minimum(rng.geometric(0.45, n) - 1, len(STAGES) - 1)
            choice = np.array([by_stage[k][rng.integers(0, len(by_stage[k]))] for k in range(len(STAGES))])
            tp_index = np.where(rng.random(n) < 0.5, choice[stage], np.array([b[0] for b in by_stage])[stage])
            first_seen = start + (cust % 86_400_00) * 7
            ts = first_seen + stage * rng.integers(600, 3 * 86_400, n) + rng.integers(0, 3_600, n)
            table = pa.table({
                "customer_id": pa.array(np.char.add("C", np.char.zfill(cust.astype(str), 8))),
                "timestamp": pa.array(ts.astype("datetime64[s]")),
                "touchpoint": pa.array(tps[tp_index]),
                "channel": pa.array(channels[tp_index]),
                "segment": pa.array(segments[cust % 3]),
            })
            writer.write_table(table, row_group_size=1_000_000)
            written += n
            customer_base += customers


# --- the three engines (each runs in its own process) --------------------------------------------


def run_jmapkit(path: Path) -> list[int]:
    from jmapkit import analytics

    return analytics.funnel(str(path), stages=TOUCHPOINTS)["reached"].tolist()


def run_duckdb_sql(path: Path) -> list[int]:
    """The same ordered funnel written by hand in DuckDB SQL."""
    import duckdb

    con = duckdb.connect()
    cases = " ".join(f"WHEN '{tp}' THEN {STAGES.index(s)}" for tp, s in TOUCHPOINTS.items())
    con.execute(f"CREATE TEMP VIEW e AS SELECT customer_id, timestamp AS ts, CASE touchpoint {cases} END AS k "
                f"FROM read_parquet('{path}')")
    con.execute("CREATE TEMP TABLE a0 AS SELECT customer_id, min(ts) AS anchor FROM e WHERE k = 0 GROUP BY 1")
    reached = [con.execute("SELECT count(*) FROM a0").fetchone()[0]]
    for k in range(1, len(STAGES)):
        con.execute(f"CREATE TEMP TABLE a{k} AS SELECT e.customer_id, min(e.ts) AS anchor, "
                    f"min(a.anchor) AS previous FROM e JOIN a{k - 1} a USING (customer_id) "
                    f"WHERE e.k = {k} AND e.ts >= a.anchor GROUP BY 1")
        row = con.execute(f"SELECT count(*), quantile_cont(epoch(anchor) - epoch(previous), [0.5, 0.9]) "
                          f"FROM a{k}").fetchone()
        reached.append(row[0])
    return reached


def run_pandas(path: Path) -> list[int]:
    """A straightforward pandas version: read everything, then merge stage by stage."""
    import pandas as pd

    e = pd.read_parquet(path, columns=["customer_id", "timestamp", "touchpoint"])
    e["k"] = e["touchpoint"].map({tp: STAGES.index(s) for tp, s in TOUCHPOINTS.items()})
    level = e[e["k"] == 0].groupby("customer_id", as_index=False)["timestamp"].min()
    level.columns = ["customer_id", "anchor"]
    reached = [len(level)]
    for k in range(1, len(STAGES)):
        step = e.loc[e["k"] == k, ["customer_id", "timestamp"]].merge(level, on="customer_id")
        step = step[step["timestamp"] >= step["anchor"]]
        nxt = step.groupby("customer_id", as_index=False).agg(anchor=("timestamp", "min"),
                                                              previous=("anchor", "min"))
        hours = (nxt["anchor"] - nxt["previous"]).dt.total_seconds() / 3600
        hours.quantile([0.5, 0.9])
        level = nxt[["customer_id", "anchor"]]
        reached.append(len(level))
    return reached


ENGINES = {"jmapkit": run_jmapkit, "duckdb-sql": run_duckdb_sql, "pandas": run_pandas}


def measure(engine: str, path: Path) -> dict[str, object]:
    """Run one engine in a fresh process; its own time and peak RSS."""
    out = subprocess.run([sys.executable, __file__, "--child", engine, str(path)], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def parse_size(text: str) -> int:
    text = text.upper()
    return int(float(text[:-1]) * {"K": 1e3, "M": 1e6}[text[-1]]) if text[-1] in "KM" else int(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", default=["1M", "10M"])
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        engine, path = args.child
        started = time.perf_counter()
        reached = ENGINES[engine](Path(path))
        seconds = time.perf_counter() - started
        # VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec, so a child would report its parent's peak.
        status = Path("/proc/self/status").read_text()
        peak_mb = int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024
        print(json.dumps({"engine": engine, "seconds": seconds, "peak_mb": peak_mb, "reached": reached}))
        return
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(f"{'events':>8} {'engine':<11} {'seconds':>8} {'peak MB':>8}  reached per stage")
    for size in args.sizes:
        n = parse_size(size)
        path = DATA / f"events-{size}.parquet"
        if not path.exists():
            t0 = time.perf_counter()
            generate(n, path)
            print(f"# generated {path.name} ({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t0:.0f} s")
        results = {}
        for engine in ENGINES:
            if engine == "pandas" and n > 50_000_000:
                continue  # pandas needs more memory than this machine has at 100 M
            r = measure(engine, path)
            results[engine] = r
            print(f"{size:>8} {engine:<11} {r['seconds']:8.2f} {r['peak_mb']:8.0f}  {r['reached']}")
        counts = {tuple(r["reached"]) for r in results.values()}
        assert len(counts) == 1, f"engines disagree: {results}"
        j, sql = results["jmapkit"], results["duckdb-sql"]
        line = f"{size:>8} ratios: jmapkit/duckdb-sql time {j['seconds'] / sql['seconds']:.2f}x"
        if "pandas" in results:
            p = results["pandas"]
            line += (f", pandas/jmapkit time {p['seconds'] / j['seconds']:.1f}x, "
                     f"jmapkit/pandas peak RSS {j['peak_mb'] / p['peak_mb']:.2f}x")
        print(line)


if __name__ == "__main__":
    main()
