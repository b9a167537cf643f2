"""Turning whatever the caller has (path, DataFrame, Ibis table) into an Ibis table on a backend."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import pandas as pd
    from ibis.backends import BaseBackend

Kind = Literal["events", "survey", "verbatims"]
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


def as_table(source: Any, kind: Kind, *, con: BaseBackend | None = None) -> ir.Table:
    """An Ibis table for `source`: a path is read and validated by jmapkit.io, a DataFrame wrapped."""
    import ibis
    import ibis.expr.types as ir
    import pandas as pd

    if isinstance(source, ir.Table):
        return source
    if isinstance(source, pd.DataFrame):
        import pyarrow as pa

        from jmapkit.io import normalize_frame

        # Through Arrow: ibis' pandas path warns about pandas 3's string option on every call.
        return ibis.memtable(pa.Table.from_pandas(normalize_frame(source, kind), preserve_index=False))
    if isinstance(source, (str, os.PathLike)):
        from jmapkit.io import read

        return read(source, kind, con=con).table
    raise TypeError(f"expected a file path, a pandas DataFrame or an Ibis table for {kind}, got {type(source)!r}")


def fetch(expr: Any) -> pd.DataFrame:
    """An aggregated Ibis result as pandas, through Arrow.

    ibis 12 reads pandas 3's deprecated option future.infer_string when it builds a DataFrame (DuckDB's
    to_pandas, and PySpark's execute under to_pyarrow): a Pandas4Warning about ibis, not about the
    user's data. Arrow skips it on DuckDB; the filter covers PySpark.
    """
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "The 'future.infer_string' option is deprecated")
        return expr.to_pyarrow().to_pandas()
