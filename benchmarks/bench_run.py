"""`jmapkit run` of the demo workshop against bare papermill on the same five-notebook chain.

    python benchmarks/bench_run.py [--repeat 5]

The demo workshop is the bundled restaurant example (`jmapkit new --template restaurant`), run once
before timing so both sides find the same warm file cache. Each round times, interleaved:

- jmapkit: `python -m jmapkit run W` (one process; the five notebooks in one shared kernel);
- papermill: five notebooks that hold only the step notebooks' parameters cell, each executed by
  the `papermill` command in its own process with the parameters jmapkit passes.

Prints each round, the median wall time of each side and their ratio (target: ≤ 1.5), and the CPU
seconds (user + system of the whole process tree), which the machine's other load disturbs less.
It also prints where jmapkit's time went: each notebook and its slowest cells, from papermill's
per-cell timing in the executed notebooks of the last run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PARAMETERS_CELL = (
    "workshop_dir = None  # None: walk up from this notebook's folder to workshop.json\n"
    "interactive = True   # False when papermill runs it (jmapkit run)\n"
    'data = {}            # overrides for step 4, e.g. {"events": "path/to/events.csv"}\n'
    'options = {}         # reader options for step 4, e.g. {"events": {"delimiter": ";"}}\n'
    "run_id = None        # set by jmapkit run\n"
)
NOTEBOOKS = 5


def timed(cmd: list[str], cwd: Path) -> tuple[float, float]:
    """Wall and CPU seconds (user + system of the process and its children) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def parameters_only(folder: Path) -> list[Path]:
    """Five notebooks holding only the parameters cell, as the step notebooks have it."""
    import nbformat

    paths = []
    for i in range(1, NOTEBOOKS + 1):
        nb = nbformat.v4.new_notebook()
        cell = nbformat.v4.new_code_cell(PARAMETERS_CELL)
        cell.metadata["tags"] = ["parameters"]
        nb.cells = [cell]
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        path = folder / f"{i}-bare.ipynb"
        nbformat.write(nb, path)
        paths.append(path)
    return paths


def papermill_chain(books: list[Path], ws: Path, out: Path) -> list[list[str]]:
    papermill = str(Path(sys.executable).parent / "papermill")
    return [[papermill, str(b), str(out / b.name), "-p", "workshop_dir", str(ws), "-p", "interactive", "False",
             "-y", "data: {}", "-p", "run_id", "bench"] for b in books]


def where_time_went(ws: Path) -> None:
    """Each notebook of the last run and its slowest cells (papermill's per-cell timing)."""
    runs = sorted(p for p in (ws / "runs").iterdir() if (p / "run.json").is_file())
    record = json.loads((runs[-1] / "run.json").read_text())
    print(f"\nlast jmapkit run {record['run']}: {record['seconds']:.1f} s in run.json")
    for entry in record["notebooks"]:
        book = json.loads((runs[-1] / entry["notebook"]).read_text())
        cells = [(c["metadata"]["papermill"].get("duration") or 0.0, "".join(c["source"]).splitlines()[0][:60])
                 for c in book["cells"] if c["cell_type"] == "code"]
        total = sum(d for d, _ in cells)
        slow = ", ".join(f"{d:.2f} s `{first}`" for d, first in sorted(cells, reverse=True)[:2])
        print(f"  {entry['notebook']:<34} {entry['seconds']:5.2f} s (cells {total:.2f} s; slowest: {slow})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-run-") as tmp:
        root = Path(tmp)
        ws = root / "demo"
        subprocess.run([sys.executable, "-m", "jmapkit", "new", str(ws), "--template", "restaurant"], check=True,
                       stdout=subprocess.DEVNULL)
        subprocess.run([sys.executable, "-m", "jmapkit", "run", str(ws)], check=True, stdout=subprocess.DEVNULL)
        bare = root / "bare"
        bare.mkdir()
        out = root / "out"
        out.mkdir()
        chain = papermill_chain(parameters_only(bare), ws, out)
        jm: list[tuple[float, float]] = []
        pm: list[tuple[float, float]] = []
        print(f"{'round':>5}  {'jmapkit s':>9}  {'papermill s':>11}  (wall; load {os.getloadavg()[0]:.1f} at start)")
        for i in range(args.repeat):
            # Alternate who goes first, so a burst of other load does not always hit the same side.
            order = ("jm", "pm") if i % 2 == 0 else ("pm", "jm")
            for side in order:
                if side == "jm":
                    jm.append(timed([sys.executable, "-m", "jmapkit", "run", str(ws)], root))
                else:
                    walls = [timed(cmd, bare) for cmd in chain]
                    pm.append((sum(w for w, _ in walls), sum(c for _, c in walls)))
            print(f"{i + 1:>5}  {jm[-1][0]:9.2f}  {pm[-1][0]:11.2f}")
        jm_wall, pm_wall = statistics.median(w for w, _ in jm), statistics.median(w for w, _ in pm)
        jm_cpu, pm_cpu = statistics.median(c for _, c in jm), statistics.median(c for _, c in pm)
        print(f"\n{'':<24} {'jmapkit run':>12} {'papermill ×5':>13} {'ratio':>7}")
        print(f"{'median wall s':<24} {jm_wall:12.2f} {pm_wall:13.2f} {jm_wall / pm_wall:7.2f}")
        print(f"{'median CPU s':<24} {jm_cpu:12.2f} {pm_cpu:13.2f} {jm_cpu / pm_cpu:7.2f}")
        print(f"load average at the end: {os.getloadavg()[0]:.1f} (2 cores)")
        where_time_went(ws)


if __name__ == "__main__":
    main()
