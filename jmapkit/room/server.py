"""`jmapkit serve`: the room as one tornado process — a participant page, a projector view and a JSON API.

No Python kernel per visitor: every phone is a few small HTTP requests to this one event loop. Votes and
notes are fsynced to the workshop's votes files (through `Journal`) before a request is answered, and the
projector view follows them through server-sent events. docs/design.md ("The room") says why tornado.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import json
import logging
import secrets
import signal
import threading
import time
from base64 import b64encode
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from importlib.resources import files
from typing import TYPE_CHECKING, Any

import tornado.httpserver
import tornado.ioloop
import tornado.iostream
import tornado.netutil
import tornado.web

from jmapkit.errors import JmapkitError
from jmapkit.room import board as board_files
from jmapkit.room import contract, texts
from jmapkit.room.board import Board
from jmapkit.room.contract import RequestRefused
from jmapkit.room.journal import Journal, Records
from jmapkit.room.links import Links, public_host, qr_svg, qr_terminal
from jmapkit.room.state import FACES, NOTES, ROOM, VOTES, RoomState

if TYPE_CHECKING:
    from jmapkit.store import Workshop

log = logging.getLogger("jmapkit.room")

PARTICIPANT, FACILITATOR = 1, 2
DEVICE_COOKIE = "jmapkit_device"
BURST, PER_SECOND = 30, 2.0  # writes per device: a burst of taps, then two a second
MAX_DEVICES = 2000  # devices the rate limiter remembers: ids are minted by clients, memory must stay bounded
MAX_NOTES = 2000  # notes a room holds (all rounds): a wall nobody can read is no use, and the page stays small
MAX_STREAMS = 20  # projector views at once
COALESCE_SECONDS = 0.2  # a burst of votes becomes one projector update
KEEPALIVE_SECONDS = 15.0
BOARD_POLL_MS = 2000  # how often step files are checked for a change made in a notebook

# Plain-English texts shown to people: translated per request through jmapkit/room/texts.py.
FORBIDDEN_TITLE = "This link needs its access code"
ROOM_CLOSED_VOTING = "voting is closed."
ROOM_CLOSED_VOTING_FIX = "wait until the facilitator opens voting again."


class RateLimiter:
    """A token bucket per device: a burst of `burst` writes, then `per_second`; at most `max_devices` known."""

    def __init__(self, burst: int = BURST, per_second: float = PER_SECOND, max_devices: int = MAX_DEVICES,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.burst, self.per_second, self.max_devices, self.clock = burst, per_second, max_devices, clock
        self._buckets: dict[str, tuple[float, float]] = {}  # device → (tokens, when)

    def take(self, device: str) -> None:
        """Spend one write of `device`, or refuse with 429 saying when to try again."""
        now = self.clock()
        if device not in self._buckets and len(self._buckets) >= self.max_devices:
            self._forget_full(now)
            if len(self._buckets) >= self.max_devices:
                raise RequestRefused(429, "the room is full: too many devices.", field="device",
                                     fix="ask the facilitator to restart the room.")
        tokens, then = self._buckets.get(device, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - then) * self.per_second)
        if tokens < 1:
            raise RequestRefused(429, "too many requests from this device.", field="device",
                                 fix="wait a few seconds and try again.")
        self._buckets[device] = (tokens - 1, now)

    def _forget_full(self, now: float) -> None:
        # A device whose bucket has refilled is indistinguishable from a new one: forgetting it is free.
        full = [d for d, (tokens, then) in self._buckets.items()
                if tokens + (now - then) * self.per_second >= self.burst]
        for d in full:
            del self._buckets[d]


@dataclass(frozen=True)
class Page:
    """A page with its script and style inlined: one request, and a CSP that allows exactly that script."""

    body: bytes
    csp: str

    @classmethod
    def build(cls, name: str, scripts: tuple[str, ...], language: str = "en") -> Page:
        """The page in `language`: its HTML texts filled in, its scripts given their texts as `T`."""
        static = files("jmapkit.room") / "static"
        html = texts.fill((static / f"{name}.html").read_text(encoding="utf-8"), language)
        style = (static / "room.css").read_text(encoding="utf-8")
        script = texts.script_texts(language) + "\n".join((static / s).read_text(encoding="utf-8") for s in scripts)
        html = html.replace("<!-- style -->", f"<style>{style}</style>").replace(
            "<!-- script -->", f"<script>{script}</script>")
        csp = (f"default-src 'none'; script-src '{_sha256(script)}'; style-src '{_sha256(style)}'; "
               "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
               "frame-ancestors 'none'")
        return cls(html.encode("utf-8"), csp)


def _sha256(text: str) -> str:
    return "sha256-" + b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


class Room:
    """The room's state in this process: board, votes and notes, tokens, and the journal writing them."""

    def __init__(self, ws: Workshop, *, token: str, facilitator_token: str) -> None:
        if not token or not facilitator_token or hmac.compare_digest(token, facilitator_token):
            raise JmapkitError("the participant and facilitator tokens must be two different, non-empty codes.",
                               where="jmapkit serve --token", fix="choose another --token, or leave it out.")
        self.ws = ws
        self.token, self.facilitator_token = token, facilitator_token
        self._board_paths = board_files.sources(ws)
        self._board_stamp = board_files.stamp(self._board_paths)
        self.board = Board.read(ws)
        self.board_version = 0
        self.state = RoomState.read(ws)
        self.journal = Journal(ws, self._written)
        self.limiter = RateLimiter()
        self.links: Links | None = None
        self.streams = 0
        self._changed: asyncio.Event | None = None
        self._cache: dict[str, tuple[Any, bytes]] = {}
        self.language = texts.choose(ws.meta.language)
        self._pages: dict[tuple[str, str], Page] = {}

    # --- pages in a language ---------------------------------------------------------------------------

    def page(self, name: str, language: str) -> Page:
        """The participant ("participant") or projector ("room") page in a language, built once."""
        key = (name, language)
        if key not in self._pages:
            self._pages[key] = Page.build(name, ("common.js", f"{name}.js"), language)
        return self._pages[key]

    def forbidden(self, language: str) -> bytes:
        """The page a link without its access code gets, in a language."""
        html = (files("jmapkit.room") / "static" / "forbidden.html").read_text(encoding="utf-8")
        return texts.fill(html, language).encode("utf-8")

    # --- tokens and changes ----------------------------------------------------------------------------

    def role(self, token: str | None) -> int:
        """FACILITATOR, PARTICIPANT or 0 for a token (compared in constant time)."""
        if not token:
            return 0
        if hmac.compare_digest(token.encode(), self.facilitator_token.encode()):
            return FACILITATOR
        if hmac.compare_digest(token.encode(), self.token.encode()):
            return PARTICIPANT
        return 0

    @property
    def changed(self) -> asyncio.Event:
        """Set once, at the next change; the projector streams wait on it."""
        if self._changed is None:
            self._changed = asyncio.Event()
        return self._changed

    def _notify(self) -> None:
        event, self._changed = self.changed, asyncio.Event()
        event.set()

    def _written(self, kind: str, records: Records) -> None:
        self.state.apply_all(kind, records)
        self._notify()

    def refresh_board(self) -> None:
        """Read the board again when a step file changed (a notebook saved); keep the old one if it fails."""
        stamp = board_files.stamp(self._board_paths)
        if stamp == self._board_stamp:
            return
        self._board_stamp = stamp
        try:
            self.board = Board.read(self.ws)
        except JmapkitError as exc:
            log.warning("the room keeps showing the map as it was: %s", exc.message)
            return
        self.board_version += 1
        self._notify()

    async def record(self, kind: str, records: Records) -> None:
        """Write records (fsynced) and apply them; a failure is the participant's 503, never a silent loss."""
        stamp = _now()
        stamped = [{"at": stamp, **r} for r in records]
        try:
            await self.journal.append(kind, stamped)
        except Exception as exc:
            log.error("could not write votes/%s.jsonl: %s", kind, exc)
            raise RequestRefused(503, "the room could not save this on the facilitator's computer.",
                                 fix="try again in a moment; tell the facilitator if it keeps failing.") from exc

    # --- what the API answers --------------------------------------------------------------------------

    def cached(self, name: str, key: Any, make: Callable[[], Any]) -> bytes:
        hit = self._cache.get(name)
        if hit is not None and hit[0] == key:
            return hit[1]
        body = json.dumps(make(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        self._cache[name] = (key, body)
        return body

    def state_json(self) -> dict[str, Any]:
        return {**self.board.state(), "round": self.state.round, "voting_open": self.state.voting_open}

    def tally_json(self) -> dict[str, Any]:
        rows = []
        for t in self.board.touchpoints:
            n, mean, counts = self.state.tally(t.id)
            rows.append({"touchpoint": t.id, "stage": t.stage, "n": n, "mean": mean,
                         "counts": {str(f): c for f, c in zip(FACES, counts, strict=True)}})
        return {"round": self.state.round, "touchpoints": rows}

    def notes_json(self, device: str | None = None) -> dict[str, Any]:
        return {"notes": [n.public(device) for n in self.state.visible_notes()]}

    def room_json(self) -> dict[str, Any]:
        """Everything the projector shows, in one snapshot (sent whole on every change: one viewer, small)."""
        tally = {row["touchpoint"]: row for row in self.tally_json()["touchpoints"]}
        touchpoints = []
        for t in self.board.touchpoints:
            measured = self.board.measured.get(t.id)
            touchpoints.append({
                "id": t.id, "label": t.label, "stage": t.stage, "layer": t.layer,
                "team": self.board.team.get(t.id),
                "measured": measured[0] if measured else None,
                "measured_n": measured[1] if measured else 0,
                "n": tally[t.id]["n"], "mean": tally[t.id]["mean"], "counts": tally[t.id]["counts"],
            })
        hidden = sum(n.hidden for n in self.state.notes.values())
        return {
            **self.state_json(),
            "touchpoints": touchpoints,
            "notes": self.notes_json()["notes"],
            "hidden_notes": hidden,
            "voters": len({device for device, _ in self.state.ballots}),
            "participant_link": self.links.participant if self.links else None,
        }

    @property
    def version(self) -> tuple[int, int]:
        return self.state.version, self.board_version

    # --- running ---------------------------------------------------------------------------------------

    def application(self) -> tornado.web.Application:
        room = {"room": self}
        note = rf"/api/notes/({contract.NOTE_ID})"
        return tornado.web.Application(
            [
                (r"/", ParticipantPage, room),
                (r"/room", RoomPage, room),
                (r"/room/qr\.svg", QrCode, room),
                (r"/api/state", StateApi, room),
                (r"/api/tally", TallyApi, room),
                (r"/api/votes", VotesApi, room),
                (r"/api/notes", NotesApi, room),
                (rf"{note}/dots", DotsApi, room),
                (rf"{note}/hide", HideApi, room),
                (r"/api/voting", VotingApi, room),
                (r"/api/rounds", RoundsApi, room),
                (r"/api/room", RoomApi, room),
                (r"/api/events", EventsApi, room),
            ],
            default_handler_class=NotFound,
            default_handler_args=room,
            compress_response=True,
            log_function=_log_request,
            xsrf_cookies=False,  # every request carries the room's token, which another site cannot know
        )

    def listen(self, ip: str, port: int) -> tuple[tornado.httpserver.HTTPServer, int]:
        """Bind (port 0: any free port) and return the server with the port it got."""
        try:
            sockets = tornado.netutil.bind_sockets(port, ip)
        except OSError as exc:
            raise JmapkitError(f"cannot listen on {ip}:{port} ({exc.strerror}).", where="jmapkit serve",
                               fix="choose another --port, or stop the program that uses this one.") from None
        server = tornado.httpserver.HTTPServer(self.application(), max_body_size=4 * contract.MAX_BODY,
                                               idle_connection_timeout=120)
        server.add_sockets(sockets)
        return server, sockets[0].getsockname()[1]

    async def close(self) -> None:
        self._notify()  # wakes the projector streams so they end
        await self.journal.close()


def _now() -> str:
    from jmapkit.store import utcnow

    return utcnow().isoformat()


def _log_request(handler: tornado.web.RequestHandler) -> None:
    # Refused requests are answered, not logged: 50 phones must not flood the facilitator's terminal.
    if handler.get_status() >= 500:
        log.error("%s %s -> %s", handler.request.method, handler.request.path, handler.get_status())


# --- handlers -----------------------------------------------------------------------------------------

def answers(method: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    """Turn a refused request into its JSON error (400, 404, 409, 413, 429, 503); nothing was written."""

    @functools.wraps(method)
    async def wrapper(self: Base, *args: Any) -> None:
        try:
            await method(self, *args)
        except RequestRefused as exc:
            if exc.status == 429:
                self.set_header("Retry-After", str(max(1, round(1 / PER_SECOND))))
            self.send_json(texts.answer(exc.body(), self.language()), exc.status)

    return wrapper


class Base(tornado.web.RequestHandler):
    """Token check first (403 of the room's own), then JSON in and out."""

    need = PARTICIPANT
    api = True

    def initialize(self, room: Room) -> None:
        self.room = room

    def set_default_headers(self) -> None:
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Referrer-Policy", "no-referrer")  # the token must not travel to another site
        self.set_header("X-Frame-Options", "DENY")
        self.set_header("Cache-Control", "no-store")

    def language(self) -> str:
        """The participant's language: `?lang=`, else the switch's cookie, else the workshop's."""
        return texts.choose(self.get_query_argument("lang", None), self.get_cookie(texts.LANGUAGE_COOKIE),
                            self.room.language)

    def prepare(self) -> None:
        self.role = self.room.role(self.get_query_argument("token", None))
        if self.role < self.need:
            self.set_status(403)
            if self.api:
                self.send_json(texts.answer({"error": "this link's token is missing or wrong.", "field": "token",
                                             "fix": "open the link or QR code the facilitator shows."},
                                            self.language()), 403)
            else:
                self.set_header("Content-Type", "text/html; charset=utf-8")
                self.set_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
                self.finish(self.room.forbidden(self.language()))
            raise tornado.web.Finish()

    def send_json(self, payload: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=utf-8")
        body = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.finish(body)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.set_header("Content-Type", "application/json; charset=utf-8")
        body = {"error": self._reason.lower() + ".", "field": None,
                "fix": "try again; tell the facilitator if it keeps failing."}
        self.finish(json.dumps(texts.answer(body, self.language()), ensure_ascii=False))


@tornado.web.stream_request_body
class Writes(Base):
    """A POST whose body is read in chunks, so an oversized one is refused before it is all in memory."""

    def prepare(self) -> None:
        super().prepare()
        self._body = bytearray()
        self._too_large = False
        length = self.request.headers.get("Content-Length")
        if length is not None and length.isdigit() and int(length) > contract.MAX_BODY:
            self.send_json(contract.too_large().body(), 413)
            raise tornado.web.Finish()

    def data_received(self, chunk: bytes) -> None:
        if len(self._body) + len(chunk) > contract.MAX_BODY:
            self._too_large = True  # chunked without a length: keep reading, answer 413 at the end
            return
        self._body += chunk

    def payload(self) -> dict[str, Any]:
        if self._too_large:
            raise contract.too_large()
        return contract.parse(bytes(self._body))


class ParticipantPage(Base):
    api = False

    def get(self) -> None:
        page = self.room.page("participant", self.language())
        if not contract.DEVICE.match(self.get_cookie(DEVICE_COOKIE) or ""):
            # One device, one voter: the page sends this id with every vote (anonymous unless a name is typed).
            self.set_cookie(DEVICE_COOKIE, secrets.token_urlsafe(16), expires_days=365, samesite="Strict")
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Content-Security-Policy", page.csp)
        self.finish(page.body)


class RoomPage(Base):
    need = FACILITATOR
    api = False

    def get(self) -> None:
        page = self.room.page("room", self.room.language)  # the projector speaks the workshop's language
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Content-Security-Policy", page.csp)
        self.finish(page.body)


class QrCode(Base):
    need = FACILITATOR

    def get(self) -> None:
        link = self.room.links.participant if self.room.links else ""
        self.set_header("Content-Type", "image/svg+xml")
        self.set_header("Content-Security-Policy", "default-src 'none'")
        self.finish(qr_svg(link))


class StateApi(Base):
    def get(self) -> None:
        r = self.room
        self.send_json(r.cached("state", (r.board_version, r.state.round, r.state.voting_open), r.state_json))


class TallyApi(Base):
    def get(self) -> None:
        self.send_json(self.room.cached("tally", self.room.version, self.room.tally_json))


class RoomApi(Base):
    need = FACILITATOR

    def get(self) -> None:
        self.send_json(self.room.cached("room", self.room.version, self.room.room_json))


class VotesApi(Writes):
    @answers
    async def post(self) -> None:
        r = self.room
        request = contract.vote_request(self.payload(), r.board.votable)
        if not r.state.voting_open:
            raise RequestRefused(409, ROOM_CLOSED_VOTING, fix=ROOM_CLOSED_VOTING_FIX)
        r.limiter.take(request.device)
        records: Records = [
            {"round": r.state.round, "device": request.device, "participant": request.participant,
             "touchpoint": tp, "emotion": value}
            for tp, value in request.votes.items()
        ]
        await r.record(VOTES, records)
        self.send_json({"saved": len(records)})


class NotesApi(Writes):
    def get(self) -> None:
        device = self.get_query_argument("device", None)
        if device is None:
            self.send_json(self.room.cached("notes", self.room.state.version, self.room.notes_json))
        else:
            self.send_json(self.room.notes_json(device))

    @answers
    async def post(self) -> None:
        r = self.room
        request = contract.note_request(self.payload(), r.board.votable)
        if len(r.state.notes) >= MAX_NOTES:
            raise RequestRefused(429, f"the room holds {MAX_NOTES} notes, its most.",
                                 fix="tell the facilitator; notes already posted are kept.")
        r.limiter.take(request.device)
        note_id = secrets.token_hex(6)
        await r.record(NOTES, [{"type": "note", "id": note_id, "round": r.state.round, "device": request.device,
                                "participant": request.participant, "touchpoint": request.touchpoint,
                                "kind": request.kind, "text": request.text}])
        self.send_json({"id": note_id})


class DotsApi(Writes):
    @answers
    async def post(self, note_id: str) -> None:
        r = self.room
        device = contract.dot_request(self.payload())
        note = r.state.notes.get(note_id)
        if note is None or note.hidden:
            raise RequestRefused(404, f"there is no note {note_id!r}.", field="note", fix="reload the notes.")
        if device not in note.dots:  # one dot per device and note: a second tap changes nothing
            r.limiter.take(device)
            await r.record(NOTES, [{"type": "dot", "note": note_id, "device": device}])
        self.send_json({"dots": len(note.dots), "dotted": True})


class HideApi(Writes):
    need = FACILITATOR

    @answers
    async def post(self, note_id: str) -> None:
        r = self.room
        hidden = contract.flag(self.payload(), "hidden", default=True)
        if note_id not in r.state.notes:
            raise RequestRefused(404, f"there is no note {note_id!r}.", field="note", fix="reload the room view.")
        await r.record(NOTES, [{"type": "hide", "note": note_id, "hidden": hidden}])
        self.send_json({"hidden": hidden})


class VotingApi(Writes):
    need = FACILITATOR

    @answers
    async def post(self) -> None:
        r = self.room
        open_ = contract.flag(self.payload(), "open")
        await r.record(ROOM, [{"type": "voting", "open": open_, "round": r.state.round}])
        self.send_json({"voting_open": r.state.voting_open, "round": r.state.round})


class RoundsApi(Writes):
    need = FACILITATOR

    @answers
    async def post(self) -> None:
        r = self.room
        contract.nothing(self.payload())
        await r.record(ROOM, [{"type": "round", "round": r.state.round + 1}])
        self.send_json({"round": r.state.round, "voting_open": r.state.voting_open})


class EventsApi(Base):
    """Server-sent events for the projector: the whole room snapshot after every change (coalesced)."""

    need = FACILITATOR

    async def get(self) -> None:
        r = self.room
        if r.streams >= MAX_STREAMS:
            self.send_json({"error": "too many projector views are open.", "field": None,
                            "fix": "close another room view."}, 429)
            return
        r.streams += 1
        self._closed = False
        self.set_header("Content-Type", "text/event-stream; charset=utf-8")
        self.set_header("X-Accel-Buffering", "no")
        seen = None
        try:
            while not self._closed:
                waiting = r.changed
                if r.version != seen:
                    seen = r.version
                    body = r.cached("room", seen, r.room_json)
                    self.write(b"event: room\ndata: " + body + b"\n\n")
                else:
                    self.write(b": still here\n\n")
                await self.flush()
                try:
                    await asyncio.wait_for(waiting.wait(), KEEPALIVE_SECONDS)
                except asyncio.TimeoutError:
                    continue
                await asyncio.sleep(COALESCE_SECONDS)
        except tornado.iostream.StreamClosedError:
            pass
        finally:
            r.streams -= 1

    def on_connection_close(self) -> None:
        self._closed = True


class NotFound(Base):
    """Unknown paths: 403 without a token (like every request), else 404."""

    def prepare(self) -> None:
        super().prepare()
        self.send_json({"error": f"there is no {self.request.path}.", "field": None,
                        "fix": "open the link the facilitator shows."}, 404)
        raise tornado.web.Finish()


# --- starting and stopping ------------------------------------------------------------------------------


def new_token(facilitator: bool = False) -> str:
    """A fresh access code: short for participants (typed from a projector), long for the facilitator."""
    return secrets.token_urlsafe(16 if facilitator else 6)


def banner(room: Room, links: Links, warning: str | None) -> str:
    """What `jmapkit serve` prints: both links, the participant QR code, and how to stop."""
    lines = [f"The room for “{room.board.workshop}” is open (Ctrl-C to stop).", ""]
    if warning:
        lines += [f"Warning: {warning}", ""]
    lines += ["Participants: scan the code or open", f"  {links.participant}", "", qr_terminal(links.participant),
              "Projector and facilitator (keep this link to yourself):", f"  {links.room}", ""]
    return "\n".join(lines)


def serve(ws: Workshop, *, ip: str = "0.0.0.0", port: int = 8866, token: str | None = None,
          facilitator_token: str | None = None, echo: Callable[[str], None] = print) -> None:
    """Run the room in the foreground until Ctrl-C or SIGTERM (what `jmapkit serve` calls)."""
    room = Room(ws, token=token or new_token(), facilitator_token=facilitator_token or new_token(facilitator=True))

    async def main() -> None:
        server, bound = room.listen(ip, port)
        host, warning = public_host(ip)
        room.links = Links(host, bound, room.token, room.facilitator_token)
        echo(banner(room, room.links, warning))
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, stop.set)
            except NotImplementedError:  # Windows: Ctrl-C still ends asyncio.run with KeyboardInterrupt
                pass
        poll = tornado.ioloop.PeriodicCallback(room.refresh_board, BOARD_POLL_MS)
        poll.start()
        await stop.wait()
        poll.stop()
        server.stop()
        await room.close()
        await server.close_all_connections()
        echo("The room is closed; every vote and note is in votes/.")

    asyncio.run(main())


class RunningRoom:
    """A room served from a background thread (tests, benchmarks, a notebook); `stop()` ends it."""

    def __init__(self, ws: Workshop, *, ip: str = "127.0.0.1", port: int = 0, token: str | None = None,
                 facilitator_token: str | None = None) -> None:
        self.room = Room(ws, token=token or new_token(),
                         facilitator_token=facilitator_token or new_token(facilitator=True))
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._error: BaseException | None = None
        self._ip, self._port = ip, port
        self._thread = threading.Thread(target=asyncio.run, args=(self._main(),), name="jmapkit-room", daemon=True)
        self._thread.start()
        self._ready.wait(30)
        if self._error is not None:
            raise self._error
        self.links: Links = self.room.links  # type: ignore[assignment]

    async def _main(self) -> None:
        try:
            server, bound = self.room.listen(self._ip, self._port)
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            return
        self.room.links = Links(self._ip, bound, self.room.token, self.room.facilitator_token)
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        poll = tornado.ioloop.PeriodicCallback(self.room.refresh_board, BOARD_POLL_MS)
        poll.start()
        self._ready.set()
        await self._stop.wait()
        poll.stop()
        server.stop()
        await self.room.close()
        await server.close_all_connections()

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)

    def __enter__(self) -> RunningRoom:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start(ws: Workshop, **kwargs: Any) -> RunningRoom:
    """Serve the room from a background thread of this process (on 127.0.0.1 and a free port by default)."""
    return RunningRoom(ws, **kwargs)
