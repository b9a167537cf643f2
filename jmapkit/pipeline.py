"""`jmapkit run`: execute the step notebooks with papermill on (new) data, and record the run.

`run` reads as papermill's own `execute_notebook` does, in named phases:

1. prepare: check the step files and data files (nothing is written when they are wrong), read the
   notebooks, make runs/<UTC time>/ and write run.json with status "running";
2. execute each notebook in one shared kernel (jmapkit.kernel), reporting progress and step 4's
   warnings as they come;
3. compare: what moved since the previous successful run, each number judged by its test (jmapkit.diff);
4. record: keep copies of step 4's results and step 5's map in the run folder, write run.json.

Any failure (a failing cell, a kernel that dies, a notebook that is not valid JSON, a missing
kernel) is recorded in run.json as status "failed" with the notebook, the cell and the reason, and
raised as RunFailed, which the CLI prints as one line with exit status 2.
"""

from __future__ import annotations

import json
import platform
import shutil
import sys
import time
import traceback
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from jmapkit import __version__, runs
from jmapkit.diff import Change, as_records, compare
from jmapkit.errors import JmapkitError, RunFailed
from jmapkit.i18n import _
from jmapkit.model import STEPS, Behaviour, BehaviourResults, Map, StepInfo
from jmapkit.store import Workshop, atomic_write_text, utcnow

if TYPE_CHECKING:
    from jmapkit.kernel import SharedKernel

PACKAGES = ("pandas", "ibis-framework", "duckdb", "papermill", "altair", "python-pptx", "ipywidgets", "pydantic")
KERNEL_LOG = "kernel.log"
DEFAULT_KERNEL = "python3"
WARNINGS_STEP = 4  # the notebook after which step 4's warnings are read and shown
# jsonschema imports rfc3987_syntax (when installed) only for its "iri" format checks, and building that
# package's grammar costs ≈ 0.9 s in every process importing jsonschema: papermill's (through nbformat) and
# the kernel's (through Altair). Neither nbformat's schema nor Vega-Lite's has an iri format, so in the
# processes a run owns (the `jmapkit` command and its kernel) the module counts as not installed, which
# jsonschema allows for: those two formats are then not checked.
UNUSED_MODULES = ("rfc3987_syntax",)


@dataclass
class NotebookRun:
    notebook: str
    status: str  # ok | failed | skipped (before --from-step) | not run (after a failure)
    seconds: float = 0.0


@dataclass(frozen=True)
class Failure:
    """Why a run stopped, in the fields of papermill's PapermillExecutionError plus a sentence for people."""

    notebook: str | None
    cell: int | None  # the cell's execution count, as Jupyter shows it: [N]
    ename: str
    evalue: str
    reason: str
    fix: str


@dataclass
class Run:
    """One execution of the workshop: where it is, how each notebook went, and what moved."""

    id: str
    folder: Path
    notebooks: list[NotebookRun] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # step 4's, as computed by this run
    changes: list[Change] = field(default_factory=list)  # significant first
    compared_with: str | None = None  # the previous run's id, "saved steps", or None on a first run
    failure: Failure | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None

    @property
    def first(self) -> bool:
        """Nothing earlier to compare with (the first run of a workshop)."""
        return self.compared_with is None


class Progress(Protocol):
    """What a run reports while it goes; the CLI draws it as a progress bar."""

    def start(self, notebooks: list[str]) -> None:
        """The notebooks about to run, in order."""

    def notebook_started(self, notebook: str) -> None:
        """A notebook starts executing."""

    def notebook_finished(self, entry: NotebookRun) -> None:
        """A notebook finished (ok or failed), with its wall time."""

    def warning(self, text: str) -> None:
        """One of step 4's warnings, as soon as step 4 has run."""

    def close(self) -> None:
        """The run is over (also after a failure)."""


class Silent:
    """A Progress that says nothing (the default of `run`)."""

    def start(self, notebooks: list[str]) -> None:
        """Nothing to show."""

    def notebook_started(self, notebook: str) -> None:
        """Nothing to show."""

    def notebook_finished(self, entry: NotebookRun) -> None:
        """Nothing to show."""

    def warning(self, text: str) -> None:
        """Nothing to show."""

    def close(self) -> None:
        """Nothing to close."""


@dataclass
class _Plan:
    ws: Workshop
    run: Run
    record: dict[str, Any]
    books: list[tuple[StepInfo, Any]]  # the notebooks to execute, parsed
    parameters: dict[str, Any]
    kernel_name: str | None
    baseline: tuple[BehaviourResults | None, Map | None, str] | None
    started: float


def run(
    ws: Workshop,
    *,
    data: Mapping[str, str] | None = None,
    options: Mapping[str, Mapping[str, str]] | None = None,
    from_step: int = 1,
    progress: Progress | None = None,
    kernel_name: str | None = None,
) -> Run:
    """Run notebooks `from_step`..5 in batch mode into runs/<UTC time>/ and write run.json.

    `options`: reader options per input for this run (e.g. {"events": {"delimiter": ";"}}).
    Raises RunFailed (after writing run.json) when a notebook fails; its partly executed copy stays.
    """
    progress = progress or Silent()
    plan = prepare(ws, data=data, options=options, from_step=from_step, kernel_name=kernel_name)
    try:
        execute(plan, progress)
        if plan.run.ok:
            compare_with_baseline(plan)
    except BaseException as exc:  # Ctrl-C or a bug of jmapkit's own: still say in run.json that the run failed
        if plan.run.failure is None:
            plan.run.failure = _unexpected(exc)
            plan.record["traceback"] = traceback.format_exc()
        raise
    finally:
        progress.close()
        record(plan)
    if plan.run.failure is not None:
        raise _raised(plan.run)
    return plan.run


def skip_unused_modules() -> None:
    """Mark UNUSED_MODULES as not installed in this process: call it only in a process `jmapkit run` owns."""
    for name in UNUSED_MODULES:
        sys.modules.setdefault(name, None)


# --- phase 1: prepare ----------------------------------------------------------------------------------


def prepare(ws: Workshop, *, data: Mapping[str, str] | None, options: Mapping[str, Mapping[str, str]] | None,
            from_step: int, kernel_name: str | None) -> _Plan:
    """Check the inputs, then make the run folder and its first run.json; read the notebooks to run."""
    from jmapkit.steps.behaviour import data_files, reader_options

    if not 1 <= from_step <= len(STEPS):
        raise JmapkitError(_("--from-step {step} is not a step.").format(step=from_step),
                           fix=_("use 1 to {n}.").format(n=len(STEPS)))
    ws.validate_all()  # a broken step file stops the run before anything is written
    overrides = {name: str(Path(path).resolve()) for name, path in (data or {}).items()}
    files = data_files(ws, ws.load_or_default(Behaviour), overrides)
    options = {name: dict(values) for name, values in (options or {}).items()}
    reader_options(ws.load_or_default(Behaviour), options)  # a typo stops the run before it starts
    baseline = _baseline(ws)
    folder = _new_folder(ws)
    result = Run(id=folder.name, folder=folder)
    parameters = {"workshop_dir": str(ws.root), "interactive": False, "data": overrides, "options": options,
                  "run_id": result.id}
    record: dict[str, Any] = {
        "run": result.id,
        "status": "running",
        "started": utcnow().isoformat(),
        "parameters": {**parameters, "from_step": from_step, "kernel": kernel_name},
        "data": runs.data_record(ws, files),
        "versions": _versions(),
    }
    plan = _Plan(ws, result, record, [], parameters, kernel_name, baseline, time.perf_counter())
    result.notebooks = [NotebookRun(i.notebook, "skipped" if i.number < from_step else "not run") for i in STEPS]
    _write(plan)
    for info in STEPS[from_step - 1:]:
        book = _read_notebook(ws, info)
        if isinstance(book, Failure):
            result.failure = book
            _entry(result, info.notebook).status = "failed"
            break
        plan.books.append((info, book))
    return plan


def _baseline(ws: Workshop) -> tuple[BehaviourResults | None, Map | None, str] | None:
    """What this run is compared with: the last successful run's kept results, else the steps as saved now."""
    comparable = runs.comparable(ws)
    if comparable:
        previous = comparable[-1]
        return runs.results(previous), runs.step_map(previous), previous.id
    if ws.has(BehaviourResults) and ws.load(BehaviourResults).inputs:
        return ws.load(BehaviourResults), ws.load_or_default(Map), "saved steps"
    return None


def _new_folder(ws: Workshop) -> Path:
    run_id = utcnow().strftime("%Y%m%dT%H%M%SZ")
    folder = ws.path("runs", run_id)
    suffix = 1
    while folder.exists():
        suffix += 1
        folder = ws.path("runs", f"{run_id}-{suffix}")
    folder.mkdir(parents=True)
    return folder


def _read_notebook(ws: Workshop, info: StepInfo) -> Any:
    """The parsed notebook, or the Failure saying why it cannot be run (missing, not JSON, not a notebook)."""
    import nbformat

    source = ws.path("notebooks", info.notebook)
    copy_back = (f"copy {info.notebook} back from an earlier run (runs/*/) or from a new workshop "
                 "(`jmapkit new`), or restore it from version control.")
    if not source.is_file():
        return Failure(info.notebook, None, "FileNotFoundError", str(source), "the notebook is missing", copy_back)
    try:
        text = source.read_text(encoding="utf-8")
        json.loads(text)  # json's message names the line and column; nbformat's quotes the file's start
        return nbformat.reads(text, as_version=4)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return Failure(info.notebook, None, type(exc).__name__, str(exc),
                       f"the notebook is not valid JSON ({exc}); it may be cut short", copy_back)
    except Exception as exc:  # valid JSON that nbformat cannot take as a notebook
        return Failure(info.notebook, None, type(exc).__name__, _first_line(str(exc)),
                       f"the notebook cannot be read: {type(exc).__name__}: {_first_line(str(exc))}", copy_back)


# --- phase 2: execute ----------------------------------------------------------------------------------


def execute(plan: _Plan, progress: Progress) -> None:
    """Execute each notebook in turn in one kernel; stop at the first failure."""
    from jmapkit.kernel import SharedKernel

    if plan.run.failure is not None:
        return
    progress.start([info.notebook for info, _ in plan.books])
    with SharedKernel(plan.ws.path("notebooks"), plan.run.folder / KERNEL_LOG, DEFAULT_KERNEL) as kernel:
        for info, book in plan.books:
            entry = _entry(plan.run, info.notebook)
            progress.notebook_started(info.notebook)
            started = time.perf_counter()
            try:
                _execute_one(plan, kernel, info, book)
                entry.status = "ok"
            except Exception as exc:  # every way a notebook can fail ends the run with a recorded reason
                plan.run.failure = _failure(exc, info, plan.run.folder)
                entry.status = "failed"
            entry.seconds = round(time.perf_counter() - started, 2)
            progress.notebook_finished(entry)
            if plan.run.failure is not None:
                return
            if info.number == WARNINGS_STEP:
                plan.run.warnings = runs.warnings_of(plan.ws)
                for text in plan.run.warnings:
                    progress.warning(text)


def _execute_one(plan: _Plan, kernel: SharedKernel, info: StepInfo, book: Any) -> None:
    name = plan.kernel_name or book.metadata.get("kernelspec", {}).get("name") or DEFAULT_KERNEL
    # papermill reads the file again (its metadata names the input path); prepare() showed it is readable.
    kernel.execute(plan.ws.path("notebooks", info.notebook), plan.run.folder / info.notebook, plan.parameters, name)


def _failure(exc: Exception, info: StepInfo, folder: Path) -> Failure:
    """The Failure for one exception raised while a notebook ran, with a fix that fits it."""
    from jupyter_client.kernelspec import NoSuchKernel
    from nbclient.exceptions import DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    executed = folder / info.notebook
    if isinstance(exc, PapermillExecutionError):
        return Failure(info.notebook, exc.exec_count, exc.ename, _first_line(exc.evalue),
                       f"{exc.ename}: {_first_line(exc.evalue)}",
                       f"open {executed} to see the failing cell; fix the cause and run again.")
    if isinstance(exc, DeadKernelError):
        return Failure(info.notebook, _running_cell(executed), type(exc).__name__, _first_line(str(exc)),
                       "the kernel died (the process exited or crashed)",
                       f"see {folder / KERNEL_LOG} and the last cell of {executed}; fix the cause and run again.")
    if isinstance(exc, NoSuchKernel):
        return Failure(info.notebook, None, type(exc).__name__, str(exc.name),
                       f"there is no Jupyter kernel named {exc.name!r}",
                       "install one (python -m ipykernel install --user), or set the notebook's kernel to "
                       "one `jupyter kernelspec list` shows.")
    return Failure(info.notebook, None, type(exc).__name__, _first_line(str(exc)),
                   f"{type(exc).__name__}: {_first_line(str(exc))}",
                   f"see {folder / KERNEL_LOG} and {folder / 'run.json'}; run again, and report it if it stays.")


def _running_cell(executed: Path) -> int | None:
    """The execution count of the cell the kernel died in: the last one papermill started."""
    import nbformat

    try:
        book = nbformat.read(executed, as_version=4)
    except Exception:  # nothing was saved before the kernel died
        return None
    started = [i for i, cell in enumerate((c for c in book.cells if c.cell_type == "code"), start=1)
               if cell.metadata.get("papermill", {}).get("start_time")]
    return started[-1] if started else None


def _unexpected(exc: BaseException) -> Failure:
    if isinstance(exc, KeyboardInterrupt):
        return Failure(None, None, "KeyboardInterrupt", "", "the run was interrupted", "run it again.")
    return Failure(None, None, type(exc).__name__, _first_line(str(exc)),
                   f"{type(exc).__name__}: {_first_line(str(exc))}", "report it with run.json attached.")


# --- phase 3: compare ----------------------------------------------------------------------------------


def compare_with_baseline(plan: _Plan) -> None:
    """What moved since the previous successful run (or the steps saved before this one)."""
    if plan.baseline is None:
        return
    before, map_before, label = plan.baseline
    after = plan.ws.load(BehaviourResults) if plan.ws.has(BehaviourResults) else None
    map_after = plan.ws.load(Map) if plan.ws.has(Map) else None
    plan.run.changes = compare(before, after, map_before, map_after)  # type: ignore[arg-type]
    plan.run.compared_with = label


# --- phase 4: record -----------------------------------------------------------------------------------


def record(plan: _Plan) -> None:
    """Keep this run's step-4 results and step-5 map beside its notebooks, and write the final run.json."""
    result = plan.run
    if result.ok:
        for kept in runs.KEPT:
            if plan.ws.has(kept):
                shutil.copyfile(plan.ws.step_path(kept), result.folder / plan.ws.step_path(kept).name)
    plan.record.update({
        "status": "ok" if result.ok else "failed",
        "finished": utcnow().isoformat(),
        "seconds": round(time.perf_counter() - plan.started, 2),
        "notebooks": [asdict(n) for n in result.notebooks],
        "warnings": result.warnings,
        "compared_with": result.compared_with,
        "changes": as_records(result.changes),
        "failure": asdict(result.failure) if result.failure else None,
    })
    _write(plan)


def _write(plan: _Plan) -> None:
    plan.record["notebooks"] = [asdict(n) for n in plan.run.notebooks]
    atomic_write_text(plan.run.folder / runs.RUN_FILE, json.dumps(plan.record, indent=2, ensure_ascii=False) + "\n")


def _raised(result: Run) -> RunFailed:
    f = result.failure
    assert f is not None
    where = f" at cell [{f.cell}]" if f.cell is not None else ""
    what = f"{f.notebook} failed{where}: {f.reason}." if f.notebook else f"the run failed: {f.reason}."
    return RunFailed(what, where=str(result.folder), fix=f.fix, notebook=f.notebook, cell=f.cell, ename=f.ename,
                     evalue=f.evalue)


def _entry(result: Run, notebook: str) -> NotebookRun:
    return next(n for n in result.notebooks if n.notebook == notebook)


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
