"""jmapkit.io: real-world CSV/TSV/XLSX/Parquet inputs, and every problem reported together.

Each expected value below is written by hand from the file the test builds, never taken from a run.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from jmapkit import io
from jmapkit.duck import Raw, default_backend
from jmapkit.errors import DataFileError, Problem, ValidationFailed
from jmapkit.io import csv as csv_reader
from jmapkit.io import parquet as parquet_reader
from jmapkit.io import validate as validate_module


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test starts with an empty Parquet cache, so the first read always goes the whole way."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("JMAPKIT_CACHE_DIR", str(cache))
    return cache


def fetch(loaded: io.Loaded) -> list[dict[str, Any]]:
    """The loaded rows in file order, as plain Python values."""
    return loaded.table.order_by("_row").to_pyarrow().to_pylist()


def column(loaded: io.Loaded, name: str) -> list[Any]:
    return [r[name] for r in fetch(loaded)]


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def problems(exc: pytest.ExceptionInfo[ValidationFailed]) -> set[tuple[str | None, str, tuple[int, ...]]]:
    return {(p.column, p.reason, p.rows) for p in exc.value.problems}


# --- encodings -------------------------------------------------------------------------------------

KOREAN = ["주문 대기 시간이 너무 길었어요.", "직원분들이 정말 친절했습니다!", "메뉴판을 이해하기 어려웠어요.",
          "음식이 따뜻하고 맛있었어요.", "결제가 빠르고 편했습니다."]
JAPANESE = ["注文の待ち時間が長すぎました。", "店員さんがとても親切でした！", "メニューが分かりにくかったです。",
            "料理は温かくて美味しかった。", "支払いが早くて便利でした。"]
GERMAN = ["Die Schlange an der Theke war furchtbar langsam.", "Sehr freundliches Personal, großartig!",
          "Das Menü ist schwer zu verstehen, für Touristen ärgerlich.", "Die Größe der Portionen war übertrieben.",
          "Bezahlung ging schnell, schöne Atmosphäre."]
ENGLISH = ["Way too slow at the counter.", "Lovely staff — quick service.", "Menu hard to read."]


def verbatims_csv(texts: list[str]) -> str:
    return "id,text\r\n" + "".join(f'V{i},"{t}"\r\n' for i, t in enumerate(texts, start=1))


@pytest.mark.parametrize(
    ("write_as", "texts", "given"),
    [
        ("cp949", KOREAN, None),
        ("euc-kr", KOREAN, None),
        ("shift_jis", JAPANESE, None),
        ("cp1252", GERMAN, None),
        ("latin-1", GERMAN, None),
        ("utf-8-sig", KOREAN + JAPANESE + GERMAN, None),
        ("utf-8", ENGLISH + GERMAN, None),
        ("cp949", KOREAN, "cp949"),
        ("cp1252", GERMAN, "cp1252"),
    ],
)
def test_encodings_round_trip_exact_strings(tmp_path: Path, write_as: str, texts: list[str], given: str | None) -> None:
    path = write(tmp_path, "verbatims.csv", verbatims_csv(texts), write_as)
    loaded = io.read(path, "verbatims", encoding=given)
    # A BOM must not become part of the first column's name.
    assert loaded.table.columns == ("id", "text", "_row")
    assert column(loaded, "text") == texts
    assert column(loaded, "id") == [f"V{i}" for i in range(1, len(texts) + 1)]
    assert column(loaded, "_row") == list(range(2, len(texts) + 2))
    assert loaded.rows == len(texts)


@pytest.mark.parametrize(
    ("write_as", "text"),
    [
        # One short line each: too little text for detection alone; ties go to the commoner export encoding.
        ("cp1252", "Theke für Gäste"),
        ("cp1252", "Très bon café, service rapide à la caisse."),
        ("cp1252", "Atención rápida, señora amable. ¡Volveré!"),
        ("cp1250", "Zażółć gęślą jaźń. Obsługa była bardzo miła."),
        ("cp1251", "Очень вкусно, но долго ждали заказ."),
        ("cp932", "美味しい"),
        ("cp932", "メニュー"),
        ("cp949", "맛있어요"),
        ("utf-16", "Grüße, 맛있어요, 美味しい"),  # Excel's "Unicode text" export: UTF-16 with a BOM, tab-separated
    ],
)
def test_short_exports_are_detected(tmp_path: Path, write_as: str, text: str) -> None:
    path = write(tmp_path, "verbatims.txt", f"id\ttext\r\nV1\t{text}\r\n", write_as)
    loaded = io.read(path, "verbatims", delimiter="\t")
    assert column(loaded, "text") == [text]
    assert loaded.encoding == write_as
    detected = [f"read as {write_as} (detected); set the option encoding= if any text looks wrong."]
    assert loaded.warnings == ([] if write_as == "utf-16" else detected)  # a BOM leaves no doubt


def test_wrong_encoding_given_says_so(tmp_path: Path) -> None:
    path = write(tmp_path, "verbatims.csv", verbatims_csv(KOREAN), "cp949")
    expected = r"is not valid utf-8 text \(invalid start byte at byte \d+\)\. Fix: pass the file's encoding"
    with pytest.raises(DataFileError, match=expected):
        io.read(path, "verbatims", encoding="utf-8")


# --- delimiters, decimal comma, quoted newlines ----------------------------------------------------


def test_semicolon_and_decimal_comma(tmp_path: Path) -> None:
    path = write(tmp_path, "survey.csv",
                 "respondent_id;touchpoint;question;score\nR1;menu;taste;4,5\nR2;menu;csat;3\nR3;payment;NPS;10\n")
    loaded = io.read(path, "survey")
    assert column(loaded, "score") == [4.5, 3.0, 10.0]
    assert column(loaded, "question") == ["taste", "csat", "nps"]  # questions compare case-insensitively


def test_decimal_given_explicitly(tmp_path: Path) -> None:
    path = write(tmp_path, "survey.csv", "respondent_id;stage;question;score\nR1;use;effort;5,25\nR2;use;effort;6\n")
    assert column(io.read(path, "survey", decimal=","), "score") == [5.25, 6.0]


def test_tab_separated(tmp_path: Path) -> None:
    path = write(tmp_path, "events.tsv",
                 "customer_id\ttimestamp\ttouchpoint\tvalue\nC1\t2026-01-31 14:05:00\tmenu\t12.5\n"
                 "C2\t2026-02-01 09:00:00\tpayment\t\n")
    rows = fetch(io.read(path, "events"))
    assert [(r["customer_id"], r["timestamp"], r["touchpoint"], r["value"], r["_row"]) for r in rows] == [
        ("C1", datetime(2026, 1, 31, 14, 5), "menu", 12.5, 2),
        ("C2", datetime(2026, 2, 1, 9, 0), "payment", None, 3),
    ]


def test_delimiter_given_for_txt(tmp_path: Path) -> None:
    path = write(tmp_path, "verbatims.txt", "id|text\nV1|Gut, aber laut.\n")
    assert column(io.read(path, "verbatims", delimiter="|"), "text") == ["Gut, aber laut."]


def test_quoted_newlines_stay_inside_the_text(tmp_path: Path) -> None:
    text = ('id,text,lang\r\nV1,"First line,\r\nsecond line\r\n\r\nafter an empty line",en\r\n'
            'V2,"He said ""slow""",en\r\n')
    loaded = io.read(write(tmp_path, "verbatims.csv", text), "verbatims")
    assert column(loaded, "text") == ["First line,\r\nsecond line\r\n\r\nafter an empty line", 'He said "slow"']
    # One record is one spreadsheet row, however many lines its text has; the empty line inside
    # the quotes is text, not a dropped row.
    assert column(loaded, "_row") == [2, 3]
    assert loaded.dropped == []


def test_column_names_are_canonical(tmp_path: Path) -> None:
    path = write(tmp_path, "events.csv", " Customer ID ,TimeStamp,Touchpoint\nC1,2026-01-31,menu\n")
    assert io.read(path, "events").table.columns == ("customer_id", "timestamp", "touchpoint", "_row")


# --- blank rows -------------------------------------------------------------------------------------


def test_blank_lines_are_counted_and_row_numbers_stay_true(tmp_path: Path) -> None:
    text = ("customer_id,timestamp,touchpoint\r\n"  # row 1
            "C1,2026-01-31T10:00:00,menu\r\n"  # row 2
            "\r\n"  # row 3: empty line (DuckDB itself would skip it silently)
            " , ,\r\n"  # row 4: only blanks and delimiters
            "C2,2026-01-31T11:00:00,payment\r\n"  # row 5
            "\r\n"  # row 6
            "\r\n"  # row 7
            "C3,2026-01-31T12:00:00,menu\r\n")  # row 8
    loaded = io.read(write(tmp_path, "events.csv", text), "events")
    assert column(loaded, "customer_id") == ["C1", "C2", "C3"]
    assert column(loaded, "_row") == [2, 5, 8]
    assert loaded.rows == 3
    assert loaded.dropped == [Problem(None, "blank rows dropped", (3, 4, 6, 7), count=4, code="blank_rows")]


def test_blank_lines_before_the_header(tmp_path: Path) -> None:
    text = "\n\nid,text\nV1,ok\n\nV2,fine\n"
    loaded = io.read(write(tmp_path, "verbatims.csv", text), "verbatims")
    assert column(loaded, "id") == ["V1", "V2"]
    assert column(loaded, "_row") == [4, 6]
    assert loaded.dropped == [Problem(None, "blank rows dropped", (1, 2, 5), count=3, code="blank_rows")]


def test_header_only_file_warns(tmp_path: Path) -> None:
    loaded = io.read(write(tmp_path, "verbatims.csv", "id,text\n"), "verbatims")
    assert loaded.rows == 0
    assert loaded.warnings == ["the file has a header but no data rows."]


# --- XLSX and Parquet -------------------------------------------------------------------------------


def test_xlsx_with_dates_numbers_and_a_blank_row(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Umfrage"
    sheet.append(["Respondent ID", "Touchpoint", "Question", "Score", "Timestamp"])
    sheet.append(["R1", "Speisekarte", "CSAT", 4, datetime(2026, 1, 31, 14, 5)])
    sheet.append([None, None, None, None, None])
    sheet.append([1002, "Bezahlung", "effort", 9.5, datetime(2026, 2, 1, 9, 30, 15)])
    path = tmp_path / "survey.xlsx"
    book.save(path)
    for sheet_arg in (None, "Umfrage", 0):
        loaded = io.read(path, "survey", sheet=sheet_arg)
        assert [(r["respondent_id"], r["touchpoint"], r["question"], r["score"], r["timestamp"], r["_row"])
                for r in fetch(loaded)] == [
            ("R1", "Speisekarte", "csat", 4.0, datetime(2026, 1, 31, 14, 5), 2),
            ("1002", "Bezahlung", "effort", 9.5, datetime(2026, 2, 1, 9, 30, 15), 4),
        ]
        assert loaded.dropped == [Problem(None, "blank row dropped", (3,), count=1, code="blank_rows")]


def test_xlsx_unknown_sheet_lists_the_sheets(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "Data"
    book.active.append(["id", "text"])
    path = tmp_path / "verbatims.xlsx"
    book.save(path)
    with pytest.raises(DataFileError, match=r"has no sheet 'Results'; its sheets are 'Data'\."):
        io.read(path, "verbatims", sheet="Results")


def test_parquet_with_timestamp_columns(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    local = [datetime(2026, 1, 31, 14, 5), datetime(2026, 7, 1, 9, 0)]
    naive = pa.table({"customer_id": ["C1", "C2"], "timestamp": pa.array(local, pa.timestamp("us")),
                      "touchpoint": ["menu", "payment"], "value": pa.array([3, None], pa.int64())})
    pq.write_table(naive, tmp_path / "naive.parquet")
    loaded = io.read(tmp_path / "naive.parquet", "events")
    assert column(loaded, "timestamp") == local
    assert column(loaded, "value") == [3.0, None]
    assert column(loaded, "_row") == [2, 3]

    # Berlin wall-clock 14:05 in winter (UTC+1) and 09:00 in summer (UTC+2).
    zoned = naive.set_column(1, "timestamp", pa.array(local, pa.timestamp("us")).cast(
        pa.timestamp("us", tz="UTC")))
    berlin = pa.array([datetime(2026, 1, 31, 13, 5), datetime(2026, 7, 1, 7, 0)], pa.timestamp("us", tz="UTC")).cast(
        pa.timestamp("us", tz="Europe/Berlin"))
    zoned = zoned.set_column(1, "timestamp", berlin)
    pq.write_table(zoned, tmp_path / "zoned.parquet")
    assert column(io.read(tmp_path / "zoned.parquet", "events"), "timestamp") == [
        datetime(2026, 1, 31, 13, 5), datetime(2026, 7, 1, 7, 0)]


def test_parquet_text_is_trimmed_and_blank_rows_dropped_like_csv(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    stamps = [datetime(2026, 1, 1, 9, 0), None, datetime(2026, 1, 1, 9, 5), datetime(2026, 1, 1, 9, 6)]
    table = pa.table({
        "Customer ID": [" C1", "  ", "C2 ", "C3"],
        "Timestamp": pa.array(stamps, pa.timestamp("us")),
        "touchpoint": ["menu", None, "", "pay"],
        "event": ["m", "", "x", "p"],
        "value": pa.array([1, None, 2, None], pa.int64()),
    })
    pq.write_table(table, tmp_path / "padded.parquet")
    loaded = io.read(tmp_path / "padded.parquet", "events")
    # Row 3 (the second data row) is blank in every column: dropped and counted, like a blank CSV line.
    assert loaded.rows == 3
    assert [(p.reason, p.rows, p.count) for p in loaded.dropped] == [("blank row dropped", (3,), 1)]
    assert fetch(loaded) == [
        {"customer_id": "C1", "timestamp": stamps[0], "touchpoint": "menu", "event": "m", "value": 1.0, "_row": 2},
        {"customer_id": "C2", "timestamp": stamps[2], "touchpoint": None, "event": "x", "value": 2.0, "_row": 4},
        {"customer_id": "C3", "timestamp": stamps[3], "touchpoint": "pay", "event": "p", "value": None, "_row": 5},
    ]


def test_clean_parquet_is_read_without_rewriting_its_columns(tmp_path: Path) -> None:
    """Text columns with no padded or empty values, and no blank rows: the view selects them as they are."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"customer_id": ["C1", "C2"], "timestamp": pa.array([datetime(2026, 1, 1)] * 2,
                                                                        pa.timestamp("us")),
                      "touchpoint": ["menu", "pay"], "channel": ["web", None]})
    pq.write_table(table, tmp_path / "clean.parquet")
    loaded = io.read(tmp_path / "clean.parquet", "events")
    sql = str(loaded.table.compile()).lower()
    assert "trim" not in sql and "where" not in sql
    assert column(loaded, "channel") == ["web", None]
    with pytest.raises(ValidationFailed) as exc:  # a typed column is still checked: a missing timestamp
        pq.write_table(table.set_column(1, "timestamp", pa.array([None, datetime(2026, 1, 1)], pa.timestamp("us"))),
                       tmp_path / "missing.parquet")
        io.read(tmp_path / "missing.parquet", "events")
    assert problems(exc) == {("timestamp", "empty value", (2,))}


@pytest.mark.parametrize("statistics", [True, False], ids=["with-statistics", "without-statistics"])
def test_parquet_statistics_only_skip_checks_they_prove(tmp_path: Path, statistics: bool) -> None:
    """With or without column statistics, a Parquet file reads the same and fails the same.

    Statistics prove "no NULL, no '' and nothing space-led" per column; a trailing space, a value
    in a later row group and a tab-led value are still found row by row.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    def write(name: str, ids: list[str | None], stamps: list[datetime | None]) -> Path:
        table = pa.table({"customer_id": ids, "timestamp": pa.array(stamps, pa.timestamp("us")),
                          "touchpoint": ["menu"] * len(ids)})
        pq.write_table(table, tmp_path / name, row_group_size=2, write_statistics=statistics)
        return tmp_path / name

    day = [datetime(2026, 1, d) for d in (1, 2, 3, 4)]
    never = parquet_reader.never_empty(Raw(default_backend()), write("clean.parquet", ["C1", "C2", "C3", "C4"], day))
    assert never == ({"customer_id", "timestamp", "touchpoint"} if statistics else set())
    padded = write("padded.parquet", ["C1", "C2", "C3 ", "C4"], day)
    assert ("customer_id" in parquet_reader.never_empty(Raw(default_backend()), padded)) is statistics
    assert column(io.read(padded, "events"), "customer_id") == ["C1", "C2", "C3", "C4"]  # the trailing space found
    tabbed = io.read(write("tab.parquet", ["C1", "C2", "C3", "\tC4"], day), "events")  # below ' ': checked by row
    assert column(tabbed, "customer_id") == ["C1", "C2", "C3", "\tC4"]
    with pytest.raises(ValidationFailed) as exc:  # '' in the second row group, a missing timestamp
        io.read(write("empty.parquet", ["C1", "C2", "C3", ""], [*day[:3], None]), "events")
    assert problems(exc) == {("customer_id", "empty value", (5,)), ("timestamp", "empty value", (5,))}
    with pytest.raises(ValidationFailed) as exc:  # only spaces: '  ' sorts below every other value
        io.read(write("spaces.parquet", ["C1", "  ", "C3", "C4"], day), "events")
    assert problems(exc) == {("customer_id", "empty value", (3,))}


def test_a_checked_parquet_file_is_not_scanned_again(tmp_path: Path, own_cache: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The next process (another connection) reuses the check of the same bytes; a changed file is checked."""
    import ibis
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"customer_id": [" C1", None, "C2"], "timestamp": ["2026-01-01 09:00", None, "2026-01-02"],
                      "touchpoint": ["menu", None, "pay"]})
    path = tmp_path / "events.parquet"
    pq.write_table(table, path)
    first = io.read(path, "events")
    assert len(list(own_cache.glob("*-checked.json"))) == 1

    def no_scan(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("checked again")

    monkeypatch.setattr(parquet_reader, "validate", no_scan)
    again = io.read(path, "events", con=ibis.duckdb.connect())
    assert fetch(again) == fetch(first) == [
        {"customer_id": "C1", "timestamp": datetime(2026, 1, 1, 9), "touchpoint": "menu", "_row": 2},
        {"customer_id": "C2", "timestamp": datetime(2026, 1, 2), "touchpoint": "pay", "_row": 4},
    ]
    assert [(p.reason, p.rows, p.count) for p in again.dropped] == [("blank row dropped", (3,), 1)]
    pq.write_table(table.slice(0, 1), path)  # new bytes: a new check
    with pytest.raises(DataFileError, match="checked again"):  # read() names the file around any error
        io.read(path, "events", con=ibis.duckdb.connect())


# --- timestamps -------------------------------------------------------------------------------------


def events_csv(stamps: list[str]) -> str:
    return "customer_id,timestamp,touchpoint\n" + "".join(f"C{i},{s},menu\n" for i, s in enumerate(stamps, 1))


@pytest.mark.parametrize(
    ("stamps", "expected"),
    [
        (["2026-01-31T14:05:00+09:00", "2026-01-31T14:05:00Z", "2026-01-31 14:05:00-05:30",
          "2026-07-01T00:30:00+0200", "2026-01-31T14:05:00.250+01", "2026-01-31 14:05:00 UTC"],
         [datetime(2026, 1, 31, 5, 5), datetime(2026, 1, 31, 14, 5), datetime(2026, 1, 31, 19, 35),
          datetime(2026, 6, 30, 22, 30), datetime(2026, 1, 31, 13, 5, 0, 250000), datetime(2026, 1, 31, 14, 5)]),
        (["2026-01-31T14:05:00", "2026-01-31 14:05", "2026-01-31"],
         [datetime(2026, 1, 31, 14, 5), datetime(2026, 1, 31, 14, 5), datetime(2026, 1, 31)]),
        # 2026-01-31 14:05 UTC is 20,484 days and 50,700 s after 1970-01-01.
        ([str(20484 * 86400 + 50700), str(20484 * 86400 + 50700 + 1) + ".5"],
         [datetime(2026, 1, 31, 14, 5), datetime(2026, 1, 31, 14, 5, 1, 500000)]),
        ([str((20484 * 86400 + 50700) * 1000 + 123), str((20484 * 86400 + 50700) * 1000)],
         [datetime(2026, 1, 31, 14, 5, 0, 123000), datetime(2026, 1, 31, 14, 5)]),
        (["31/01/2026 14:05", "03/04/2026 10:00"], [datetime(2026, 1, 31, 14, 5), datetime(2026, 4, 3, 10, 0)]),
        (["01/31/2026 2:05 PM", "03/04/2026 10:00 AM"], [datetime(2026, 1, 31, 14, 5), datetime(2026, 3, 4, 10, 0)]),
        (["31.01.2026 14:05:09", "01.02.2026 00:00:00"], [datetime(2026, 1, 31, 14, 5, 9), datetime(2026, 2, 1)]),
    ],
    ids=["iso-zones", "iso-naive", "epoch-s", "epoch-ms", "day-first", "month-first-ampm", "german"],
)
def test_timestamp_formats(tmp_path: Path, stamps: list[str], expected: list[datetime]) -> None:
    loaded = io.read(write(tmp_path, "events.csv", events_csv(stamps)), "events")
    assert column(loaded, "timestamp") == expected


def test_zoned_timestamps_are_utc_whatever_the_connections_zone(tmp_path: Path) -> None:
    import ibis

    con = ibis.duckdb.connect()
    con.raw_sql("SET TimeZone = 'Asia/Seoul'")
    path = write(tmp_path, "events.csv", events_csv(["2026-01-31T14:05:00+09:00", "2026-01-31T14:05:00"]))
    loaded = io.read(path, "events", con=con)
    assert con.raw_sql(f"SELECT CAST(timestamp AS VARCHAR) FROM ({loaded.table.compile()}) ORDER BY _row"
                       ).fetchall() == [("2026-01-31 05:05:00",), ("2026-01-31 14:05:00",)]


def test_day_first_settled_by_a_row_beyond_the_sample(tmp_path: Path) -> None:
    stamps = ["03/04/2026 10:00"] * (validate_module.SAMPLE + 5) + ["31/01/2026 14:05"]
    loaded = io.read(write(tmp_path, "events.csv", events_csv(stamps)), "events")
    values = column(loaded, "timestamp")
    assert values[0] == datetime(2026, 4, 3, 10, 0)
    assert values[-1] == datetime(2026, 1, 31, 14, 5)


def test_ambiguous_dates_ask_for_timestamp_format(tmp_path: Path) -> None:
    path = write(tmp_path, "events.csv", events_csv(["03/04/2026 10:00", "05/06/2026 11:30"]))
    with pytest.raises(ValidationFailed) as exc:
        io.read(path, "events")
    assert problems(exc) == {("timestamp", "day-first or month-first? Every timestamp fits both "
                                           "%d/%m/%Y %H:%M and %m/%d/%Y %H:%M", (2, 3))}
    assert "timestamp_format='%d/%m/%Y %H:%M'" in str(exc.value)
    assert "timestamp_format='%m/%d/%Y %H:%M'" in str(exc.value)


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [("%d/%m/%Y %H:%M", datetime(2026, 4, 3, 10, 0)), ("%m/%d/%Y %H:%M", datetime(2026, 3, 4, 10, 0))],
)
def test_explicit_timestamp_format(tmp_path: Path, fmt: str, expected: datetime) -> None:
    path = write(tmp_path, "events.csv", events_csv(["03/04/2026 10:00"]))
    assert column(io.read(path, "events", timestamp_format=fmt), "timestamp") == [expected]


def test_explicit_format_with_zone(tmp_path: Path) -> None:
    path = write(tmp_path, "events.csv", events_csv(["31.01.2026 14:05 +0900"]))
    loaded = io.read(path, "events", timestamp_format="%d.%m.%Y %H:%M %z")
    assert column(loaded, "timestamp") == [datetime(2026, 1, 31, 5, 5)]


def test_invalid_timestamp_format(tmp_path: Path) -> None:
    path = write(tmp_path, "events.csv", events_csv(["03/04/2026 10:00"]))
    with pytest.raises(DataFileError, match=r"timestamp_format='%Q' is not a valid strptime pattern"):
        io.read(path, "events", timestamp_format="%Q")


# --- validation: every problem together --------------------------------------------------------------


def test_all_problems_reported_together(tmp_path: Path) -> None:
    text = ("customer_id,timestamp,touchpoint,value\n"
            "C1,2026-01-31T10:00:00,menu,1\n"  # row 2
            ",2026-01-31T11:00:00,menu,2\n"  # row 3: no customer
            "C3,2026-01-31T12:00:00,,3\n"  # row 4: no touchpoint
            "C4,yesterday,menu,4\n"  # row 5: not a timestamp
            "C5,2026-01-31T13:00:00,menu,lots\n"  # row 6: not a number
            "C6,,payment,5\n")  # row 7: no timestamp
    with pytest.raises(ValidationFailed) as exc:
        io.read(write(tmp_path, "events.csv", text), "events")
    assert problems(exc) == {
        ("customer_id", "empty value", (3,)),
        ("touchpoint", "empty value", (4,)),
        ("timestamp", "not a timestamp", (5,)),
        ("value", "not a number", (6,)),
        ("timestamp", "empty value", (7,)),
    }
    values = {(p.column, p.reason): p.value for p in exc.value.problems}
    assert values[("timestamp", "not a timestamp")] == "yesterday"
    assert values[("value", "not a number")] == "lots"
    message = str(exc.value)
    assert message.startswith(f"{tmp_path / 'events.csv'}: 5 problems: ")
    assert "column 'customer_id': empty value (row 3)" in message
    assert "column 'timestamp': not a timestamp (row 5), e.g. 'yesterday'" in message


def test_many_bad_rows_show_the_first_five_and_a_count(tmp_path: Path) -> None:
    text = "respondent_id,stage,question,score\n" + "".join(f"R{i},use,csat,x{i}\n" for i in range(2, 12))
    with pytest.raises(ValidationFailed) as exc:
        io.read(write(tmp_path, "survey.csv", text), "survey")
    (problem,) = exc.value.problems
    assert (problem.column, problem.rows, problem.count, problem.value) == ("score", (2, 3, 4, 5, 6), 10, "x2")
    assert "(rows 2, 3, 4, 5, 6 and 5 more), e.g. 'x2'" in str(exc.value)


def test_survey_row_with_neither_touchpoint_nor_stage(tmp_path: Path) -> None:
    text = "respondent_id,touchpoint,stage,question,score\nR1,menu,,csat,4\nR2,,,csat,5\nR3,,use,csat,\n"
    with pytest.raises(ValidationFailed) as exc:
        io.read(write(tmp_path, "survey.csv", text), "survey")
    assert problems(exc) == {(None, "both touchpoint and stage are empty", (3,)), ("score", "empty value", (4,))}


def test_missing_column_lists_present_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "events.csv", "Customer ID,when,touchpoint\nC1,2026-01-31,menu\n")
    with pytest.raises(ValidationFailed) as exc:
        io.read(path, "events")
    (problem,) = exc.value.problems
    assert problem.reason == "missing column 'timestamp'; the file has 'customer_id', 'when', 'touchpoint'"
    assert problem.allowed == "events files need customer_id, timestamp and touchpoint or event"


def test_missing_one_of_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "survey.csv", "respondent_id,question\nR1,csat\n")
    with pytest.raises(ValidationFailed) as exc:
        io.read(path, "survey")
    assert exc.value.problems[0].reason == ("missing columns 'score', 'touchpoint or stage'; "
                                            "the file has 'respondent_id', 'question'")


def test_duplicate_columns_after_canonical_names(tmp_path: Path) -> None:
    path = write(tmp_path, "verbatims.csv", "id,Text,text\nV1,a,b\n")
    with pytest.raises(ValidationFailed, match=r"same name as column 'Text'"):
        io.read(path, "verbatims")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("events.json", b"{}", r"unsupported file type '\.json'"),
        ("events.csv", b"", r"the events file is empty"),
    ],
)
def test_unusable_files(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DataFileError, match=message):
        io.read(path, "events")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match=r"nope\.csv: the survey file does not exist\. Fix: check the path"):
        io.read(tmp_path / "nope.csv", "survey")


# --- DataFrames -------------------------------------------------------------------------------------


def test_normalize_frame_matches_the_csv_path(tmp_path: Path) -> None:
    import pandas as pd

    df = pd.DataFrame({
        "Customer ID": ["C1", "C2", "C3"],
        "Timestamp": ["2026-01-31T14:05:00+01:00", "2026-02-01 09:00", "2026-02-02T23:59:59Z"],
        "Touchpoint": ["menu", "payment", "menu"],
        "Value": ["1,5", None, "2"],
    })
    path = write(tmp_path, "events.csv", "Customer ID;Timestamp;Touchpoint;Value\n"
                 "C1;2026-01-31T14:05:00+01:00;menu;1,5\nC2;2026-02-01 09:00;payment;\n"
                 "C3;2026-02-02T23:59:59Z;menu;2\n")
    from_csv = io.read(path, "events").table.order_by("_row").to_pyarrow().to_pandas()
    from_frame = io.normalize_frame(df, "events")
    pd.testing.assert_frame_equal(from_frame, from_csv)
    assert from_frame["timestamp"].tolist() == [pd.Timestamp("2026-01-31 13:05"), pd.Timestamp("2026-02-01 09:00"),
                                               pd.Timestamp("2026-02-02 23:59:59")]
    assert from_frame["value"].tolist()[0] == 1.5


def test_normalize_frame_reports_problems_by_row() -> None:
    import pandas as pd

    df = pd.DataFrame({"id": ["V1", " ", "V3"], "text": ["fine", "ok", None]})
    with pytest.raises(ValidationFailed) as exc:
        io.normalize_frame(df, "verbatims")
    assert problems(exc) == {("id", "empty value", (3,)), ("text", "empty value", (4,))}


# --- blank-line scanning ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (b"a,b\n1,2\n3,4\n", []),
        (b"a,b\n1,2\n\n3,4\n", [3]),
        (b"a,b\r\n1,2\r\n\r\n\r\n3,4\r\n", [3, 4]),
        (b"\n\na,b\n1,2\n", [1, 2]),
        (b"a,b\n1,2\n\n", [3]),
        (b'a,b\n"x\n\ny",2\n\n3,4\n', [3]),  # the empty line inside quotes is text; row 3 is blank
        (b'a,b\n"He said ""hi""",2\n\n"q",4\n', [3]),  # quotes closing on their own line
        (b'a,b\n"one\r\n\r\ntwo","three\n"\n\n\n5,6\n', [3, 4]),
        (b'a,b\n"x\ny",1\n3,4\n', []),
    ],
)
@pytest.mark.parametrize("chunk", [3, 1 << 24])
def test_blank_lines_are_the_rows_a_spreadsheet_shows_empty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           text: bytes, expected: list[int], chunk: int) -> None:
    monkeypatch.setattr(csv_reader, "SCAN_CHUNK", chunk)  # 3 bytes: lines and quotes split between reads
    path = tmp_path / "f.csv"
    path.write_bytes(text)
    assert csv_reader.find_blank_lines(path) == expected
    assert csv_reader.blank_lines_quoted(path) == expected  # the slow scanner agrees where the fast one applies


def test_many_quoted_newlines_read_serially_with_exact_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Enough line breaks inside quotes that DuckDB's parallel reader refuses the file; jmapkit reads it serially.
    n = 300_000
    text = "id,text\n" + "".join(f'V{i},"line one\nline two {i}"\n' for i in range(n)) + "\n\nV-last,end\n"
    writes: list[bool] = []
    original = csv_reader.write_cache
    monkeypatch.setattr(csv_reader, "write_cache", lambda raw, select, *a: (writes.append("parallel = false" in select),
                                                                             original(raw, select, *a))[1])
    loaded = io.read(write(tmp_path, "verbatims.csv", text), "verbatims")
    # Text copy tried in parallel, then serially; then the typed copy. If DuckDB ever reads this file in
    # parallel, the fallback in jmapkit.io.csv is no longer exercised here: make the file harder.
    assert writes == [False, True, False]
    assert loaded.rows == n + 1
    assert loaded.dropped == [Problem(None, "blank rows dropped", (n + 2, n + 3), count=2, code="blank_rows")]
    first, last = fetch(loaded)[1], fetch(loaded)[-1]
    assert first == {"id": "V1", "text": "line one\nline two 1", "_row": 3}
    assert last == {"id": "V-last", "text": "end", "_row": n + 4}


# --- reading twice ----------------------------------------------------------------------------------


class Spy:
    """Counts calls to a module function while still calling it."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> None:
        self.calls = 0
        original = getattr(module, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(module, name, counted)


GERMAN_EVENTS = ("Kunde;Zeitpunkt;Touchpoint;Wert\r\n"
                 "K1;31.01.2026 14:05;Theke;1,5\r\n"
                 "\r\n"
                 "K2;01.02.2026 09:00;Kasse;2\r\n")


def german_events(tmp_path: Path) -> Path:
    text = GERMAN_EVENTS.replace("Kunde", "customer_id").replace("Zeitpunkt", "timestamp").replace("Wert", "value")
    return write(tmp_path, "events.csv", text.replace("Theke", "Theke für Gäste"), "cp1252")


EXPECTED_GERMAN = [
    {"customer_id": "K1", "timestamp": datetime(2026, 1, 31, 14, 5), "touchpoint": "Theke für Gäste", "value": 1.5,
     "_row": 2},
    {"customer_id": "K2", "timestamp": datetime(2026, 2, 1, 9, 0), "touchpoint": "Kasse", "value": 2.0, "_row": 4},
]


def test_second_read_on_the_same_connection_does_no_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ibis

    path = german_events(tmp_path)
    con = ibis.duckdb.connect()
    first = io.read(path, "events", con=con)
    validate = Spy(monkeypatch, csv_reader, "validate")
    monkeypatch.setattr("jmapkit.digest.sha256_file", lambda p: pytest.fail("hashed the file again"))
    first.warnings.append("changed by the caller")
    second = io.read(path, "events", con=con)
    assert validate.calls == 0
    assert fetch(second) == fetch(first) == EXPECTED_GERMAN
    assert (second.rows, second.sha256, second.encoding, second.dropped) == (2, first.sha256, "cp1252", first.dropped)
    assert second.warnings == ["read as cp1252 (detected); set the option encoding= if any text looks wrong."]


def test_another_process_reads_the_cached_typed_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import hashlib

    import ibis

    path = german_events(tmp_path)
    first = io.read(path, "events", con=ibis.duckdb.connect())
    # A new connection stands for a new process: nothing is memoised for it, the cache folder is.
    validate, scan = Spy(monkeypatch, csv_reader, "validate"), Spy(monkeypatch, csv_reader, "find_blank_lines")
    again = io.read(path, "events", con=ibis.duckdb.connect())
    assert (validate.calls, scan.calls) == (0, 0)
    assert fetch(again) == EXPECTED_GERMAN
    assert again.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert (again.rows, again.encoding, again.warnings) == (first.rows, "cp1252", first.warnings)
    assert again.dropped == [Problem(None, "blank row dropped", (3,), count=1, code="blank_rows")]


def test_changed_file_or_options_are_read_afresh(tmp_path: Path) -> None:
    path = write(tmp_path, "events.csv", events_csv(["03/04/2026 10:00"]))
    day_first = io.read(path, "events", timestamp_format="%d/%m/%Y %H:%M")
    month_first = io.read(path, "events", timestamp_format="%m/%d/%Y %H:%M")
    assert column(day_first, "timestamp") == [datetime(2026, 4, 3, 10, 0)]
    assert column(month_first, "timestamp") == [datetime(2026, 3, 4, 10, 0)]
    write(tmp_path, "events.csv", events_csv(["2026-12-24T18:00:00", "2026-12-25T08:00:00"]))
    changed = io.read(path, "events")
    assert column(changed, "timestamp") == [datetime(2026, 12, 24, 18, 0), datetime(2026, 12, 25, 8, 0)]
    assert changed.rows == 2


def test_failed_validation_is_not_cached(tmp_path: Path) -> None:
    path = write(tmp_path, "events.csv", events_csv(["03/04/2026 10:00"]))
    for _ in range(2):  # the second read fails the same way, rather than returning a half-made table
        with pytest.raises(ValidationFailed, match="day-first or month-first"):
            io.read(path, "events")


def test_cache_folder_deleted_between_reads(tmp_path: Path, own_cache: Path) -> None:
    import shutil

    path = german_events(tmp_path)
    io.read(path, "events")
    shutil.rmtree(own_cache)
    assert fetch(io.read(path, "events")) == EXPECTED_GERMAN


def test_unusable_cache_folder_says_how_to_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    monkeypatch.setenv("JMAPKIT_CACHE_DIR", str(tmp_path / "a-file" / "cache"))
    with pytest.raises(DataFileError, match=r"cannot create jmapkit's cache folder .*a-file/cache \(Not a directory\)"
                       r"\. Fix: set JMAPKIT_CACHE_DIR to a folder you can write to\."):
        io.read(german_events(tmp_path), "events")


# --- when DuckDB refuses a file: the serial reader, then Python's csv module ---------------------------


def refuse_duckdb(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Make every DuckDB read of a CSV fail, as on a file it cannot parse; returns the attempts (parallel?)."""
    import duckdb

    attempts: list[bool] = []

    def refused(raw: Any, path: Path, utf8: Path, delimiter: str | None, skip: int, offsets: list[int],
                parallel: bool, *rest: Any) -> None:
        attempts.append(parallel)
        raise duckdb.InvalidInputException("CSV Error on Line: 2 (refused for the test)")

    monkeypatch.setattr(csv_reader, "_duckdb_copy", refused)
    return attempts


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("id,text\n\nV1,\"one\n\ntwo\"\n\nV2,b\n", "verbatims"),  # blank lines inside and outside quotes
        ("Feedback export\n\nid;text\nV1;a;\nV2;\"b;c\";\n", "verbatims"),  # title rows, trailing delimiter
        ("\n\nid,text\nV1,a\n", "verbatims"),  # blank lines before the header
        ("customer_id,timestamp,touchpoint\r\nC1,2026-01-01 10:00,queue\r\n\r\nC2,2026-01-02 11:00,pay\r\n", "events"),
    ],
)
def test_python_csv_reads_what_duckdb_would_with_the_same_row_numbers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                     text: str, kind: str) -> None:
    by_duckdb = io.read(write(tmp_path, "a.csv", text), kind)
    attempts = refuse_duckdb(monkeypatch)
    monkeypatch.setenv("JMAPKIT_CACHE_DIR", str(tmp_path / "another-cache"))  # the same bytes: not from the cache
    by_python = io.read(write(tmp_path, "b.csv", text), kind)
    assert attempts == [True, False]  # parallel, then serial, then Python
    assert fetch(by_python) == fetch(by_duckdb)
    assert (by_python.rows, by_python.dropped, by_python.warnings) == (by_duckdb.rows, by_duckdb.dropped,
                                                                       by_duckdb.warnings)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'id,text\nV1,"good"ish\n',
         'line 2: text follows a closing quote inside a value ("abc"def); a quote inside a quoted value is written '
         'twice (""). Fix: write the quote on line 2 as "", or export the file again from the spreadsheet.'),
        (b'id,text\nV1,ok\nV2,"never closed\nV3,x\n',
         "a quoted value starting on line 3 never ends: a closing '\"' is missing, so everything after it would be "
         "one value. Fix: add the closing quote on line 3 (or remove the opening one) and export the file again."),
    ],
)
def test_a_file_no_parser_reads_is_refused_with_its_cause_and_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   data: bytes, message: str) -> None:
    refuse_duckdb(monkeypatch)
    path = tmp_path / "verbatims.csv"
    path.write_bytes(data)
    with pytest.raises(DataFileError) as info:
        io.read(path, "verbatims")
    assert info.value.message == f"{path}: {message}"


# --- compressed files, file types, reader options ----------------------------------------------------


def test_gzip_and_zstd_csv_and_tsv(tmp_path: Path) -> None:
    import gzip

    import pyarrow as pa

    text = "id\ttext\nV1\tGrüße, Köln\nV2\tok\n"
    (tmp_path / "v.tsv.gz").write_bytes(gzip.compress(text.encode("utf-8")))
    with pa.output_stream(str(tmp_path / "v.csv.zst"), compression="zstd") as f:
        f.write(text.encode("cp1252"))
    expected = [{"id": "V1", "text": "Grüße, Köln", "_row": 2}, {"id": "V2", "text": "ok", "_row": 3}]
    assert fetch(io.read(tmp_path / "v.tsv.gz", "verbatims")) == expected  # a tab by the name, inside the archive
    zst = io.read(tmp_path / "v.csv.zst", "verbatims")
    assert (fetch(zst), zst.encoding) == (expected, "cp1252")  # detected inside the archive, transcoded


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("events.gz", "unsupported file type '.gz'."),
        ("events.xlsx.gz", "unsupported file type '.xlsx.gz'."),
        ("events.json", "unsupported file type '.json'."),
    ],
)
def test_unsupported_file_types_name_the_compressed_ones_too(tmp_path: Path, name: str, message: str) -> None:
    (tmp_path / name).write_bytes(b"x")
    with pytest.raises(DataFileError) as info:
        io.read(tmp_path / name, "events")
    assert info.value.message == (f"{tmp_path / name}: {message} Fix: save it as one of .csv, .parquet, .pq, .tsv, "
                                  ".txt, .xlsm, .xlsx (CSV may be compressed: .csv.gz, .csv.zst).")


def test_a_broken_archive_is_a_data_file_error(tmp_path: Path) -> None:
    path = tmp_path / "events.csv.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00not really gzip")
    with pytest.raises(DataFileError, match=r"events\.csv\.gz: could not be decompressed as gzip"):
        io.read(path, "events")


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"delimiter": "tab"}, {"delimiter": "\t"}),
        ({"delimiter": "Semicolon"}, {"delimiter": ";"}),
        ({"delimiter": "|"}, {"delimiter": "|"}),
        ({"decimal": ",", "encoding": "cp949", "timestamp_format": "%d.%m.%Y", "sheet": "2"},
         {"decimal": ",", "encoding": "cp949", "timestamp_format": "%d.%m.%Y", "sheet": "2"}),
    ],
)
def test_reader_options_from_text(given: dict[str, str], expected: dict[str, str]) -> None:
    assert io.reader_options(given) == expected


# --- numbers: decimal marks and digit grouping -------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["4,5", "3", "1.234,5"], [4.5, 3.0, 1234.5]),  # a decimal comma; '.' groups thousands
        (["4.5", "3", "1,234.5"], [4.5, 3.0, 1234.5]),  # a decimal point; ',' groups thousands
        (["1 234,5", "2\u00a0000", "0,25"], [1234.5, 2000.0, 0.25]),  # French: (no-break) spaces group
        (["1,234,567", "12"], [1234567.0, 12.0]),  # a repeated ',' can only be grouping
        (["-1.5", "+2", ".5", "1e3"], [-1.5, 2.0, 0.5, 1000.0]),
    ],
)
def test_decimal_mark_and_grouping(tmp_path: Path, values: list[str], expected: list[float]) -> None:
    text = "customer_id;timestamp;touchpoint;value\n" + "".join(
        f"C{i};2026-01-01;queue;{v}\n" for i, v in enumerate(values))
    assert column(io.read(write(tmp_path, "events.csv", text), "events"), "value") == expected


def test_a_value_with_the_other_mark_is_not_a_number(tmp_path: Path) -> None:
    text = "customer_id;timestamp;touchpoint;value\nC1;2026-01-01;queue;4,5\nC2;2026-01-01;queue;2,25\n" \
           "C3;2026-01-01;queue;4.5\n"
    with pytest.raises(ValidationFailed) as exc:
        io.read(write(tmp_path, "events.csv", text), "events")
    assert [(p.column, p.code, p.rows, p.value) for p in exc.value.problems] == [("value", "not_a_number", (4,),
                                                                                  "4.5")]


# --- survey scales, duplicates, unnamed columns -----------------------------------------------------


def test_survey_scale_problems_are_listed_with_the_others(tmp_path: Path) -> None:
    text = ("respondent_id,touchpoint,question,score\nR1,queue,NPS,inf\nR2,queue,csat,4.5\nR3,queue,ces,7.5\n"
            "R4,queue,taste,99\nR5,,csat,4\n")
    with pytest.raises(ValidationFailed) as exc:
        io.read(write(tmp_path, "survey.csv", text), "survey")
    assert [(p.column, p.code, p.rows) for p in exc.value.problems] == [
        ("touchpoint", "empty_value", (6,)),
        ("score", "not_whole_number", (3,)),  # csat 4.5 has no category
        ("score", "out_of_range", (4,)),  # ces 7.5 is above 7; a custom question (taste) has no scale
        ("score", "not_finite", (2,)),
    ]


def test_an_averaged_ces_in_a_dataframe_is_kept_with_a_data_warning() -> None:
    import pandas as pd

    from jmapkit.errors import DataWarning

    frame = pd.DataFrame({"respondent_id": ["R1", "R2"], "touchpoint": ["queue", "queue"], "question": ["ces", "ces"],
                          "score": [2.5, 4.0]})
    with pytest.warns(DataWarning, match=r"^DataFrame: column 'score': question 'ces': score between whole numbers"):
        out = io.normalize_frame(frame, "survey")
    assert out["score"].tolist() == [2.5, 4.0]


def test_duplicate_survey_rows_are_dropped_also_from_parquet_and_in_the_next_process(tmp_path: Path) -> None:
    import ibis
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"respondent_id": ["R1", "R2", "R1", "R1"], "touchpoint": ["q", "q", "q", "q"],
                      "question": ["nps", "nps", "nps", "nps"], "score": [9.0, 3.0, 9.0, 9.0]})
    path = tmp_path / "survey.parquet"
    pq.write_table(table, path)
    reason = "2 exact duplicate rows dropped (equal in every column to an earlier row, which is kept)"
    for con in (ibis.duckdb.connect(), ibis.duckdb.connect()):  # the second reads the cached copy
        loaded = io.read(path, "survey", con=con)
        assert [(r["respondent_id"], r["score"], r["_row"]) for r in fetch(loaded)] == [("R1", 9.0, 2), ("R2", 3.0, 3)]
        assert loaded.dropped == [Problem(None, reason, (4, 5), count=2, code="duplicate_rows")]
        assert loaded.rows == 2


def test_an_unnamed_column_with_a_value_in_every_row_is_kept(tmp_path: Path) -> None:
    """pandas writes its index under an empty header: a column without a name, kept as text."""
    loaded = io.read(write(tmp_path, "verbatims.csv", ",id,text\n0,V1,a\n1,V2,b\n"), "verbatims")
    assert fetch(loaded) == [{"column0": "0", "id": "V1", "text": "a", "_row": 2},
                             {"column0": "1", "id": "V2", "text": "b", "_row": 3}]
