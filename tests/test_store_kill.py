"""kill -9 during Workshop.save, 1,000 times: every step file afterwards is the old or a new version, whole.

A driver process (a fresh interpreter, single-threaded, so forking it is safe) forks one child per
trial that saves step 1 over and over, and kills it with SIGKILL after a random 0-25 ms, inside a
save most of the time. After each kill the driver checks every step file and reports in JSON.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from jmapkit.store import new_workshop

TRIALS = 1000

DRIVER = textwrap.dedent('''
    import json, os, random, re, signal, sys, time
    from pathlib import Path
    from jmapkit.model import Goals
    from jmapkit.store import Workshop

    ws = Workshop(sys.argv[1])
    trials = int(sys.argv[2])
    rng = random.Random(20261201)
    report = {"trials": 0, "bad": [], "saved_in_trial": 0, "leftover_tmp": 0, "history_torn": 0}
    previous = ws.load(1).customer_goal
    steps = sorted(ws.path("steps").glob("*.json"))
    others = {p: p.read_bytes() for p in steps if p.name != "1-goals.json"}
    for trial in range(trials):
        pid = os.fork()
        if pid == 0:  # the child: save new versions until killed
            try:
                mine = Workshop(sys.argv[1])  # its own file lock: filelock refuses one inherited across fork
                k = 0
                while True:
                    mine.save(Goals(customer_goal=f"trial {trial} save {k}", time_period="Q1 " * (k % 7)))
                    k += 1
            except BaseException as exc:
                sys.stderr.write(f"child of trial {trial}: {exc!r}\\n")
            finally:
                os._exit(3)
        time.sleep(rng.uniform(0, 0.06))  # a save takes about 20 ms here (fsync)
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        if not os.WIFSIGNALED(status):  # the child stopped on its own: it never saved as it should
            report["bad"].append(f"trial {trial}: the child exited with status {os.WEXITSTATUS(status)}")
        report["trials"] += 1
        try:
            goal = ws.load(1).customer_goal  # parses and validates the envelope
        except Exception as exc:
            report["bad"].append(f"trial {trial}: {type(exc).__name__}: {exc}")
            continue
        if goal != previous and not re.fullmatch(rf"trial {trial} save \\d+", goal):
            report["bad"].append(f"trial {trial}: unexpected content {goal!r} (before: {previous!r})")
        report["saved_in_trial"] += goal != previous
        previous = goal
        for path, content in others.items():
            if path.read_bytes() != content:
                report["bad"].append(f"trial {trial}: {path.name} changed")
    report["leftover_tmp"] = len(list(ws.path("steps").glob(".*.tmp")))
    for kept in ws.path("history").glob("*.json"):
        try:
            json.loads(kept.read_bytes())
        except ValueError:
            report["history_torn"] += 1
    print(json.dumps(report))
''')


@pytest.mark.slow
def test_kill_9_during_save_leaves_every_step_file_old_or_new(tmp_path: Path) -> None:
    ws = new_workshop(tmp_path / "w", template="restaurant")
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)
    done = subprocess.run([sys.executable, str(driver), str(ws.root), str(TRIALS)], capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert report["trials"] == TRIALS
    assert report["bad"] == []
    # The kills landed both before a first save finished and after some: both outcomes were checked.
    assert 0 < report["saved_in_trial"] < TRIALS
    # History copies are written atomically too, and a save clears temp files a killed writer left
    # (at most the last trial's can remain: no save followed it).
    assert report["history_torn"] == 0
    assert report["leftover_tmp"] <= 1
