"""Turning whatever the caller has (path, DataFrame, Ibis table) into an Ibis table on a backend."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import ibis.expr.types as ir
    from ibis.backends import BaseBackend

Kind = Literal["events", "survey", "verbatims"]
_DEFAULT: BaseBackend | None = None


def default_backend() -> BaseBackend:
    """One in-process DuckDB connection, shared so tables read once can be joined."""
    global _DEFAULT
    if _DEFAULT is None:
        import ibis

        _DEFAULT = ibis.duckdb.connect()
    return _DEFAULT


def as_table(source: Any, kind: Kind, *, con: BaseBackend | None = None) -> ir.Table:
    """An Ibis table for `source`: a path is read and validated by jmapkit.io, a DataFrame wrapped."""
    import ibis
    import ibis.expr.types as ir
    import pandas as pd

    if isinstance(source, ir.Table):
        return source
    if isinstance(source, pd.DataFrame):
        from jmapkit.io import normalize_frame

        return ibis.memtable(normalize_frame(source, kind))
    if isinstance(source, (str, os.PathLike)):
        from jmapkit.io import read

        return read(source, kind, con=con).table
    raise TypeError(f"expected a file path, a pandas DataFrame or an Ibis table for {kind}, got {type(source)!r}")
