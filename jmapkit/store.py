"""The workshop folder: versioned step envelopes, atomic writes, history, locks, votes.

Layout (DESIGN.md): workshop.json, notebooks/, data/, steps/, votes/, history/, runs/, exports/.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from filelock import FileLock
from pydantic import ValidationError

from jmapkit import __version__
from jmapkit.errors import (
    JmapkitError,
    SchemaTooNew,
    StepInvalid,
    StepMissing,
    WorkshopExists,
    WorkshopNotFound,
)
from jmapkit.model import (
    LANGUAGES,
    STEPS,
    StepInfo,
    StepModel,
    WorkshopMeta,
    step_info,
)
from jmapkit.resources import notebooks_dir, templates_dir

WORKSHOP_FILE = "workshop.json"
FOLDERS = ("notebooks", "data", "steps", "votes", "history", "runs", "exports")

# (step key, stored version) → function turning that version's data into the next version's.
MIGRATIONS: dict[tuple[str, int], Callable[[dict[str, Any]], dict[str, Any]]] = {}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def atomic_write_text(path: Path, text: str) -> None:
    """Write through a temp file in the same folder, fsync, then os.replace: never a half file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class Workshop:
    """A workshop folder on disk: the one object notebooks, the CLI and the exporters share."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()
        if not (self.root / WORKSHOP_FILE).is_file():
            raise WorkshopNotFound(
                f"{self.root} is not a workshop (no {WORKSHOP_FILE}).",
                fix=f"create one with `jmapkit new {self.root}` or point to the workshop folder.",
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
            f"no {WORKSHOP_FILE} in {here} or any folder above it.",
            fix="pass workshop_dir=... (or a DIR argument), or create a workshop with `jmapkit new DIR`.",
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

    def step_path(self, step: int | str) -> Path:
        return self.path("steps", step_info(step).filename)

    def tables_dir(self, step: int | str) -> Path:
        info = step_info(step)
        return self.path("steps", f"{info.number}-{info.key}")

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

    def has(self, step: int | str) -> bool:
        return self.step_path(step).is_file()

    def load_envelope(self, step: int | str) -> dict[str, Any]:
        """Read and check one step envelope, migrating an older schema version."""
        info = step_info(step)
        path = self.step_path(info.number)
        if not path.is_file():
            raise StepMissing(
                f"step {info.number} ({info.title}) has not been saved yet.",
                where=str(path),
                fix=f"run notebook {info.notebook} first (or `jmapkit run {self.root}`).",
            )
        try:
            envelope = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise StepInvalid(
                f"not valid JSON ({exc}).", where=str(path), fix=self._restore_hint(info)
            ) from None
        return self._check_envelope(info, envelope, path)

    def load(self, step: int | str) -> StepModel:
        """The validated model of one saved step."""
        info = step_info(step)
        envelope = self.load_envelope(info.number)
        try:
            return info.model.model_validate(envelope["data"])  # type: ignore[return-value]
        except ValidationError as exc:
            raise StepInvalid(
                _pydantic_problems(exc), where=str(self.step_path(info.number)), fix=self._restore_hint(info)
            ) from None

    def load_or_default(self, step: int | str) -> StepModel:
        info = step_info(step)
        return self.load(info.number) if self.has(info.number) else info.model()  # type: ignore[return-value]

    def require(self, *steps: int | str) -> list[StepModel]:
        """Load the earlier steps a step builds on, naming the first one that is missing."""
        return [self.load(s) for s in steps]

    def save(self, model: StepModel) -> Path:
        """Validate and write one step atomically; the previous version goes to history/."""
        info = step_info(model)
        data = info.model.model_validate(model.model_dump()).model_dump(mode="json")
        path = self.step_path(info.number)
        with self.locked():
            revision = 1
            if path.is_file():
                previous = path.read_bytes()
                if _same_data(previous, data):
                    return path  # a re-run that changes nothing adds no revision
                try:
                    revision = int(json.loads(previous).get("revision", 0)) + 1
                except (ValueError, AttributeError):
                    revision = 1  # a broken file is still kept in history below
                stamp = utcnow().strftime("%Y%m%dT%H%M%S%fZ")
                keep = self.path("history", f"{path.stem}.r{revision - 1}.{stamp}.json")
                keep.parent.mkdir(exist_ok=True)
                keep.write_bytes(previous)
            envelope = {
                "schema": f"jmapkit/{info.key}",
                "version": info.schema_version,
                "revision": revision,
                "saved_at": utcnow().isoformat(),
                "jmapkit": __version__,
                "data": data,
            }
            atomic_write_text(path, json.dumps(envelope, indent=2, ensure_ascii=False) + "\n")
        return path

    def history(self, step: int | str) -> list[Path]:
        """Earlier versions of a step file, oldest first."""
        stem = self.step_path(step).stem
        found = self.path("history").glob(f"{stem}.r*.json")
        return sorted(found, key=lambda p: (int(p.name.split(".r")[1].split(".")[0]), p.name))

    def validate_all(self) -> None:
        """Check every saved step file, so a run stops before it starts on a broken one."""
        for info in STEPS:
            if self.has(info.number):
                self.load(info.number)

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
        older = self.history(info.number)
        if older:
            return f"restore the last good version from {older[-1]}, or re-enter the step in {info.notebook}."
        return f"re-enter the step in {info.notebook}, or delete the file to start the step again."

    # --- votes ----------------------------------------------------------------------------------

    def append_vote(self, kind: str, record: Mapping[str, Any]) -> None:
        """Append one participant vote as a JSON line; votes are never rewritten."""
        line = json.dumps({"at": utcnow().isoformat(), **record}, ensure_ascii=False)
        path = self.path("votes", f"{kind}.jsonl")
        with self.locked():
            path.parent.mkdir(exist_ok=True)
            with open(path, "a", encoding="utf-8") as f:
                f.write(line + "\n")
                f.flush()
                os.fsync(f.fileno())

    def votes(self, kind: str) -> list[dict[str, Any]]:
        path = self.path("votes", f"{kind}.jsonl")
        if not path.is_file():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


# --- creating a workshop -----------------------------------------------------------------------


def open_workshop(workshop_dir: str | os.PathLike[str] | None = None) -> Workshop:
    """The workshop at `workshop_dir`, or the one found by walking up from the current folder."""
    return Workshop.find(workshop_dir)


def load_template(name: str) -> dict[str, Any]:
    """The named template as a dict, validated (a broken file raises TemplateInvalid naming the field)."""
    from jmapkit.templates import load

    return load(name).model_dump()


def new_workshop(
    path: str | os.PathLike[str],
    *,
    template: str = "default",
    language: str | None = None,
    name: str | None = None,
) -> Workshop:
    """Create a workshop folder pre-filled from a template; its content is marked as not yet reviewed."""
    root = Path(path).resolve()
    spec = load_template(template)
    language = language or spec.get("language", "en")
    if language not in LANGUAGES:
        raise JmapkitError(f"unknown language {language!r}.", fix=f"use one of: {', '.join(LANGUAGES)}.")
    if (root / WORKSHOP_FILE).exists():
        raise WorkshopExists(f"{root} is already a workshop.", fix="choose another folder, or open this one.")
    if root.exists() and any(root.iterdir()):
        raise WorkshopExists(f"{root} exists and is not empty.", fix="choose a new or empty folder.")
    content = spec.get("steps", {})
    steps = [_template_step(info, content[info.key]) for info in STEPS if info.key in content]
    for folder in FOLDERS:
        (root / folder).mkdir(parents=True, exist_ok=True)
    for nb in sorted(notebooks_dir().glob("*.ipynb")):
        shutil.copyfile(nb, root / "notebooks" / nb.name)
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


def _same_data(previous: bytes, data: dict[str, Any]) -> bool:
    try:
        return json.loads(previous).get("data") == data
    except (ValueError, AttributeError):
        return False


def _pydantic_problems(exc: ValidationError) -> str:
    problems = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
        problems.append(f"{loc}: {err['msg']} (got {err.get('input')!r})")
    return f"{len(problems)} problem{'s' if len(problems) != 1 else ''}: " + "; ".join(problems)
