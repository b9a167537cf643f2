"""Cells a spreadsheet must never run: text that starts like a formula is written as text.

OWASP's CSV-injection guidance: a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage
return is read by Excel, LibreOffice and Google Sheets as a formula (`=HYPERLINK(...)`, `=cmd|...`).
Every CSV jmapkit writes goes through `frame()`, which prefixes such text with a single quote (the
spreadsheet shows the text and does not evaluate it); `restore()` takes the quote off again when
jmapkit reads its own CSVs back. Numbers are left alone: `-0.3` in a numeric column is a number.
The XLSX export types such cells as text instead (no quote needed there).

>>> from jmapkit.safe import neutralise, restore
>>> neutralise("=HYPERLINK(\\"http://x\\")"), neutralise("-0.3"), neutralise("Queue")
('\\'=HYPERLINK("http://x")', "'-0.3", 'Queue')
>>> restore(neutralise("@home"))
'@home'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def dangerous(value: Any) -> bool:
    """Whether a spreadsheet would read this text as the start of a formula."""
    return isinstance(value, str) and value.startswith(TRIGGERS)


def neutralise(value: Any) -> Any:
    """Text starting like a formula gets a leading quote (and so does text that already starts with
    a quote before such a character, so that `restore` gives back exactly the original)."""
    if dangerous(value) or (isinstance(value, str) and value.startswith(QUOTE) and dangerous(value.lstrip(QUOTE))):
        return QUOTE + value
    return value


def restore(value: Any) -> Any:
    """The original text of a neutralised cell."""
    if isinstance(value, str) and value.startswith(QUOTE) and dangerous(value.lstrip(QUOTE)):
        return value[1:]
    return value


def frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy with every text cell (and text column header) neutralised; numeric columns untouched."""
    return _each_text(df, neutralise)


def restored(df: pd.DataFrame) -> pd.DataFrame:
    """The frame a CSV written through `frame()` stood for (for jmapkit reading its own tables)."""
    return _each_text(df, restore)


def _each_text(df: pd.DataFrame, fn: Any) -> pd.DataFrame:
    out = df.copy()
    for column in out.columns:
        if out[column].dtype == object or str(out[column].dtype) in ("string", "str"):
            out[column] = [fn(v) for v in out[column]]
    out.columns = [fn(c) for c in out.columns]
    return out
