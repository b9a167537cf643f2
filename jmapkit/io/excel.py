"""XLSX/XLSM sheets through openpyxl, as all-text tables with Excel's own row numbers."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jmapkit import i18n
from jmapkit.errors import DataFileError
from jmapkit.io.csv import skipped_above
from jmapkit.io.sql import Raw, canonical_name, canonical_names, ident, make_view
from jmapkit.io.validate import SPECS, Kind

HEADER_SEARCH = 20  # non-empty rows looked at for the header: a title row may sit above it
ROWS_PROBED = 50  # rows of another sheet looked at to say whether it has data


@dataclass
class Sheet:
    """A sheet read as text: the view over it, its blank rows inside the data, and what was skipped."""

    view: str
    blank: list[int]
    unnamed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def excel_source(raw: Raw, path: Path, digest: str, kind: Kind, sheet: str | int | None) -> Sheet:
    """The sheet as an all-text table with Excel's own row numbers; blank rows inside the data are counted."""
    import openpyxl
    import pyarrow as pa

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise DataFileError(f"could not be read as XLSX: {exc}", where=str(path),
                            fix="save it again from Excel as .xlsx, or export it as CSV.") from None
    try:
        ws = _worksheet(book, path, sheet)
        rows: list[tuple[int, list[str | None]]] = []
        blank: list[int] = []
        for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
            texts = [cell_text(v) for v in values]
            if all(t is None or not t.strip() for t in texts):
                blank.append(number)
            else:
                rows.append((number, texts))
        if not rows:
            others = [s.title for s in book.worksheets if s.title != ws.title and _has_data(s)]
            fix = (f"pass the option sheet={others[0]!r}" + (f" (sheets with data: {', '.join(map(repr, others))})"
                                                            if len(others) > 1 else "") + "."
                   if others else "put a header row and data rows on the sheet, or pass the option sheet=.")
            raise DataFileError(i18n._("the sheet {sheet} is empty.").format(sheet=repr(ws.title)), where=str(path),
                                fix=fix)
    finally:
        book.close()
    at = _header_row(rows, kind)
    title, (header_number, header_texts), data = rows[:at], rows[at], rows[at + 1:]
    warnings = []
    if title:
        first = " ".join(t.strip() for t in title[0][1] if t is not None and t.strip())
        warnings.append(skipped_above(header_number, first))
    last = data[-1][0] if data else 0
    # Blank rows above the header or below the data (Excel's formatting) are not rows of data.
    blank = [b for b in blank if header_number < b < last]
    header = [t.strip() if t is not None else "" for t in header_texts]
    width = max([len(header), *(len(r) for _, r in data)])
    header += [""] * (width - len(header))
    names = canonical_names([h or f"column{i + 1}" for i, h in enumerate(header)], str(path))
    columns = {f"c{i}": [(r[i] if i < len(r) else None) for _, r in data] for i in range(width)}
    table = pa.table({**{k: pa.array(v, pa.string()) for k, v in columns.items()},
                      "_row": pa.array([n for n, _ in data], pa.int64())})
    name = f"xlsx_{digest[:16]}_{abs(hash((str(path), ws.title))) % 10**8}"
    raw.con.register(name, table)
    select = ", ".join(f"c{i} AS {ident(n)}" for i, n in enumerate(names))
    return Sheet(make_view(raw, digest, f"SELECT {select}, _row FROM {name}"), blank,
                 [n for n, h in zip(names, header, strict=True) if not h], warnings)


def _worksheet(book: Any, path: Path, sheet: str | int | None) -> Any:
    names = book.sheetnames
    if sheet is None:
        return book.worksheets[0]
    if isinstance(sheet, int) and 0 <= sheet < len(names):
        return book.worksheets[sheet]
    if isinstance(sheet, str) and sheet in names:
        return book[sheet]
    if isinstance(sheet, str) and sheet.isdigit() and int(sheet) < len(names):
        return book.worksheets[int(sheet)]  # an option typed on the command line is text
    raise DataFileError(i18n._("has no sheet {sheet}; its sheets are {sheets}.").format(
        sheet=repr(sheet), sheets=", ".join(map(repr, names))), where=str(path),
        fix=i18n._("pass the option sheet= with one of those names (or a 0-based index)."))


def _header_row(rows: list[tuple[int, list[str | None]]], kind: Kind) -> int:
    """Index of the header among the non-empty rows: the first naming every column `kind` needs, else the first."""
    spec = SPECS[kind]
    for i, (_, texts) in enumerate(rows[:HEADER_SEARCH]):
        if spec.fits([canonical_name(t) for t in texts if t is not None]):
            return i
    return 0


def _has_data(ws: Any) -> bool:
    for values in ws.iter_rows(max_row=ROWS_PROBED, values_only=True):
        if any(v is not None and str(v).strip() for v in values):
            return True
    return False


def cell_text(value: Any) -> str | None:
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
