"""Turning whatever the caller has (path, DataFrame, Ibis table) into an Ibis table on a backend."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Literal

from jmapkit.duck import default_backend

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import pandas as pd
    from ibis.backends import BaseBackend

__all__ = ["Kind", "as_table", "default_backend", "fetch"]

Kind = Literal["events", "survey", "verbatims"]


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
