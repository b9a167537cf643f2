"""The validated-file cache: Parquet copies of read CSVs and notes of checked files, named by content.

Everything here is safe to delete at any time: the next read rebuilds it. A file is cached under
its SHA-256 and the options it was read with, so an edited file, or other options, is read afresh.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import uuid
from pathlib import Path
from typing import Any

from jmapkit.errors import DataFileError, Problem
from jmapkit.io.sql import Raw, quote

CACHE_VERSION = "v2"  # part of every cached file's name: bump it when the cached layout changes


def cache_dir() -> Path:
    """Where the Parquet copies of CSVs and the notes of checked Parquet files live."""
    given = os.environ.get("JMAPKIT_CACHE_DIR")
    # One folder per user by default: nobody else can plant a file in it.
    cache = Path(given) if given else Path(tempfile.gettempdir()) / f"jmapkit-cache-{getattr(os, 'getuid', str)()}"
    try:
        cache.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise DataFileError(f"cannot create jmapkit's cache folder {cache} ({exc.strerror}).",
                            fix="set JMAPKIT_CACHE_DIR to a folder you can write to.") from None
    return cache


def cache_stem(digest: str, options: list[Any], kind: str) -> Path:
    """The cache path (without suffix) of one file read with `options`."""
    key = json.dumps([CACHE_VERSION, *options])
    return cache_dir() / f"{digest}-{hashlib.sha256(key.encode()).hexdigest()[:16]}-{kind}"


def part_name(path: Path) -> Path:
    """A temporary name beside `path`, own to this writer: two readers of one file may race."""
    return Path(f"{path}.{os.getpid()}-{uuid.uuid4().hex[:8]}.part")


def write_cache(raw: Raw, select: str, parquet: Path, sidecar: Path, note: dict[str, Any]) -> None:
    """Write SELECT's result to Parquet and its note beside it; the note, written last, marks it whole."""
    partial = part_name(parquet)
    try:
        raw.con.execute(f"COPY ({select}) TO {quote(str(partial))} (FORMAT parquet, COMPRESSION zstd)")
        commit(partial, parquet, sidecar, note)
    finally:
        partial.unlink(missing_ok=True)


def commit(partial: Path, parquet: Path, sidecar: Path, note: dict[str, Any]) -> None:
    """Move a written Parquet file into place, then its note: the note, written last, marks it whole."""
    note_partial = part_name(sidecar)
    try:
        note_partial.write_text(json.dumps(note), encoding="utf-8")
        # os.replace makes the last of two racing writers win whole.
        os.replace(partial, parquet)
        os.replace(note_partial, sidecar)
    finally:
        note_partial.unlink(missing_ok=True)


def write_note(path: Path, note: dict[str, Any]) -> None:
    """Write a JSON note atomically; a failure only loses a shortcut (the next read checks again)."""
    partial = part_name(path)
    try:
        partial.write_text(json.dumps(note), encoding="utf-8")
        os.replace(partial, path)
    except OSError:
        partial.unlink(missing_ok=True)


def read_note(path: Path) -> dict[str, Any] | None:
    """A note written by write_note or write_cache, or None when there is none (or it is unreadable)."""
    try:
        note = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return note if isinstance(note, dict) else None


def problems_note(problems: list[Problem]) -> list[dict[str, Any]]:
    """Dropped-row problems as a cache note holds them (JSON)."""
    return [{"reason": p.reason, "rows": list(p.rows), "count": p.count, "code": p.code} for p in problems]


def problems_from_note(items: list[dict[str, Any]]) -> list[Problem]:
    """The dropped-row problems a note holds."""
    return [Problem(None, d["reason"], tuple(d["rows"]), count=d["count"], code=d["code"]) for d in items]
