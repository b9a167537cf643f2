"""The room's votes as tables for the notebooks and step 4: the tally, and the three emotions side by side."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jmapkit.room.board import Board
from jmapkit.room.state import FACES, RoomState

if TYPE_CHECKING:
    import pandas as pd

    from jmapkit.store import Workshop

FACE_COLUMNS = tuple(f"votes_{f}" for f in FACES)  # "votes_-2", "votes_-1", "votes_0", "votes_1", "votes_2"
TALLY_COLUMNS = ("touchpoint", "stage", "n", "mean", *FACE_COLUMNS)


def tally(ws: Workshop) -> pd.DataFrame:
    """Participants' emotion votes of the current round per touchpoint: n, mean and how many chose each face.

    One row per step-3 touchpoint, in journey order (stage by stage), ids not names:

    - ``touchpoint``, ``stage``: ids from step 3.
    - ``n``: devices that voted on it in the current round (a device that voted again counts once, with
      its last vote; earlier rounds are archived and not counted).
    - ``mean``: mean of those votes on −2..+2; NaN when ``n`` is 0.
    - ``votes_-2``, ``votes_-1``, ``votes_0``, ``votes_1``, ``votes_2``: how many of the ``n`` votes chose
      that face (they add up to ``n``); `FACE_COLUMNS` names them in that order.
    """
    import pandas as pd

    state = RoomState.read(ws)
    rows = []
    for t in Board.read(ws).touchpoints:
        n, mean, counts = state.tally(t.id)
        rows.append({"touchpoint": t.id, "stage": t.stage, "n": n, "mean": mean,
                     **dict(zip(FACE_COLUMNS, counts, strict=True))})
    frame = pd.DataFrame(rows, columns=list(TALLY_COLUMNS))
    return frame.astype({"touchpoint": "string", "stage": "string", "n": "int64", "mean": "float64"}
                        | dict.fromkeys(FACE_COLUMNS, "int64"))


def overview(ws: Workshop) -> pd.DataFrame:
    """Per touchpoint, names for people: the team's estimate, the room's vote (n, per face) and the measured emotion.

    Columns: stage, touchpoint (names), layer, team, voted, n, votes_-2 … votes_2, measured, measured_n.
    Missing values are NaN (no estimate, nobody voted, step 4 not computed or no data for it).
    """
    import pandas as pd

    board = Board.read(ws)
    votes = tally(ws).set_index("touchpoint")
    rows = []
    for t in board.touchpoints:
        measured = board.measured.get(t.id)
        v = votes.loc[t.id]
        rows.append({
            "stage": board.stage_label(t.stage), "touchpoint": t.label, "layer": t.layer,
            "team": board.team.get(t.id), "voted": v["mean"], "n": int(v["n"]),
            **{c: int(v[c]) for c in FACE_COLUMNS},
            "measured": measured[0] if measured else None, "measured_n": measured[1] if measured else 0,
        })
    columns = ["stage", "touchpoint", "layer", "team", "voted", "n", *FACE_COLUMNS, "measured", "measured_n"]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.astype({"team": "float64", "voted": "float64", "measured": "float64", "n": "int64",
                         "measured_n": "int64"} | dict.fromkeys(FACE_COLUMNS, "int64"))
