"""The room: participants vote and post notes from their phones while the projector shows the map live.

`jmapkit serve` runs `server.serve`: one tornado process, no Python kernel per visitor. The notebooks and
step 4 read what the room collected through the functions here; the room never changes a step itself.
"""

from __future__ import annotations

from jmapkit.room.notes import promote
from jmapkit.room.tally import FACE_COLUMNS, overview, tally

__all__ = ["FACE_COLUMNS", "overview", "promote", "tally"]
