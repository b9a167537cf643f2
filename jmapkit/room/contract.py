"""The room's HTTP contract: limits, and the checks every participant request passes before anything is written.

Each check raises `RequestRefused` with the HTTP status, the field at fault and how to fix it; the server
answers it as JSON (``{"error": ..., "field": ..., "fix": ...}``) and writes nothing.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from jmapkit.errors import JmapkitError
from jmapkit.room.state import FACES, NOTE_KINDS

MAX_BODY = 64 * 1024  # bytes of one request body
MAX_NOTE = 500  # characters of a note
MAX_NAME = 60  # characters of a participant's name
DEVICE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")  # what the page's cookie holds; long enough not to be guessed
NOTE_ID = r"[0-9a-f]{12}"


class RequestRefused(JmapkitError):
    """A participant's or facilitator's request the room does not accept; nothing of it was written."""

    def __init__(self, status: int, what: str, *, field: str | None = None, fix: str | None = None) -> None:
        self.status = status
        self.field = field
        super().__init__(what, where=field, fix=fix)

    def body(self) -> dict[str, Any]:
        return {"error": self.what, "field": self.field, "fix": self.fix}


@dataclass(frozen=True)
class VoteRequest:
    device: str
    participant: str | None
    votes: dict[str, int]


@dataclass(frozen=True)
class NoteRequest:
    device: str
    participant: str | None
    touchpoint: str
    kind: str
    text: str


def too_large() -> RequestRefused:
    return RequestRefused(413, f"the request body is larger than {MAX_BODY // 1024} KB.",
                          fix="send one vote or one note per request.")


def parse(body: bytes) -> dict[str, Any]:
    """The JSON object of a request body."""
    if len(body) > MAX_BODY:
        raise too_large()
    try:
        payload = json.loads(body.decode("utf-8")) if body.strip() else {}
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RequestRefused(400, f"the body is not valid JSON ({exc}).", fix="send a JSON object.") from None
    if not isinstance(payload, dict):
        raise RequestRefused(400, f"the body is a JSON {type(payload).__name__}, not an object.",
                             fix="send a JSON object.")
    return payload


def vote_request(payload: Mapping[str, Any], votable: Collection[str]) -> VoteRequest:
    """{"device", "participant", "votes": {touchpoint: −2..2}} checked against the touchpoints shown."""
    _only(payload, {"device", "participant", "votes"})
    votes = payload.get("votes")
    if not isinstance(votes, dict) or not votes:
        raise RequestRefused(400, "no votes: 'votes' must be an object of touchpoint id → −2..2.", field="votes",
                             fix='send e.g. {"votes": {"queue": -1}}.')
    for tp, value in votes.items():
        if tp not in votable:
            raise RequestRefused(400, f"unknown touchpoint {tp!r}.", field=f"votes.{tp}",
                                 fix="vote on the touchpoints GET /api/state lists as frontstage.")
        if not isinstance(value, int) or isinstance(value, bool) or value not in FACES:
            raise RequestRefused(400, f"{value!r} is not one of {', '.join(map(str, FACES))}.", field=f"votes.{tp}",
                                 fix="pick a face from −2 to +2.")
    return VoteRequest(device(payload), participant(payload), dict(votes))


def note_request(payload: Mapping[str, Any], votable: Collection[str]) -> NoteRequest:
    """{"device", "participant", "touchpoint", "kind": pain|idea|question, "text"} checked."""
    _only(payload, {"device", "participant", "touchpoint", "kind", "text"})
    tp = payload.get("touchpoint")
    if tp not in votable:
        raise RequestRefused(400, f"unknown touchpoint {tp!r}.", field="touchpoint",
                             fix="choose one of the touchpoints on the page.")
    kind = payload.get("kind")
    if kind not in NOTE_KINDS:
        raise RequestRefused(400, f"kind {kind!r} is not one of {', '.join(NOTE_KINDS)}.", field="kind",
                             fix="mark the note as a pain, an idea or a question.")
    text = _text(payload.get("text"), "text", MAX_NOTE, newlines=True)
    if not text:
        raise RequestRefused(400, "the note is empty.", field="text", fix="write what you noticed, then post it.")
    return NoteRequest(device(payload), participant(payload), str(tp), str(kind), text)


def dot_request(payload: Mapping[str, Any]) -> str:
    """{"device"}: the device putting its dot on a note."""
    _only(payload, {"device"})
    return device(payload)


def device(payload: Mapping[str, Any]) -> str:
    value = payload.get("device")
    if not isinstance(value, str) or not DEVICE.match(value):
        raise RequestRefused(400, "'device' must be 8–64 letters, digits, '-' or '_'.", field="device",
                             fix="reload the page: it gives this device its id.")
    return value


def participant(payload: Mapping[str, Any]) -> str | None:
    """The optional name; empty means anonymous."""
    value = payload.get("participant")
    if value is None:
        return None
    return _text(value, "participant", MAX_NAME, newlines=False) or None


def flag(payload: Mapping[str, Any], name: str, default: bool | None = None) -> bool:
    """A true/false field of a facilitator action."""
    _only(payload, {name})
    value = payload.get(name, default)
    if not isinstance(value, bool):
        raise RequestRefused(400, f"'{name}' must be true or false.", field=name, fix=f'send {{"{name}": true}}.')
    return value


def nothing(payload: Mapping[str, Any]) -> None:
    _only(payload, set())


def _text(value: Any, name: str, limit: int, *, newlines: bool) -> str:
    if not isinstance(value, str):
        raise RequestRefused(400, f"'{name}' must be text.", field=name, fix=f"send {name} as a JSON string.")
    value = unicodedata.normalize("NFC", value).strip()
    allowed = {"\n", "\t"} if newlines else set()
    if any(unicodedata.category(c) == "Cc" and c not in allowed for c in value):
        raise RequestRefused(400, f"'{name}' holds control characters.", field=name, fix="remove them.")
    if len(value) > limit:
        raise RequestRefused(400, f"'{name}' is {len(value)} characters; at most {limit} are allowed.", field=name,
                             fix=f"shorten it to {limit} characters.")
    return value


def _only(payload: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(payload) - allowed)
    if unknown:
        listed = ", ".join(sorted(allowed)) or "no fields"
        raise RequestRefused(400, f"unknown field {', '.join(map(repr, unknown))}.", field=unknown[0],
                             fix=f"send only {listed}.")
