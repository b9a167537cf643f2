"""Participants' emotion votes per touchpoint (−2..+2), cast from their own laptop or phone.

Votes are appended to votes/emotion.jsonl under the workshop lock and never rewritten; a
participant who votes again on a touchpoint replaces their own earlier vote in the tally.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from jmapkit.errors import JmapkitError
from jmapkit.model import Touchpoints

if TYPE_CHECKING:
    import pandas as pd

    from jmapkit.store import Workshop

KIND = "emotion"
SCALE = (-2, -1, 0, 1, 2)


def cast(ws: Workshop, participant: str, emotions: Mapping[str, int]) -> int:
    """Record one participant's emotions; returns how many votes were written."""
    participant = participant.strip()
    if not participant:
        raise JmapkitError("a vote needs a name or nickname.", fix="type a name, then vote again.")
    tps: Touchpoints = ws.load(3)  # type: ignore[assignment]
    known = {t.id for t in tps.touchpoints}
    problems = [f"unknown touchpoint {tp!r}" for tp in emotions if tp not in known]
    problems += [f"{tp}: {value!r} is not one of {list(SCALE)}" for tp, value in emotions.items() if value not in SCALE]
    if problems:
        raise JmapkitError("; ".join(problems), where="vote", fix="vote on the touchpoints shown, from −2 to +2.")
    for tp, value in emotions.items():
        ws.append_vote(KIND, {"participant": participant, "touchpoint": tp, "emotion": int(value)})
    return len(emotions)


def latest(ws: Workshop) -> pd.DataFrame:
    """One row per participant and touchpoint: their last vote."""
    import pandas as pd

    votes = pd.DataFrame(ws.votes(KIND), columns=["at", "participant", "touchpoint", "emotion"])
    return votes.drop_duplicates(["participant", "touchpoint"], keep="last").reset_index(drop=True)


def tally(ws: Workshop) -> pd.DataFrame:
    """Per touchpoint: how many participants voted and their mean emotion, in step-3 order."""
    import pandas as pd

    tps: Touchpoints = ws.load(3)  # type: ignore[assignment]
    votes = latest(ws)
    rows = []
    for t in tps.touchpoints:
        mine = votes.loc[votes["touchpoint"] == t.id, "emotion"]
        rows.append({"touchpoint": t.id, "stage": t.stage, "n": len(mine),
                     "mean": float(mine.mean()) if len(mine) else None})
    return pd.DataFrame(rows, columns=["touchpoint", "stage", "n", "mean"])
