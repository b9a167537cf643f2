"""CSV-injection neutralising (jmapkit.safe) and KPIs tied to step-4 metrics (jmapkit.kpis)."""

from __future__ import annotations

import pandas as pd
import pytest

from jmapkit import safe
from jmapkit.bundle import Bundle
from jmapkit.kpis import CONTRADICTS, NOT_IMPROVING, REACHED, UNKNOWN, kpi_status, parse
from jmapkit.model import KPI, BehaviourResults, DataRef, Map, Touchpoints
from jmapkit.store import Workshop


@pytest.mark.parametrize("text", ["=1+1", "+cmd", "-2+3", "@SUM(A1)", "\tx", "\rx", "'=already", "plain", "a=b"])
def test_neutralise_and_restore_round_trip(text: str) -> None:
    written = safe.neutralise(text)
    assert not safe.dangerous(written)
    assert safe.restore(written) == text


def test_step4_csvs_are_neutralised_on_disk_and_read_back_as_written(restaurant: Workshop) -> None:
    from jmapkit.steps.behaviour import _write_tables

    frame = pd.DataFrame({"touchpoint": ["=HYPERLINK(\"http://x\",\"y\")", "queue"], "n": [-3, 4]})
    out = restaurant.tables_dir(4)
    _write_tables(out, {"sentiment": frame})
    raw = (out / "sentiment.csv").read_text(encoding="utf-8").splitlines()
    assert raw == ["touchpoint,n", "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",-3", "queue,4"]
    b = restaurant.load_or_default(BehaviourResults)
    b.inputs = {"verbatims": DataRef(path="data/v.csv", sha256="0" * 64)}
    b.tables = {"sentiment": "steps/4-behaviour/sentiment.csv"}
    restaurant.save(b)
    back = Bundle.load(restaurant).tables["sentiment"]
    assert list(back["touchpoint"]) == list(frame["touchpoint"]) and list(back["n"]) == [-3, 4]


@pytest.mark.parametrize(("source", "expected"), [
    ("survey: csat@order_counter", ("csat", "order_counter")), ("nps", ("nps", None)),
    ("events:conversion@retention", ("conversion", "retention")), ("survey", None), ("events", None),
    ("POS system export", None), ("", None),
])
def test_parse_data_source(source: str, expected: tuple[str, str | None] | None) -> None:
    assert parse(source) == expected


def test_kpi_status_compares_baseline_target_and_measured() -> None:
    tps = Touchpoints.model_validate({"stages": [{"id": "buy", "name": "Buy"}, {"id": "back", "name": "Come back"}],
                                      "touchpoints": [{"id": "till", "name": "Till", "stage": "buy"}]})
    scores = pd.DataFrame({"group_by": ["touchpoint"], "group": ["till"], "metric": ["csat"], "n": [200],
                           "value": [44.0], "ci_low": [37.0], "ci_high": [51.0]})
    funnel = pd.DataFrame({"stage": ["buy", "back"], "reached": [800, 200], "conversion_from_previous": [None, 0.25],
                           "conversion_from_first": [1.0, 0.25], "median_hours": [None, 30.0],
                           "p90_hours": [None, 90.0]})
    kpis = [KPI(stage="buy", name="a", baseline=48, target=70, data_source="csat@Till"),  # inside the CI
            KPI(stage="buy", name="b", baseline=60, target=60, data_source="csat@till"),  # outside, flat
            KPI(stage="back", name="c", baseline=20, target=24, data_source="conversion@back"),  # 25 % measured
            KPI(stage="back", name="d", baseline=30, target=20, data_source="median_hours@back"),
            KPI(stage="buy", name="e", baseline=2, target=1, data_source="ces@nowhere"),
            KPI(stage="buy", name="f", baseline=5, target=5, data_source="events")]
    b = Bundle.of([tps, Map(kpis=kpis), BehaviourResults(inputs={"survey": DataRef(path="s", sha256="0" * 64)})],
                  tables={"scores": scores, "funnel": funnel})
    got = {s.kpi.name: s for s in kpi_status(b)}
    assert got["a"].measured.value == 44.0 and got["a"].flags == {} and got["a"].gap == 26.0
    assert set(got["b"].flags) == {CONTRADICTS, NOT_IMPROVING}
    # 20 is 20 % away from 25 (more than 10 %): contradicts; target 24 is below the measured 25: reached.
    assert got["c"].measured.value == 25.0 and set(got["c"].flags) == {CONTRADICTS, REACHED}
    # Hours: lower is better, so 30 → 20 improves; 30 h measured equals the baseline.
    assert got["d"].flags == {} and got["d"].gap == 10.0
    assert set(got["e"].flags) == {UNKNOWN} and got["e"].measured is None
    assert set(got["f"].flags) == {NOT_IMPROVING} and got["f"].metric is None
