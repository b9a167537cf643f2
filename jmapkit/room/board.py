"""The map the room shows, read from the saved steps: stages, touchpoints, the team's and the measured emotion.

Only read here: nothing a participant sends ever changes a step. The server re-reads the board when a
step file changes, so a touchpoint renamed in notebook 3 appears on the phones without a restart.
"""

from __future__ import annotations

import csv
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jmapkit.model import Behaviour, Touchpoint, Touchpoints

if TYPE_CHECKING:
    from jmapkit.store import Workshop


@dataclass(frozen=True)
class Board:
    """Everything the room shows about the map; participants' input is not part of it."""

    workshop: str
    language: str
    stages: tuple[tuple[str, str], ...]  # (id, label) in journey order
    touchpoints: tuple[Touchpoint, ...]  # in journey order
    team: dict[str, float]  # touchpoint → the team's estimate (step 4)
    measured: dict[str, tuple[float, int]]  # touchpoint → (value on −2..+2, n) from step 4's emotion table

    @classmethod
    def read(cls, ws: Workshop) -> Board:
        """Load the board from steps 3 and 4 (step 3 must exist: votes are per touchpoint)."""
        tps = ws.load(Touchpoints)
        stage_rank = {s.id: i for i, s in enumerate(tps.stages)}
        ordered = sorted(tps.touchpoints, key=lambda t: stage_rank[t.stage])  # stable: step 3's order within a stage
        team = {e.touchpoint: float(e.emotion) for e in ws.load_or_default(Behaviour).emotions}
        meta = ws.meta
        return cls(
            workshop=meta.name,
            language=meta.language,
            stages=tuple((s.id, s.label) for s in tps.stages),
            touchpoints=tuple(ordered),
            team=team,
            measured=_measured(ws.tables_dir(Behaviour) / "emotion.csv"),
        )

    @property
    def votable(self) -> dict[str, Touchpoint]:
        """Touchpoints participants vote and post notes on: the frontstage ones (customers never see backstage)."""
        return {t.id: t for t in self.touchpoints if t.layer == "frontstage"}

    def stage_label(self, stage: str) -> str:
        return dict(self.stages).get(stage, stage)

    def state(self) -> dict[str, Any]:
        """The map part of GET /api/state: names for people, ids for requests."""
        return {
            "workshop": self.workshop,
            "language": self.language,
            "stages": [{"id": s, "label": label} for s, label in self.stages],
            "touchpoints": [
                {"id": t.id, "label": t.label, "stage": t.stage, "layer": t.layer} for t in self.touchpoints
            ],
        }


def sources(ws: Workshop) -> tuple[Path, ...]:
    """The files the board is read from: when one changes, the board is read again."""
    return (ws.path("workshop.json"), ws.step_path(Touchpoints), ws.step_path(Behaviour),
            ws.tables_dir(Behaviour) / "emotion.csv")


def stamp(paths: tuple[Path, ...]) -> tuple[int | None, ...]:
    """Modification times (None for a missing file) to notice a step saved while the room runs."""
    out: list[int | None] = []
    for p in paths:
        try:
            out.append(os.stat(p).st_mtime_ns)
        except OSError:
            out.append(None)
    return tuple(out)


def _measured(path: Path) -> dict[str, tuple[float, int]]:
    """Touchpoint → (measured, measured_n) from step 4's emotion table (csv module: no pandas in the server)."""
    if not path.is_file():
        return {}
    out = {}
    with open(path, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            try:
                value, n = float(row["measured"]), int(float(row.get("measured_n") or 0))
            except (KeyError, TypeError, ValueError):
                continue
            if not math.isnan(value):
                out[row["touchpoint"]] = (value, n)
    return out
