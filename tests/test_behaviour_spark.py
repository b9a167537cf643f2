"""The behaviour analytics on PySpark local mode give every number the DuckDB run gives.

Every event log goes into one Spark table, told apart by `log` (customer ids are prefixed with it): the
hand-made paths of tests/test_behaviour.py with segments, two random logs full of same-time ties, skipped
stages, early events and late entrants, and CDNOW's 69,659 real purchases. A Spark query costs seconds on
a small machine and every analytics call runs a few, so touchpoints, paths and transitions are called
once on all logs together (a customer counted differently on Spark changes the result); the funnel, whose
medians would drown the small logs' hours in CDNOW's, is called on the made-up logs and on CDNOW apart.
DuckDB gets the same canonical rows as a memtable. Needs Java and pyspark; a missing pyspark is an error
here (the `spark_con` fixture imports it), never a skip.
"""

from __future__ import annotations

import warnings
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

from jmapkit import analytics
from jmapkit.analytics import behaviour
from jmapkit.io import normalize_frame
from tests.conftest import SPARK_COPY_KEYWORD, SPARK_ON_PANDAS_3
from tests.fixtures_realdata import (  # noqa: F401 (cdnow, cdnow_journey are fixtures)
    CDNOW_STAGES,
    cdnow,
    cdnow_journey,
)
from tests.test_behaviour import PATH_ROWS, STAGES, assert_table, events, random_log

pytestmark = [
    pytest.mark.spark,
    pytest.mark.slow,
    pytest.mark.filterwarnings(SPARK_ON_PANDAS_3),
    pytest.mark.filterwarnings(SPARK_COPY_KEYWORD),
]

# One mapping for every log: the made-up visit → cart → order journey goes through CDNOW's stages. CDNOW
# rows keep their own `stage` column (consistent with the mapping); the made-up logs have none there, so
# their stage comes from the mapping.
JOURNEY = {"visit": "first", "cart": "repeat", "order": "loyal", **CDNOW_STAGES}
ORDER = ["first", "repeat", "loyal"]
TOP = 1000  # more than the distinct paths of all logs: every path is compared, not only the first few


def on_spark(con: Any, frame: pd.DataFrame, name: str) -> Any:
    """The canonical frame as an Ibis table on Spark (a temp view of a Spark DataFrame)."""
    # Through Arrow: a missing text stays null (from pandas directly Spark may read NaN as the text "NaN").
    con._session.createDataFrame(pa.Table.from_pandas(frame, preserve_index=False)).createOrReplaceTempView(name)
    return con.table(name)


def on_duckdb(frame: pd.DataFrame) -> Any:
    """The same canonical frame as an Ibis memtable (DuckDB), so it is not validated again on every call."""
    import ibis

    return ibis.memtable(pa.Table.from_pandas(frame, preserve_index=False))


def made_up(table: Any) -> Any:
    """The hand-made and random logs of a table of all logs (a few hundred events)."""
    return table.filter(table.log != "cdnow")


def cdnow_only(table: Any) -> Any:
    """CDNOW's purchases of a table of all logs."""
    return table.filter(table.log == "cdnow")


def pylist(table: Any) -> list[dict[str, Any]]:
    """Raw rows of a small Ibis table (ibis reads a deprecated pandas option on PySpark: not our warning)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "The 'future.infer_string' option is deprecated")
        return table.to_pyarrow().to_pylist()


@pytest.fixture(scope="module")
def logs(cdnow_journey: pd.DataFrame) -> pd.DataFrame:  # noqa: F811
    """All event logs as one canonical frame: customer_id, timestamp, touchpoint, segment, stage, log."""
    parts = {
        "hand": events(PATH_ROWS, segment=["x", "x", "x", "x", "y", "y", None, None, None, "y"]),
        "random0": random_log(0, customers=60),
        "random1": random_log(1, customers=60),
        "cdnow": cdnow_journey[["customer_id", "timestamp", "touchpoint", "segment", "stage"]],
    }
    frame = pd.concat([part.assign(log=name, customer_id=name + ":" + part["customer_id"])
                       for name, part in parts.items()], ignore_index=True)
    return normalize_frame(frame, "events")


@pytest.fixture(scope="module")
def both(spark_con: Any, logs: pd.DataFrame) -> tuple[Any, Any]:
    """(Spark table, DuckDB table) of all logs; the only Spark table of the event logs."""
    return on_spark(spark_con, logs, "jm_behaviour_logs"), on_duckdb(logs)


def test_spark_holds_every_event_with_missing_text_as_null(both: tuple[Any, Any], logs: pd.DataFrame) -> None:
    """Spark reads every row of every log, and a missing segment or stage as null (not the text 'NaN')."""
    spark, _ = both
    counted = spark.group_by("log").agg(events=spark.count(), no_segment=spark.segment.isnull().sum(),
                                        no_stage=spark.stage.isnull().sum())
    got = {r["log"]: (r["events"], r["no_segment"], r["no_stage"]) for r in pylist(counted)}
    expected = {name: (len(part), int(part["segment"].isna().sum()), int(part["stage"].isna().sum()))
                for name, part in logs.groupby("log")}
    assert got == expected
    assert expected["cdnow"][2] == 0 and expected["hand"] == (10, 3, 10)


def test_funnel_equal_duckdb(both: tuple[Any, Any]) -> None:
    """The whole funnel of the made-up logs: stages from the mapping, same-time ties, late entrants and
    out-of-order customers chained stage by stage."""
    spark, duck = both
    assert_table(analytics.funnel(made_up(spark), stages=JOURNEY), analytics.funnel(made_up(duck), stages=JOURNEY))


def test_funnel_by_segment_equal_duckdb(both: tuple[Any, Any]) -> None:
    """The made-up logs' funnel per segment (the random logs' segments vary within a customer), including
    the events without a segment (the "" group)."""
    spark, duck = both
    assert_table(analytics.funnel(made_up(spark), stages=JOURNEY, by="segment"),
                 analytics.funnel(made_up(duck), stages=JOURNEY, by="segment"))


def test_cdnow_funnel_from_the_stage_column_equal_duckdb(both: tuple[Any, Any]) -> None:
    """CDNOW's funnel per even/odd half at scale (real gaps, same-day ties), in list order from the data's
    own stage column."""
    spark, duck = both
    assert_table(analytics.funnel(cdnow_only(spark), stages=ORDER, by="segment"),
                 analytics.funnel(cdnow_only(duck), stages=ORDER, by="segment"))


def test_touchpoints_equal_duckdb(both: tuple[Any, Any]) -> None:
    """Events, customers, reach and drop-off per touchpoint over all logs."""
    spark, duck = both
    assert_table(analytics.touchpoints(spark, stages=JOURNEY), analytics.touchpoints(duck, stages=JOURNEY))


def test_paths_equal_duckdb(both: tuple[Any, Any]) -> None:
    """Every path, with same-time ties in stage order and, without stages, in touchpoint-name order."""
    spark, duck = both
    assert_table(analytics.paths(spark, top=TOP, stages=JOURNEY), analytics.paths(duck, top=TOP, stages=JOURNEY))
    assert_table(analytics.paths(spark, top=TOP), analytics.paths(duck, top=TOP))


def test_transitions_equal_duckdb(both: tuple[Any, Any]) -> None:
    """The directly-follows graph, with same-time ties in stage order and in touchpoint-name order."""
    spark, duck = both
    assert_table(analytics.transitions(spark, stages=JOURNEY), analytics.transitions(duck, stages=JOURNEY))
    assert_table(analytics.transitions(spark), analytics.transitions(duck))


def test_map_events_and_conflicts_equal_duckdb(spark_con: Any) -> None:
    """Raw event names with a partly filled, partly conflicting stage column: mapped, listed, checked alike."""
    raw = pd.DataFrame({
        "customer_id": ["a", "a", "b", "b", "b", "c", "c"],
        "timestamp": pd.to_datetime(["2026-03-01 10:00"] * 6 + ["2026-03-01 11:00"]),
        "event": ["page_view", "checkout", "page_view", "push_open", "push_open", "push_open", "sms_click"],
        "stage": ["aware", "buy", "buy", None, None, None, "buy"],
    })
    canonical = normalize_frame(raw, "events")
    spark = on_spark(spark_con, canonical, "jm_behaviour_raw")
    event_map = {"page_view": "visit", "checkout": "order", "sms_click": "cart"}
    with pytest.warns(behaviour.StageConflictWarning):
        spark_mapped, spark_unmapped = analytics.map_events(spark, event_map, STAGES)
    with pytest.warns(behaviour.StageConflictWarning):
        duck_mapped, duck_unmapped = analytics.map_events(canonical, event_map, STAGES)
    assert_table(spark_unmapped, duck_unmapped)
    columns = ["customer_id", "event", "touchpoint", "stage"]
    rows = [sorted(tuple(r[c] for c in columns) for r in pylist(t.select(*columns)))
            for t in (spark_mapped, duck_mapped)]
    assert rows[0] == rows[1]
    assert_table(behaviour.stage_conflicts(spark_mapped, STAGES), behaviour.stage_conflicts(duck_mapped, STAGES))
