"""Reading and validating the three inputs (events, survey, verbatims) as real exports come.

CSV/TSV/Parquet are read by DuckDB directly (no pandas in between, so 100 M events stay out of
memory); XLSX goes through openpyxl. Non-UTF-8 CSVs (cp949, Shift-JIS, cp1252 …, detected with
charset-normalizer) are transcoded to UTF-8 on the way. A CSV is numbered once into a cached
Parquet copy, and its validated typed table is cached too, so reading it again is cheap. Every
check is one aggregate query, and every problem — column, rows, a bad value, what is allowed — is
reported together. Every row keeps `_row`, its spreadsheet row number (header = 1), so a message
can point at it.

>>> from jmapkit import io
>>> loaded = io.read("data/events.csv", "events")  # doctest: +SKIP
>>> loaded.rows, loaded.sha256[:8], loaded.table.columns  # doctest: +SKIP
"""

from __future__ import annotations

import codecs
import hashlib
import json
import os
import re
import tempfile
import uuid
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
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
SNIFF = 1 << 20  # bytes looked at to detect the encoding
SCAN_CHUNK = 1 << 24  # bytes read at a time when looking for blank lines
CACHE_VERSION = "v1"  # part of every cached file's name: bump it when the cached layout changes


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
    from jmapkit.digest import sha256_file

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
    stat = path.stat()
    # Cheap to call twice (step 4 and every analytics call read the same file): the same file, unchanged,
    # with the same options on the same connection gives the same result.
    memo_key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns, stat.st_ino, kind, encoding, delimiter,
                decimal, timestamp_format, sheet)
    known, cached = _MEMO.get(con, {}).get(memo_key, (None, None))
    if known is not None and (cached is None or cached.exists()):
        return replace(known, path=path, dropped=list(known.dropped), warnings=list(known.warnings))
    raw = _Raw(con)
    digest = sha256_file(path)
    used_encoding = None
    cached = None
    warnings: list[str] = []
    try:
        if fmt == "csv":
            with path.open("rb") as f:
                sample = f.read(SNIFF)
            codec, used_encoding, detected = _encoding(path, sample, encoding)
            if detected and used_encoding not in ("utf-8", "utf-8-sig", "utf-16"):  # UTF-16 is known by its BOM
                warnings.append(f"read as {used_encoding} (detected); pass encoding=... if any text looks wrong.")
            if path.suffix.lower() == ".tsv" and delimiter is None:
                delimiter = "\t"
            cached, rows, dropped = _read_csv(raw, path, kind, digest, codec, delimiter, decimal, timestamp_format)
            select = f"SELECT * FROM read_parquet({_quote(str(cached))})"
        else:
            if fmt == "parquet":
                source_view = _parquet_source(raw, path, digest)
                select, rows, dropped = _checked_parquet(raw, source_view, kind, path, digest, decimal,
                                                         timestamp_format)
            else:
                source_view, blank_lines = _excel_source(raw, path, digest, sheet)
                select, rows, dropped = _validate(raw, source_view, kind, str(path), decimal, timestamp_format,
                                                  blank_lines[:ROWS_SHOWN], len(blank_lines))
    except JmapkitError:
        raise
    except Exception as exc:  # DuckDB's own parse errors: say which file, keep DuckDB's words
        said = " ".join(line.strip() for line in str(exc).splitlines()[:2] if line.strip())
        raise DataFileError(f"could not be read as {fmt.upper()}: {said}", where=str(path),
                            fix="check the delimiter/encoding (read(..., delimiter=';', encoding='cp1252')).") from None
    if rows == 0:
        warnings.append("the file has a header but no data rows.")
    loaded = Loaded(table=con.sql(select), path=path, sha256=digest, rows=rows, dropped=dropped, warnings=warnings,
                    encoding=used_encoding)
    _MEMO.setdefault(con, {})[memo_key] = (loaded, cached)
    return replace(loaded, dropped=list(dropped), warnings=list(warnings))


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
    select, _, _ = _validate(raw, view, kind, "DataFrame", decimal, timestamp_format, [], 0)
    return con.sql(f"{select} ORDER BY _row").to_arrow_table().to_pandas()


# --- reading ---------------------------------------------------------------------------------------


def _read_csv(raw: _Raw, path: Path, kind: Kind, digest: str, codec: str, delimiter: str | None,
              decimal: str | None, timestamp_format: str | None) -> tuple[Path, int, list[Problem]]:
    """The validated, typed CSV as a cached Parquet file, its row count and dropped rows.

    Numbering rows exactly needs DuckDB's order-preserving (single-threaded) row_number, so it is paid
    once per file: the numbered all-text table is cached as Parquet. Once it validates, the typed table
    is cached too, so later reads (another process, a papermill re-run) and every analytics query scan
    typed Parquet in parallel instead of parsing the CSV and its timestamps again.
    """
    options = json.dumps([CACHE_VERSION, codec, delimiter, kind, decimal, timestamp_format])
    typed = _cache_dir() / f"{digest}-{hashlib.sha256(options.encode()).hexdigest()[:16]}-typed"
    typed_parquet, typed_note = Path(f"{typed}.parquet"), Path(f"{typed}.json")
    if not (typed_note.exists() and typed_parquet.exists()):
        source_view, blank_first, blank_total = _csv_source(raw, path, digest, codec, delimiter)
        select, rows, dropped = _validate(raw, source_view, kind, str(path), decimal, timestamp_format,
                                          blank_first, blank_total)
        note = {"rows": rows, "dropped": _dropped_note(dropped)}
        _write_cache(raw, select, typed_parquet, typed_note, note)
    note = json.loads(typed_note.read_text(encoding="utf-8"))
    dropped = _dropped_from_note(note["dropped"])
    return typed_parquet, note["rows"], dropped


def _csv_source(raw: _Raw, path: Path, digest: str, codec: str,
                delimiter: str | None) -> tuple[str, list[int], int]:
    """A view over the CSV as text columns plus _row (cached), the first blank rows and their count."""
    delim = "auto" if delimiter is None else delimiter.encode("utf-8").hex()
    stem = _cache_dir() / f"{digest}-{codec}-{delim}-{CACHE_VERSION}-text"
    parquet, sidecar = Path(f"{stem}.parquet"), Path(f"{stem}.json")
    if not (sidecar.exists() and parquet.exists()):
        _write_csv_cache(raw, path, codec, delimiter, parquet, sidecar)
    info = json.loads(sidecar.read_text(encoding="utf-8"))
    _canonical_names(info["header"], str(path))  # a repeated header is reported on every read, not only the first
    view = _make_view(raw, digest, f"SELECT * FROM read_parquet({_quote(str(parquet))})")
    return view, info["blank_first"], info["blank_count"]


def _write_cache(raw: _Raw, select: str, parquet: Path, sidecar: Path, note: dict[str, Any]) -> None:
    """Write SELECT's result to Parquet and its note beside it; the note, written last, marks it whole."""
    # Own temporary names: two readers of the same file may race; os.replace makes the last one win whole.
    token = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
    partial, note_partial = Path(f"{parquet}.{token}.part"), Path(f"{sidecar}.{token}.part")
    try:
        raw.con.execute(f"COPY ({select}) TO {_quote(str(partial))} (FORMAT parquet, COMPRESSION zstd)")
        note_partial.write_text(json.dumps(note), encoding="utf-8")
        os.replace(partial, parquet)
        os.replace(note_partial, sidecar)
    finally:
        partial.unlink(missing_ok=True)
        note_partial.unlink(missing_ok=True)


def _write_csv_cache(raw: _Raw, path: Path, codec: str, delimiter: str | None, parquet: Path,
                     sidecar: Path) -> None:
    """Numbered, canonically named, all-text Parquet copy of the CSV, and a note of its header and blank lines."""
    import pyarrow as pa

    token = f"{os.getpid()}_{uuid.uuid4().hex[:8]}"
    utf8 = path
    if codec != "utf-8":
        utf8 = Path(f"{parquet}.{token}.utf8.csv")
        _transcode(path, codec, utf8)
    offsets = f"jm_blank_{token}"
    registered = False
    try:
        blank_lines = _blank_lines(utf8)
        leading = 0
        while leading < len(blank_lines) and blank_lines[leading] == leading + 1:
            leading += 1  # DuckDB takes a blank first line for the header: skip them
        # Quotes as RFC 4180 and every spreadsheet write them ("" inside quotes); DuckDB's sniffer may miss it.
        options = ["all_varchar = true", "strict_mode = false", "null_padding = true", "quote = '\"'", "escape = '\"'"]
        if delimiter:
            options.append(f"delim = {_quote(delimiter)}")
        if leading:
            options.append(f"skip = {leading}")

        def relation(*more: str) -> str:
            return f"read_csv({_quote(str(utf8))}, {', '.join([*options, *more])})"

        # DuckDB renames a repeated header ('text', 'text_1'): check the header as written instead.
        first = raw.rows(f"SELECT * FROM {relation('header = false')} LIMIT 1")
        header = [str(v) if v is not None else f"column{i + 1}" for i, v in enumerate(first[0])] if first else []
        _canonical_names(header, str(path))
        renamed = _renamed([name for name, _ in raw.columns(relation("header = true"))], str(path))
        if blank_lines:
            shift: dict[int, int] = {}
            for j, b in enumerate(blank_lines):
                shift[b - j] = j + 1
            raw.con.register(offsets, pa.table({"t": list(shift), "k": list(shift.values())},
                                               schema=pa.schema([("t", pa.int64()), ("k", pa.int64())])))
            registered = True

        def numbered(*more: str) -> str:
            # __jm_n: the n-th non-blank row (header = 1). Row n sits below every blank line j (0-based, at
            # row b_j) with b_j - j <= n, so its spreadsheet row is n plus how many such lines there are.
            rows = f"(SELECT *, row_number() OVER () + 1 AS __jm_n FROM {relation('header = true', *more)})"
            if not blank_lines:
                return f"SELECT {renamed}, __jm_n AS _row FROM {rows}"
            return (f"SELECT {renamed}, __jm_n + coalesce(o.k, 0) AS _row FROM {rows} AS s "
                    f"ASOF LEFT JOIN {offsets} AS o ON s.__jm_n >= o.t")

        note = {"header": header, "blank_first": blank_lines[:ROWS_SHOWN], "blank_count": len(blank_lines)}
        try:
            _write_cache(raw, numbered(), parquet, sidecar, note)
        except Exception as exc:
            if "parallel=false" not in str(exc):
                raise
            # DuckDB's parallel reader stops at a line break inside quotes: read this file serially (it
            # holds more in memory, within DuckDB's memory_limit).
            _write_cache(raw, numbered("parallel = false"), parquet, sidecar, note)
    finally:
        if registered:
            raw.con.unregister(offsets)
        if utf8 != path:
            utf8.unlink(missing_ok=True)


def _cache_dir() -> Path:
    """Where the Parquet copies of CSVs and the notes of checked Parquet files live; safe to delete at any
    time (it is rebuilt on the next read)."""
    given = os.environ.get("JMAPKIT_CACHE_DIR")
    # One folder per user by default: nobody else can plant a file in it.
    cache = Path(given) if given else Path(tempfile.gettempdir()) / f"jmapkit-cache-{getattr(os, 'getuid', str)()}"
    try:
        cache.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise DataFileError(f"cannot create jmapkit's cache folder {cache} ({exc.strerror}).",
                            fix="set JMAPKIT_CACHE_DIR to a folder you can write to.") from None
    return cache


def _encoding(path: Path, sample: bytes, encoding: str | None) -> tuple[str, str, bool]:
    """The codec to decode with, the encoding to report, and whether it was detected."""
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
            if not _cut_in_half(exc, sample):
                raise DataFileError(f"is not valid utf-8 text ({exc.reason} at byte {exc.start}).", where=str(path),
                                    fix="pass the file's encoding, e.g. encoding='cp949' or 'cp1252'.") from None
        return "utf-8", "utf-8", detected
    if codec == "utf-8":
        # utf-8-sig drops the BOM, so it never ends up in the first column's name.
        return "utf-8-sig", "utf-8-sig", detected
    return codec, codec, detected


def _transcode(path: Path, codec: str, target: Path) -> None:
    """Stream the file into UTF-8 (DuckDB reads UTF-8 only without downloading an extension)."""
    try:
        with path.open(encoding=codec, newline="") as src, target.open("w", encoding="utf-8", newline="") as dst:
            for chunk in iter(lambda: src.read(1 << 20), ""):
                dst.write(chunk)
    except UnicodeDecodeError as exc:
        raise DataFileError(f"is not valid {codec} text ({exc.reason} at byte {exc.start}).",
                            where=str(path), fix="pass the right encoding, e.g. encoding='cp949'.") from None


def _cut_in_half(exc: UnicodeDecodeError, sample: bytes) -> bool:
    """The sample ended inside a multi-byte character: not a decoding error of the file."""
    return exc.start > len(sample) - 4 and len(sample) == SNIFF


# What spreadsheet and survey tools really write when they do not write UTF-8: Windows "ANSI" code pages
# (supersets of latin-1, EUC-KR, Shift-JIS, GBK), most common first. Detection is limited to these, so a
# short German export is not taken for a DOS or Baltic code page that decodes the same bytes differently.
EXPORT_ENCODINGS = ("cp1252", "cp932", "cp949", "gb18030", "big5", "cp1250", "cp1251", "cp1253", "cp1254",
                    "cp1257", "cp1255", "cp1256", "cp874", "cp1258", "euc_jp", "koi8_r")


def _detect_encoding(sample: bytes) -> str:
    for bom, name in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                      (codecs.BOM_UTF16_BE, "utf-16")):  # Excel's "Unicode text" is UTF-16 with a BOM
        if sample.startswith(bom):
            return name
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if _cut_in_half(exc, sample):
            return "utf-8"
    from charset_normalizer import from_bytes

    matches = list(from_bytes(sample, cp_isolation=list(EXPORT_ENCODINGS)))
    if not matches:
        return "cp1252"
    # Candidates that read the sample equally well (a tie on both of charset-normalizer's measures, or
    # decoding it to the same text) are told apart by how common the encoding is, not by list order.
    best = matches[0]
    tied = {name for m in matches if (m.chaos, m.coherence) == (best.chaos, best.coherence)
            for name in (m.encoding, *m.could_be_from_charset)}
    return next((name for name in EXPORT_ENCODINGS if name in tied), best.encoding)


def _blank_lines(path: Path) -> list[int]:
    """Row numbers (1 = first line) of empty lines outside quotes: DuckDB skips them without a word."""
    blanks, has_quotes = _blank_lines_physical(path)
    # Only a line break inside a quoted value can make an empty line text: follow the quotes then.
    if blanks and has_quotes and not _quotes_close_on_each_line(path):
        return _blank_lines_quoted(path)
    return blanks


_BEFORE_EMPTY_LINE = re.compile(rb"\n(?=\r?\n)")


def _blank_lines_physical(path: Path) -> tuple[list[int], bool]:
    """Empty lines of the file, ignoring quotes (at C speed), and whether it has any quote at all."""
    blanks: list[int] = []
    has_quotes = False
    line = 1  # the line `data` starts on
    carry = b""
    with path.open("rb") as f:
        while True:
            chunk = f.read(SCAN_CHUNK)
            data = carry + chunk
            if chunk:  # whole lines only, so `data` always starts at the start of a line
                cut = data.rfind(b"\n") + 1
                data, carry = data[:cut], data[cut:]
            has_quotes = has_quotes or b'"' in data
            if data.startswith((b"\n", b"\r\n")):
                blanks.append(line)
            at, at_line = 0, line
            for m in _BEFORE_EMPTY_LINE.finditer(data):
                at_line += data.count(b"\n", at, m.start())
                at = m.start()
                blanks.append(at_line + 1)
            line += data.count(b"\n")
            if not chunk:
                return blanks, has_quotes


# Text outside quotes, then quoted values that end on the line they start on ("" inside is two of them).
_LINES_WITH_CLOSED_QUOTES = re.compile(rb'[^"]*(?:"[^"\n]*"[^"]*)*')


def _quotes_close_on_each_line(path: Path) -> bool:
    """True when no quoted value spans a line break, checked at C speed."""
    carry = b""
    with path.open("rb") as f:
        while True:
            chunk = f.read(SCAN_CHUNK)
            data = carry + chunk
            if chunk:
                cut = data.rfind(b"\n") + 1
                data, carry = data[:cut], data[cut:]
            match = _LINES_WITH_CLOSED_QUOTES.match(data)
            if match is None or match.end() != len(data):
                return False
            if not chunk:
                return True


def _blank_lines_quoted(path: Path) -> list[int]:
    """The empty lines outside quotes, following quotes through the file (slower)."""
    blanks: list[int] = []
    row = 1  # the row the scan is in; a newline inside quotes does not start a new row
    quoted = False
    line_empty = True  # nothing but '\r' seen on the current row so far
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(SCAN_CHUNK), b""):
            parts = chunk.split(b'"')
            for i, part in enumerate(parts):
                if not quoted:
                    if line_empty and re.match(rb"\r?\n", part):
                        blanks.append(row)
                    counted, at = 0, 0
                    for m in _BEFORE_EMPTY_LINE.finditer(part):
                        counted += part.count(b"\n", at, m.start())
                        at = m.start()
                        blanks.append(row + counted + 1)
                    row += part.count(b"\n")
                    last = part.rfind(b"\n")
                    line_empty = part[last + 1:] in (b"", b"\r") if last >= 0 else line_empty and part in (b"", b"\r")
                if i < len(parts) - 1:  # a quote character follows this part
                    quoted = not quoted
                    line_empty = False
    return blanks


def _parquet_source(raw: _Raw, path: Path, digest: str) -> str:
    relation = f"read_parquet({_quote(str(path))}, file_row_number = true)"
    columns = [name for name, _ in raw.columns(relation) if name != "file_row_number"]
    return _make_view(raw, digest, f"SELECT {_renamed(columns, str(path))}, file_row_number + 2 AS _row "
                                   f"FROM {relation}")


def _never_empty(raw: _Raw, path: Path) -> frozenset[str]:
    """Columns whose Parquet statistics show no NULL and, for text, no empty or space-led value (canonical names).

    Every row group must carry the statistics. The smallest text value starting with a byte above the
    space rules out '' and ' ...' in the whole column: both sort below it. (A writer may shorten its
    min statistic to a prefix, which keeps that first byte.) Trailing spaces are still probed.
    """
    try:
        stats = raw.rows(
            "SELECT path_in_schema, bool_and(stats_null_count IS NOT NULL), sum(stats_null_count), "
            "bool_and(stats_min_value IS NOT NULL), min(stats_min_value), any_value(type) "
            f"FROM parquet_metadata({_quote(str(path))}) GROUP BY path_in_schema")
    except Exception:
        return frozenset()  # no statistics to read: every value is checked
    top_level = {name for name, _ in raw.columns(f"read_parquet({_quote(str(path))})")}
    known = set()
    for name, counted, nulls, has_min, smallest, physical in stats:
        if name not in top_level or not counted or nulls != 0:
            continue
        if physical == "BYTE_ARRAY" and not (has_min and smallest and smallest[0] > " "):
            continue
        known.add(_canonical_name(name))
    return frozenset(known)


def _checked_parquet(raw: _Raw, source: str, kind: Kind, path: Path, digest: str, decimal: str | None,
                     timestamp_format: str | None) -> tuple[str, int, list[Problem]]:
    """`_validate` for a Parquet file, remembered by the file's content: checking it is a full scan.

    A file that passed once (same bytes, same options) is not scanned again by another process, e.g.
    the next `jmapkit run`. A file that fails is checked every time, so its report is always current.
    """
    options = json.dumps([CACHE_VERSION, kind, decimal, timestamp_format])
    note = _cache_dir() / f"{digest}-{hashlib.sha256(options.encode()).hexdigest()[:16]}-checked.json"
    try:
        saved = json.loads(note.read_text(encoding="utf-8"))
        dropped = _dropped_from_note(saved["dropped"])
        return saved["select"].replace(_SOURCE, source), saved["rows"], dropped
    except (OSError, ValueError, KeyError, TypeError):
        pass  # not checked yet (or an unreadable note): check now
    select, rows, dropped = _validate(raw, source, kind, str(path), decimal, timestamp_format, [], 0,
                                      never_empty=_never_empty(raw, path))
    saved = {"select": select.replace(source, _SOURCE), "rows": rows, "dropped": _dropped_note(dropped)}
    partial = note.with_name(f"{note.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.part")
    try:
        partial.write_text(json.dumps(saved), encoding="utf-8")
        os.replace(partial, note)
    except OSError:
        partial.unlink(missing_ok=True)  # only a lost shortcut: the next read checks again
    return select, rows, dropped


_SOURCE = "@@jmapkit-source@@"  # stands for the per-connection view name in a remembered SELECT


def _dropped_note(dropped: list[Problem]) -> list[dict[str, Any]]:
    """The dropped-row problems as a cache note holds them (JSON)."""
    return [{"reason": p.reason, "rows": list(p.rows), "count": p.count} for p in dropped]


def _dropped_from_note(items: list[dict[str, Any]]) -> list[Problem]:
    return [Problem(None, d["reason"], tuple(d["rows"]), count=d["count"]) for d in items]


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
              blank_first: list[int], blank_total: int, *,
              never_empty: frozenset[str] = frozenset()) -> tuple[str, int, list[Problem]]:
    """The SELECT giving canonical typed columns, its row count, and the blank rows dropped.

    `never_empty`: columns known (from a Parquet file's statistics) to hold no missing, empty or
    space-led value; their emptiness is not checked row by row.
    """
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
    # Typed Parquet columns are checked as they are (no cast to text), and a text column that holds no
    # padded or empty values is passed through as it is: the view the analytics scan adds next to no work.
    def text(c: str) -> str:
        return _text(c, types[c])

    def empty(c: str) -> str:
        return "FALSE" if c in never_empty else _empty(c, types[c])

    # A row is blank when every value is empty: never, if one column is never empty.
    blank = "FALSE" if never_empty & set(columns) else " AND ".join(empty(c) for c in columns)
    checks: list[_Check] = []
    exprs: dict[str, str] = {}
    numbers = [c for c in spec.numbers if c in types and not _numeric(types[c])]
    base_all = f"(SELECT * FROM {source} WHERE NOT ({blank}))" if blank != "FALSE" else source
    decimals = _decimal_marks(raw, base_all, numbers) if decimal is None else dict.fromkeys(numbers, decimal)
    padded: list[str] = []  # text columns passed through unless they hold padded or empty values
    for col in columns:
        if col == "timestamp":
            exprs[col] = _timestamp_expr(raw, base_all, types[col], timestamp_format, checks,
                                         required=col in spec.required, empty=empty(col))
        elif col in spec.numbers:
            exprs[col] = _number_expr(col, types[col], decimals.get(col, "."), checks, required=col in spec.required,
                                      empty=empty(col))
        elif col == "question":
            exprs[col] = f"lower({text(col)})"
        else:
            if _is_text(types[col]):
                padded.append(col)
            exprs[col] = text(col)
    for col in (*spec.ids, *spec.texts, *(c for c in ("question",) if c in types)):
        checks.append(_Check(col, "empty value", empty(col), "a non-empty value"))
    present = [c for c in spec.one_of if c in types]
    if present:
        checks.append(_Check(present[0] if len(present) == 1 else None,
                             "empty value" if len(present) == 1 else f"both {' and '.join(present)} are empty",
                             " AND ".join(empty(c) for c in present),
                             f"a {' or '.join(present)} name"))
    probes = [f"{_ident(c)} LIKE '% '" if c in never_empty else f"{_ident(c)} = '' OR {_ident(c)} LIKE ' %' OR "
              f"{_ident(c)} LIKE '% '" for c in padded]
    problems, rows, blank_rows, blank_count, unpadded = _run_checks(raw, source, blank, checks, probes)
    if problems:
        ambiguous = any(p.reason.startswith("day-first or month-first") for p in problems)
        raise ValidationFailed(where, problems, fix="pass timestamp_format= as shown, and correct any other listed "
                               "values in the file." if ambiguous else None)
    shown = sorted({*blank_first, *blank_rows})[:ROWS_SHOWN]
    total = blank_total + blank_count
    dropped = [Problem(None, "blank row dropped" if total == 1 else "blank rows dropped", tuple(shown),
                       count=total)] if total else []
    for col, clean in zip(padded, unpadded, strict=True):
        if clean:
            exprs[col] = _ident(col)
    select = ", ".join(f"{expr} AS {_ident(col)}" for col, expr in exprs.items())
    return f"SELECT {select}, _row FROM {base_all if blank_count else source}", rows, dropped


def _run_checks(raw: _Raw, source: str, blank: str, checks: list[_Check],
                probes: Sequence[str] = ()) -> tuple[list[Problem], int, list[int], int, list[bool]]:
    """Every check in one aggregate pass over the file: bad-row count, first rows, first bad value.

    Also whether each probe (SQL) holds on no non-blank row.
    """
    parts = [f"count(*) FILTER (WHERE NOT ({blank}))",
             f"count(*) FILTER (WHERE {blank})", f"min(_row, {ROWS_SHOWN}) FILTER (WHERE {blank})"]
    if blank == "FALSE":  # no blank rows: do not read the row numbers for them
        parts = ["count(*)", "0", "NULL"]
    checks = [c for c in checks if c.condition != "FALSE"]  # known to hold on every row
    for c in checks:
        cond = f"NOT ({blank}) AND ({c.condition})"
        parts += [f"count(*) FILTER (WHERE {cond})", f"min(_row, {ROWS_SHOWN}) FILTER (WHERE {cond})",
                  f"arg_min({c.value}, _row) FILTER (WHERE {cond})" if c.value else "NULL"]
    parts += [f"count(*) FILTER (WHERE NOT ({blank}) AND ({probe})) = 0" for probe in probes]
    result = raw.rows(f"SELECT {', '.join(parts)} FROM {source}")[0]
    rows, blank_count, blank_rows = result[:3]
    problems = []
    for i, c in enumerate(checks):
        count, first, value = result[3 + 3 * i: 6 + 3 * i]
        if count:
            problems.append(Problem(c.column, c.reason, tuple(first), value=value, allowed=c.allowed, count=count))
    return problems, rows, list(blank_rows or ()), blank_count, list(result[3 + 3 * len(checks):])


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


def _number_expr(col: str, col_type: str, decimal: str, checks: list[_Check], *, required: bool, empty: str) -> str:
    text = _text(col, col_type)
    if _numeric(col_type):
        expr = f"CAST({_ident(col)} AS DOUBLE)"
    else:
        cleaned = f"replace({text}, ',', '.')" if decimal == "," else text
        expr = f"TRY_CAST({cleaned} AS DOUBLE)"
        checks.append(_Check(col, "not a number", f"{text} IS NOT NULL AND {expr} IS NULL",
                             f"numbers with '{decimal}' as the decimal mark", value=text))
    if required:
        checks.append(_Check(col, "empty value", empty, "a number"))
    return expr


def _timestamp_expr(raw: _Raw, base: str, col_type: str, fmt: str | None, checks: list[_Check], *,
                    required: bool, empty: str) -> str:
    col = "timestamp"
    ident, text = _ident(col), _text(col, col_type)
    if required:
        checks.append(_Check(col, "empty value", empty, "a timestamp"))
    upper = col_type.upper()
    if upper.startswith("TIMESTAMP WITH TIME ZONE"):
        return _utc(ident)
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
        zoned = _utc(f"TRY_CAST(regexp_replace({text}, '\\s*UTC$', 'Z') AS TIMESTAMPTZ)")
        return f"CASE WHEN regexp_matches({text}, {_quote(_ZONE)}) THEN {zoned} ELSE TRY_CAST({text} AS TIMESTAMP) END"
    if fmt in ("epoch_s", "epoch_ms"):
        millis = f"TRY_CAST({text} AS DOUBLE)" + (" * 1000" if fmt == "epoch_s" else "")
        return f"epoch_ms(CAST(round({millis}) AS BIGINT))"
    if "%z" in fmt or "%Z" in fmt:
        return _utc(f"try_strptime({text}, {_quote(fmt)})")
    return f"try_strptime({text}, {_quote(fmt)})"


def _utc(zoned: str) -> str:
    """A TIMESTAMPTZ as the UTC wall-clock TIMESTAMP, whatever zone the connection is set to.

    Its stored microseconds are UTC already: reading them back is several times cheaper than
    timezone('UTC', ...), which goes through ICU on every value (1.4 s per 10 M events).
    """
    return f"make_timestamp(epoch_us({zoned}))"


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


def _is_text(col_type: str | None) -> bool:
    return col_type is None or col_type.upper().startswith(("VARCHAR", "TEXT", "STRING", "CHAR"))


def _text(col: str, col_type: str | None = None) -> str:
    """The value as text, NULL when empty or only spaces (a typed value is never empty: no trim needed)."""
    if _is_text(col_type):
        return f"nullif(trim(CAST({_ident(col)} AS VARCHAR)), '')"
    return f"CAST({_ident(col)} AS VARCHAR)"


def _empty(col: str, col_type: str | None = None) -> str:
    """True where the value is missing, empty or only spaces; without trimming every value."""
    c = _ident(col)
    if not _is_text(col_type):
        return f"({c} IS NULL)"
    # CASE: trim only values that start with a space (a plain OR trims every value: 3x slower).
    return f"(CASE WHEN {c} LIKE ' %' THEN trim({c}) = '' ELSE {c} IS NULL OR {c} = '' END)"


def _canonical_name(name: object) -> str:
    return re.sub(r"\s+", "_", str(name).strip().lstrip("\ufeff").strip().lower())


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
