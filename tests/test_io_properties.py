"""Property tests of the readers: any bytes give a result or a JmapkitError; what pandas writes reads back equal."""

from __future__ import annotations

import csv
import itertools
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jmapkit import io
from jmapkit.errors import JmapkitError

SUFFIXES = [".csv", ".tsv", ".txt", ".csv.gz", ".csv.zst", ".xlsx", ".parquet"]
KINDS = ["events", "survey", "verbatims"]
_counter = itertools.count()


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JMAPKIT_CACHE_DIR", str(tmp_path / "cache"))


def fresh(folder: Path, suffix: str) -> Path:
    """A new file name per example: the in-process memo is keyed by path, size and mtime."""
    return folder / f"input{next(_counter)}{suffix}"


# Bytes that look a little like CSV more often than uniform noise does, so the parsers get past the header.
CSV_LIKE = st.lists(st.sampled_from([b",", b";", b"\t", b"|", b'"', b"\n", b"\r\n", b"\r", b" ", b"id", b"text",
                                     b"customer_id", b"timestamp", b"touchpoint", b"event", b"respondent_id",
                                     b"question", b"score", b"2026-01-01", b"1,5", b"nps", b"\x00", b"\xff\xfe",
                                     b"\xef\xbb\xbf", b"\xc3", b"\xa9", b"x", b"7"]), max_size=60).map(b"".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(st.binary(max_size=400), CSV_LIKE), suffix=st.sampled_from(SUFFIXES),
       kind=st.sampled_from(KINDS))
def test_any_bytes_give_a_result_or_a_jmapkit_error(tmp_path: Path, data: bytes, suffix: str, kind: str) -> None:
    path = fresh(tmp_path, suffix)
    if suffix == ".csv.gz":
        import gzip

        data = gzip.compress(data, mtime=0)
    elif suffix == ".csv.zst":
        import pyarrow as pa

        with pa.output_stream(str(path), compression="zstd") as f:
            f.write(data)
        data = path.read_bytes()
    path.write_bytes(data)
    try:
        loaded = io.read(path, kind)  # type: ignore[arg-type]
    except JmapkitError as exc:
        assert exc.message.startswith(f"{path}: ")  # one message, headed by the file
        assert "Traceback" not in exc.message
        return
    rows = loaded.table.to_pyarrow().num_rows
    assert rows == loaded.rows


# Text as people type it into a feedback form: separators, quotes, line breaks, CJK, emoji, spaces. No
# lone '\r': pandas leaves a value holding only that unquoted, and every CSV reader (Python's own too)
# takes it for a line end.
TEXT = st.lists(st.sampled_from([*"ab Zü,;|\t\"'\n#=.5", "\r\n", "맛", "美", "😀", "‑"]), min_size=1,
                max_size=30).map("".join).filter(lambda t: t.strip(" "))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(TEXT, min_size=1, max_size=25), sep=st.sampled_from([",", ";", "\t", "|"]),
       ending=st.sampled_from(["\n", "\r\n"]), encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]),
       compression=st.sampled_from([None, "gzip"]), quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
def test_a_csv_pandas_writes_reads_back_equal(tmp_path: Path, texts: list[str], sep: str, ending: str,
                                              encoding: str, compression: str | None, quoting: int) -> None:
    import pandas as pd

    frame = pd.DataFrame({"id": [f"V{i}" for i in range(len(texts))], "touchpoint": ["queue"] * len(texts),
                          "text": texts})
    path = fresh(tmp_path, ".csv.gz" if compression else ".csv")
    frame.to_csv(path, sep=sep, index=False, lineterminator=ending, encoding=encoding, compression=compression,
                 quoting=quoting)
    loaded = io.read(path, "verbatims")
    got = loaded.table.order_by("_row").to_pyarrow().to_pylist()
    # jmapkit trims the spaces around a value (a spreadsheet's stray padding); nothing else changes.
    assert [(r["id"], r["touchpoint"], r["text"]) for r in got] == [
        (f"V{i}", "queue", t.strip(" ")) for i, t in enumerate(texts)]
    assert [r["_row"] for r in got] == list(range(2, len(texts) + 2))
    assert (loaded.dropped, loaded.rows) == ([], len(texts))
