"""Themes at scale and sentiment throughput per language (printed, one run; nothing is asserted).

    .venv/bin/python benchmarks/bench_themes.py [--n 100000] [--touchpoints 6]

Verbatims: pairs of real snippets drawn (seeded) from VADER's four human-rated sets (ICWSM 2014,
23,703 texts, fetched with pip by tests/realdata.py), so every verbatim is distinct and reads like
feedback; spread over touchpoints at random. Times: scoring (VADER) and theming apart; peak
memory: the process's maximum resident set size after the run (ru_maxrss).
Throughput per language: the hand-written smoke sentences of tests/test_analytics_sentiment.py,
repeated to 2,000 texts per language, the method loaded before timing.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from jmapkit.analytics import score_texts, themes  # noqa: E402
from jmapkit.analytics.verbatims import METHODS, _scorer  # noqa: E402
from tests.realdata import icwsm  # noqa: E402


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def verbatims(n: int, touchpoints: int, seed: int = 0) -> pd.DataFrame:
    snippets = pd.concat(icwsm().values())["text"].tolist()
    rng = np.random.default_rng(seed)
    a, b = rng.integers(0, len(snippets), n), rng.integers(0, len(snippets), n)
    return pd.DataFrame({
        "id": [str(i) for i in range(n)],
        "text": [f"{snippets[i]} {snippets[j]}" for i, j in zip(a, b, strict=True)],
        "touchpoint": [f"touchpoint_{t}" for t in rng.integers(0, touchpoints, n)],
    })


def throughput() -> None:
    spec = importlib.util.spec_from_file_location("_smoke", REPO / "tests" / "test_analytics_sentiment.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rows = []
    for code, items in module.SMOKE.items():
        texts = [t for t, _ in items] * (2000 // len(items) + 1)
        texts = texts[:2000]
        started = time.perf_counter()
        scorer = _scorer(code)
        loaded = time.perf_counter() - started
        started = time.perf_counter()
        scorer(texts)
        rows.append({"lang": code, "method": METHODS[code].name, "texts": len(texts), "load_s": round(loaded, 2),
                     "texts_per_s": round(len(texts) / (time.perf_counter() - started))})
    print(pd.DataFrame(rows).to_string(index=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--touchpoints", type=int, default=6)
    parser.add_argument("--skip-throughput", action="store_true")
    args = parser.parse_args()

    frame = verbatims(args.n, args.touchpoints)
    chars = int(frame["text"].str.len().sum())
    print(f"== themes: {len(frame):,} verbatims ({chars / len(frame):.0f} characters on average), "
          f"{args.touchpoints} touchpoints; peak before: {peak_mb():,.0f} MB")
    started, cpu = time.perf_counter(), time.process_time()
    scored = score_texts(frame, language="en")
    scoring, scoring_cpu = time.perf_counter() - started, time.process_time() - cpu
    started, cpu = time.perf_counter(), time.process_time()
    table = themes(frame, by="touchpoint", seed=0, scored=scored)
    theming, theming_cpu = time.perf_counter() - started, time.process_time() - cpu
    # CPU time next to wall time: on a shared machine the wall time includes waiting for a core.
    print(f"scoring (vader): {scoring:.1f} s wall / {scoring_cpu:.1f} s CPU   theming: {theming:.1f} s wall / "
          f"{theming_cpu:.1f} s CPU   total: {scoring + theming:.1f} s wall\nthemes: {len(table)}   n adds up: "
          f"{int(table['n'].sum()) == len(frame)}   peak RSS: {peak_mb():,.0f} MB   load average: "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    if not args.skip_throughput:
        print("\n== sentiment throughput per language (texts/s, this run)")
        throughput()


if __name__ == "__main__":
    main()
