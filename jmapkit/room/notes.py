"""Participants' notes for notebook 5: listed by touchpoint and dots, and promoted into the map on request.

Promotion is the team's act (a button in notebook 5): the note's text becomes a pain point or an
opportunity with provenance `participant`, citing the note's id and dots. Nothing a participant sends
changes a step by itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from jmapkit.errors import JmapkitError
from jmapkit.model import Map, Opportunity, PainPoint, Source
from jmapkit.room.board import Board
from jmapkit.room.state import Note, RoomState

if TYPE_CHECKING:
    from jmapkit.store import Workshop

Target = Literal["pain_point", "opportunity"]
TARGETS: dict[str, str] = {"pain_point": "pain_points", "opportunity": "opportunities"}  # → step-5 list


@dataclass(frozen=True)
class ListedNote:
    """A note as notebook 5 lists it: names for people, and whether the team already promoted it."""

    note: Note
    stage: str  # stage name
    touchpoint: str  # touchpoint name
    promoted: str | None  # "pain_point" or "opportunity" once promoted


def provenance(note: Note) -> Source:
    """What a promoted note's pain point or opportunity cites: the note's id and how many dots it had."""
    return Source(kind="participant", detail=note.id, n=len(note.dots))


def evidence(note: Note) -> str:
    dots = len(note.dots)
    return f"participant note {note.id}, {dots} dot{'s' if dots != 1 else ''}: “{note.text}”"


def listed(ws: Workshop) -> list[ListedNote]:
    """Visible notes of every round, in journey order by touchpoint, most dots first."""
    board = Board.read(ws)
    state = RoomState.read(ws)
    done = promoted(ws)
    rank = {t.id: i for i, t in enumerate(board.touchpoints)}
    labels = {t.id: t for t in board.touchpoints}
    notes = sorted(state.visible_notes(), key=lambda n: (rank.get(n.touchpoint, len(rank)), -len(n.dots), n.at))
    out = []
    for n in notes:
        tp = labels.get(n.touchpoint)
        out.append(ListedNote(note=n, stage=board.stage_label(tp.stage) if tp else "",
                              touchpoint=tp.label if tp else n.touchpoint, promoted=done.get(n.id)))
    return out


def promoted(ws: Workshop) -> dict[str, str]:
    """Note id → "pain_point" or "opportunity" for notes already in step 5."""
    step5 = ws.load_or_default(Map)
    out = {}
    for target, field in TARGETS.items():
        for item in getattr(step5, field):
            if item.source.kind == "participant" and item.source.detail:
                out[item.source.detail] = target
    return out


def promote(ws: Workshop, note_id: str, kind: Target) -> PainPoint | Opportunity:
    """Add a participant's note to step 5 as a pain point or an opportunity, with the note as evidence; save."""
    if kind not in TARGETS:
        raise JmapkitError(f"cannot promote a note into {kind!r}.", where="notebook 5",
                           fix=f"choose one of: {', '.join(TARGETS)}.")
    state = RoomState.read(ws)
    note = state.notes.get(note_id)
    if note is None:
        raise JmapkitError(f"there is no note {note_id!r} in votes/notes.jsonl.", where="notebook 5",
                           fix="refresh the notes list and pick a note from it.")
    earlier = promoted(ws).get(note_id)
    if earlier:
        raise JmapkitError(f"note {note_id} is already a{'n' if earlier == 'opportunity' else ''} "
                           f"{earlier.replace('_', ' ')} in step 5.", where="notebook 5",
                           fix="edit it in the step-5 form instead of promoting it again.")
    board = Board.read(ws)
    stage = {t.id: t.stage for t in board.touchpoints}.get(note.touchpoint)
    if stage is None:
        raise JmapkitError(f"note {note_id} is on touchpoint {note.touchpoint!r}, which step 3 no longer has.",
                           where="notebook 5", fix="add the touchpoint back in step 3, or enter the point by hand.")
    item: PainPoint | Opportunity
    with ws.locked():  # load, append and save as one step: no other writer can slip in between
        step5 = ws.load_or_default(Map)
        if kind == "pain_point":
            item = PainPoint(touchpoint=note.touchpoint, description=note.text, evidence=[evidence(note)],
                             source=provenance(note))
            updated = step5.model_copy(update={"pain_points": [*step5.pain_points, item]})
        else:
            item = Opportunity(touchpoint=note.touchpoint, stage=stage, description=note.text,
                               evidence=[evidence(note)], source=provenance(note))
            updated = step5.model_copy(update={"opportunities": [*step5.opportunities, item]})
        ws.save(updated)
    return item
