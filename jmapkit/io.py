"""Reading and validating the three inputs (events, survey, verbatims) as real exports come.

CSV/TSV/Parquet are read by DuckDB directly (no pandas in between, so 100 M events stay out of
memory); XLSX goes through openpyxl. Non-UTF-8 CSVs (cp949, Shift-JIS, cp1252 …, detected with
charset-normalizer) are transcoded once to a cached UTF-8 copy. Every check runs as one aggregate
query, and every problem — column, rows, a bad value, what is allowed — is reported together.

>>> from jmapkit import io
>>> loaded = io.read("data/events.csv", "events")  # doctest: +SKIP
>>> loaded.rows, loaded.sha256[:8], loaded.table.columns  # doctest: +SKIP
"""

from __future__ import annotations

import codecs
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from jmapkit.errors import DataFileError, Problem, ValidationFailed

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import pandas as pd
    from ibis.backends import BaseBackend

Kind = Literal["events", "survey", "verbatims"]
SUFFIXES = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx", ".parquet": "parquet",
            ".pq": "parquet"}


@dataclass(frozen=True)
class Spec:
    required: tuple[str, ...]
    one_of: tuple[str, ...]
    ids: tuple[str, ...]
    numbers: tuple[str, ...] = ()
    texts: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()


SPECS: dict[str, Spec] = {
    "events": Spec(required=("customer_id", "timestamp"), one_of=("touchpoint", "event"), ids=("customer_id",),
                   numbers=("value",), optional=("stage", "channel", "segment", "value")),
    "survey": Spec(required=("respondent_id", "question", "score"), one_of=("touchpoint", "stage"),
                   ids=("respondent_id",), numbers=("score",), optional=("segment", "timestamp")),
    "verbatims": Spec(required=("id", "text"), one_of=(), ids=("id",), texts=("text",),
                      optional=("touchpoint", "stage", "lang", "respondent_id", "timestamp")),
}
# Local formats tried when timestamps are not ISO 8601 or epoch numbers: (format, day-first?)
LOCAL_FORMATS = [
    (f"{date}{sep}{time}", date.startswith("%d"))
    for date in ("%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%d-%m-%Y", "%m-%d-%Y", "%Y/%m/%d")
    for sep, time in ((" ", "%H:%M:%S"), (" ", "%H:%M"), ("", ""))
]
ROWS_SHOWN = 5


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
    from jmapkit.analytics.backend import default_backend
    from jmapkit.store import sha256_file

    path = Path(source)
    if not path.is_file():
        raise DataFileError(f"the {kind} file does not exist.", where=str(path), fix="check the path and the name.")
    fmt = SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise DataFileError(f"unsupported file type {path.suffix!r}.", where=str(path),
                            fix=f"save it as one of {', '.join(sorted(SUFFIXES))}.")
    con = con or default_backend()
    digest = sha256_file(path)
    used_encoding = None
    if fmt == "csv":
        csv_path, used_encoding = _utf8_copy(path, digest, encoding)
        relation = _read_csv_sql(csv_path, delimiter or ("\t" if path.suffix.lower() == ".tsv" else None))
    elif fmt == "parquet":
        relation = f"read_parquet({_quote(str(path))})"
    else:
        relation = _register_excel(con, path, digest, sheet)
    try:
        return _validate(con, relation, kind, str(path), digest, used_encoding, decimal, timestamp_format)
    except DataFileError:
        raise
    except Exception as exc:  # DuckDB's own parse errors: say which file, keep DuckDB's words
        if isinstance(exc, ValidationFailed):
            raise
        raise DataFileError(f"could not be read as {fmt.upper()}: {str(exc).splitlines()[0]}", where=str(path),
                            fix="check the delimiter/encoding (read(..., delimiter=';', encoding='cp1252')).") from None


def normalize_frame(df: pd.DataFrame, kind: Kind) -> pd.DataFrame:
    """The same validation and canonical columns for a DataFrame the caller already has."""
    import duckdb
    import pyarrow as pa

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    frame = df.drop(columns=[c for c in df.columns if c == "_row"])
    con.register("frame_input", pa.Table.from_pandas(frame, preserve_index=False))
    raw = _Raw(con)
    select = _validated_select(raw, _with_row_numbers(raw, "frame_input", "frame"), kind, "DataFrame", None, None)
    return con.sql(select).to_arrow_table().to_pandas()


# --- reading ---------------------------------------------------------------------------------------


def _utf8_copy(path: Path, digest: str, encoding: str | None) -> tuple[Path, str]:
    """The file itself when it is UTF-8, else a cached UTF-8 copy (DuckDB reads UTF-8 only offline)."""
    with path.open("rb") as f:
        sample = f.read(1 << 20)
    if encoding is None:
        encoding = _detect_encoding(sample)
    codec = codecs.lookup(encoding).name
    if codec == "utf-8" and not sample.startswith(codecs.BOM_UTF8):
        return path, "utf-8"
    cache = Path(tempfile.gettempdir()) / "jmapkit-utf8"
    cache.mkdir(exist_ok=True)
    target = cache / f"{digest}-{codec}.csv"
    if not target.exists():
        decoder_encoding = "utf-8-sig" if codec == "utf-8" else codec
        partial = target.with_suffix(".part")
        try:
            with path.open(encoding=decoder_encoding, newline="") as src, partial.open("w", encoding="utf-8",
                                                                                     newline="") as dst:
                for chunk in iter(lambda: src.read(1 << 20), ""):
                    dst.write(chunk)
        except UnicodeDecodeError as exc:
            partial.unlink(missing_ok=True)
            raise DataFileError(f"is not valid {encoding} text ({exc.reason} at byte {exc.start}).",
                                where=str(path), fix="pass the right encoding, e.g. encoding='cp949'.") from None
        os.replace(partial, target)
    return target, "utf-8-sig" if codec == "utf-8" else codec


def _detect_encoding(sample: bytes) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start > len(sample) - 4:  # the sample cut a character in half
            return "utf-8"
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    if best is None:
        return "cp1252"
    # charset-normalizer names the superset-compatible legacy codecs (e.g. cp949 for EUC-KR text).
    return {"euc_kr": "cp949", "shift_jis": "cp932", "latin_1": "cp1252", "iso8859_1": "cp1252"}.get(
        best.encoding, best.encoding)


def _read_csv_sql(path: Path, delimiter: str | None) -> str:
    options = ["header = true", "all_varchar = true", "strict_mode = false", "null_padding = true"]
    if delimiter:
        options.append(f"delim = {_quote(delimiter)}")
    return f"read_csv({_quote(str(path))}, {', '.join(options)})"


def _register_excel(con: BaseBackend, path: Path, digest: str, sheet: str | int | None) -> str:
    import pandas as pd
    import pyarrow as pa

    try:
        frame = pd.read_excel(path, sheet_name=sheet if sheet is not None else 0, dtype=str)
    except (ValueError, KeyError) as exc:
        raise DataFileError(f"could not be read as XLSX: {exc}", where=str(path),
                            fix="check the sheet name (sheet=...) and that the file is a workbook.") from None
    name = f"xlsx_{digest[:16]}"
    con.con.register(name, pa.Table.from_pandas(frame.astype(object).where(frame.notna(), None),
                                                preserve_index=False))
    return name


# --- validating ------------------------------------------------------------------------------------


class _Raw:
    """The raw DuckDB connection under an Ibis backend (or a plain duckdb connection)."""

    def __init__(self, con: Any):
        self.con = getattr(con, "con", con)

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return self.con.execute(sql).fetchall()

    def columns(self, relation: str) -> list[tuple[str, str]]:
        return [(r[0], r[1]) for r in self.con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()]


def _validate(con: BaseBackend, relation: str, kind: Kind, where: str, digest: str, encoding: str | None,
              decimal: str | None, timestamp_format: str | None) -> Loaded:
    raw = _Raw(con)
    source = _with_row_numbers(raw, relation, digest)
    dropped = _drop_blank(raw, source)
    select = _validated_select(raw, source, kind, where, decimal, timestamp_format)
    table = con.sql(select)
    rows = raw.rows(f"SELECT count(*) FROM ({select})")[0][0]
    return Loaded(table=table, path=Path(where), sha256=digest, rows=rows, dropped=dropped, encoding=encoding)


def _with_row_numbers(raw: _Raw, relation: str, digest: str) -> str:
    """A view adding `_row`, the spreadsheet row number (header = 1), with canonical column names."""
    columns = raw.columns(relation)
    renamed = ", ".join(f"{_ident(name)} AS {_ident(_canonical_name(name))}" for name, _ in columns)
    view = f"jm_{digest[:16]}_{abs(hash(relation)) % 10**8}"
    raw.con.execute(
        f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT {renamed}, row_number() OVER () + 1 AS _row FROM {relation}"
    )
    return view


def _drop_blank(raw: _Raw, source: str) -> list[Problem]:
    columns = [c for c, _ in raw.columns(source) if c != "_row"]
    blank = " AND ".join(f"nullif(trim(CAST({_ident(c)} AS VARCHAR)), '') IS NULL" for c in columns)
    count, rows = raw.rows(f"SELECT count(*), list(_row ORDER BY _row)[1:{ROWS_SHOWN}] FROM {source} WHERE {blank}")[0]
    return [Problem(None, "blank row dropped", tuple(rows or ()), count=count)] if count else []


def _validated_select(raw: _Raw, source: str, kind: Kind, where: str, decimal: str | None,
                      timestamp_format: str | None) -> str:
    spec = SPECS[kind]
    types = dict(raw.columns(source))
    present = [c for c in types if c != "_row"]
    problems: list[Problem] = []
    missing = [c for c in spec.required if c not in types]
    if spec.one_of and not any(c in types for c in spec.one_of):
        missing.append(" or ".join(spec.one_of))
    if missing:
        problems.append(Problem(
            None, f"missing column{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))}; "
                  f"the file has {', '.join(map(repr, present))}",
            allowed=f"{kind} files need {', '.join(spec.required)}"
                    + (f" and {' or '.join(spec.one_of)}" if spec.one_of else ""),
        ))
        raise ValidationFailed(where, problems, fix="rename the columns (names are not case-sensitive).")
    columns = [c for c in types if c != "_row"]
    blank = " AND ".join(f"nullif(trim(CAST({_ident(c)} AS VARCHAR)), '') IS NULL" for c in columns)
    base = f"(SELECT * FROM {source} WHERE NOT ({blank}))"
    exprs: dict[str, str] = {}
    for col in columns:
        kind_type = types[col].upper()
        text = f"nullif(trim(CAST({_ident(col)} AS VARCHAR)), '')"
        if col == "timestamp":
            exprs[col] = _timestamp_expr(raw, base, col, kind_type, timestamp_format, problems)
        elif col in spec.numbers:
            exprs[col] = _number_expr(raw, base, col, kind_type, decimal, problems, required=col in spec.required)
        elif col == "question":
            exprs[col] = f"lower({text})"
        else:
            exprs[col] = text
    for col in (*spec.ids, *spec.texts, *([c for c in ("question",) if c in types])):
        bad = raw.rows(f"SELECT count(*), list(_row ORDER BY _row)[1:{ROWS_SHOWN}] FROM {base} "
                       f"WHERE nullif(trim(CAST({_ident(col)} AS VARCHAR)), '') IS NULL")[0]
        if bad[0]:
            problems.append(Problem(col, "empty value", tuple(bad[1]), count=bad[0], allowed="a non-empty value"))
    if problems:
        raise ValidationFailed(where, problems)
    select = ", ".join(f"{expr} AS {_ident(col)}" for col, expr in exprs.items())
    return f"SELECT {select}, _row FROM {base}"


def _number_expr(raw: _Raw, base: str, col: str, col_type: str, decimal: str | None, problems: list[Problem],
                 *, required: bool) -> str:
    if any(t in col_type for t in ("INT", "DOUBLE", "FLOAT", "DECIMAL", "REAL")):
        return f"CAST({_ident(col)} AS DOUBLE)"
    text = f"nullif(trim(CAST({_ident(col)} AS VARCHAR)), '')"
    if decimal is None:
        comma = raw.rows(f"SELECT count(*) FILTER (WHERE regexp_full_match({text}, '-?[0-9]+,[0-9]+')), "
                         f"count(*) FILTER (WHERE regexp_full_match({text}, '-?[0-9]+\\.[0-9]+')) FROM {base}")[0]
        decimal = "," if comma[0] > 0 and comma[1] == 0 else "."
    cleaned = f"replace({text}, ',', '.')" if decimal == "," else text
    expr = f"TRY_CAST({cleaned} AS DOUBLE)"
    count, rows, value = raw.rows(
        f"SELECT count(*), list(_row ORDER BY _row)[1:{ROWS_SHOWN}], min({text}) FROM {base} "
        f"WHERE {text} IS NOT NULL AND {expr} IS NULL")[0]
    if count:
        problems.append(Problem(col, "not a number", tuple(rows), value=value, count=count,
                                allowed=f"numbers with '{decimal}' as the decimal mark"))
    if required:
        count, rows = raw.rows(f"SELECT count(*), list(_row ORDER BY _row)[1:{ROWS_SHOWN}] FROM {base} "
                               f"WHERE {text} IS NULL")[0]
        if count:
            problems.append(Problem(col, "empty value", tuple(rows), count=count, allowed="a number"))
    return expr


def _timestamp_expr(raw: _Raw, base: str, col: str, col_type: str, fmt: str | None,
                    problems: list[Problem]) -> str:
    ident = _ident(col)
    if col_type.startswith("TIMESTAMP WITH TIME ZONE"):
        return f"CAST({ident} AS TIMESTAMP)"  # the connection's zone is UTC
    if col_type.startswith("TIMESTAMP") or col_type == "DATE":
        return f"CAST({ident} AS TIMESTAMP)"
    text = f"nullif(trim(CAST({ident} AS VARCHAR)), '')"
    sample = [r[0] for r in raw.rows(f"SELECT {text} FROM {base} WHERE {text} IS NOT NULL LIMIT 2000")]
    if fmt is None:
        fmt = _detect_timestamp_format(sample, col, problems)
        if fmt is None:
            return "NULL"
    expr = _parse_expr(text, fmt)
    count, rows, value = raw.rows(
        f"SELECT count(*), list(_row ORDER BY _row)[1:{ROWS_SHOWN}], min({text}) FROM {base} "
        f"WHERE {text} IS NOT NULL AND {expr} IS NULL")[0]
    if count:
        shown = {"iso": "ISO 8601 (2026-07-01T12:30:00+02:00)", "epoch_s": "epoch seconds",
                 "epoch_ms": "epoch milliseconds"}.get(fmt, fmt)
        problems.append(Problem(col, "not a timestamp", tuple(rows), value=value, count=count,
                                allowed=f"the file's format, {shown}"))
    return expr


def _parse_expr(text: str, fmt: str) -> str:
    if fmt == "iso":
        return f"CAST(TRY_CAST(replace({text}, ' UTC', 'Z') AS TIMESTAMPTZ) AS TIMESTAMP)"
    if fmt == "epoch_s":
        return f"CAST(to_timestamp(TRY_CAST({text} AS DOUBLE)) AS TIMESTAMP)"
    if fmt == "epoch_ms":
        return f"CAST(to_timestamp(TRY_CAST({text} AS DOUBLE) / 1000) AS TIMESTAMP)"
    return f"try_strptime({text}, {_quote(fmt)})"


ISO = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?\s*(Z|UTC|[+-]\d{2}:?\d{2})?$")


def _detect_timestamp_format(sample: Sequence[str], col: str, problems: list[Problem]) -> str | None:
    """ISO 8601, epoch seconds/ms, or one unambiguous local format; ambiguity is an error, never a guess."""
    from datetime import datetime

    if not sample:
        return "iso"
    if all(ISO.match(v) for v in sample):
        return "iso"
    if all(re.fullmatch(r"\d{9,11}(\.\d+)?", v) for v in sample):
        return "epoch_s"
    if all(re.fullmatch(r"\d{12,14}", v) for v in sample):
        return "epoch_ms"

    def fits(fmt: str) -> bool:
        try:
            for v in sample:
                datetime.strptime(v, fmt)
            return True
        except ValueError:
            return False

    candidates = [(fmt, day_first) for fmt, day_first in LOCAL_FORMATS if fits(fmt)]
    if len(candidates) == 1:
        return candidates[0][0]
    if not candidates:
        problems.append(Problem(col, "timestamps in a format jmapkit does not recognise", value=sample[0],
                                allowed="ISO 8601, epoch seconds/ms, or timestamp_format='%d/%m/%Y %H:%M' (strptime)"))
        return None
    problems.append(Problem(
        col, "day-first or month-first? Every timestamp fits both " + " and ".join(f for f, _ in candidates),
        value=sample[0], allowed="say which: read(..., timestamp_format='%d/%m/%Y %H:%M') or '%m/%d/%Y %H:%M'"))
    return None


def _canonical_name(name: object) -> str:
    return re.sub(r"\s+", "_", str(name).strip().lstrip("\ufeff").strip().lower())


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
