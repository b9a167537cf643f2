"""The behaviour analytics on PySpark local mode give every number the DuckDB run gives.

The same canonical events go to both backends: a DuckDB memtable (the default) and a Spark temp
view read through Ibis' PySpark backend. Needs Java and pyspark; a missing pyspark is an error here
(the `spark_con` fixture imports it), never a skip.
"""

from __future__ import annotations

import warnings
from typing import Any

import pandas as pd
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
from tests.test_analytics_behaviour import PATH_ROWS, STAGES, assert_table, events, random_log

pytestmark = [
    pytest.mark.spark,
    pytest.mark.slow,
    pytest.mark.filterwarnings(SPARK_ON_PANDAS_3),
    pytest.mark.filterwarnings(SPARK_COPY_KEYWORD),
]


def on_spark(con: Any, frame: pd.DataFrame, name: str) -> Any:
    """The canonical frame as an Ibis table on Spark (a temp view of a Spark DataFrame)."""
    # Through Arrow: a missing text stays null (from pandas directly Spark may read NaN as the text "NaN").
    import pyarrow as pa

    con._session.createDataFrame(pa.Table.from_pandas(frame, preserve_index=False)).createOrReplaceTempView(name)
    return con.table(name)


def pylist(table: Any) -> list[dict[str, Any]]:
    """Raw rows of a small Ibis table (ibis reads a deprecated pandas option on PySpark: not our warning)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "The 'future.infer_string' option is deprecated")
        return table.to_pyarrow().to_pylist()


def same_everywhere(con: Any, frame: pd.DataFrame, name: str, stages: Any, by: str | None = None) -> None:
    """funnel, touchpoints, paths and transitions: Spark's rows equal DuckDB's, cell by cell."""
    canonical = normalize_frame(frame, "events")
    spark = on_spark(con, canonical, name)
    assert len(pylist(spark.select("customer_id"))) == len(canonical)
    assert_table(analytics.funnel(spark, stages=stages), analytics.funnel(canonical, stages=stages))
    if by:
        assert_table(analytics.funnel(spark, stages=stages, by=by), analytics.funnel(canonical, stages=stages, by=by))
    assert_table(analytics.touchpoints(spark, stages=stages), analytics.touchpoints(canonical, stages=stages))
    assert_table(analytics.paths(spark, top=20, stages=stages), analytics.paths(canonical, top=20, stages=stages))
    assert_table(analytics.paths(spark, top=20), analytics.paths(canonical, top=20))
    assert_table(analytics.transitions(spark, stages=stages), analytics.transitions(canonical, stages=stages))


def test_hand_made_events_equal_duckdb(spark_con: Any) -> None:
    frame = events(PATH_ROWS, segment=["x", "x", "x", "x", "y", "y", None, None, None, "y"])
    same_everywhere(spark_con, frame, "jm_hand", STAGES, by="segment")


@pytest.mark.parametrize("seed", [0, 1])
def test_random_logs_equal_duckdb(spark_con: Any, seed: int) -> None:
    same_everywhere(spark_con, random_log(seed, customers=60), f"jm_random_{seed}", STAGES, by="segment")


def test_map_events_and_conflicts_equal_duckdb(spark_con: Any) -> None:
    raw = pd.DataFrame({
        "customer_id": ["a", "a", "b", "b", "b", "c", "c"],
        "timestamp": pd.to_datetime(["2026-03-01 10:00"] * 6 + ["2026-03-01 11:00"]),
        "event": ["page_view", "checkout", "page_view", "push_open", "push_open", "push_open", "sms_click"],
        "stage": ["aware", "buy", "buy", None, None, None, "buy"],
    })
    canonical = normalize_frame(raw, "events")
    spark = on_spark(spark_con, canonical, "jm_raw")
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


def test_cdnow_equals_duckdb(spark_con: Any, cdnow_journey: pd.DataFrame) -> None:  # noqa: F811
    same_everywhere(spark_con, cdnow_journey, "jm_cdnow", CDNOW_STAGES, by="segment")
    order = list(dict.fromkeys(CDNOW_STAGES.values()))
    canonical = normalize_frame(cdnow_journey, "events")
    spark = spark_con.table("jm_cdnow")
    assert_table(analytics.funnel(spark, stages=order), analytics.funnel(canonical, stages=order))
