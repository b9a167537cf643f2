"""Notebook 4's tally panel and notebook 5's notes panel (ipywidgets, driven without a browser)."""

from __future__ import annotations

import re

from jmapkit.room.state import NOTES, VOTES
from jmapkit.store import Workshop
from jmapkit.widgets.room import notes_panel, tally_panel

XSS = "<img src=x onerror=alert(1)>"


def test_tally_panel_shows_names_and_all_three_emotions_and_refreshes(restaurant: Workshop) -> None:
    panel = tally_panel(restaurant)
    assert "No votes in this round yet" in panel.status.value
    for device, emotion in (("d1", -2), ("d2", -1), ("d3", -2)):
        restaurant.append_vote(VOTES, {"round": 1, "device": device, "participant": None, "touchpoint": "queue",
                                       "emotion": emotion})
    tables = restaurant.tables_dir(4)
    tables.mkdir(parents=True, exist_ok=True)
    (tables / "emotion.csv").write_text("touchpoint,measured,measured_n\nqueue,-0.84,120\n")
    panel.refresh()
    assert "3 votes in this round" in panel.status.value
    row = re.search(r"<tr><td>Order &amp; pay</td><td>Queue at the door</td>(.*?)</tr>", panel.table.value)
    assert row, panel.table.value
    cells = re.findall(r"<td>(?:<b>)?(.*?)(?:</b>)?</td>", row.group(1))
    # team, voted (mean of −2, −1, −2), n, votes per face −2..2, measured, n (data)
    assert cells == ["−1.0", "−1.7", "3", "2", "1", "0", "0", "0", "−0.8", "120"]
    assert ">queue<" not in panel.table.value  # names, never ids


def test_notes_panel_promotes_a_note_and_shows_participant_text_as_text(restaurant: Workshop) -> None:
    restaurant.append_vote(NOTES, {"type": "note", "id": "0123456789ab", "round": 1, "device": "d1",
                                   "participant": XSS, "touchpoint": "payment", "kind": "pain",
                                   "text": f"Card reader {XSS} fails"})
    restaurant.append_vote(NOTES, {"type": "dot", "note": "0123456789ab", "device": "d2"})
    reloaded = []
    panel = notes_panel(restaurant, on_promoted=lambda: reloaded.append(True))
    shown = "".join(getattr(c, "value", "") for row in panel.list.children for c in getattr(row, "children", [row]))
    assert "Order &amp; pay · Pay at the till" in shown
    assert XSS not in shown and "&lt;img src=x onerror=alert(1)&gt;" in shown
    assert "● 1" in shown
    panel.buttons[("0123456789ab", "pain_point")].click()
    saved = restaurant.load(5).pain_points[-1]
    assert (saved.touchpoint, saved.description, saved.source.kind) == ("payment", f"Card reader {XSS} fails",
                                                                        "participant")
    assert saved.evidence == [f"participant note 0123456789ab, 1 dot: “Card reader {XSS} fails”"]
    assert "saved to step 5 as a pain point" in panel.status.value and reloaded == [True]
    assert panel.buttons == {}  # the note now shows as done, with no button to promote it twice
    shown = "".join(getattr(c, "value", "") for row in panel.list.children for c in getattr(row, "children", [row]))
    assert "in step 5 as a pain point" in shown


def test_notes_panel_says_when_a_promotion_fails(restaurant: Workshop) -> None:
    restaurant.append_vote(NOTES, {"type": "note", "id": "0123456789ab", "round": 1, "device": "d1",
                                   "participant": None, "touchpoint": "payment", "kind": "idea", "text": "Tap to pay"})
    panel = notes_panel(restaurant)
    panel.promote("0123456789ab", "opportunity")
    panel.promote("0123456789ab", "pain_point")  # a second click from a stale list
    assert "already an opportunity in step 5" in panel.status.value
    assert [o.description for o in restaurant.load(5).opportunities].count("Tap to pay") == 1
