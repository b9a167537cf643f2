"""The same Ibis expressions on PySpark local mode give exactly the DuckDB numbers."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from jmapkit import analytics
from tests.conftest import SPARK_COPY_KEYWORD, SPARK_ON_PANDAS_3
from tests.test_behaviour_cases import PATH_ROWS, STAGES, _events
from tests.test_behaviour_realdata import STAGES as CDNOW_STAGES
from tests.test_behaviour_realdata import cdnow_events

pytestmark = [pytest.mark.spark, pytest.mark.slow, pytest.mark.filterwarnings(SPARK_ON_PANDAS_3),
              pytest.mark.filterwarnings(SPARK_COPY_KEYWORD)]


def _on_spark(con: Any, frame: pd.DataFrame, name: str) -> Any:
    # Through Arrow: a missing text stays null (from pandas directly Spark may read NaN as the text "NaN").
    import pyarrow as pa

    con._session.createDataFrame(pa.Table.from_pandas(frame, preserve_index=False)).createOrReplaceTempView(name)
    return con.table(name)


def _same(spark: pd.DataFrame, duck: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(spark.reset_index(drop=True), duck.reset_index(drop=True), check_dtype=False)


@pytest.mark.parametrize("name", ["small", "cdnow"])
def test_behaviour_analytics_equal_duckdb(spark_con: Any, name: str) -> None:
    if name == "small":
        frame, stages = _events(PATH_ROWS), STAGES
    else:
        frame, stages = cdnow_events(), CDNOW_STAGES
    table = _on_spark(spark_con, frame, f"events_{name}")
    _same(analytics.funnel(table, stages=stages), analytics.funnel(frame, stages=stages))
    _same(analytics.touchpoints(table, stages=stages), analytics.touchpoints(frame, stages=stages))
    _same(analytics.paths(table, top=10), analytics.paths(frame, top=10))
    _same(analytics.transitions(table), analytics.transitions(frame))


def test_segment_funnel_equal_duckdb(spark_con: Any) -> None:
    frame = _events(PATH_ROWS, segment=["x", "x", "x", "x", "y", "y", None, None, None])
    table = _on_spark(spark_con, frame, "events_segments")
    _same(analytics.funnel(table, stages=STAGES, by="segment"), analytics.funnel(frame, stages=STAGES, by="segment"))
