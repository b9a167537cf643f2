"""The readers on real data sets (tests/realdata.py, fixtures_realdata.py) exported as teams export them.

Each set is written the way a tool or a spreadsheet writes it (comma, semicolon + BOM + CRLF, Excel's
UTF-16 text, gzip, zstd, xlsx, German decimal commas, thousands separators) and must read back equal
to the frame it was written from; the survey and the events are then checked against pandas.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from jmapkit import io
from jmapkit.analytics import survey_scores
from tests import realdata
from tests.fixtures_realdata import cdnow_events, cdnow_raw

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JMAPKIT_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def reviews() -> pd.DataFrame:
    """All four ICWSM sets (23,703 human-rated texts: reviews, editorials, tweets) as verbatims."""
    sets = realdata.icwsm()
    frame = pd.concat([f.assign(id=name[:5] + "-" + f["id"]) for name, f in sets.items()], ignore_index=True)
    return frame[["id", "text"]]


def frame_rows(loaded: io.Loaded) -> pd.DataFrame:
    return loaded.table.order_by("_row").to_pyarrow().to_pandas()


EXPORTS = {
    "comma": {"sep": ",", "lineterminator": "\n", "encoding": "utf-8"},
    "semicolon-bom-crlf": {"sep": ";", "lineterminator": "\r\n", "encoding": "utf-8-sig"},
    "excel-unicode-text": {"sep": "\t", "lineterminator": "\r\n", "encoding": "utf-16"},
    "all-quoted-gzip": {"sep": ",", "lineterminator": "\n", "encoding": "utf-8", "quoting": csv.QUOTE_ALL,
                        "compression": "gzip"},
}


@pytest.mark.parametrize("style", list(EXPORTS))
def test_icwsm_texts_read_back_equal(reviews: pd.DataFrame, tmp_path: Path, style: str) -> None:
    options = dict(EXPORTS[style])
    path = tmp_path / ("verbatims.csv.gz" if options.get("compression") else "verbatims.csv")
    reviews.to_csv(path, index=False, **options)  # type: ignore[arg-type]
    loaded = io.read(path, "verbatims")
    got = frame_rows(loaded)
    assert loaded.rows == len(reviews) == 23_703
    assert got["id"].tolist() == reviews["id"].tolist()
    assert got["text"].tolist() == reviews["text"].str.strip(" ").tolist()  # padding spaces are trimmed
    assert got["_row"].tolist() == list(range(2, len(reviews) + 2))
    assert (loaded.dropped, loaded.warnings) == ([], [])


def test_icwsm_amazon_as_zstd_and_xlsx(reviews: pd.DataFrame, tmp_path: Path) -> None:
    import pyarrow as pa

    amazon = reviews[reviews["id"].str.startswith("amazo")].reset_index(drop=True)
    assert len(amazon) == 3708
    zst = tmp_path / "verbatims.csv.zst"
    with pa.output_stream(str(zst), compression="zstd") as f:
        f.write(amazon.to_csv(index=False).encode())
    xlsx = tmp_path / "verbatims.xlsx"
    amazon.to_excel(xlsx, index=False)
    for path in (zst, xlsx):
        got = frame_rows(io.read(path, "verbatims"))
        assert got["text"].tolist() == amazon["text"].str.strip(" ").tolist(), path.name


@pytest.fixture(scope="module")
def mobi_long() -> pd.DataFrame:
    """The ECSI survey (250 customers × 24 items on 1..10) in the long shape, as custom questions."""
    mobi = realdata.mobi()
    wide = mobi.assign(respondent_id=[f"m{i:03d}" for i in range(len(mobi))])
    long = wide.melt(id_vars="respondent_id", var_name="question", value_name="score")
    long["touchpoint"] = long["question"].str[:4].str.lower()
    long["question"] = long["question"].str.lower()
    return long[["respondent_id", "touchpoint", "question", "score"]]


def test_mobi_from_german_excel_csv_scores_equal_pandas(mobi_long: pd.DataFrame, tmp_path: Path) -> None:
    """';', cp1252, a decimal comma (every score written as '7,0'): each item's mean equals pandas' mean."""
    path = tmp_path / "umfrage.csv"
    mobi_long.to_csv(path, sep=";", decimal=",", index=False, encoding="cp1252", float_format="%.1f")
    loaded = io.read(path, "survey")
    assert loaded.rows == 250 * 24
    assert frame_rows(loaded)["score"].tolist() == mobi_long["score"].astype(float).tolist()
    got = survey_scores(loaded.table, by="all").set_index("metric")
    expected = mobi_long.groupby("question")["score"].agg(["size", "mean"])
    assert got.loc[expected.index, "n"].tolist() == expected["size"].tolist()
    np.testing.assert_allclose(got.loc[expected.index, "value"], expected["mean"], rtol=1e-12)


def test_mobi_from_a_workbook_with_a_title_row(mobi_long: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "survey.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame([["ECSI mobile survey, 250 customers"]]).to_excel(writer, index=False, header=False)
        mobi_long.to_excel(writer, index=False, startrow=2)
    loaded = io.read(path, "survey")
    got = frame_rows(loaded)
    assert got["score"].tolist() == mobi_long["score"].astype(float).tolist()
    assert got["_row"].tolist() == list(range(4, len(mobi_long) + 4))
    assert loaded.warnings == ["rows 1–2 above the header skipped (not data: 'ECSI mobile survey, 250 customers')."]


def test_cdnow_events_as_gzip_with_thousands_separators(tmp_path: Path) -> None:
    """69,659 purchases, amounts as '1,234.56': read back equal; same-day repeated lines kept and counted."""
    events = cdnow_events(cdnow_raw())
    written = events.assign(value=events["value"].map("{:,.2f}".format))
    path = tmp_path / "events.csv.gz"
    written.to_csv(path, index=False, compression="gzip")
    loaded = io.read(path, "events")
    got = frame_rows(loaded)
    assert loaded.rows == len(events) == 69_659
    assert got["customer_id"].tolist() == events["customer_id"].tolist()
    assert got["timestamp"].tolist() == events["timestamp"].tolist()
    assert got["touchpoint"].tolist() == events["touchpoint"].tolist()
    np.testing.assert_array_equal(got["value"].to_numpy(), events["value"].round(2).to_numpy())
    repeated = int(written.duplicated().sum())
    assert repeated > 0
    assert loaded.warnings[0].startswith(f"file: {repeated} rows equal in every column to an earlier row, kept")
