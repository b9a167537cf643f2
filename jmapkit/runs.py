"""The recorded runs of a workshop: their records, the results each kept, their differences, and staleness.

Every `jmapkit run` writes runs/<id>/run.json and keeps a copy of the step-4 results and the step-5
map it produced, so two runs can be compared after the fact (`jmapkit diff`) and `jmapkit check`
and the deck can tell when the map is stale. No heavy imports: this is read by the CLI and exports.

>>> from jmapkit import runs
>>> runs.last(ws).data["events"].sha256  # doctest: +SKIP
>>> runs.staleness(ws).reasons()  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from jmapkit.diff import Change, compare
from jmapkit.digest import sha256_file
from jmapkit.errors import JmapkitError, StepInvalid
from jmapkit.i18n import _
from jmapkit.model import BehaviourResults, Goals, Map, StepInfo, step_info

if TYPE_CHECKING:
    from jmapkit.store import Workshop

RUN_FILE = "run.json"
KEPT = (BehaviourResults, Map)  # the records each successful run keeps a copy of
M = TypeVar("M", BehaviourResults, Map)
MONTHS = {"monthly": 1, "quarterly": 3, "half-yearly": 6, "yearly": 12}


@dataclass(frozen=True)
class DataFile:
    """A data file a run read: where, its content hash, and size and mtime to skip re-hashing unchanged files."""

    name: str
    path: str
    sha256: str
    size: int | None = None
    mtime_ns: int | None = None

    @property
    def short(self) -> str:
        return self.sha256[:8]


@dataclass(frozen=True)
class RunRecord:
    """One run as its run.json tells it."""

    id: str
    folder: Path
    status: str  # ok | failed | running (a run that never finished: killed, or still going)
    started: datetime | None
    finished: datetime | None
    data: dict[str, DataFile] = field(default_factory=dict)
    failure: dict[str, Any] | None = None
    warnings: list[str] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def seconds(self) -> float | None:
        """Wall time from start to finish."""
        if self.started is None or self.finished is None:
            return None
        return (self.finished - self.started).total_seconds()

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def kept(self, record: type[BehaviourResults] | type[Map]) -> Path:
        """Where this run keeps its copy of a step file (step 4's results, step 5's map)."""
        return self.folder / step_info(record).filename


@dataclass(frozen=True)
class Comparison:
    """Two runs and what moved between them."""

    before: RunRecord
    after: RunRecord
    changes: list[Change]

    @property
    def significant(self) -> list[Change]:
        return [c for c in self.changes if c.significant]


@dataclass(frozen=True)
class DataChange:
    """A data file of the last run that is no longer what that run read."""

    name: str
    path: str
    reason: str  # changed | missing

    def describe(self) -> str:
        if self.reason == "missing":
            return _("{name} file {path} read by the last run is gone").format(name=self.name, path=self.path)
        return _("{name} file {path} changed since the last run").format(name=self.name, path=self.path)


@dataclass(frozen=True)
class Staleness:
    """The facts that make a map stale, for `jmapkit check` and the deck's title slide."""

    last_run: RunRecord | None
    data_changes: list[DataChange]
    refresh: str | None  # the cadence of step 1, if any
    as_of: datetime | None  # when the map's data was last computed (last run, else step 4's results)
    due: datetime | None  # as_of + cadence
    overdue: bool
    results_saved: datetime | None  # step 4's results envelope
    map_saved: datetime | None  # step 5's map envelope
    data_since: datetime | None  # when the current data was first computed: the first run that read it

    @property
    def map_before_results(self) -> bool:
        """Step 5 (pain points, KPIs) was last saved before the results of the current data existed.

        Re-runs on the same data do not count: a run that reads the files the previous run read changes
        nothing the map was written from.
        """
        since = self.data_since or self.results_saved
        return self.map_saved is not None and since is not None and self.map_saved < since

    @property
    def stale(self) -> bool:
        """The data changed since the last run, or the map is older than its refresh cadence."""
        return bool(self.data_changes) or self.overdue

    def reasons(self) -> list[str]:
        """Why the map is stale, one plain sentence each (empty when it is not)."""
        out = [c.describe() for c in self.data_changes]
        if self.overdue and self.as_of and self.due:
            out.append(_("the map's data is from {as_of}; with a {refresh} refresh it was due again on {due}").format(
                as_of=f"{self.as_of:%Y-%m-%d}", refresh=_(str(self.refresh)), due=f"{self.due:%Y-%m-%d}"))
        return out


def warnings_of(ws: Workshop) -> list[str]:
    """The warnings of the current step-4 results (dropped rows, encodings, languages without a method)."""
    return list(ws.load(BehaviourResults).warnings) if ws.has(BehaviourResults) else []


def history(ws: Workshop) -> list[RunRecord]:
    """Every run of the workshop, oldest first (a run.json that cannot be read shows as status 'unreadable')."""
    folder = ws.path("runs")
    if not folder.is_dir():
        return []
    return [_record(p) for p in sorted(folder.iterdir()) if p.is_dir() and (p / RUN_FILE).exists()]


def last(ws: Workshop, *, ok: bool = True) -> RunRecord | None:
    """The latest run (the latest successful one by default), or None before the first."""
    found = [r for r in history(ws) if r.ok or not ok]
    return found[-1] if found else None


def find(ws: Workshop, run_id: str) -> RunRecord:
    """One run by its id (the folder name under runs/); a unique prefix is enough."""
    records = history(ws)
    matches = [r for r in records if r.id == run_id] or [r for r in records if r.id.startswith(run_id)]
    if len(matches) == 1:
        return matches[0]
    known = ", ".join(r.id for r in records[-5:]) or "none yet"
    what = f"no run {run_id!r}" if not matches else f"{run_id!r} matches {len(matches)} runs"
    raise JmapkitError(f"{what}.", where=str(ws.path("runs")),
                       fix=f"give a run id from `jmapkit runs {ws.root}` (latest: {known}).")


def results(record: RunRecord) -> BehaviourResults | None:
    """The step-4 results a run kept, or None when it kept none (it failed, or is older than kept copies)."""
    return _kept(record, BehaviourResults)


def step_map(record: RunRecord) -> Map | None:
    """The step-5 map a run kept, or None."""
    return _kept(record, Map)


def comparable(ws: Workshop) -> list[RunRecord]:
    """Successful runs that kept their step-4 results, oldest first: the ones `diff` can compare."""
    return [r for r in history(ws) if r.ok and r.kept(BehaviourResults).is_file()]


def diff(ws: Workshop, run_a: str | None = None, run_b: str | None = None) -> Comparison:
    """What moved from run A to run B (default: the last two comparable runs)."""
    if run_a is None or run_b is None:
        found = comparable(ws)
        if run_a is not None:
            found = [r for r in found if r.id != find(ws, run_a).id]
            pair = [find(ws, run_a), *found[-1:]]
        else:
            pair = found[-2:]
        if len(pair) < 2:
            raise JmapkitError(
                f"there {'is' if len(found) == 1 else 'are'} {len(found)} successful run"
                f"{'' if len(found) == 1 else 's'} with kept results; a diff needs two.",
                where=str(ws.path("runs")),
                fix=f"run `jmapkit run {ws.root}` again (on new data), or name two runs.",
            )
        before, after = pair
    else:
        before, after = find(ws, run_a), find(ws, run_b)
    for record in (before, after):
        if results(record) is None:
            raise JmapkitError(f"run {record.id} kept no step-4 results ({record.status}).",
                               where=str(record.folder), fix="compare two runs that finished step 4.")
    changes = compare(results(before), results(after), step_map(before), step_map(after))
    return Comparison(before, after, changes)


def staleness(ws: Workshop, now: datetime | None = None) -> Staleness:
    """Whether the map is stale: data files changed since the last run, or older than step 1's refresh cadence."""
    now = now or datetime.now(timezone.utc)
    record = last(ws)
    goals = ws.load_or_default(Goals)
    results_saved = _saved_at(ws, BehaviourResults)
    as_of = record.finished if record else (results_saved if _has_inputs(ws) else None)
    due = add_months(as_of, MONTHS[goals.refresh]) if as_of and goals.refresh else None
    return Staleness(
        last_run=record,
        data_changes=data_changes(ws, record) if record else [],
        refresh=goals.refresh,
        as_of=as_of,
        due=due,
        overdue=bool(due and now > due),
        results_saved=results_saved,
        map_saved=_saved_at(ws, Map),
        data_since=_data_since(ws),
    )


def title_lines(ws: Workshop, now: datetime | None = None) -> list[tuple[str, str]]:
    """(label, value) lines for a deck's title slide: the last run, the period its data covers, and "stale" with why."""
    facts = staleness(ws, now)
    lines = []
    if facts.last_run is not None:
        when = facts.last_run.finished or facts.last_run.started
        lines.append((_("Run"), f"{facts.last_run.id}" + (f" ({when:%Y-%m-%d})" if when else "")))
    period = ws.load(BehaviourResults).period if ws.has(BehaviourResults) else None
    if period:
        lines.append((_("Data"), f"{period[0]:%Y-%m-%d} – {period[1]:%Y-%m-%d}"))
    if facts.stale:
        lines.append((_("Status"), _("stale: {reasons}").format(reasons="; ".join(facts.reasons()))))
    elif facts.due:
        lines.append((_("Status"), _("current (refresh {refresh}: next by {due})").format(
            refresh=_(str(facts.refresh)), due=f"{facts.due:%Y-%m-%d}")))
    return lines


def data_changes(ws: Workshop, record: RunRecord) -> list[DataChange]:
    """The run's data files that are gone or whose content differs now (hashed only when size or mtime moved)."""
    out = []
    for name, ref in record.data.items():
        path = ws.resolve(ref.path)
        if not path.is_file():
            out.append(DataChange(name, ref.path, "missing"))
            continue
        st = path.stat()
        if st.st_size == ref.size and st.st_mtime_ns == ref.mtime_ns:
            continue  # as git does: same size and mtime, same content
        if sha256_file(path) != ref.sha256:
            out.append(DataChange(name, ref.path, "changed"))
    return out


def data_record(ws: Workshop, files: dict[str, Path]) -> dict[str, dict[str, Any]]:
    """run.json's `data`: path (relative to the workshop when inside it), sha256, size and mtime of each file."""
    out = {}
    for name, path in files.items():
        st = os.stat(path)
        out[name] = {"path": ws.relative(path), "sha256": sha256_file(path), "size": st.st_size,
                     "mtime_ns": st.st_mtime_ns}
    return out


def add_months(when: datetime, months: int) -> datetime:
    """The same day `months` later (the month's last day when it has fewer days: 31 Aug + 1 → 30 Sep)."""
    import calendar

    month0 = when.month - 1 + months
    year, month = when.year + month0 // 12, month0 % 12 + 1
    return when.replace(year=year, month=month, day=min(when.day, calendar.monthrange(year, month)[1]))


# --- reading -------------------------------------------------------------------------------------------


def _record(folder: Path) -> RunRecord:
    path = folder / RUN_FILE
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict):
            raise ValueError("not an object")
    except (OSError, UnicodeDecodeError, ValueError):
        return RunRecord(folder.name, folder, "unreadable", None, None)
    data = {
        name: DataFile(name, ref.get("path", ""), ref.get("sha256", ""), ref.get("size"), ref.get("mtime_ns"))
        for name, ref in (raw.get("data") or {}).items()
        if isinstance(ref, dict)
    }
    return RunRecord(
        id=str(raw.get("run") or folder.name),
        folder=folder,
        status=str(raw.get("status") or "running"),
        started=_time(raw.get("started")),
        finished=_time(raw.get("finished")),
        data=data,
        failure=raw.get("failure"),
        warnings=list(raw.get("warnings") or []),
        raw=raw,
    )


def _kept(record: RunRecord, model: type[M]) -> M | None:
    path = record.kept(model)  # type: ignore[arg-type]
    if not path.is_file():
        return None
    info = step_info(model)
    try:
        return model.model_validate(_migrated(info, json.loads(path.read_text(encoding="utf-8"))))
    except (OSError, ValueError, KeyError, AttributeError) as exc:
        raise StepInvalid(f"the copy of {info.filename} this run kept cannot be read ({exc}).", where=str(path),
                          fix="compare other runs (`jmapkit runs` lists them).") from None


def _migrated(info: StepInfo, envelope: dict[str, Any]) -> dict[str, Any]:
    """A kept envelope's data at the schema version this jmapkit reads, through the store's migrations."""
    from jmapkit.store import MIGRATIONS

    if envelope.get("schema") != f"jmapkit/{info.key}":
        raise ValueError(f"schema {envelope.get('schema')!r}, expected 'jmapkit/{info.key}'")
    version, data = int(envelope.get("version", 1)), envelope["data"]
    if version > info.schema_version:
        raise ValueError(f"written by a newer jmapkit ({info.key} version {version})")
    while version < info.schema_version:
        data = MIGRATIONS[(info.key, version)](data)
        version += 1
    return data


def _data_since(ws: Workshop) -> datetime | None:
    """When the last successful run's data first ran: the finish of the earliest run in the unbroken line of
    successful runs that read the same files (by content hash)."""
    done = [r for r in history(ws) if r.ok]
    if not done:
        return None
    current = {name: f.sha256 for name, f in done[-1].data.items()}
    since = done[-1]
    for record in reversed(done[:-1]):
        if {name: f.sha256 for name, f in record.data.items()} != current:
            break
        since = record
    return since.finished


def _saved_at(ws: Workshop, step: type[BehaviourResults] | type[Map]) -> datetime | None:
    if not ws.has(step):
        return None
    return _time(ws.load_envelope(step).get("saved_at"))


def _has_inputs(ws: Workshop) -> bool:
    return ws.has(BehaviourResults) and bool(ws.load(BehaviourResults).inputs)


def _time(text: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(text)) if text else None
    except ValueError:
        return None
