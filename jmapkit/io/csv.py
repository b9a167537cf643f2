"""CSV and TSV (plain, .gz or .zst) into a numbered all-text Parquet copy, validated into a typed one.

DuckDB reads the file straight from disk, in parallel. When its parallel reader refuses a valid
file (line breaks inside quotes), the same read runs serially; when DuckDB refuses it altogether,
Python's csv module (strict RFC 4180 quoting) reads it. Only when that fails too is the file
refused, with the cause and the line it is on.

Rows keep their spreadsheet row number (`_row`, header = 1): DuckDB skips empty lines without a
word, so they are found first (at C speed) and the numbering is shifted past them.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jmapkit import i18n
from jmapkit.errors import DataFileError
from jmapkit.io.cache import cache_stem, commit, part_name, problems_from_note, problems_note, read_note, write_cache
from jmapkit.io.encoding import open_bytes, transcode
from jmapkit.io.sql import Raw, canonical_name, canonical_names, make_view, quote, renamed
from jmapkit.io.validate import ROWS_SHOWN, SPECS, Kind, validate

SCAN_CHUNK = 1 << 24  # bytes read at a time when looking for blank lines
DELIMITERS = (",", ";", "\t", "|")
HEADER_SEARCH = 20  # records looked at for the header row: a title or Excel's 'sep=;' line may come first
FIELD_LIMIT = 1 << 27  # Python's csv refuses longer values (128 MB): only a quote that never closes gets there
BATCH = 100_000  # rows per Arrow batch when Python's csv module reads the file


@dataclass(frozen=True)
class Layout:
    """Where the header is and which delimiter splits it, as the first lines of the file show."""

    delimiter: str | None  # None: DuckDB sniffs it
    skip: int  # lines above the header (0 when none is found)
    title: tuple[tuple[int, str], ...] = ()  # (row, first value) of each non-empty row above the header


@dataclass
class Read:
    """A CSV read and validated: its typed Parquet copy, rows, what was dropped, warnings."""

    parquet: Path
    rows: int
    dropped: list[Any]
    warnings: list[str]


def read_csv(raw: Raw, path: Path, kind: Kind, digest: str, head: bytes, codec: str, delimiter: str | None,
             decimal: str | None, timestamp_format: str | None) -> Read:
    """The validated, typed CSV as a cached Parquet file.

    Numbering rows exactly needs DuckDB's order-preserving (single-threaded) row_number, so it is paid
    once per file: the numbered all-text table is cached as Parquet. Once it validates, the typed table
    is cached too, so later reads (another process, a papermill re-run) and every analytics query scan
    typed Parquet in parallel instead of parsing the CSV and its timestamps again.
    """
    shape = layout(head, codec, kind, delimiter)
    stem = cache_stem(digest, [codec, shape.delimiter, shape.skip, kind, decimal, timestamp_format], "typed")
    typed, typed_note = Path(f"{stem}.parquet"), Path(f"{stem}.json")
    note = read_note(typed_note) if typed.exists() else None
    if note is None:
        view, info = _text_copy(raw, path, digest, codec, shape)
        checked = validate(raw, view, kind, str(path), decimal, timestamp_format, info["blank_first"],
                           info["blank_count"], unnamed=info["unnamed"])
        note = {"rows": checked.rows, "dropped": problems_note(checked.dropped),
                "warnings": _title_warning(shape) + checked.warnings}
        try:
            write_cache(raw, checked.select, typed, typed_note, note)
        finally:
            if checked.temp:
                raw.con.execute(f"DROP TABLE IF EXISTS {checked.temp}")
    return Read(typed, note["rows"], problems_from_note(note["dropped"]), list(note["warnings"]))


def _title_warning(shape: Layout) -> list[str]:
    return [skipped_above(shape.skip + 1, shape.title[0][1])] if shape.title else []


def skipped_above(header: int, first: str) -> str:
    """The warning that the rows above the header (on row `header`) were skipped, quoting the first."""
    where = "row 1" if header == 2 else f"rows 1–{header - 1}"
    return f"{where} above the header skipped (not data: {first!r})."


def layout(head: bytes, codec: str, kind: Kind, delimiter: str | None) -> Layout:
    """The header row among the first records: the first one naming every column `kind` needs.

    A header found on the first row also fixes the delimiter, so DuckDB's sniffer cannot take a
    separator inside quoted text for the delimiter. Without such a row, DuckDB sniffs as before.
    """
    text = head.decode("utf-8-sig" if codec == "utf-8" else codec, errors="replace").lstrip("\ufeff")
    spec = SPECS[kind]
    best: tuple[int, int, str] | None = None  # (record index, lines above it, delimiter)
    for candidate in [delimiter] if delimiter else DELIMITERS:
        reader = csv.reader(io.StringIO(text), delimiter=candidate)
        above = 0
        try:
            for index, record in enumerate(reader):
                if index >= HEADER_SEARCH or (best is not None and index >= best[0]):
                    break
                if spec.fits([canonical_name(v) for v in record]):
                    best = (index, above, candidate)
                    break
                above = reader.line_num
        except csv.Error:
            continue  # this delimiter's reading of the sample breaks: another one may not
    if best is None:
        return Layout(delimiter, 0)
    index, above, found = best
    title: list[tuple[int, str]] = []
    if index:
        for number, line in enumerate(text.splitlines()[:above], start=1):
            line = line.strip()
            if line.strip(found + " "):
                # Excel's delimiter hint ('sep=;') is shown whole; a title row without its trailing delimiters.
                title.append((number, line if line.lower().startswith("sep=") else line.rstrip(found + " ")))
    return Layout(found, above if title else 0, tuple(title))


def _text_copy(raw: Raw, path: Path, digest: str, codec: str, shape: Layout) -> tuple[str, dict[str, Any]]:
    """A view over the CSV as text columns plus _row (cached), and the note of its header and blank lines."""
    stem = cache_stem(digest, [codec, shape.delimiter, shape.skip], "text")
    parquet, sidecar = Path(f"{stem}.parquet"), Path(f"{stem}.json")
    info = read_note(sidecar) if parquet.exists() else None
    if info is None:
        _write_text_copy(raw, path, codec, shape, parquet, sidecar)
        info = read_note(sidecar)
        assert info is not None, sidecar
    canonical_names(info["header"], str(path))  # a repeated header is reported on every read, not only the first
    return make_view(raw, digest, f"SELECT * FROM read_parquet({quote(str(parquet))})"), info


def _write_text_copy(raw: Raw, path: Path, codec: str, shape: Layout, parquet: Path, sidecar: Path) -> None:
    """Numbered, canonically named, all-text Parquet copy of the CSV, and a note of its header and blank lines."""
    import duckdb

    utf8 = path
    if codec != "utf-8":
        utf8 = Path(f"{part_name(parquet)}.utf8.csv")
        transcode(path, codec, utf8)
    try:
        blank_lines = find_blank_lines(utf8)
        skip = shape.skip
        if not shape.title:
            while skip < len(blank_lines) and blank_lines[skip] == skip + 1:
                skip += 1  # DuckDB takes a blank first line for the header: skip them
        # Rows above the header (blank, title) shift the numbering like blank lines inside the data.
        offsets = sorted({*blank_lines, *(r for r, _ in shape.title)})
        if shape.title:  # blank lines between a title and the header are part of what is skipped
            blank_lines = [b for b in blank_lines if b > skip]
        base = {"blank_first": blank_lines[:ROWS_SHOWN], "blank_count": len(blank_lines)}
        failures: list[Exception] = []
        for parallel in (True, False):
            try:
                _duckdb_copy(raw, path, utf8, shape.delimiter, skip, offsets, parallel, parquet, sidecar, base)
                return
            except duckdb.Error as exc:
                # The parallel reader refuses line breaks in quotes with padded rows; any other refusal
                # may still be a file the serial reader or a strict RFC 4180 parser reads.
                failures.append(exc)
        _python_copy(path, utf8, shape.delimiter, skip, offsets, parquet, sidecar, base, failures[-1])
    finally:
        if utf8 != path:
            utf8.unlink(missing_ok=True)


def _duckdb_copy(raw: Raw, path: Path, utf8: Path, delimiter: str | None, skip: int, offsets: list[int],
                 parallel: bool, parquet: Path, sidecar: Path, base: dict[str, Any]) -> None:
    import pyarrow as pa

    # Quotes as RFC 4180 and every spreadsheet write them ("" inside quotes); DuckDB's sniffer may miss it.
    options = ["all_varchar = true", "strict_mode = false", "null_padding = true", "quote = '\"'", "escape = '\"'"]
    if delimiter:
        options.append(f"delim = {quote(delimiter)}")
    if skip:
        options.append(f"skip = {skip}")
    if not parallel:
        options.append("parallel = false")

    def relation(*more: str) -> str:
        return f"read_csv({quote(str(utf8))}, {', '.join([*options, *more])})"

    # DuckDB renames a repeated header ('text', 'text_1'): check the header as written instead.
    first = raw.rows(f"SELECT * FROM {relation('header = false')} LIMIT 1")
    header = [str(v) if v is not None and str(v).strip() else "" for v in first[0]] if first else []
    canonical_names([h or f"column{i}" for i, h in enumerate(header)], str(path))
    names = [name for name, _ in raw.columns(relation("header = true"))]
    unnamed = [canonical_name(n) for n, h in zip(names, header, strict=False) if not h]
    offsets_table = None
    if offsets:
        shift: dict[int, int] = {}
        for j, b in enumerate(offsets):
            shift[b - j] = j + 1
        offsets_table = f"jm_offsets_{abs(hash((str(parquet), parallel))) % 10**8}"
        raw.con.register(offsets_table, pa.table({"t": list(shift), "k": list(shift.values())},
                                                 schema=pa.schema([("t", pa.int64()), ("k", pa.int64())])))
    # __jm_n: the n-th non-blank row (header = 1). Row n sits below every offset line j (0-based, at row
    # b_j) with b_j - j <= n, so its spreadsheet row is n plus how many such lines there are.
    rows = f"(SELECT *, row_number() OVER () + 1 AS __jm_n FROM {relation('header = true')})"
    select = f"SELECT {renamed(names, str(path))}, __jm_n AS _row FROM {rows}"
    if offsets_table:
        select = (f"SELECT {renamed(names, str(path))}, __jm_n + coalesce(o.k, 0) AS _row FROM {rows} AS s "
                  f"ASOF LEFT JOIN {offsets_table} AS o ON s.__jm_n >= o.t")
    try:
        write_cache(raw, select, parquet, sidecar, {**base, "header": [h or n for h, n in zip(header, names,
                                                                                              strict=False)],
                                                    "unnamed": unnamed})
    finally:
        if offsets_table:
            raw.con.unregister(offsets_table)


def _python_copy(path: Path, utf8: Path, delimiter: str | None, skip: int, offsets: list[int], parquet: Path,
                 sidecar: Path, base: dict[str, Any], duck_error: Exception) -> None:
    """Read the file with Python's csv module (strict quoting) into the numbered text copy.

    Two passes: the first finds the widest row (and any quoting error, with its line), the second
    writes Arrow batches, so memory stays at one batch whatever the file's size.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    csv.field_size_limit(max(csv.field_size_limit(), FIELD_LIMIT))
    delim = delimiter or _sniff_delimiter(utf8)
    width = 0
    header: list[str] | None = None
    for _, record in _records(path, utf8, delim, skip, duck_error):
        if header is None:
            header = [v.strip() for v in record]
        width = max(width, len(record))
    if header is None:
        raise DataFileError(i18n._("has no header row."), where=str(path),
                            fix=i18n._("export the data again with its header row."))
    header += [""] * (width - len(header))
    names = canonical_names([h or f"column{i}" for i, h in enumerate(header)], str(path))
    unnamed = [n for n, h in zip(names, header, strict=True) if not h]
    schema = pa.schema([*(pa.field(n, pa.string()) for n in names), pa.field("_row", pa.int64())])
    partial = part_name(parquet)
    try:
        with pq.ParquetWriter(partial, schema, compression="zstd") as writer:
            for columns, numbers in _batches(_records(path, utf8, delim, skip, duck_error), width, offsets):
                arrays = [pa.array(c, pa.string()) for c in columns] + [pa.array(numbers, pa.int64())]
                writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
        commit(partial, parquet, sidecar, {**base, "header": [h or n for h, n in zip(header, names, strict=True)],
                                           "unnamed": unnamed})
    finally:
        partial.unlink(missing_ok=True)


def _batches(records: Iterator[tuple[int, list[str]]], width: int,
             offsets: list[int]) -> Iterator[tuple[list[list[str | None]], list[int]]]:
    """Columns of up to BATCH data rows (header left out), empty values as None, numbered as DuckDB's copy is."""
    # The same numbering as _duckdb_copy: the n-th non-empty record (header = 1) plus the offset lines
    # (blank, above the header) at or before it.
    shifts = [(b - j, j + 1) for j, b in enumerate(offsets)]
    at, shift = 0, 0
    columns: list[list[str | None]] = [[] for _ in range(width)]
    numbers: list[int] = []
    for index, (_, record) in enumerate(records):
        n = index + 1
        while at < len(shifts) and shifts[at][0] <= n:
            shift = shifts[at][1]
            at += 1
        if index == 0:
            continue  # the header
        for i in range(width):
            value = record[i] if i < len(record) else None
            columns[i].append(value if value != "" else None)
        numbers.append(n + shift)
        if len(numbers) >= BATCH:
            yield columns, numbers
            columns, numbers = [[] for _ in range(width)], []
    yield columns, numbers


def _records(path: Path, utf8: Path, delimiter: str, skip: int,
             duck_error: Exception) -> Iterator[tuple[int, list[str]]]:
    """(line, values) of each non-empty record below the `skip` lines; a quoting error refuses the file."""
    with open_bytes(utf8) as raw, io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as text:
        for _ in range(skip):
            text.readline()
        reader = csv.reader(text, delimiter=delimiter, quotechar='"', doublequote=True, strict=True)
        start = reader.line_num + 1
        try:
            for record in reader:
                if record:
                    yield start + skip, record
                start = reader.line_num + 1
        except csv.Error as exc:
            raise refusal(path, str(exc), start + skip, delimiter, duck_error) from None


def refusal(path: Path, reason: str, line: int, delimiter: str, duck_error: Exception | None) -> DataFileError:
    """A CSV's quoting error as one line naming its cause, its line, and how to fix it."""
    shown = {"\t": "tab"}.get(delimiter, repr(delimiter))
    if "unexpected end of data" in reason or "field larger than field limit" in reason:
        what = (f"a quoted value starting on line {line} never ends: a closing '\"' is missing, so everything "
                "after it would be one value.")
        fix = f"add the closing quote on line {line} (or remove the opening one) and export the file again."
    elif "expected after" in reason:
        what = (f"line {line}: text follows a closing quote inside a value (\"abc\"def); a quote inside a "
                "quoted value is written twice (\"\").")
        fix = f"write the quote on line {line} as \"\", or export the file again from the spreadsheet."
    elif "NUL" in reason:
        what = f"line {line} holds a NUL byte: the file is not text, or it is UTF-16 without a byte-order mark."
        fix = "export it as 'CSV UTF-8', or pass encoding='utf-16-le' if it is UTF-16."
    else:
        said = _first_line(duck_error) if duck_error is not None else reason
        what = f"could not be read as CSV with {shown} as the delimiter (line {line}: {reason}; DuckDB: {said})."
        fix = "check the delimiter (option delimiter=) and the encoding (option encoding=)."
    return DataFileError(what, where=str(path), fix=fix)


def _first_line(exc: Exception) -> str:
    return " ".join(line.strip() for line in str(exc).splitlines()[:2] if line.strip())


def _sniff_delimiter(path: Path) -> str:
    """The delimiter of a file no header row was found in: csv.Sniffer among , ; tab |, else ','."""
    with open_bytes(path) as raw:
        head = raw.read(1 << 16).decode("utf-8", errors="replace")
    try:
        return csv.Sniffer().sniff(head, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        return ","


# --- blank lines ------------------------------------------------------------------------------------


def find_blank_lines(path: Path) -> list[int]:
    """Row numbers (1 = first line) of empty lines outside quotes: DuckDB skips them without a word."""
    blanks, has_quotes = blank_lines_physical(path)
    # Only a line break inside a quoted value can make an empty line text: follow the quotes then.
    if blanks and has_quotes and not _quotes_close_on_each_line(path):
        return blank_lines_quoted(path)
    return blanks


_BEFORE_EMPTY_LINE = re.compile(rb"\n(?=\r?\n)")


def _whole_lines(path: Path) -> Iterator[tuple[bytes, bool]]:
    """The (decompressed) file in chunks that end at a line end, and whether it is the last one."""
    carry = b""
    with open_bytes(path) as f:
        while True:
            chunk = f.read(SCAN_CHUNK)
            data = carry + chunk
            if chunk:  # whole lines only, so every chunk starts at the start of a line
                cut = data.rfind(b"\n") + 1
                data, carry = data[:cut], data[cut:]
            yield data, not chunk
            if not chunk:
                return


def blank_lines_physical(path: Path) -> tuple[list[int], bool]:
    """Empty lines of the file, ignoring quotes (at C speed), and whether it has any quote at all."""
    blanks: list[int] = []
    has_quotes = False
    line = 1  # the line `data` starts on
    for data, _ in _whole_lines(path):
        has_quotes = has_quotes or b'"' in data
        if data.startswith((b"\n", b"\r\n")):
            blanks.append(line)
        at, at_line = 0, line
        for m in _BEFORE_EMPTY_LINE.finditer(data):
            at_line += data.count(b"\n", at, m.start())
            at = m.start()
            blanks.append(at_line + 1)
        line += data.count(b"\n")
    return blanks, has_quotes


# Text outside quotes, then quoted values that end on the line they start on ("" inside is two of them).
_LINES_WITH_CLOSED_QUOTES = re.compile(rb'[^"]*(?:"[^"\n]*"[^"]*)*')


def _quotes_close_on_each_line(path: Path) -> bool:
    """True when no quoted value spans a line break, checked at C speed."""
    for data, _ in _whole_lines(path):
        match = _LINES_WITH_CLOSED_QUOTES.match(data)
        if match is None or match.end() != len(data):
            return False
    return True


def blank_lines_quoted(path: Path) -> list[int]:
    """The empty lines outside quotes, following quotes through the file (slower)."""
    blanks: list[int] = []
    row = 1  # the row the scan is in; a newline inside quotes does not start a new row
    quoted = False
    line_empty = True  # nothing but '\r' seen on the current row so far
    with open_bytes(path) as f:
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
