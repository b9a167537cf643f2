"""Step-4 behaviour analytics at scale: jmapkit vs hand-written DuckDB SQL vs plain pandas.

Generates synthetic event logs that look like a real export (customer ids like C0000123, UTC
timestamps, raw event names that step 3 maps to touchpoints plus a few it does not map, channel,
segment, order value; a skewed drop-off through five stages, some customers entering late) as
Parquet under benchmarks/data/ (git-ignored), rows ordered by timestamp as exports write them
(`--order shuffled`: customers in random order within 5 M-row chunks, the file of the first
rounds). Then runs the same work in each engine, each in its own process so the peak RSS is that
engine's alone, checks that all engines agree, and prints times, peak RSS and the ratios behind
the targets (10 M: jmapkit within 1.3x of the SQL, >= 5x faster than pandas with <= 0.3x its peak
RSS; 100 M: peak RSS <= 4 GiB).

The work: the unmapped raw events and the ordered five-stage funnel of docs/design.md (reached, time
between stages, entered_here); with --step4 all that step 4 computes from the events: also the
funnel by segment, touchpoints (events, customers, last touchpoint), the top 10 paths and the
transitions.

    python benchmarks/bench_analytics.py --sizes 1M 10M --repeat 3 [--step4]   # 100M takes ~2 GB of disk

Engines:
  jmapkit        io.read (validation) + map_events + funnel (...), as step 4 runs it, with an empty cache
  jmapkit-again  the same in a new process after it: io remembers that the file's bytes passed the check
  jmapkit-noio   the same straight on the Parquet file, without jmapkit.io's validated view
  duckdb-sql     the same hand-written in SQL over the Parquet file (no validation), mapped events as a view
  duckdb-sql-table  the same with the mapped events (and the ordered sequences) copied once into temp tables
  pandas         a straightforward read-everything, merge-per-stage, sort-for-sequences pandas version
                 (skipped at 100 M)
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
FORMAT = "v2"  # bump when the generated columns change, so old files are not reused
ORDERS = ("time", "shuffled")  # rows as exports write them (by timestamp), or customers shuffled within 5 M-row chunks
STAGES = ["awareness", "consideration", "purchase", "onboarding", "retention"]
TOUCHPOINTS = {  # touchpoint → stage, as step 3 saves it
    "instagram": "awareness", "maps_listing": "awareness", "web_menu": "consideration", "reviews": "consideration",
    "order_counter": "purchase", "app_order": "purchase", "food_served": "onboarding", "loyalty_app": "retention",
}
EVENT_MAP = {  # raw event name → touchpoint (step 3's event_map)
    "ig_ad_click": "instagram", "ig_profile_visit": "instagram", "maps_listing_view": "maps_listing",
    "menu_page_view": "web_menu", "menu_pdf_download": "web_menu", "review_read": "reviews",
    "pos_order": "order_counter", "app_checkout": "app_order", "kitchen_served": "food_served",
    "loyalty_stamp": "loyalty_app", "loyalty_app_open": "loyalty_app",
}
UNMAPPED = ["push_open", "newsletter_open"]  # in the export, not in step 3: listed, not counted
EVENTS_PER_CUSTOMER = 5  # on average
MEMORY_LIMIT = "3GB"  # the same DuckDB limit for jmapkit (its default) and the hand-written SQL


def data_file(size: str, order: str, folder: Path = DATA) -> Path:
    """Where the generated events of one size and row order live (the shuffled order kept its old name)."""
    name = f"events-{FORMAT}-{size}" if order == "shuffled" else f"events-{FORMAT}-{order}-{size}"
    return folder / f"{name}.parquet"


def sort_by_time(source: Path, path: Path) -> None:
    """`source`'s rows ordered as an export writes them: by timestamp (then customer, event, for one order)."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET memory_limit = '8GB'")
    con.execute("SET enable_progress_bar = false")
    tmp = path.with_suffix(".partial")
    con.execute(f"COPY (SELECT * FROM read_parquet('{source}') ORDER BY timestamp, customer_id, event) TO '{tmp}' "
                "(FORMAT parquet, ROW_GROUP_SIZE 1000000)")
    tmp.replace(path)


def generate(n_events: int, path: Path, seed: int = 7) -> None:
    """Write `n_events` synthetic events in chunks (bounded memory) to a Parquet file.

    Rows come out as generated: each 5 M-row chunk has its own customers, in random order.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    names = np.array(list(EVENT_MAP) + UNMAPPED)
    stage_of = np.array([STAGES.index(TOUCHPOINTS[EVENT_MAP[e]]) if e in EVENT_MAP else -1 for e in names])
    by_stage = [np.flatnonzero(stage_of == k) for k in range(len(STAGES))]
    channel_of = {"instagram": "social", "maps_listing": "web", "web_menu": "web", "reviews": "web",
                  "order_counter": "store", "app_order": "app", "food_served": "store", "loyalty_app": "app"}
    channels = np.array([channel_of[EVENT_MAP[e]] if e in EVENT_MAP else "email" for e in names])
    segments = np.array(["office_lunch", "family", "tourist"])
    start = np.datetime64("2026-07-01T00:00:00", "us").astype(np.int64)
    customers_total = max(1, n_events // EVENTS_PER_CUSTOMER)
    width = max(6, len(str(customers_total)))
    chunk = 5_000_000
    written = 0
    customer_base = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    schema = pa.schema([("customer_id", pa.string()), ("timestamp", pa.timestamp("us", tz="UTC")),
                        ("event", pa.string()), ("channel", pa.string()), ("segment", pa.string()),
                        ("value", pa.float64())])
    tmp = path.with_suffix(".partial")
    with pq.ParquetWriter(tmp, schema) as writer:
        while written < n_events:
            n = min(chunk, n_events - written)
            customers = max(1, n // EVENTS_PER_CUSTOMER)
            cust = customer_base + rng.integers(0, customers, n)
            # Skewed funnel: most events early in the journey, few late; some customers enter late.
            stage = np.minimum(rng.geometric(0.45, n) - 1, len(STAGES) - 1)
            pick = rng.integers(0, 1 << 30, n)
            event = np.empty(n, dtype=np.int64)
            for k in range(len(STAGES)):
                at = stage == k
                event[at] = by_stage[k][pick[at] % len(by_stage[k])]
            noise = rng.random(n) < 0.02
            event[noise] = len(EVENT_MAP) + pick[noise] % len(UNMAPPED)
            first_seen = start + (cust % 8_640_000) * 7_000_000  # customers arrive over ~2 years
            micros = stage * rng.integers(600, 3 * 86_400, n) * 1_000_000 + rng.integers(0, 3_600_000_000, n)
            table = pa.table({
                "customer_id": pa.array(np.char.add("C", np.char.zfill(cust.astype(str), width))),
                "timestamp": pa.array((first_seen + micros).astype("datetime64[us]")).cast(pa.timestamp("us", "UTC")),
                "event": pa.array(names[event]),
                "channel": pa.array(channels[event]),
                "segment": pa.array(segments[cust % 3]),
                "value": pa.array(np.round(rng.gamma(2.0, 9.0, n), 2)),
            }, schema=schema)
            writer.write_table(table, row_group_size=1_000_000)
            written += n
            customer_base += customers
    tmp.replace(path)


# --- the engines (each runs in its own process) ---------------------------------------------------
# Each returns {"reached": [...], "entered": [...], "median_hours": [...]} per stage and the unmapped events;
# with step4=True also "segments" (reached, entered, median_hours per segment), "touchpoints" ([touchpoint, events,
# customers, customers whose last touchpoint it is] by name), "paths" (the top 10 [path, steps, customers])
# and "transitions" (every [source, target, count, customers], most frequent first).


def run_jmapkit(path: Path, step4: bool = False, validate: bool = True) -> dict[str, object]:
    from jmapkit import analytics, io
    from jmapkit.analytics.backend import default_backend

    t0 = time.perf_counter()
    # validate=False: the analytics alone, on Ibis' own Parquet scan instead of jmapkit.io's validated view.
    table = io.read(path, "events").table if validate else default_backend().read_parquet(path)
    read_seconds = time.perf_counter() - t0
    mapped, unmapped = analytics.map_events(table, EVENT_MAP, TOUCHPOINTS)
    f = analytics.funnel(mapped, stages=TOUCHPOINTS)
    result = {"reached": f["reached"].tolist(), "entered": f["entered_here"].tolist(),
              "median_hours": f["median_hours"].tolist(), "read_seconds": read_seconds,
              "unmapped": int(unmapped["events"].sum())}
    if not step4:
        return result
    by = analytics.funnel(mapped, stages=TOUCHPOINTS, by="segment")
    tps = analytics.touchpoints(mapped, stages=TOUCHPOINTS).sort_values("touchpoint")
    top = analytics.paths(mapped, top=10, stages=TOUCHPOINTS)
    flows = analytics.transitions(mapped, stages=TOUCHPOINTS)
    return result | {
        "segments": {g: {"reached": rows["reached"].tolist(), "entered": rows["entered_here"].tolist(),
                         "median_hours": rows["median_hours"].tolist()} for g, rows in by.groupby("segment")},
        "touchpoints": [[r.touchpoint, r.events, r.customers, round(r.dropoff_after * r.customers)]
                        for r in tps.itertuples()],
        "paths": [[r.path, r.steps, r.customers] for r in top.itertuples()],
        "transitions": [[r.source, r.target, r.count, r.customers] for r in flows.itertuples()],
    }


def run_duckdb_sql(path: Path, kind: str = "VIEW", step4: bool = False) -> dict[str, object]:
    """The same written by hand in DuckDB SQL (mapped events as a view, or copied once to a table)."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    con.execute("SET TimeZone = 'UTC'")
    mapping = ", ".join(f"('{e}', '{tp}', {STAGES.index(TOUCHPOINTS[tp])})" for e, tp in EVENT_MAP.items())
    con.execute(f"CREATE TEMP TABLE map AS SELECT * FROM (VALUES {mapping}) v(event, tp, k)")
    # The raw event names step 3 does not map, with their events and customers (as map_events lists them).
    unmapped = con.execute(f"SELECT event, count(*), count(DISTINCT customer_id) FROM read_parquet('{path}') WHERE "
                           f"event IS NULL OR event NOT IN ({', '.join(repr(e) for e in EVENT_MAP)}) "
                           "GROUP BY 1").fetchall()
    # TIMESTAMPTZ compares and subtracts as it is: no conversion needed.
    con.execute(f"CREATE TEMP {kind} e AS SELECT customer_id, timestamp AS ts, {'segment, tp, ' if step4 else ''}k "
                f"FROM read_parquet('{path}') JOIN map USING (event)")
    result = _sql_funnel(con, []) | {"unmapped": sum(n for _, n, _ in unmapped)}
    if not step4:
        return result
    # A customer's last event: the latest by (timestamp, stage, touchpoint), as jmapkit breaks ties.
    tps = con.execute("SELECT tp, count(*), count(DISTINCT customer_id) FROM e GROUP BY 1 ORDER BY 1").fetchall()
    ended = dict(con.execute("SELECT tp, count(*) FROM (SELECT arg_max(tp, (ts, k, tp)) AS tp FROM e "
                             "GROUP BY customer_id) GROUP BY 1").fetchall())
    # Each customer's touchpoints in order, consecutive repeats collapsed: once, for paths and transitions.
    con.execute(f"CREATE TEMP {kind} o AS SELECT customer_id, tp, row_number() OVER w AS pos, lag(tp) OVER w AS prev "
                "FROM e WINDOW w AS (PARTITION BY customer_id ORDER BY ts, k, tp)")
    con.execute("CREATE TEMP VIEW c AS SELECT * FROM o WHERE prev IS NULL OR prev <> tp")
    paths = con.execute("SELECT path, steps, count(*) AS n FROM (SELECT string_agg(tp, ' → ' ORDER BY pos) AS path, "
                        "count(*) AS steps FROM c GROUP BY customer_id) GROUP BY 1, 2 ORDER BY n DESC, path "
                        "LIMIT 10").fetchall()
    flows = con.execute("SELECT prev, tp, count(*), count(DISTINCT customer_id) FROM c WHERE prev IS NOT NULL "
                        "GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2").fetchall()
    return result | {
        "segments": _sql_funnel(con, ["segment"]),
        "touchpoints": [[tp, n, c, ended.get(tp, 0)] for tp, n, c in tps],
        "paths": [list(p) for p in paths],
        "transitions": [list(f) for f in flows],
    }


def _sql_funnel(con: Any, groups: list[str]) -> dict[str, Any]:
    """The funnel over view or table `e` (customer_id, ts, k, ...), per customer and `groups`; per group if any."""
    keys = ", ".join(["customer_id", *groups])
    g = "".join(f"{c}, " for c in groups)
    # The stage each customer entered at: the stage of their first event (ties: the earlier stage).
    entered = con.execute(f"SELECT {g}k, count(*) FROM (SELECT {keys}, arg_min(k, epoch_us(ts) * 8 + k) AS k "
                          f"FROM e GROUP BY {keys}) GROUP BY ALL").fetchall()
    con.execute(f"CREATE OR REPLACE TEMP TABLE a0 AS SELECT {keys}, min(ts) AS anchor FROM e WHERE k = 0 "
                f"GROUP BY {keys}")
    levels = [con.execute(f"SELECT {g}count(*), NULL FROM a0 GROUP BY ALL").fetchall()]
    for k in range(1, len(STAGES)):
        con.execute(f"CREATE OR REPLACE TEMP TABLE a{k} AS SELECT {keys}, min(e.ts) AS anchor, "
                    f"min(a.anchor) AS previous FROM e JOIN a{k - 1} a USING ({keys}) "
                    f"WHERE e.k = {k} AND e.ts >= a.anchor GROUP BY {keys}")
        levels.append(con.execute(f"SELECT {g}count(*), quantile_cont((epoch_us(anchor) - epoch_us(previous)) "
                                  f"/ 3.6e9, [0.5, 0.9]) FROM a{k} GROUP BY ALL").fetchall())
    by_group: dict[tuple[Any, ...], dict[str, list[Any]]] = {}

    def of(group: list[Any]) -> dict[str, list[Any]]:
        n = len(STAGES)
        return by_group.setdefault(tuple(group), {"reached": [0] * n, "entered": [0] * n, "median_hours": [None] * n})

    for k, rows in enumerate(levels):
        for *group, n, quantiles in rows:
            of(group)["reached"][k], of(group)["median_hours"][k] = n, quantiles[0] if quantiles else None
    for *group, k, n in entered:
        of(group)["entered"][k] = n
    return by_group[()] if not groups else {group[0]: r for group, r in sorted(by_group.items())}


def run_pandas(path: Path, step4: bool = False) -> dict[str, object]:
    """A straightforward pandas version: read everything, then merge stage by stage; sort for the sequences."""
    import pandas as pd

    e = pd.read_parquet(path, columns=["customer_id", "timestamp", "event", *(["segment"] if step4 else [])])
    e["k"] = e["event"].map({ev: STAGES.index(TOUCHPOINTS[tp]) for ev, tp in EVENT_MAP.items()})
    unmapped = e[e["k"].isna()].groupby("event", dropna=False).agg(events=("customer_id", "size"),
                                                                  customers=("customer_id", "nunique"))
    e = e.dropna(subset=["k"])
    result = _pandas_funnel(e, []) | {"unmapped": int(unmapped["events"].sum())}
    if not step4:
        return result
    e["tp"] = e["event"].map(EVENT_MAP)
    counted = e.groupby("tp").agg(events=("customer_id", "size"), customers=("customer_id", "nunique"))
    ordered = e.sort_values(["customer_id", "timestamp", "k", "tp"])
    ended = ordered.drop_duplicates("customer_id", keep="last")["tp"].value_counts()
    # Consecutive repeats collapsed: keep an event when its touchpoint or customer differs from the row before.
    first = (ordered["tp"] != ordered["tp"].shift()) | (ordered["customer_id"] != ordered["customer_id"].shift())
    steps = ordered.loc[first, ["customer_id", "tp"]]
    per = steps.groupby("customer_id", sort=False)["tp"].agg([" → ".join, "size"])
    per.columns = ["path", "steps"]
    paths = per.groupby(["path", "steps"]).size().rename("n").reset_index()
    paths = paths.sort_values(["n", "path"], ascending=[False, True]).head(10)
    steps = steps.assign(prev=steps.groupby("customer_id", sort=False)["tp"].shift()).dropna(subset=["prev"])
    flows = steps.groupby(["prev", "tp"]).agg(count=("customer_id", "size"), customers=("customer_id", "nunique"))
    flows = flows.reset_index().sort_values(["count", "prev", "tp"], ascending=[False, True, True])
    return result | {
        "segments": _pandas_funnel(e, ["segment"]),
        "touchpoints": [[tp, int(r.events), int(r.customers), int(ended.get(tp, 0))] for tp, r in counted.iterrows()],
        "paths": [[r.path, int(r.steps), int(r.n)] for r in paths.itertuples()],
        "transitions": [[r.prev, r.tp, int(r.count), int(r.customers)] for r in flows.itertuples()],
    }


def _pandas_funnel(e: Any, groups: list[str]) -> dict[str, Any]:
    """The funnel of mapped events `e` (customer_id, timestamp, k, ...) per customer and `groups`; per group if any."""
    keys = ["customer_id", *groups]
    first = e.sort_values([*keys, "timestamp", "k"]).drop_duplicates(keys)
    entered = first.groupby([*groups, "k"]).size()
    level = e[e["k"] == 0].groupby(keys, as_index=False)["timestamp"].min().rename(columns={"timestamp": "anchor"})
    reached, medians = [level.groupby(groups).size() if groups else len(level)], [None]
    for k in range(1, len(STAGES)):
        step = e.loc[e["k"] == k, [*keys, "timestamp"]].merge(level, on=keys)
        step = step[step["timestamp"] >= step["anchor"]]
        level = step.groupby(keys, as_index=False).agg(anchor=("timestamp", "min"), previous=("anchor", "min"))
        hours = (level["anchor"] - level["previous"]).dt.total_seconds() / 3600
        quantiles = hours.groupby([level[g] for g in groups]) if groups else hours
        medians.append(quantiles.quantile([0.5, 0.9]))
        level = level[[*keys, "anchor"]]
        reached.append(level.groupby(groups).size() if groups else len(level))
    if not groups:
        return {"reached": reached, "entered": [int(entered.get(k, 0)) for k in range(len(STAGES))],
                "median_hours": [None, *(float(q.iloc[0]) if q.notna().all() else None for q in medians[1:])]}
    return {g: {"reached": [int(r.get(g, 0)) for r in reached],
                "entered": [int(entered.get((g, k), 0)) for k in range(len(STAGES))],
                "median_hours": [None, *(float(q[(g, 0.5)]) if (g, 0.5) in q.index else None for q in medians[1:])]}
            for g in sorted({*e[groups[0]].dropna()})}


ENGINES = {
    "jmapkit": run_jmapkit,
    "jmapkit-again": run_jmapkit,
    "jmapkit-noio": lambda path, step4: run_jmapkit(path, step4, validate=False),
    "duckdb-sql": lambda path, step4: run_duckdb_sql(path, "VIEW", step4),
    "duckdb-sql-table": lambda path, step4: run_duckdb_sql(path, "TABLE", step4),
    "pandas": run_pandas,
}


def measure(engine: str, path: Path, cache: Path, step4: bool) -> dict[str, object]:
    """Run one engine in a fresh process with jmapkit's cache folder `cache`; its own time and peak RSS."""
    env = {**os.environ, "JMAPKIT_CACHE_DIR": str(cache)}
    out = subprocess.run([sys.executable, __file__, "--child", engine, str(path), *(["--step4"] if step4 else [])],
                         capture_output=True, text=True, check=False, env=env)
    if out.returncode != 0:
        raise SystemExit(f"{engine} failed on {path.name}:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def parse_size(text: str) -> int:
    text = text.upper()
    return int(float(text[:-1]) * {"K": 1e3, "M": 1e6}[text[-1]]) if text[-1] in "KM" else int(text)


def child(engine: str, path: str, step4: bool) -> None:
    started = time.perf_counter()
    result = ENGINES[engine](Path(path), step4)
    seconds = time.perf_counter() - started
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec, so a child would report its parent's peak.
    status = Path("/proc/self/status").read_text()
    peak_mb = int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024
    print(json.dumps({"engine": engine, "seconds": seconds, "peak_mb": peak_mb, **result}))


def agree(results: dict[str, dict[str, object]]) -> None:
    """Every engine found the same customers per stage, entrants and median times (per segment too), and with
    --step4 the same touchpoint counts, top paths and transitions."""
    first_name, first = next(iter(results.items()))
    for name, r in results.items():
        _same_funnel(r, first, name)
        assert r["unmapped"] == first["unmapped"], f"unmapped differs: {name} {r['unmapped']} vs {first['unmapped']}"
        if "segments" in first:
            assert set(r["segments"]) == set(first["segments"]), (name, list(r["segments"]), list(first["segments"]))
            for segment, funnel in r["segments"].items():
                _same_funnel(funnel, first["segments"][segment], f"{name}, segment {segment}")
            for key in ("touchpoints", "paths", "transitions"):
                assert r[key] == first[key], f"{key} differ: {name} {r[key][:5]} vs {first_name} {first[key][:5]}"


def _same_funnel(r: dict[str, Any], first: dict[str, Any], name: str) -> None:
    assert r["reached"] == first["reached"], f"reached differs: {name} {r['reached']} vs {first['reached']}"
    assert r["entered"] == first["entered"], f"entered differs: {name} {r['entered']} vs {first['entered']}"
    for a, b in zip(r["median_hours"], first["median_hours"], strict=True):
        a, b = (None if x is None or math.isnan(x) else x for x in (a, b))
        assert (a is None) == (b is None) and (a is None or abs(a - b) <= 1e-6 * max(1.0, abs(b))), (name, a, b)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", default=["1M", "10M"])
    parser.add_argument("--engines", nargs="+", default=list(ENGINES), choices=list(ENGINES))
    parser.add_argument("--repeat", type=int, default=1, help="runs per engine; the median time is shown")
    parser.add_argument("--order", choices=ORDERS, default="time",
                        help="row order of the event file: by timestamp, as exports come (default), or customers "
                             "shuffled (the order of the first two rounds)")
    parser.add_argument("--data", type=Path, default=DATA, help=f"folder of the generated files (default {DATA})")
    parser.add_argument("--step4", action="store_true",
                        help="every engine computes all of step 4: also the funnel by segment, touchpoints, the top "
                             "10 paths and transitions (default: the funnel and the unmapped events)")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child, args.step4)
        return
    load = os.getloadavg()[0]
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, load average {load:.1f} at start, "
          f"rows in {args.order} order, {'all of step 4' if args.step4 else 'the funnel'} per engine")
    print(f"{'events':>8} {'engine':<14} {'seconds':>8} {'peak MB':>8}  reached per stage / entered per stage")
    for size in args.sizes:
        n = parse_size(size)
        path = data_file(size, args.order, args.data)
        if not path.exists():
            t0 = time.perf_counter()
            shuffled = data_file(size, "shuffled", args.data)
            if not shuffled.exists():
                generate(n, shuffled)
            if path != shuffled:
                sort_by_time(shuffled, path)
            print(f"# generated {path.name} ({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t0:.0f} s")
        engines = [e for e in args.engines if not (e == "pandas" and n > 50_000_000)]
        if len(engines) < len(args.engines):
            print(f"{size:>8} {'pandas':<14} skipped: needs more memory than this machine has")
        runs: dict[str, list[dict[str, object]]] = {e: [] for e in engines}
        caches = tempfile.TemporaryDirectory(prefix="jmapkit-bench-")
        for round_ in range(args.repeat):  # rounds interleave the engines, so a slow spell hits them all
            for engine in engines:
                # Every engine starts with an empty cache, except jmapkit-again: it gets the one jmapkit left.
                cache = Path(caches.name) / str(round_) / ("jmapkit" if engine == "jmapkit-again" else engine)
                r = measure(engine, path, cache, args.step4)
                runs[engine].append(r)
                agree({engines[0]: runs[engines[0]][0], engine: r})
                if args.repeat > 1:
                    print(f"# round {round_ + 1}: {engine} {r['seconds']:.2f} s {r['peak_mb']:.0f} MB", flush=True)
        caches.cleanup()
        results = {}
        for engine in engines:  # the median run by time; peak RSS is the highest of the runs
            ordered = sorted(runs[engine], key=lambda r: r["seconds"])
            r = {**ordered[len(ordered) // 2], "peak_mb": max(x["peak_mb"] for x in ordered)}
            results[engine] = r
            extra = f" (read+validate {r['read_seconds']:.2f} s)" if "read_seconds" in r else ""
            print(f"{size:>8} {engine:<14} {r['seconds']:8.2f} {r['peak_mb']:8.0f}  {r['reached']} / "
                  f"{r['entered']}{extra}", flush=True)
        sqls = [results[e] for e in ("duckdb-sql", "duckdb-sql-table") if e in results]
        for name in ("jmapkit", "jmapkit-again", "jmapkit-noio"):
            if name not in results:
                continue
            j = results[name]
            line = f"{size:>8} ratios for {name}:"
            if sqls:
                best = min(sqls, key=lambda r: r["seconds"])
                line += f" time / fastest SQL ({best['engine']}) {j['seconds'] / best['seconds']:.2f}x (target <= 1.3)"
            if "pandas" in results:
                p = results["pandas"]
                line += (f", pandas time / its time {p['seconds'] / j['seconds']:.1f}x (target >= 5), "
                         f"peak RSS / pandas' {j['peak_mb'] / p['peak_mb']:.2f}x (target <= 0.3)")
            print(line)


if __name__ == "__main__":
    main()
