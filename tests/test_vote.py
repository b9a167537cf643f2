from __future__ import annotations

import pandas as pd
import pytest

from jmapkit import vote
from jmapkit.errors import JmapkitError
from jmapkit.store import Workshop
from jmapkit.widgets.vote import voting_page


def test_cast_and_tally(restaurant: Workshop) -> None:
    vote.cast(restaurant, "Ana", {"queue": -2, "food_served": 2})
    vote.cast(restaurant, "Ben", {"queue": -1})
    vote.cast(restaurant, "Ana", {"queue": 0})  # Ana changes her mind: her last vote counts
    tally = vote.tally(restaurant).set_index("touchpoint")
    assert tally.loc["queue", "n"] == 2 and tally.loc["queue", "mean"] == pytest.approx(-0.5)
    assert tally.loc["food_served", "n"] == 1 and tally.loc["food_served", "mean"] == 2.0
    assert tally.loc["payment", "n"] == 0 and pd.isna(tally.loc["payment", "mean"])
    assert len(restaurant.votes("emotion")) == 4  # every vote cast stays in the append-only log


@pytest.mark.parametrize(
    ("participant", "emotions", "message"),
    [("", {"queue": 1}, "needs a name"), ("Ana", {"ghost": 1}, "unknown touchpoint 'ghost'"),
     ("Ana", {"queue": 3}, "queue: 3 is not one of [-2, -1, 0, 1, 2]")],
)
def test_bad_votes_are_refused_and_not_written(restaurant: Workshop, participant: str, emotions: dict,
                                               message: str) -> None:
    with pytest.raises(JmapkitError, match=message.replace("[", r"\[").replace("]", r"\]")):
        vote.cast(restaurant, participant, emotions)
    assert restaurant.votes("emotion") == []


def test_voting_page_sends_votes(restaurant: Workshop) -> None:
    page = voting_page(restaurant)
    assert list(page.choices) == [t.id for t in restaurant.load(3).touchpoints]
    page.send()
    assert "Pick at least one face" in page.status.value
    page.name.value = "Chloé"
    page.choices["order_counter"].value = -2
    page.send()
    assert "Thank you, Chloé: 1 vote saved" in page.status.value
    assert [(v["participant"], v["touchpoint"], v["emotion"]) for v in restaurant.votes("emotion")] == [
        ("Chloé", "order_counter", -2)]
