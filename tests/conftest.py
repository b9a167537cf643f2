from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jmapkit.store import Workshop, new_workshop

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def restaurant(tmp_path: Path) -> Workshop:
    """A fresh workshop made from the bundled restaurant template (with its example data)."""
    return new_workshop(tmp_path / "tacos", template="restaurant")


@pytest.fixture
def blank(tmp_path: Path) -> Workshop:
    return new_workshop(tmp_path / "blank")


# PySpark 4 under pandas 3: third-party warnings about PySpark itself, not about jmapkit.
SPARK_ON_PANDAS_3 = "ignore:PySpark does not yet fully support pandas >= 3.0.0:FutureWarning"
SPARK_COPY_KEYWORD = "ignore:The copy keyword is deprecated"


@pytest.fixture(scope="session")
def spark_con(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """An Ibis PySpark backend on a local Spark (needs Java, as installed by `make system-deps`)."""
    import warnings

    import ibis
    from pyspark.sql import SparkSession

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "PySpark does not yet fully support pandas", FutureWarning)
        session = (
            SparkSession.builder.master("local[2]")
            .appName("jmapkit-tests")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.sql.session.timeZone", "UTC")
            # Spark's default warehouse is ./spark-warehouse: keep it out of the checkout.
            .config("spark.sql.warehouse.dir", str(tmp_path_factory.mktemp("spark-warehouse")))
            .getOrCreate()
        )
    yield ibis.pyspark.connect(session)
    session.stop()


ROOM_TOKEN, ROOM_FACILITATOR = "participant-code", "facilitator-code-0123456789"


@pytest.fixture
def room(restaurant: Workshop) -> Iterator[Any]:
    """The restaurant workshop's room served from a background thread on 127.0.0.1 (a free port)."""
    from jmapkit.room.server import start

    with start(restaurant, token=ROOM_TOKEN, facilitator_token=ROOM_FACILITATOR) as running:
        yield running
