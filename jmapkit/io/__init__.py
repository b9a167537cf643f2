"""Reading and validating the three inputs (events, survey, verbatims) as real exports come.

CSV/TSV (also .gz and .zst) and Parquet are read by DuckDB directly (no pandas in between, so
100 M events stay out of memory); XLSX goes through openpyxl. Non-UTF-8 CSVs are transcoded to
UTF-8 on the way. A CSV is numbered once into a cached Parquet copy, and its validated typed table
is cached too, so reading it again is cheap. Every check is one aggregate query, and every problem
of a file — column, rows, a bad value, what is allowed — is reported together, headed by the file.
Every row keeps `_row`, its spreadsheet row number (header = 1), so a message can point at it.

One module per job: `encoding` (which encoding, decompressing, transcoding), `csv`, `excel`,
`parquet`, `cache` (the validated-file cache) and `validate` (columns, types, problems).

>>> from jmapkit import io
>>> loaded = io.read("data/events.csv", "events")  # doctest: +SKIP
>>> loaded.rows, loaded.sha256[:8], loaded.table.columns  # doctest: +SKIP
"""

from __future__ import annotations

import os
import warnings as _warnings
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jmapkit import i18n
from jmapkit.errors import DataFileError, DataWarning, JmapkitError, Problem
from jmapkit.io.validate import SPECS, Kind, Spec

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import pandas as pd
    from ibis.backends import BaseBackend

__all__ = ["NO_ROWS", "OPTIONS", "SPECS", "SUFFIXES", "Kind", "Loaded", "Spec", "file_format", "normalize_frame",
           "read", "reader_options"]

SUFFIXES = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx", ".parquet": "parquet",
            ".pq": "parquet"}
# Reader options a team sets per input (step 4's saved `options`, `--option events.delimiter=';'`).
OPTIONS = {
    "delimiter": "the character between values: ',' ';' '|' or a name: tab, comma, semicolon, pipe",
    "encoding": "the text encoding, e.g. utf-8, cp1252, cp949, cp932 (Shift-JIS), utf-16",
    "decimal": "the decimal mark: ',' or '.'",
    "timestamp_format": "a strptime pattern such as '%d/%m/%Y %H:%M', or iso, epoch_s, epoch_ms",
    "sheet": "the Excel sheet: its name, or its position counted from 0",
}
NO_ROWS = "the file has a header but no data rows."
DELIMITER_NAMES = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|", "space": " "}


@dataclass
class Loaded:
    """A validated input: an Ibis table with canonical columns, and what was read to make it."""

    table: ir.Table
    path: Path
    sha256: str
    rows: int
    dropped: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    encoding: str | None = None


# Loaded results per connection (its views live there); gone with the connection.
# Each with the cached files its table reads, since the cache folder may be deleted under it.
_MEMO: weakref.WeakKeyDictionary[Any, dict[tuple[Any, ...], tuple[Loaded, Path | None]]] = weakref.WeakKeyDictionary()


def file_format(path: Path) -> tuple[str, str | None]:
    """('csv' | 'xlsx' | 'parquet', compression or None) by the file's name; DataFileError if unsupported."""
    from jmapkit.io.encoding import compression

    packed = compression(path)
    inner = Path(path.stem).suffix.lower() if packed else path.suffix.lower()
    fmt = SUFFIXES.get(inner)
    if fmt is None or (packed and fmt != "csv"):
        shown = "".join(path.suffixes[-2:]) if packed else path.suffix
        fix = i18n._("save it as one of {suffixes} (CSV may be compressed: .csv.gz, .csv.zst).")
        raise DataFileError(i18n._("unsupported file type {suffix}.").format(suffix=repr(shown)), where=str(path),
                            fix=fix.format(suffixes=", ".join(sorted(SUFFIXES))))
    return fmt, packed


def reader_options(options: Mapping[str, str] | None, *, where: str = "reader options") -> dict[str, Any]:
    """Reader options as typed keyword arguments of read(); unknown names and bad values are JmapkitErrors."""
    given = dict(options or {})
    unknown = sorted(set(given) - set(OPTIONS))
    if unknown:
        fix = i18n._("use one of {options} (docs/input-files.md shows each with examples).")
        raise JmapkitError(i18n._("unknown reader option {options}.").format(options=", ".join(map(repr, unknown))),
                           where=where, fix=fix.format(options=", ".join(OPTIONS)))
    out: dict[str, Any] = {}
    for name, value in given.items():
        value = str(value)
        if name == "delimiter":
            value = DELIMITER_NAMES.get(value.strip().lower(), value) if value.strip() else value
        out[name] = value  # a sheet given as digits is a name or a position: the workbook's sheets decide
    _check_options(out.get("delimiter"), out.get("decimal"), where)
    return out


def _check_options(delimiter: str | None, decimal: str | None, where: str) -> None:
    if delimiter is not None and (len(delimiter) != 1 or delimiter in "\"\r\n"):
        raise JmapkitError(f"delimiter={delimiter!r} is not one character.", where=where,
                           fix="give one character such as ';' or '|', or a name: tab, comma, semicolon, pipe.")
    if decimal is not None and decimal not in (",", "."):
        raise JmapkitError(f"decimal={decimal!r} is not a decimal mark.", where=where, fix="use ',' or '.'.")


def read(
    source: str | os.PathLike[str],
    kind: Kind,
    *,
    con: BaseBackend | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    decimal: str | None = None,
    timestamp_format: str | None = None,
    sheet: str | int | None = None,
) -> Loaded:
    """Read, validate and normalize one input file; raises ValidationFailed listing every problem."""
    from jmapkit.digest import sha256_file
    from jmapkit.duck import default_backend

    path = Path(source)
    if kind not in SPECS:
        raise ValueError(f"kind must be one of {', '.join(SPECS)}, not {kind!r}")
    if not path.is_file():
        raise DataFileError(i18n._("the {kind} file does not exist.").format(kind=kind), where=str(path),
                            fix=i18n._("check the path and the name."))
    fmt, _ = file_format(path)
    _check_options(delimiter, decimal, str(path))
    if path.stat().st_size == 0:
        raise DataFileError(i18n._("the {kind} file is empty.").format(kind=kind), where=str(path),
                            fix=i18n._("export the data again; the file needs a header row and data rows."))
    con = con or default_backend()
    stat = path.stat()
    # Cheap to call twice (step 4 and every analytics call read the same file): the same file, unchanged,
    # with the same options on the same connection gives the same result.
    memo_key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns, stat.st_ino, kind, encoding, delimiter,
                decimal, timestamp_format, sheet)
    known, cached = _MEMO.get(con, {}).get(memo_key, (None, None))
    if known is not None and (cached is None or cached.exists()):
        return replace(known, path=path, dropped=list(known.dropped), warnings=list(known.warnings))
    digest = sha256_file(path)
    try:
        select, rows, dropped, warnings, used_encoding, cached = _read(con, path, fmt, kind, digest, encoding,
                                                                      delimiter, decimal, timestamp_format, sheet)
    except JmapkitError:
        raise
    except Exception as exc:  # a reader's own error on a file it cannot parse: say which file, keep its words
        said = " ".join(line.strip() for line in str(exc).splitlines()[:2] if line.strip())
        raise DataFileError(i18n._("could not be read as {format}: {reason}").format(format=fmt.upper(), reason=said),
                            where=str(path),
                            fix=i18n._("open it in a spreadsheet and export it again (CSV UTF-8, or .xlsx); the "
                                       "options delimiter= and encoding= set how a CSV is read.")) from None
    if rows == 0:
        warnings.append(NO_ROWS)
    loaded = Loaded(table=con.sql(select), path=path, sha256=digest, rows=rows, dropped=dropped, warnings=warnings,
                    encoding=used_encoding)
    _MEMO.setdefault(con, {})[memo_key] = (loaded, cached)
    return replace(loaded, dropped=list(dropped), warnings=list(warnings))


def _read(con: Any, path: Path, fmt: str, kind: Kind, digest: str, encoding: str | None, delimiter: str | None,
          decimal: str | None, timestamp_format: str | None,
          sheet: str | int | None) -> tuple[str, int, list[Problem], list[str], str | None, Path | None]:
    """SELECT of the typed table, rows, dropped rows, warnings, the encoding used, the cached file read."""
    from jmapkit.io import encoding as encodings
    from jmapkit.io.sql import Raw, quote
    from jmapkit.io.validate import ROWS_SHOWN, validate

    raw = Raw(con)
    if fmt == "csv":
        from jmapkit.io.csv import read_csv

        head = encodings.sample(path)
        if not head.strip():
            raise DataFileError(i18n._("the {kind} file is empty.").format(kind=kind), where=str(path),
                                fix=i18n._("export the data again; the file needs a header row and data rows."))
        codec, used, detected = encodings.choose(path, head, encoding)
        warnings = []
        if detected and used not in ("utf-8", "utf-8-sig", "utf-16"):  # UTF-16 is known by its BOM
            warnings.append(f"read as {used} (detected); set the option encoding= if any text looks wrong.")
        if path.name.lower().split(".")[-2 if encodings.compression(path) else -1] == "tsv" and delimiter is None:
            delimiter = "\t"
        done = read_csv(raw, path, kind, digest, head, codec, delimiter, decimal, timestamp_format)
        return (f"SELECT * FROM read_parquet({quote(str(done.parquet))})", done.rows, done.dropped,
                warnings + done.warnings, used, done.parquet)
    if fmt == "parquet":
        from jmapkit.io.parquet import checked_parquet, parquet_source

        checked = checked_parquet(raw, parquet_source(raw, path, digest), kind, path, digest, decimal,
                                  timestamp_format)
        return checked.select, checked.rows, checked.dropped, checked.warnings, None, None
    from jmapkit.io.excel import excel_source

    found = excel_source(raw, path, digest, kind, sheet)
    checked = validate(raw, found.view, kind, str(path), decimal, timestamp_format, found.blank[:ROWS_SHOWN],
                       len(found.blank), unnamed=found.unnamed)
    return checked.select, checked.rows, checked.dropped, found.warnings + checked.warnings, None, None


def normalize_frame(df: pd.DataFrame, kind: Kind, *, decimal: str | None = None,
                    timestamp_format: str | None = None) -> pd.DataFrame:
    """The same validation and canonical columns as read(), for a DataFrame the caller already has.

    The frame is the caller's own: its duplicate rows are kept. What a file's reader would list as
    warnings comes as DataWarning.
    """
    import duckdb
    import pyarrow as pa

    from jmapkit.io.sql import Raw, make_view, renamed
    from jmapkit.io.validate import validate

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    frame = df.drop(columns=[c for c in df.columns if c == "_row"]).reset_index(drop=True)
    con.register("frame_input", pa.Table.from_pandas(frame, preserve_index=False))
    raw = Raw(con)
    columns = [name for name, _ in raw.columns("frame_input")]
    view = make_view(raw, "frame", f"SELECT {renamed(columns, 'DataFrame')}, row_number() OVER () + 1 AS _row "
                                   f"FROM frame_input")
    checked = validate(raw, view, kind, "DataFrame", decimal, timestamp_format, [], 0, duplicates=False)
    for warning in checked.warnings:
        _warnings.warn(f"DataFrame: {warning}", DataWarning, stacklevel=2)
    return con.sql(f"{checked.select} ORDER BY _row").to_arrow_table().to_pandas()
