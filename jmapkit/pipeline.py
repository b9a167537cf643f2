"""`jmapkit run`: execute the five step notebooks with papermill, recording everything in run.json."""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from jmapkit import __version__
from jmapkit.diff import Change, as_records, compare
from jmapkit.digest import sha256_file
from jmapkit.errors import JmapkitError, RunFailed
from jmapkit.model import STEPS, Behaviour, BehaviourResults
from jmapkit.steps.behaviour import data_files, reader_options
from jmapkit.store import Workshop, atomic_write_text, utcnow

PACKAGES = ("pandas", "ibis-framework", "duckdb", "papermill", "altair", "python-pptx", "ipywidgets", "pydantic")


@dataclass
class NotebookRun:
    notebook: str
    status: str  # ok | failed | skipped
    seconds: float = 0.0
    error: dict[str, Any] | None = None


@dataclass
class Run:
    """One execution of the workshop: where it is and how each notebook went."""

    id: str
    folder: Path
    notebooks: list[NotebookRun] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)  # step-4 numbers that moved since the last save

    @property
    def ok(self) -> bool:
        return all(n.status != "failed" for n in self.notebooks)


def run(
    ws: Workshop,
    *,
    data: Mapping[str, str] | None = None,
    options: Mapping[str, Mapping[str, str]] | None = None,
    from_step: int = 1,
    progress: Callable[[str], None] | None = None,
    kernel_name: str | None = None,
) -> Run:
    """Run notebooks `from_step`..5 in batch mode into runs/<UTC time>/ and write run.json.

    `options`: reader options per input for this run (e.g. {"events": {"delimiter": ";"}}).

    A failing notebook stops the run; its partly executed copy stays in the run folder.
    """
    import papermill as pm

    if not 1 <= from_step <= len(STEPS):
        raise JmapkitError(f"--from-step {from_step} is not a step.", fix=f"use 1 to {len(STEPS)}.")
    ws.validate_all()  # a broken step file stops the run before anything is written
    overrides = {name: str(Path(path).resolve()) for name, path in (data or {}).items()}
    files = data_files(ws, ws.load_or_default(Behaviour), overrides)
    options = {name: dict(values) for name, values in (options or {}).items()}
    reader_options(ws.load_or_default(Behaviour), options)  # a typo stops the run before it starts
    run_id = utcnow().strftime("%Y%m%dT%H%M%SZ")
    folder = ws.path("runs", run_id)
    suffix = 1
    while folder.exists():
        suffix += 1
        folder = ws.path("runs", f"{run_id}-{suffix}")
    folder.mkdir(parents=True)
    result = Run(id=folder.name, folder=folder)
    before = ws.load_or_default(BehaviourResults)
    parameters = {"workshop_dir": str(ws.root), "interactive": False, "data": overrides, "options": options,
                  "run_id": result.id}
    record = {
        "run": result.id,
        "started": utcnow().isoformat(),
        "parameters": {**parameters, "from_step": from_step},
        "data": {name: {"path": ws.relative(p), "sha256": sha256_file(p)} for name, p in files.items()},
        "versions": _versions(),
        "notebooks": [],
    }
    for info in STEPS:
        if info.number < from_step:
            result.notebooks.append(NotebookRun(info.notebook, "skipped"))
            continue
        source = ws.path("notebooks", info.notebook)
        if not source.is_file():
            raise JmapkitError(f"the notebook {info.notebook} is missing.", where=str(source.parent),
                               fix="copy it back from the package (jmapkit new creates it) or from history.")
        if progress:
            progress(info.notebook)
        started = time.perf_counter()
        entry = NotebookRun(info.notebook, "ok")
        try:
            pm.execute_notebook(
                str(source),
                str(folder / info.notebook),
                parameters=parameters,
                cwd=str(source.parent),
                kernel_name=kernel_name,
                progress_bar=False,
                log_output=False,
            )
        except pm.PapermillExecutionError as exc:
            entry.status = "failed"
            entry.error = {"cell": exc.exec_count, "ename": exc.ename, "evalue": exc.evalue}
        entry.seconds = round(time.perf_counter() - started, 2)
        result.notebooks.append(entry)
        if entry.status == "failed":
            break
    record["notebooks"] = [n.__dict__ for n in result.notebooks]
    if result.ok and from_step <= 4:
        result.changes = compare(before, ws.load(BehaviourResults))
        record["changes"] = as_records(result.changes)
    record["finished"] = utcnow().isoformat()
    record["status"] = "ok" if result.ok else "failed"
    atomic_write_text(folder / "run.json", json.dumps(record, indent=2, ensure_ascii=False) + "\n")
    failed = next((n for n in result.notebooks if n.status == "failed"), None)
    if failed and failed.error:
        raise RunFailed(
            f"{failed.notebook} failed at cell [{failed.error['cell']}]: "
            f"{failed.error['ename']}: {_first_line(failed.error['evalue'])}",
            where=str(folder),
            fix=f"open {folder / failed.notebook} to see the failing cell; fix the cause and run again.",
        )
    return result


def runs(ws: Workshop) -> list[dict[str, Any]]:
    """Every recorded run, oldest first."""
    found = sorted(ws.path("runs").glob("*/run.json"))
    return [json.loads(p.read_text(encoding="utf-8")) for p in found]


def _versions() -> dict[str, str]:
    versions = {"python": platform.python_version(), "jmapkit": __version__}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def _first_line(text: str) -> str:
    return (text or "").strip().splitlines()[0] if (text or "").strip() else ""
