"""Reading and validating the three inputs (events, survey, verbatims) as real exports come.

CSV/TSV/Parquet are read by DuckDB directly (no pandas in between, so 100 M events stay out of
memory); XLSX goes through openpyxl. Non-UTF-8 CSVs (cp949, Shift-JIS, cp1252 …, detected with
charset-normalizer) are transcoded once to a cached UTF-8 copy. Every check is one aggregate
query, and every problem — column, rows, a bad value, what is allowed — is reported together.
Every row keeps `_row`, its spreadsheet row number (header = 1), so a message can point at it.

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

from jmapkit.errors import DataFileError, JmapkitError, Problem, ValidationFailed

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
# Local formats tried when timestamps are neither ISO 8601 nor epoch numbers: (format, day-first?)
LOCAL_FORMATS = [
    (f"{date}{sep}{time}", date.startswith("%d"))
    for date in ("%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%d-%m-%Y", "%m-%d-%Y", "%Y/%m/%d")
    for sep, time in ((" ", "%H:%M:%S"), (" ", "%H:%M"), (" ", "%I:%M:%S %p"), (" ", "%I:%M %p"), ("", ""))
]
# Words timestamp_format= accepts besides a strptime pattern.
NAMED_FORMATS = {"iso": "ISO 8601 (2026-07-01T12:30:00+02:00)", "epoch_s": "epoch seconds",
                 "epoch_ms": "epoch milliseconds"}
ROWS_SHOWN = 5
SAMPLE = 2000  # timestamp values looked at to pick a format; a tie is settled on the whole column


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
    if kind not in SPECS:
        raise ValueError(f"kind must be one of {', '.join(SPECS)}, not {kind!r}")
    if not path.is_file():
        raise DataFileError(f"the {kind} file does not exist.", where=str(path), fix="check the path and the name.")
    fmt = SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise DataFileError(f"unsupported file type {path.suffix!r}.", where=str(path),
                            fix=f"save it as one of {', '.join(sorted(SUFFIXES))}.")
    if path.stat().st_size == 0:
        raise DataFileError(f"the {kind} file is empty.", where=str(path),
                            fix="export the data again; the file needs a header row and data rows.")
    con = con or default_backend()
    raw = _Raw(con)
    digest = sha256_file(path)
    used_encoding = None
    warnings: list[str] = []
    blank_lines: list[int] = []
    try:
        if fmt == "csv":
            csv_path, used_encoding, detected = _utf8_copy(path, digest, encoding)
            if detected and used_encoding not in ("utf-8", "utf-8-sig"):
                warnings.append(f"read as {used_encoding} (detected); pass encoding=... if any text looks wrong.")
            blank_lines, multiline = _blank_lines(csv_path)
            tsv = path.suffix.lower() == ".tsv"
            source_view = _csv_source(raw, csv_path, delimiter or ("\t" if tsv else None), blank_lines, multiline,
                                      digest)
        elif fmt == "parquet":
            source_view = _parquet_source(raw, path, digest)
        else:
            source_view, blank_lines = _excel_source(raw, path, digest, sheet)
        select, rows, dropped = _validate(raw, source_view, kind, str(path), decimal, timestamp_format, blank_lines)
    except JmapkitError:
        raise
    except Exception as exc:  # DuckDB's own parse errors: say which file, keep DuckDB's words
        said = " ".join(line.strip() for line in str(exc).splitlines()[:2] if line.strip())
        raise DataFileError(f"could not be read as {fmt.upper()}: {said}", where=str(path),
                            fix="check the delimiter/encoding (read(..., delimiter=';', encoding='cp1252')).") from None
    if rows == 0:
        warnings.append("the file has a header but no data rows.")
    return Loaded(table=con.sql(select), path=path, sha256=digest, rows=rows, dropped=dropped, warnings=warnings,
                  encoding=used_encoding)


def normalize_frame(df: pd.DataFrame, kind: Kind, *, decimal: str | None = None,
                    timestamp_format: str | None = None) -> pd.DataFrame:
    """The same validation and canonical columns as read(), for a DataFrame the caller already has."""
    import duckdb
    import pyarrow as pa

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    frame = df.drop(columns=[c for c in df.columns if c == "_row"]).reset_index(drop=True)
    con.register("frame_input", pa.Table.from_pandas(frame, preserve_index=False))
    raw = _Raw(con)
    columns = [name for name, _ in raw.columns("frame_input")]
    view = _make_view(raw, "frame", f"SELECT {_renamed(columns, 'DataFrame')}, row_number() OVER () + 1 AS _row "
                                    f"FROM frame_input")
    select, _, _ = _validate(raw, view, kind, "DataFrame", decimal, timestamp_format, [])
    return con.sql(f"{select} ORDER BY _row").to_arrow_table().to_pandas()


# --- reading ---------------------------------------------------------------------------------------


def _utf8_copy(path: Path, digest: str, encoding: str | None) -> tuple[Path, str, bool]:
    """The file itself when it is UTF-8, else a cached UTF-8 copy (DuckDB reads UTF-8 only offline)."""
    with path.open("rb") as f:
        sample = f.read(1 << 20)
    detected = encoding is None
    if encoding is None:
        encoding = _detect_encoding(sample)
    try:
        codec = codecs.lookup(encoding).name
    except LookupError:
        raise DataFileError(f"unknown encoding {encoding!r}.", where=str(path),
                            fix="use a Python codec name such as 'utf-8', 'cp949', 'cp932' or 'cp1252'.") from None
    bom = sample.startswith(codecs.BOM_UTF8)
    if codec == "utf-8" and not bom:
        try:
            sample.decode("utf-8")
        except UnicodeDecodeError as exc:
            if not (exc.start > len(sample) - 4 and len(sample) == 1 << 20):  # not just a character cut in half
                raise DataFileError(f"is not valid utf-8 text ({exc.reason} at byte {exc.start}).", where=str(path),
                                    fix="pass the file's encoding, e.g. encoding='cp949' or 'cp1252'.") from None
        return path, "utf-8", detected
    cache = Path(tempfile.gettempdir()) / "jmapkit-utf8"
    cache.mkdir(exist_ok=True)
    target = cache / f"{digest}-{codec}.csv"
    if not target.exists():
        # utf-8-sig drops a BOM, so it never ends up in the first column's name.
        decoder = "utf-8-sig" if codec == "utf-8" else codec
        fd, partial = tempfile.mkstemp(dir=cache, suffix=".part")  # own name: two readers may race
        try:
            with path.open(encoding=decoder, newline="") as src, os.fdopen(fd, "w", encoding="utf-8",
                                                                           newline="") as dst:
                for chunk in iter(lambda: src.read(1 << 20), ""):
                    dst.write(chunk)
        except UnicodeDecodeError as exc:
            Path(partial).unlink(missing_ok=True)
            raise DataFileError(f"is not valid {encoding} text ({exc.reason} at byte {exc.start}).",
                                where=str(path), fix="pass the right encoding, e.g. encoding='cp949'.") from None
        os.replace(partial, target)
    return target, "utf-8-sig" if codec == "utf-8" and bom else codec, detected


def _detect_encoding(sample: bytes) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start > len(sample) - 4 and len(sample) == 1 << 20:  # the sample cut a character in half
            return "utf-8"
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    if best is None:
        return "cp1252"
    # The superset codecs the exporting software really writes (Excel's "ANSI" is cp1252/cp949/cp932).
    return {"euc_kr": "cp949", "shift_jis": "cp932", "latin_1": "cp1252", "iso8859_1": "cp1252",
            "ascii": "cp1252"}.get(best.encoding, best.encoding)


_EMPTY_LINE = re.compile(rb"(?<=\n)\r?\n")


def _blank_lines(path: Path) -> tuple[list[int], bool]:
    """Row numbers (1 = first line) of empty lines outside quotes (DuckDB skips them without a word),
    and whether any newline sits inside quotes."""
    blanks: list[int] = []
    newline_in_quotes = False
    row = 1  # the row the scan is in; a newline inside quotes does not start a new row
    quoted = False
    line_empty = True  # nothing but '\r' seen on the current row so far
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 23), b""):
            parts = chunk.split(b'"')
            for i, part in enumerate(parts):
                if quoted:
                    newline_in_quotes = newline_in_quotes or b"\n" in part
                else:
                    if line_empty and re.match(rb"\r?\n", part):
                        blanks.append(row)
                    counted, at = 0, 0
                    for m in _EMPTY_LINE.finditer(part):
                        counted += part.count(b"\n", at, m.start())
                        at = m.start()
                        blanks.append(row + counted)
                    row += part.count(b"\n")
                    last = part.rfind(b"\n")
                    line_empty = part[last + 1:] in (b"", b"\r") if last >= 0 else line_empty and part in (b"", b"\r")
                if i < len(parts) - 1:  # a quote character follows this part
                    quoted = not quoted
                    line_empty = False
    return blanks, newline_in_quotes


def _csv_source(raw: _Raw, path: Path, delimiter: str | None, blank_lines: list[int], multiline: bool,
                digest: str) -> str:
    import pyarrow as pa

    leading = 0
    while leading < len(blank_lines) and blank_lines[leading] == leading + 1:
        leading += 1  # DuckDB takes a blank first line for the header: skip them
    # Quotes as RFC 4180 and every spreadsheet write them ("" inside quotes); DuckDB's sniffer may miss it.
    options = ["header = true", "all_varchar = true", "strict_mode = false", "null_padding = true",
               "quote = '\"'", "escape = '\"'"]
    if delimiter:
        options.append(f"delim = {_quote(delimiter)}")
    if leading:
        options.append(f"skip = {leading}")
    if multiline:
        options.append("parallel = false")  # DuckDB's parallel reader refuses quoted newlines with null_padding
    relation = f"read_csv({_quote(str(path))}, {', '.join(options)})"
    # DuckDB renames a repeated header ('text', 'text_1'): check the header as written instead.
    header = raw.rows(f"SELECT * FROM {relation.replace('header = true', 'header = false')} LIMIT 1")
    _canonical_names([str(v) for v in header[0]] if header else [], str(path))
    renamed = _renamed([name for name, _ in raw.columns(relation)], str(path))
    # __jm_n: the n-th non-blank row (header = 1). Row n sits below every blank line j (0-based, at row b_j)
    # with b_j - j <= n, so its spreadsheet row is n plus how many such lines there are.
    numbered = f"(SELECT *, row_number() OVER () + 1 AS __jm_n FROM {relation})"
    if not blank_lines:
        return _make_view(raw, digest, f"SELECT {renamed}, __jm_n AS _row FROM {numbered}")
    shift: dict[int, int] = {}
    for j, b in enumerate(blank_lines):
        shift[b - j] = j + 1
    offsets = f"jm_blank_{digest[:16]}"
    raw.con.register(offsets, pa.table({"t": list(shift), "k": list(shift.values())},
                                       schema=pa.schema([("t", pa.int64()), ("k", pa.int64())])))
    return _make_view(raw, digest, f"SELECT {renamed}, __jm_n + coalesce(o.k, 0) AS _row FROM {numbered} AS s "
                                   f"ASOF LEFT JOIN {offsets} AS o ON s.__jm_n >= o.t")


def _parquet_source(raw: _Raw, path: Path, digest: str) -> str:
    relation = f"read_parquet({_quote(str(path))}, file_row_number = true)"
    columns = [name for name, _ in raw.columns(relation) if name != "file_row_number"]
    return _make_view(raw, digest, f"SELECT {_renamed(columns, str(path))}, file_row_number + 2 AS _row "
                                   f"FROM {relation}")


def _excel_source(raw: _Raw, path: Path, digest: str, sheet: str | int | None) -> tuple[str, list[int]]:
    """The sheet as an all-text table with Excel's own row numbers; blank rows inside the data are counted."""
    import openpyxl
    import pyarrow as pa

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise DataFileError(f"could not be read as XLSX: {exc}", where=str(path),
                            fix="save it again from Excel as .xlsx, or export it as CSV.") from None
    try:
        names = book.sheetnames
        if sheet is None:
            ws = book.worksheets[0]
        elif isinstance(sheet, int) and 0 <= sheet < len(names):
            ws = book.worksheets[sheet]
        elif isinstance(sheet, str) and sheet in names:
            ws = book[sheet]
        else:
            raise DataFileError(f"has no sheet {sheet!r}; its sheets are {', '.join(map(repr, names))}.",
                                where=str(path), fix="pass sheet= with one of those names (or a 0-based index).")
        header: list[str] | None = None
        cells: list[list[str | None]] = []
        rows: list[int] = []
        blank: list[int] = []
        for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
            texts = [_cell_text(v) for v in values]
            if all(t is None or not t.strip() for t in texts):
                blank.append(number)
            elif header is None:
                header = [t if t is not None else f"column{i + 1}" for i, t in enumerate(texts)]
            else:
                cells.append(texts)
                rows.append(number)
    finally:
        book.close()
    if header is None:
        raise DataFileError("the sheet is empty.", where=f"{path} (sheet {ws.title!r})",
                            fix="put a header row and data rows on the first sheet, or pass sheet=.")
    last = rows[-1] if rows else 0
    blank = [b for b in blank if b < last]  # empty rows below the data are Excel's formatting, not data
    width = len(header)
    names_ = _canonical_names(header, str(path))
    columns = {f"c{i}": [(r[i] if i < len(r) else None) for r in cells] for i in range(width)}
    table = pa.table({**{k: pa.array(v, pa.string()) for k, v in columns.items()},
                      "_row": pa.array(rows, pa.int64())})
    name = f"xlsx_{digest[:16]}_{abs(hash((str(path), ws.title))) % 10**8}"
    raw.con.register(name, table)
    select = ", ".join(f"c{i} AS {_ident(n)}" for i, n in enumerate(names_))
    return _make_view(raw, digest, f"SELECT {select}, _row FROM {name}"), blank


def _cell_text(value: Any) -> str | None:
    """A cell as the text a CSV export would hold (dates in ISO, 4.0 as '4')."""
    from datetime import date, datetime, time

    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --- validating ------------------------------------------------------------------------------------


class _Raw:
    """The raw DuckDB connection under an Ibis backend (or a plain duckdb connection)."""

    def __init__(self, con: Any):
        self.con = getattr(con, "con", con)

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return self.con.execute(sql).fetchall()

    def columns(self, relation: str) -> list[tuple[str, str]]:
        return [(r[0], r[1]) for r in self.con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()]


def _renamed(columns: Sequence[str], where: str) -> str:
    names = _canonical_names(columns, where)
    return ", ".join(f"{_ident(old)} AS {_ident(new)}" for old, new in zip(columns, names, strict=True))


def _canonical_names(columns: Sequence[str], where: str) -> list[str]:
    names = [_canonical_name(c) for c in columns]
    seen: dict[str, str] = {}
    problems = []
    for original, name in zip(columns, names, strict=True):
        if name == "_row":
            problems.append(Problem(str(original), "'_row' is reserved for jmapkit's row numbers",
                                    allowed="any other column name"))
        elif name in seen:
            problems.append(Problem(str(original), f"same name as column {seen[name]!r} once case and spaces are "
                                    "ignored", allowed="distinct column names"))
        seen.setdefault(name, str(original))
    if problems:
        raise ValidationFailed(where, problems, fix="rename or remove the duplicate column.")
    return names


def _make_view(raw: _Raw, key: str, select: str) -> str:
    view = f"jm_{key[:16]}_{abs(hash(select)) % 10**8}"
    raw.con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS {select}")
    return view


@dataclass
class _Check:
    column: str | None
    reason: str
    condition: str  # SQL: true on a bad row
    allowed: str | None = None
    value: str | None = None  # SQL for the bad value shown


def _validate(raw: _Raw, source: str, kind: Kind, where: str, decimal: str | None, timestamp_format: str | None,
              blank_lines: list[int]) -> tuple[str, int, list[Problem]]:
    """The SELECT giving canonical typed columns, its row count, and the blank rows dropped."""
    spec = SPECS[kind]
    types = dict(raw.columns(source))
    columns = [c for c in types if c != "_row"]
    missing = [c for c in spec.required if c not in types]
    if spec.one_of and not any(c in types for c in spec.one_of):
        missing.append(" or ".join(spec.one_of))
    if missing:
        problem = Problem(
            None, f"missing column{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))}; "
                  f"the file has {', '.join(map(repr, columns)) or 'no columns'}",
            allowed=f"{kind} files need {', '.join(spec.required)}"
                    + (f" and {' or '.join(spec.one_of)}" if spec.one_of else ""),
        )
        raise ValidationFailed(where, [problem], fix="rename the columns (names are not case-sensitive).")
    blank = " AND ".join(f"{_text(c)} IS NULL" for c in columns)
    base = f"(SELECT * FROM {source} WHERE NOT ({blank}))"
    checks: list[_Check] = []
    exprs: dict[str, str] = {}
    numbers = [c for c in spec.numbers if c in types and not _numeric(types[c])]
    decimals = _decimal_marks(raw, base, numbers) if decimal is None else dict.fromkeys(numbers, decimal)
    for col in columns:
        if col == "timestamp":
            exprs[col] = _timestamp_expr(raw, base, types[col], timestamp_format, checks,
                                         required=col in spec.required)
        elif col in spec.numbers:
            exprs[col] = _number_expr(col, types[col], decimals.get(col, "."), checks, required=col in spec.required)
        elif col == "question":
            exprs[col] = f"lower({_text(col)})"
        else:
            exprs[col] = _text(col)
    for col in (*spec.ids, *spec.texts, *(c for c in ("question",) if c in types)):
        checks.append(_Check(col, "empty value", f"{_text(col)} IS NULL", "a non-empty value"))
    present = [c for c in spec.one_of if c in types]
    if present:
        checks.append(_Check(present[0] if len(present) == 1 else None,
                             "empty value" if len(present) == 1 else f"both {' and '.join(present)} are empty",
                             " AND ".join(f"{_text(c)} IS NULL" for c in present),
                             f"a {' or '.join(present)} name"))
    problems, rows, blank_rows, blank_count = _run_checks(raw, source, blank, checks)
    if problems:
        ambiguous = any(p.reason.startswith("day-first or month-first") for p in problems)
        raise ValidationFailed(where, problems, fix="pass timestamp_format= as shown, and correct any other listed "
                               "values in the file." if ambiguous else None)
    shown = sorted({*blank_lines, *blank_rows})[:ROWS_SHOWN]
    total = len(blank_lines) + blank_count
    dropped = [Problem(None, "blank row dropped" if total == 1 else "blank rows dropped", tuple(shown),
                       count=total)] if total else []
    select = ", ".join(f"{expr} AS {_ident(col)}" for col, expr in exprs.items())
    return f"SELECT {select}, _row FROM {base}", rows, dropped


def _run_checks(raw: _Raw, source: str, blank: str,
                checks: list[_Check]) -> tuple[list[Problem], int, list[int], int]:
    """Every check in one aggregate pass over the file: bad-row count, first rows, first bad value."""
    parts = [f"count(*) FILTER (WHERE NOT ({blank}))",
             f"count(*) FILTER (WHERE {blank})", f"min(_row, {ROWS_SHOWN}) FILTER (WHERE {blank})"]
    for c in checks:
        cond = f"NOT ({blank}) AND ({c.condition})"
        parts += [f"count(*) FILTER (WHERE {cond})", f"min(_row, {ROWS_SHOWN}) FILTER (WHERE {cond})",
                  f"arg_min({c.value}, _row) FILTER (WHERE {cond})" if c.value else "NULL"]
    result = raw.rows(f"SELECT {', '.join(parts)} FROM {source}")[0]
    rows, blank_count, blank_rows = result[:3]
    problems = []
    for i, c in enumerate(checks):
        count, first, value = result[3 + 3 * i: 6 + 3 * i]
        if count:
            problems.append(Problem(c.column, c.reason, tuple(first), value=value, allowed=c.allowed, count=count))
    return problems, rows, list(blank_rows or ()), blank_count


def _decimal_marks(raw: _Raw, base: str, columns: list[str]) -> dict[str, str]:
    """',' for a text column whose decimals all use a comma ('4,5'), else '.'."""
    if not columns:
        return {}
    parts = []
    for col in columns:
        parts += [f"count(*) FILTER (WHERE regexp_full_match({_text(col)}, '[-+]?[0-9]*,[0-9]+'))",
                  f"count(*) FILTER (WHERE regexp_full_match({_text(col)}, '[-+]?[0-9]*\\.[0-9]+'))"]
    counts = raw.rows(f"SELECT {', '.join(parts)} FROM {base}")[0]
    return {col: "," if counts[2 * i] > 0 and counts[2 * i + 1] == 0 else "." for i, col in enumerate(columns)}


def _number_expr(col: str, col_type: str, decimal: str, checks: list[_Check], *, required: bool) -> str:
    text = _text(col)
    if _numeric(col_type):
        expr = f"CAST({_ident(col)} AS DOUBLE)"
    else:
        cleaned = f"replace({text}, ',', '.')" if decimal == "," else text
        expr = f"TRY_CAST({cleaned} AS DOUBLE)"
        checks.append(_Check(col, "not a number", f"{text} IS NOT NULL AND {expr} IS NULL",
                             f"numbers with '{decimal}' as the decimal mark", value=text))
    if required:
        checks.append(_Check(col, "empty value", f"{_ident(col)} IS NULL OR {text} IS NULL", "a number"))
    return expr


def _timestamp_expr(raw: _Raw, base: str, col_type: str, fmt: str | None, checks: list[_Check], *,
                    required: bool) -> str:
    col = "timestamp"
    ident, text = _ident(col), _text(col)
    if required:
        checks.append(_Check(col, "empty value", f"{ident} IS NULL OR {text} IS NULL", "a timestamp"))
    upper = col_type.upper()
    if upper.startswith("TIMESTAMP WITH TIME ZONE"):
        return f"timezone('UTC', {ident})"  # UTC whatever zone the caller's connection is set to
    if upper.startswith("TIMESTAMP") or upper == "DATE":
        return f"CAST({ident} AS TIMESTAMP)"
    if fmt is None:
        sample = [r[0] for r in raw.rows(f"SELECT {text} FROM {base} WHERE {text} IS NOT NULL LIMIT {SAMPLE}")]
        fmt = _detect_timestamp_format(raw, base, sample, checks)
        if fmt is None:
            return "CAST(NULL AS TIMESTAMP)"
    else:
        _check_format(raw, fmt)
    expr = _parse_expr(text, fmt)
    checks.append(_Check(col, "not a timestamp", f"{text} IS NOT NULL AND {expr} IS NULL",
                         f"the file's format, {NAMED_FORMATS.get(fmt, fmt)}", value=text))
    return expr


_ZONE = r"[T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|UTC|[+-]\d{2}(:?\d{2})?)$"


def _parse_expr(text: str, fmt: str) -> str:
    """SQL turning the text into a UTC TIMESTAMP without zone (NULL when it does not parse)."""
    if fmt == "iso":
        # A plain TIMESTAMP cast would drop an offset silently: zoned values go through TIMESTAMPTZ.
        zoned = f"timezone('UTC', TRY_CAST(regexp_replace({text}, '\\s*UTC$', 'Z') AS TIMESTAMPTZ))"
        return f"CASE WHEN regexp_matches({text}, {_quote(_ZONE)}) THEN {zoned} ELSE TRY_CAST({text} AS TIMESTAMP) END"
    if fmt in ("epoch_s", "epoch_ms"):
        millis = f"TRY_CAST({text} AS DOUBLE)" + (" * 1000" if fmt == "epoch_s" else "")
        return f"epoch_ms(CAST(round({millis}) AS BIGINT))"
    if "%z" in fmt or "%Z" in fmt:
        return f"timezone('UTC', try_strptime({text}, {_quote(fmt)}))"
    return f"try_strptime({text}, {_quote(fmt)})"


def _check_format(raw: _Raw, fmt: str) -> None:
    if fmt in NAMED_FORMATS:
        return
    try:
        raw.rows(f"SELECT try_strptime('2026-01-01', {_quote(fmt)})")
    except Exception:
        raise DataFileError(f"timestamp_format={fmt!r} is not a valid strptime pattern.",
                            fix="use codes such as '%d/%m/%Y %H:%M', or 'iso', 'epoch_s', 'epoch_ms'.") from None


ISO = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?\s*(Z|UTC|[+-]\d{2}(:?\d{2})?)?$")


def _fits(value: str, fmt: str) -> bool:
    from datetime import datetime

    if fmt == "iso":
        return bool(ISO.match(value))
    if fmt == "epoch_s":
        return bool(re.fullmatch(r"\d{9,11}(\.\d+)?", value))
    if fmt == "epoch_ms":
        return bool(re.fullmatch(r"\d{12,14}(\.\d+)?", value))
    try:
        datetime.strptime(value, fmt)
        return True
    except ValueError:
        return False


def _detect_timestamp_format(raw: _Raw, base: str, sample: Sequence[str], checks: list[_Check]) -> str | None:
    """ISO 8601, epoch seconds/ms, or the one local format most values fit; a tie is an error, never a guess.

    The format that fits most sampled values wins, so a few bad values are reported by row instead of
    hiding the format. Day-first and month-first tied on the sample are settled on the whole column.
    """
    if not sample:
        return "iso"
    formats = [*NAMED_FORMATS, *(f for f, _ in LOCAL_FORMATS)]
    fits = {f: sum(_fits(v, f) for v in sample) for f in formats}
    best = max(fits.values())
    if best == 0:
        checks.append(_Check("timestamp", "timestamps in a format jmapkit does not recognise",
                             f"{_text('timestamp')} IS NOT NULL",
                             "ISO 8601, epoch seconds/ms, or timestamp_format='%d/%m/%Y %H:%M' (strptime)",
                             value=_text("timestamp")))
        return None
    tied = [f for f in formats if fits[f] == best]
    if len(tied) > 1:
        text = _text("timestamp")
        counts = raw.rows("SELECT " + ", ".join(f"count({_parse_expr(text, f)})" for f in tied) + f" FROM {base}")[0]
        tied = [f for f, n in zip(tied, counts, strict=True) if n == max(counts)]
    if len(tied) == 1:
        return tied[0]
    checks.append(_Check(
        "timestamp", f"day-first or month-first? Every timestamp fits both {' and '.join(tied)}",
        f"{_text('timestamp')} IS NOT NULL",
        f"say which: read(..., timestamp_format={tied[0]!r}) or timestamp_format={tied[1]!r}",
        value=_text("timestamp")))
    return None


def _numeric(col_type: str) -> bool:
    return any(t in col_type.upper() for t in ("INT", "DOUBLE", "FLOAT", "DECIMAL", "REAL", "NUMERIC"))


def _text(col: str) -> str:
    return f"nullif(trim(CAST({_ident(col)} AS VARCHAR)), '')"


def _canonical_name(name: object) -> str:
    return re.sub(r"\s+", "_", str(name).strip().lstrip("\ufeff").strip().lower())


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
