"""Hotspots: per-touchpoint signals from the step-4 tables, reasons with their numbers, and the ranking."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from jmapkit import hotspots
from jmapkit.hotspots import Reason, Signals, rank, reasons, signals_from
from jmapkit.model import ScoreRow, Stage, Touchpoint, Touchpoints
from jmapkit.steps import behaviour
from jmapkit.store import Workshop, new_workshop
from tests.independent import Reference, csat


def score(tp: str, metric: str, value: float, n: int = 50) -> ScoreRow:
    return ScoreRow(group_by="touchpoint", group=tp, metric=metric, n=n, value=value, ci_low=None, ci_high=None)


def test_signals_from_csv_text() -> None:
    tables = {
        "touchpoints": [{"touchpoint": "a", "customers": "120", "dropoff_after": "0.25"}],
        "emotion": [{"touchpoint": "a", "measured": "-0.5", "measured_n": "40", "measured_ci_high": "",
                     "measured_from": "csat", "voted_n": "7"},
                    {"touchpoint": "b", "measured": "nan", "measured_n": "0", "voted_n": "0"}],
        "sentiment": [{"touchpoint": "a", "mean": "-0.2", "n": "15"}, {"touchpoint": "", "mean": "0.1", "n": "3"}],
    }
    rows = [score("a", "csat", 40), ScoreRow(group_by="segment", group="x", metric="csat", n=5, value=1,
                                             ci_low=None, ci_high=None)]
    found = signals_from(tables, rows)
    assert found == {
        "a": Signals("a", customers=120, dropoff=0.25, measured=-0.5, measured_n=40, measured_ci_high=None,
                     measured_from="csat", votes=7, sentiment=-0.2, sentiment_n=15, scores=(rows[0],)),
        "b": Signals("b"),
    }
    as_read = pd.DataFrame(tables["emotion"]).replace({"": None}).astype(
        {"measured": float, "measured_n": int, "voted_n": int, "measured_ci_high": float})
    assert signals_from({"emotion": as_read.to_dict("records")}, [])["a"] == Signals(
        "a", measured=-0.5, measured_n=40, measured_from="csat", votes=7)  # NaN cells as pandas reads them
    assert not found["b"].measured_anything and found["a"].measured_anything


def test_the_worst_theme_weighs_sentiment_by_share() -> None:
    themes = [{"group_by": "touchpoint", "group": "a", "theme": 1, "label": "queue, wait", "n": 12, "share": 0.5,
               "mean": -0.4},  # −0.2
              {"group_by": "touchpoint", "group": "a", "theme": 2, "label": "rude", "n": 3, "share": 0.125,
               "mean": -0.9},  # −0.1125: more negative, but few say it
              {"group_by": "touchpoint", "group": "a", "theme": 4, "label": "cold", "n": 2, "share": 0.9,
               "mean": -0.9},  # too few texts
              {"group_by": "touchpoint", "group": "a", "theme": 0, "label": "", "n": 30, "share": 1.0,
               "mean": -0.8},  # the texts no theme took
              {"group_by": "touchpoint", "group": "a", "theme": 3, "label": "tasty", "n": 9, "share": 0.375,
               "mean": 0.6},
              {"group_by": "stage", "group": "s1", "theme": 1, "label": "x", "n": 50, "share": 1.0, "mean": -0.95}]
    sig = signals_from({"themes": themes}, [])["a"]
    assert sig == Signals("a", theme=("queue, wait", 12, 0.5, -0.4))
    assert reasons(sig) == [Reason("theme", pytest.approx(0.2), "theme “queue, wait”: 12 verbatims (50% of them), "
                                                                "mean sentiment -0.40")]


def test_reasons_with_their_numbers() -> None:
    sig = Signals("a", customers=200, dropoff=0.35, measured=-0.6, measured_n=80, measured_from="csat, sentiment",
                  sentiment=-0.3, sentiment_n=25, scores=(score("a", "csat", 40), score("a", "nps", 10),
                                                          score("a", "ces", 5.5)))
    # CES 5.5 is (4 − 5.5)·2/3 = −1 on −2..+2 → 0.5; CSAT 40 % is 40/25 − 2 = −0.4 → 0.2; NPS 10 is not poor.
    assert reasons(sig) == [
        Reason("score", pytest.approx(0.5), "CES 5.5 (n=50)"),
        Reason("drop-off", pytest.approx(0.35), "35% of its 200 customers went no further"),
        Reason("emotion", pytest.approx(0.3), "measured emotion -0.60 on −2..+2 (n=80, from csat, sentiment)"),
        Reason("sentiment", pytest.approx(0.3), "mean sentiment -0.30 on −1..1 over 25 verbatims"),
        Reason("score", pytest.approx(0.2), "CSAT 40 % (n=50)"),
    ]
    assert [r.kind for r in reasons(sig, last_stage=True)] == ["score", "emotion", "sentiment", "score"]
    assert reasons(Signals("a", customers=29, dropoff=0.9)) == []  # too few customers for a share


def test_rank_worst_first_ties_by_all_reasons_then_journey_order() -> None:
    tps = Touchpoints(stages=[Stage(id="s1"), Stage(id="s2")],
                      touchpoints=[Touchpoint(id="a", stage="s1"), Touchpoint(id="b", stage="s1"),
                                   Touchpoint(id="c", stage="s2"), Touchpoint(id="d", stage="s1")])
    signals = {
        "a": Signals("a", sentiment=-0.4, sentiment_n=9),  # 0.4
        "b": Signals("b", sentiment=-0.4, sentiment_n=9, measured=-0.2, measured_n=9),  # 0.4, +0.1
        "c": Signals("c", customers=500, dropoff=0.95),  # last stage: journeys end there
        "d": Signals("d", scores=(score("d", "nps", -60),)),  # NPS −60 → −1.2 → 0.6
    }
    assert [(h.touchpoint, round(h.score, 6)) for h in rank(tps, signals)] == [("d", 0.6), ("b", 0.4), ("a", 0.4)]


def test_ecommerce_hotspots_match_an_independent_count(tmp_path: Path) -> None:
    ws = new_workshop(tmp_path / "shop", template="ecommerce")
    behaviour.run(ws)
    table = hotspots.table(ws)
    assert list(table.columns) == ["rank", "touchpoint", "stage", "score", "reasons", "child map"]
    top = table.iloc[0]
    assert (top["rank"], top["touchpoint"], top["stage"]) == (1, "Checkout (address and shipping)", "Buy")
    events = pd.read_csv(ws.path("data", "events.csv"), parse_dates=["timestamp"])
    tps = ws.load(3)
    events["touchpoint"] = events["event"].map(tps.event_map)
    events["stage"] = events["touchpoint"].map(tps.stage_of())
    ref = Reference(events, tps.stage_order()).touchpoints(tps.stage_of()).set_index("touchpoint")
    survey = pd.read_csv(ws.path("data", "survey.csv"))
    answers = survey[(survey["touchpoint"] == "checkout") & (survey["question"] == "csat")]["score"].tolist()
    n, value = csat(answers)
    lines = top["reasons"].split("\n")
    assert lines[0] == (f"{ref.loc['checkout', 'dropoff_after']:.0%} of its {ref.loc['checkout', 'customers']} "
                        "customers went no further")
    assert f"CSAT {value:.1f} % (n={n})" in lines
    assert top["score"] == round(ref.loc["checkout", "dropoff_after"], 2)


def test_no_signals_before_step_4(restaurant: Workshop) -> None:
    from jmapkit.bundle import Bundle

    assert hotspots.signals_of(Bundle.load(restaurant)) == {}
    assert hotspots.table(restaurant).empty
