"""What the room's append-only files say: the round, whether voting is open, the votes and the notes.

Three files under votes/, one JSON record a line, written only by `jmapkit serve` and never rewritten:

- ``emotion.jsonl``: one line per touchpoint vote: at, round, device, participant, touchpoint, emotion.
- ``notes.jsonl``: ``type`` note (id, round, device, participant, touchpoint, kind, text), dot (note,
  device: one dot per device and note) or hide (note, hidden).
- ``room.jsonl``: the facilitator's actions: ``type`` round (the new round's number) or voting (open).

The server folds each record into a `RoomState` as it writes it, and `RoomState.read` folds the files
the same way, so the live tally and the notebooks' tally are one calculation. A new round archives the
old one: its votes stay in the file with their round number and no longer count.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jmapkit.store import Workshop

VOTES, NOTES, ROOM = "emotion", "notes", "room"
FACES = (-2, -1, 0, 1, 2)
NOTE_KINDS = ("pain", "idea", "question")


class RoomFileWarning(UserWarning):
    """A record in a votes file lacks a field the room needs; it is skipped."""


@dataclass
class Note:
    """A participant's sticky note on one touchpoint, with the devices that put a dot on it."""

    id: str
    round: int
    device: str
    participant: str | None
    touchpoint: str
    kind: str
    text: str
    at: str
    dots: set[str] = field(default_factory=set)
    hidden: bool = False

    def public(self, device: str | None = None) -> dict[str, Any]:
        """The note as the API shows it: never the author's device id, only whether `device` dotted it."""
        return {
            "id": self.id,
            "touchpoint": self.touchpoint,
            "kind": self.kind,
            "text": self.text,
            "participant": self.participant,
            "dots": len(self.dots),
            "dotted": device in self.dots if device else False,
            "round": self.round,
            "at": self.at,
        }


@dataclass
class RoomState:
    """The fold of the room's records: current round, voting open, last vote per device, notes."""

    round: int = 1
    voting_open: bool = True
    version: int = 0  # counts applied records: pages and caches follow it
    ballots: dict[tuple[str, str], int] = field(default_factory=dict)  # (device, touchpoint) → emotion, this round
    counts: dict[str, list[int]] = field(default_factory=dict)  # touchpoint → votes per face, this round
    notes: dict[str, Note] = field(default_factory=dict)
    skipped: int = 0  # records without the fields they need

    @classmethod
    def read(cls, ws: Workshop) -> RoomState:
        """Fold the workshop's votes files (the facilitator's actions first: they say which round counts)."""
        state = cls()
        for kind in (ROOM, VOTES, NOTES):
            state.apply_all(kind, ws.votes(kind))
        if state.skipped:
            warnings.warn(
                f"{ws.path('votes')}: skipped {state.skipped} record(s) without the fields the room needs; "
                "only `jmapkit serve` should write these files.",
                RoomFileWarning,
                stacklevel=2,
            )
        return state

    def apply_all(self, kind: str, records: Iterable[Mapping[str, Any]]) -> None:
        for record in records:
            self.apply(kind, record)

    def apply(self, kind: str, record: Mapping[str, Any]) -> None:
        """Fold one record; a record of an old round, or one missing a field, changes nothing."""
        try:
            if kind == VOTES:
                self._vote(record)
            elif kind == NOTES:
                self._note(record)
            elif kind == ROOM:
                self._room(record)
            else:
                raise KeyError(kind)
        except (KeyError, TypeError, ValueError):
            self.skipped += 1
            return
        self.version += 1

    def _vote(self, r: Mapping[str, Any]) -> None:
        emotion = r["emotion"]
        if not isinstance(emotion, int) or isinstance(emotion, bool) or emotion not in FACES:
            raise ValueError(emotion)
        if int(r.get("round", 1)) != self.round:
            return  # archived with its round
        key = (str(r["device"]), str(r["touchpoint"]))
        counts = self.counts.setdefault(key[1], [0] * len(FACES))
        earlier = self.ballots.get(key)
        if earlier is not None:
            counts[FACES.index(earlier)] -= 1  # a device voting again replaces its own vote
        counts[FACES.index(emotion)] += 1
        self.ballots[key] = emotion

    def _note(self, r: Mapping[str, Any]) -> None:
        kind = r["type"]
        if kind == "note":
            if r["kind"] not in NOTE_KINDS:
                raise ValueError(r["kind"])
            self.notes[str(r["id"])] = Note(
                id=str(r["id"]), round=int(r.get("round", 1)), device=str(r["device"]),
                participant=r.get("participant"), touchpoint=str(r["touchpoint"]), kind=r["kind"],
                text=str(r["text"]), at=str(r.get("at", "")),
            )
        elif kind == "dot":
            self.notes[str(r["note"])].dots.add(str(r["device"]))
        elif kind == "hide":
            self.notes[str(r["note"])].hidden = bool(r.get("hidden", True))
        else:
            raise ValueError(kind)

    def _room(self, r: Mapping[str, Any]) -> None:
        kind = r["type"]
        if kind == "round":
            new = int(r["round"])
            if new != self.round:
                self.ballots.clear()
                self.counts.clear()
            self.round = new
            self.voting_open = True
        elif kind == "voting":
            self.voting_open = bool(r["open"])
        else:
            raise ValueError(kind)

    # --- what the pages and notebooks read ----------------------------------------------------------

    def tally(self, touchpoint: str) -> tuple[int, float | None, list[int]]:
        """(n, mean, votes per face) of the current round for one touchpoint."""
        counts = list(self.counts.get(touchpoint, [0] * len(FACES)))
        n = sum(counts)
        mean = sum(c * f for c, f in zip(counts, FACES, strict=True)) / n if n else None
        return n, mean, counts

    def visible_notes(self) -> list[Note]:
        """Notes not hidden by the facilitator, oldest first (every round: notes outlive a re-vote)."""
        return [n for n in self.notes.values() if not n.hidden]
