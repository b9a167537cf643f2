"""Step 4's tables for people (jmapkit/steps/behaviour.py)."""

from __future__ import annotations

import pandas as pd

from jmapkit.steps import behaviour
from jmapkit.store import Workshop


def test_emotion_sources_show_signed_values_and_never_a_negative_zero(restaurant: Workshop) -> None:
    emotion = pd.DataFrame({
        "touchpoint": ["queue", "payment", "food_served"],
        "voted": [float("nan"), -0.04, 1.25],
        "voted_n": [0, 3, 4],
        "measured": [-0.03, -0.26, float("nan")],
        "measured_from": ["sentiment", "csat", None],
    })
    table = behaviour.emotion_sources(restaurant, emotion).set_index("touchpoint")
    rows = table.loc[["Queue at the door", "Pay at the till", "Food served"], ["team", "voted", "measured"]]
    assert rows.values.tolist() == [["−1.0", "–", "+0.0"], ["−1.0", "+0.0", "−0.3"], ["+2.0", "+1.2", "–"]]
