"""Parquet files, read in place by DuckDB; the result of checking one is remembered by its content."""

from __future__ import annotations

from pathlib import Path

from jmapkit.io.cache import cache_stem, problems_from_note, problems_note, read_note, write_cache, write_note
from jmapkit.io.sql import Raw, canonical_name, make_view, quote, renamed
from jmapkit.io.validate import Checked, Kind, validate

_SOURCE = "@@jmapkit-source@@"  # stands for the per-connection view name in a remembered SELECT


def parquet_source(raw: Raw, path: Path, digest: str) -> str:
    """A view over the file with canonical column names and `_row` (header = 1, as a spreadsheet counts)."""
    relation = f"read_parquet({quote(str(path))}, file_row_number = true)"
    columns = [name for name, _ in raw.columns(relation) if name != "file_row_number"]
    return make_view(raw, digest, f"SELECT {renamed(columns, str(path))}, file_row_number + 2 AS _row "
                                  f"FROM {relation}")


def never_empty(raw: Raw, path: Path) -> frozenset[str]:
    """Columns whose Parquet statistics show no NULL and, for text, no empty or space-led value (canonical names).

    Every row group must carry the statistics. The smallest text value starting with a byte above the
    space rules out '' and ' ...' in the whole column: both sort below it. (A writer may shorten its
    min statistic to a prefix, which keeps that first byte.) Trailing spaces are still probed.
    """
    try:
        stats = raw.rows(
            "SELECT path_in_schema, bool_and(stats_null_count IS NOT NULL), sum(stats_null_count), "
            "bool_and(stats_min_value IS NOT NULL), min(stats_min_value), any_value(type) "
            f"FROM parquet_metadata({quote(str(path))}) GROUP BY path_in_schema")
    except Exception:
        return frozenset()  # no statistics to read: every value is checked
    top_level = {name for name, _ in raw.columns(f"read_parquet({quote(str(path))})")}
    known = set()
    for name, counted, nulls, has_min, smallest, physical in stats:
        if name not in top_level or not counted or nulls != 0:
            continue
        if physical == "BYTE_ARRAY" and not (has_min and smallest and smallest[0] > " "):
            continue
        known.add(canonical_name(name))
    return frozenset(known)


def checked_parquet(raw: Raw, source: str, kind: Kind, path: Path, digest: str, decimal: str | None,
                    timestamp_format: str | None) -> Checked:
    """`validate` for a Parquet file, remembered by the file's content: checking it is a full scan.

    A file that passed once (same bytes, same options) is not scanned again by another process, e.g.
    the next `jmapkit run`. A file that fails is checked every time, so its report is always current.
    A file with duplicate rows is read once more into a typed copy without them.
    """
    stem = cache_stem(digest, [kind, decimal, timestamp_format], "checked")
    note_path, typed = Path(f"{stem}.json"), Path(f"{stem}.parquet")
    saved = read_note(note_path)
    try:
        if saved is not None and (not saved["copied"] or typed.exists()):
            select = (f"SELECT * FROM read_parquet({quote(str(typed))})" if saved["copied"]
                      else saved["select"].replace(_SOURCE, source))
            return Checked(select, saved["rows"], problems_from_note(saved["dropped"]), list(saved["warnings"]))
    except (KeyError, TypeError, AttributeError):
        # An unreadable note: the file is checked again below.
        pass
    checked = validate(raw, source, kind, str(path), decimal, timestamp_format, [], 0,
                       never_empty=never_empty(raw, path))
    note = {"rows": checked.rows, "dropped": problems_note(checked.dropped), "warnings": checked.warnings,
            "copied": checked.temp is not None, "select": checked.select.replace(source, _SOURCE)}
    if checked.temp is None:
        write_note(note_path, note)
        return checked
    try:
        write_cache(raw, checked.select, typed, note_path, note)
    finally:
        raw.con.execute(f"DROP TABLE IF EXISTS {checked.temp}")
    return Checked(f"SELECT * FROM read_parquet({quote(str(typed))})", checked.rows, checked.dropped,
                   checked.warnings)
