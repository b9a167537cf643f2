"""The workshop folder: versioned step envelopes, atomic writes, history, locks, votes.

Layout (docs/design.md): workshop.json, notebooks/, data/, steps/, votes/, history/, runs/, exports/.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar, overload

from filelock import FileLock
from pydantic import BaseModel, ValidationError

from jmapkit import __version__
from jmapkit.errors import (
    JmapkitError,
    SaveConflict,
    SchemaTooNew,
    StepInvalid,
    StepMissing,
    WorkshopExists,
    WorkshopNotFound,
)
from jmapkit.i18n import N_, _
from jmapkit.merge import FieldConflict, merge
from jmapkit.model import (
    LANGUAGES,
    RECORDS,
    STEPS,
    StepInfo,
    StepModel,
    WorkshopMeta,
    step_info,
)
from jmapkit.resources import notebooks_dir, templates_dir

# Step titles live in the model (which knows nothing of languages); marked here, shown through _().
STEP_TITLES = (N_("Goals"), N_("Personas"), N_("Touchpoints"), N_("Behaviour & sentiment"), N_("Map & KPIs"),
               N_("Behaviour & sentiment: results"))
WORKSHOP_FILE = "workshop.json"
FOLDERS = ("notebooks", "data", "steps", "votes", "history", "drafts", "runs", "exports")
M = TypeVar("M", bound=BaseModel)
StepKey = int | str | type[BaseModel] | BaseModel


def _behaviour_v1(data: dict[str, Any]) -> dict[str, Any]:
    # Version 1 kept computed results beside the team's input; they now live in 4-behaviour-results.json
    # and are recomputed by the next compute step. What the team entered is kept.
    return {k: data[k] for k in ("data", "options", "emotions") if k in data}


# (step key, stored version) → function turning that version's data into the next version's.
MIGRATIONS: dict[tuple[str, int], Callable[[dict[str, Any]], dict[str, Any]]] = {("behaviour", 1): _behaviour_v1}


@dataclass(frozen=True)
class Saved:
    """Where a save went, the revision it wrote, and whether it was merged with another window's edit."""

    path: Path
    revision: int
    merged: bool = False


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def atomic_write_text(path: Path, text: str) -> None:
    """Write through a temp file in the same folder, fsync, then os.replace: never a half file."""
    atomic_write_bytes(path, text.replace("\r\n", "\n").encode("utf-8"))


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Bytes through a temp file in the same folder, fsync, then os.replace: never a half file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _remove_stale_temp_files(path: Path) -> None:
    # Called under the workshop lock: no other writer of this file is mid-write, so any temp file of
    # it was left by a writer that was killed between creating and renaming it.
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        stale.unlink(missing_ok=True)


class Workshop:
    """A workshop folder on disk: the one object notebooks, the CLI and the exporters share."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()
        if not (self.root / WORKSHOP_FILE).is_file():
            raise WorkshopNotFound(
                _("{folder} is not a workshop (no {file}).").format(folder=self.root, file=WORKSHOP_FILE),
                fix=_("create one with {command} or point to the workshop folder.").format(
                    command=f"`jmapkit new {self.root}`"),
            )
        self._lock = FileLock(str(self.root / ".jmapkit.lock"), timeout=30)

    def __repr__(self) -> str:
        return f"Workshop({str(self.root)!r})"

    # --- finding and creating -------------------------------------------------------------------

    @classmethod
    def find(cls, start: str | os.PathLike[str] | None = None) -> Workshop:
        """Walk up from `start` (default: the current folder) to the folder holding workshop.json."""
        here = Path(start or Path.cwd()).resolve()
        for folder in (here, *here.parents):
            if (folder / WORKSHOP_FILE).is_file():
                return cls(folder)
        raise WorkshopNotFound(
            _("no {file} in {folder} or any folder above it.").format(file=WORKSHOP_FILE, folder=here),
            fix=_("pass workshop_dir=... (or a DIR argument), or create a workshop with `jmapkit new DIR`."),
        )

    @property
    def meta(self) -> WorkshopMeta:
        path = self.root / WORKSHOP_FILE
        try:
            return WorkshopMeta.model_validate_json(path.read_bytes())
        except ValidationError as exc:
            raise StepInvalid(
                _pydantic_problems(exc), where=str(path), fix="correct workshop.json (see the fields named)."
            ) from None

    # --- paths ----------------------------------------------------------------------------------

    def path(self, *parts: str) -> Path:
        return self.root.joinpath(*parts)

    def step_path(self, step: StepKey) -> Path:
        return self.path("steps", step_info(step).filename)

    def tables_dir(self, step: StepKey) -> Path:
        info = step_info(step)
        return self.path("steps", f"{info.number}-{STEPS[info.number - 1].key}")

    def relative(self, path: str | os.PathLike[str]) -> str:
        """A path relative to the workshop when inside it (so the folder can move), else absolute."""
        p = Path(path).resolve()
        try:
            return p.relative_to(self.root).as_posix()
        except ValueError:
            return str(p)

    def resolve(self, path: str | os.PathLike[str]) -> Path:
        p = Path(path)
        return p if p.is_absolute() else self.root / p

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Serialize writers (two notebooks, the voting page and a run may save at once)."""
        with self._lock:
            yield

    # --- steps ----------------------------------------------------------------------------------

    def has(self, step: StepKey) -> bool:
        return self.step_path(step).is_file()

    def revision(self, step: StepKey) -> int:
        """The saved revision of a step (0 when it has never been saved)."""
        path = self.step_path(step)
        if not path.is_file():
            return 0
        try:
            return int(json.loads(path.read_bytes()).get("revision", 0))
        except (ValueError, AttributeError):
            return 0

    def load_envelope(self, step: StepKey) -> dict[str, Any]:
        """Read and check one step envelope, migrating an older schema version."""
        info = step_info(step)
        path = self.step_path(info.key)
        if not path.is_file():
            raise StepMissing(
                _("step {number} ({title}) has not been saved yet.").format(number=info.number, title=_(info.title)),
                where=str(path),
                fix=_("open notebooks/{notebook} and run all cells (its form saves the step).").format(
                    notebook=info.notebook),
            )
        try:
            envelope = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise StepInvalid(
                f"not valid JSON ({exc}).", where=str(path), fix=self._restore_hint(info)
            ) from None
        return self._check_envelope(info, envelope, path)

    @overload
    def load(self, step: type[M]) -> M: ...
    @overload
    def load(self, step: int | str) -> StepModel: ...
    def load(self, step: StepKey) -> StepModel:
        """The validated model of one saved record: `ws.load(Goals) -> Goals`."""
        info = step_info(step)
        envelope = self.load_envelope(info.key)
        try:
            return info.model.model_validate(envelope["data"])  # type: ignore[return-value]
        except ValidationError as exc:
            raise StepInvalid(
                _pydantic_problems(exc), where=str(self.step_path(info.key)), fix=self._restore_hint(info)
            ) from None

    @overload
    def load_or_default(self, step: type[M]) -> M: ...
    @overload
    def load_or_default(self, step: int | str) -> StepModel: ...
    def load_or_default(self, step: StepKey) -> StepModel:
        """The saved record, or the empty model when it has not been saved yet."""
        info = step_info(step)
        return self.load(info.key) if self.has(info.key) else info.model()  # type: ignore[return-value]

    def require(self, *steps: int | str) -> list[StepModel]:
        """Load the earlier steps a step builds on, naming the first one that is missing."""
        return [self.load(s) for s in steps]

    def save(self, model: StepModel, *, base: int | None = None, prefer: str | None = None) -> Saved:
        """Validate and write one record atomically; the previous version goes to history/.

        `base` is the revision the edit started from (a form passes it; a batch run does not). When the
        file has moved on since, the two edits are merged value by value; a value both changed raises
        `SaveConflict` and nothing is written, unless `prefer` ("mine" or "theirs") says which side wins.
        """
        info = step_info(model)
        data = info.model.model_validate(model.model_dump()).model_dump(mode="json")
        path = self.step_path(info.key)
        with self.locked():
            revision, merged = 0, False
            previous = path.read_bytes() if path.is_file() else None
            if previous is not None:
                current = _envelope_or_none(previous)
                revision = int(current.get("revision", 0)) if current else 0
                if base is not None and base != revision and current is not None:
                    data = self._merge_onto(info, base, data, current, revision, prefer)
                    merged = True
                if current is not None and current.get("data") == data:
                    return Saved(path, revision, merged)  # a re-run that changes nothing adds no revision
                stamp = utcnow().strftime("%Y%m%dT%H%M%S%fZ")
                keep = self.path("history", f"{path.stem}.r{revision}.{stamp}.json")
                atomic_write_bytes(keep, previous)
            envelope = {
                "schema": f"jmapkit/{info.key}",
                "version": info.schema_version,
                "revision": revision + 1,
                "saved_at": utcnow().isoformat(),
                "jmapkit": __version__,
                "data": data,
            }
            _remove_stale_temp_files(path)
            atomic_write_text(path, json.dumps(envelope, indent=2, ensure_ascii=False) + "\n")
        return Saved(path, revision + 1, merged)

    def _merge_onto(self, info: StepInfo, base: int, mine: dict[str, Any], current: dict[str, Any],
                    revision: int, prefer: str | None) -> dict[str, Any]:
        theirs = current.get("data", {})
        old = self._revision_data(info, base)
        if old is None:  # the base revision is gone from history: nothing to merge against
            merged, conflicts = (mine if prefer == "mine" else theirs), [FieldConflict((), mine, theirs)]
        else:
            merged, conflicts = merge(old, mine, theirs, prefer=prefer or "theirs")
        if conflicts and prefer is None:
            raise SaveConflict(info, base, revision, conflicts)
        return info.model.model_validate(merged).model_dump(mode="json")

    def _revision_data(self, info: StepInfo, revision: int) -> dict[str, Any] | None:
        stem = self.step_path(info.key).stem
        for path in self.path("history").glob(f"{stem}.r{revision}.*.json"):
            envelope = _envelope_or_none(path.read_bytes())
            if envelope is not None:
                return self._check_envelope(info, envelope, path)["data"]
        return None

    def history(self, step: StepKey) -> list[Path]:
        """Earlier versions of a step file, oldest first."""
        stem = self.step_path(step).stem
        found = self.path("history").glob(f"{stem}.r*.json")
        return sorted(found, key=lambda p: (int(p.name.split(".r")[1].split(".")[0]), p.name))

    def validate_all(self) -> None:
        """Check every saved record, so a run stops before it starts on a broken one."""
        for info in RECORDS:
            if self.has(info.key):
                self.load(info.key)

    def _check_envelope(self, info: StepInfo, envelope: Any, path: Path) -> dict[str, Any]:
        expected = f"jmapkit/{info.key}"
        if not isinstance(envelope, dict) or envelope.get("schema") != expected or "data" not in envelope:
            got = envelope.get("schema") if isinstance(envelope, dict) else type(envelope).__name__
            raise StepInvalid(
                f"not a jmapkit step envelope (schema {got!r}, expected {expected!r}).",
                where=str(path),
                fix=self._restore_hint(info),
            )
        version = envelope.get("version")
        if not isinstance(version, int) or version < 1:
            raise StepInvalid(
                f"envelope version {version!r} is not a positive whole number.",
                where=str(path),
                fix=self._restore_hint(info),
            )
        if version > info.schema_version:
            raise SchemaTooNew(
                f"written by jmapkit {envelope.get('jmapkit', '?')} with {expected} version {version}; "
                f"this jmapkit ({__version__}) reads up to version {info.schema_version}.",
                where=str(path),
                fix="upgrade jmapkit (pip install -U jmapkit).",
            )
        data = envelope["data"]
        while version < info.schema_version:
            data = MIGRATIONS[(info.key, version)](data)
            version += 1
        return {**envelope, "version": version, "data": data}

    def _restore_hint(self, info: StepInfo) -> str:
        older = self.history(info.key)
        if older:
            return f"restore the last good version from {older[-1]}, or re-enter the step in {info.notebook}."
        return f"re-enter the step in {info.notebook}, or delete the file to start the step again."

    # --- drafts: input that is not saved (yet) ----------------------------------------------------

    def draft_path(self, step: StepKey) -> Path:
        return self.path("drafts", f"{self.step_path(step).stem}.json")

    def save_draft(self, step: StepKey, raw: Mapping[str, Any], *, base: int, problems: list[str]) -> Path:
        """Keep what a form holds but could not save, so it can be offered back (never lost)."""
        path = self.draft_path(step)
        record = {"saved_at": utcnow().isoformat(), "base": base, "problems": problems, "data": raw}
        atomic_write_text(path, json.dumps(record, indent=2, ensure_ascii=False, default=str) + "\n")
        return path

    def draft(self, step: StepKey) -> dict[str, Any] | None:
        """The unsaved draft of a step, if one exists: saved_at, base revision, problems, data."""
        path = self.draft_path(step)
        if not path.is_file():
            return None
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return None
        return record if isinstance(record, dict) and "data" in record else None

    def discard_draft(self, step: StepKey) -> None:
        self.draft_path(step).unlink(missing_ok=True)

    # --- votes ----------------------------------------------------------------------------------

    def append_vote(self, kind: str, *records: Mapping[str, Any]) -> None:
        """Append participant records as JSON lines under the lock, fsynced before returning; never rewritten.

        Several records go out in one write and one fsync (the room batches a burst of votes). A record's
        own `at` wins over the stamp added here, so the server can apply exactly what it wrote.
        """
        now = utcnow().isoformat()
        text = "".join(json.dumps({"at": now, **r}, ensure_ascii=False) + "\n" for r in records)
        path = self.path("votes", f"{kind}.jsonl")
        with self.locked():
            path.parent.mkdir(exist_ok=True)
            created = not path.exists()
            with open(path, "a+b") as f:
                if f.tell() > 0:
                    f.seek(-1, os.SEEK_END)
                    if f.read(1) != b"\n":
                        text = "\n" + text  # a crash tore the last line: keep the fragment on a line of its own
                f.write(text.encode("utf-8"))
                f.flush()
                os.fsync(f.fileno())
            if created:
                _fsync_dir(path.parent)  # the new file's name must survive a crash too

    def votes(self, kind: str) -> list[dict[str, Any]]:
        """Every record of one votes file, oldest first; a line a crash tore is skipped with a warning."""
        path = self.path("votes", f"{kind}.jsonl")
        if not path.is_file():
            return []
        records, torn = [], []
        for number, line in enumerate(path.read_bytes().split(b"\n"), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except (UnicodeDecodeError, json.JSONDecodeError):
                torn.append(number)
                continue
            if isinstance(record, dict):
                records.append(record)
            else:
                torn.append(number)
        if torn:
            many = len(torn) != 1
            warnings.warn(
                f"{path}: skipped {len(torn)} line{'s' if many else ''} that {'are' if many else 'is'}"
                f" not a JSON record (line {', '.join(map(str, torn[:5]))}{' …' if len(torn) > 5 else ''}); a crash"
                " during a write leaves such a line, and every vote answered as saved is on another line.",
                TornLineWarning,
                stacklevel=2,
            )
        return records


class TornLineWarning(UserWarning):
    """A votes file holds a line that is not a JSON record (left by a crash during a write)."""


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return  # Windows cannot open a folder to fsync it; NTFS journals the entry itself
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --- creating a workshop -----------------------------------------------------------------------


def open_workshop(workshop_dir: str | os.PathLike[str] | None = None) -> Workshop:
    """The workshop at `workshop_dir`, or the one found by walking up from the current folder."""
    return Workshop.find(workshop_dir)


def load_template(name: str, language: str = "en") -> dict[str, Any]:
    """The named template in one language as a dict, validated (a broken file raises TemplateInvalid)."""
    from jmapkit.templates import load

    return load(name, language).model_dump()


def new_workshop(
    path: str | os.PathLike[str],
    *,
    template: str = "default",
    language: str | None = None,
    name: str | None = None,
) -> Workshop:
    """Create a workshop folder pre-filled from a template; its content is marked as not yet reviewed."""
    root = Path(path).resolve()
    if language is not None and language not in LANGUAGES:
        raise JmapkitError(_("unknown language {language}.").format(language=repr(language)),
                           fix=_("use one of: {names}.").format(names=", ".join(LANGUAGES)))
    spec = load_template(template, language or "en")
    language = language or spec.get("language", "en")
    if language != "en":
        spec = load_template(template, language)
    if (root / WORKSHOP_FILE).exists():
        raise WorkshopExists(_("{folder} is already a workshop.").format(folder=root),
                             fix=_("choose another folder, or open this one."))
    if root.exists() and any(root.iterdir()):
        raise WorkshopExists(_("{folder} exists and is not empty.").format(folder=root),
                             fix=_("choose a new or empty folder."))
    content = spec.get("steps", {})
    # Every step is saved, empty where the template has nothing: a new workshop runs end to end at once,
    # and `jmapkit check` says what is missing instead of a run stopping at the first unsaved step.
    steps = [_template_step(info, content.get(info.key, {})) for info in STEPS]
    for folder in FOLDERS:
        (root / folder).mkdir(parents=True, exist_ok=True)
    from jmapkit.notebook_lang import write_notebook

    for nb in sorted(notebooks_dir().glob("*.ipynb")):
        write_notebook(nb, root / "notebooks" / nb.name, language)  # markdown in the workshop's language
    source_data = templates_dir() / template / "data"
    if source_data.is_dir():
        for f in sorted(source_data.iterdir()):
            if f.is_file():
                shutil.copyfile(f, root / "data" / f.name)
    meta = WorkshopMeta(
        name=name or spec.get("name") or root.name,
        scope=spec.get("steps", {}).get("goals", {}).get("scope", "journey"),
        language=language,  # type: ignore[arg-type]
        template=template,
        created=utcnow(),
        jmapkit=__version__,
    )
    atomic_write_text(root / WORKSHOP_FILE, meta.model_dump_json(indent=2) + "\n")
    ws = Workshop(root)
    for model in steps:
        ws.save(model)
    return ws


def _template_step(info: StepInfo, content: dict[str, Any]) -> StepModel:
    from jmapkit.templates import step_model

    return step_model(info.key, content)  # type: ignore[no-any-return]


def _envelope_or_none(raw: bytes) -> dict[str, Any] | None:
    try:
        envelope = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    return envelope if isinstance(envelope, dict) else None


def _pydantic_problems(exc: ValidationError) -> str:
    problems = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
        problems.append(f"{loc}: {err['msg']} (got {err.get('input')!r})")
    return f"{len(problems)} problem{'s' if len(problems) != 1 else ''}: " + "; ".join(problems)
