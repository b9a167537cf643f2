"""The in-process DuckDB connection jmapkit shares between reading files and the analytics.

A leaf module: it imports nothing else of jmapkit, so `jmapkit.io` and `jmapkit.analytics`
both build on it without importing each other.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ibis.backends import BaseBackend

_DEFAULT: BaseBackend | None = None


def default_backend() -> BaseBackend:
    """One in-process DuckDB connection, shared so tables read once can be joined."""
    global _DEFAULT
    if _DEFAULT is None:
        import ibis

        _DEFAULT = ibis.duckdb.connect()
        # Zone-aware inputs are converted to UTC; every timestamp jmapkit keeps is UTC without a zone.
        _DEFAULT.raw_sql("SET TimeZone = 'UTC'")
        # Bounded memory at any scale: past the limit DuckDB spills to a temp folder (not the user's cwd).
        limit = os.environ.get("JMAPKIT_DUCKDB_MEMORY_LIMIT", "3GB")
        spill = Path(tempfile.gettempdir()) / f"jmapkit-duckdb-{os.getuid() if hasattr(os, 'getuid') else 0}"
        _DEFAULT.raw_sql(f"SET memory_limit = '{limit}'")
        _DEFAULT.raw_sql(f"SET temp_directory = '{spill.as_posix()}'")
        _DEFAULT.raw_sql("SET enable_progress_bar = false")  # it would print into notebooks and the CLI
    return _DEFAULT


class Raw:
    """The raw DuckDB connection under an Ibis backend (or a plain duckdb connection), for SQL of our own."""

    def __init__(self, con: Any):
        self.con = getattr(con, "con", con)

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        """Every row of a query's result."""
        return self.con.execute(sql).fetchall()

    def columns(self, relation: str) -> list[tuple[str, str]]:
        """(name, DuckDB type) of each column of a relation."""
        return [(r[0], r[1]) for r in self.con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()]


def ident(name: str) -> str:
    """A SQL identifier, quoted."""
    return '"' + name.replace('"', '""') + '"'


def quote(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"
