"""The room's HTTP contract through a real client: pages, tokens, votes, notes, rounds, every refused request.

The server runs in a thread on 127.0.0.1 (a free port). Load is bounded: at most 20 clients × 10 votes here,
and the kill -9 test stops after 300 acknowledged votes or 30 s.
"""

from __future__ import annotations

import gzip
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from jmapkit import room as room_api
from jmapkit.room.server import RunningRoom
from jmapkit.room.state import NOTES, VOTES
from jmapkit.store import TornLineWarning, Workshop
from jmapkit.widgets.room import TallyPanel
from tests.conftest import ROOM_FACILITATOR, ROOM_TOKEN
from tests.independent import room_tally

T, F = ROOM_TOKEN, ROOM_FACILITATOR
DEVICE = "device-0001"


@pytest.fixture
def client(room: RunningRoom) -> httpx.Client:
    with httpx.Client(base_url=room.links.base, timeout=10) as c:
        yield c  # type: ignore[misc]


def frontstage(ws: Workshop) -> list[str]:
    return [t.id for t in ws.load(3).touchpoints if t.layer == "frontstage"]


# --- pages and tokens ------------------------------------------------------------------------------------


def test_participant_page_is_small_self_contained_and_gives_a_device_id(client: httpx.Client) -> None:
    page = client.get("/", params={"token": T}, headers={"Accept-Encoding": "gzip"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.headers["content-encoding"] == "gzip"
    assert page.num_bytes_downloaded < 150 * 1024
    html = page.text
    assert re.findall(r"(?:src|href)=\"(?!data:)[^\"]+", html) == []  # no CDN, no second request
    assert "innerHTML" not in html and "insertAdjacentHTML" not in html and "document.write" not in html
    csp = page.headers["content-security-policy"]
    assert "script-src 'sha256-" in csp and "unsafe-inline" not in csp and "connect-src 'self'" in csp
    cookie = page.cookies["jmapkit_device"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", cookie)
    again = client.get("/", params={"token": T})  # the client sends the cookie back: no new id
    assert "set-cookie" not in again.headers
    assert len(gzip.compress(page.content)) < 150 * 1024


def test_room_page_needs_the_facilitator_token(client: httpx.Client) -> None:
    assert client.get("/room", params={"token": F}).status_code == 200
    refused = client.get("/room", params={"token": T})
    assert refused.status_code == 403 and "This link needs its access code" in refused.text
    qr = client.get("/room/qr.svg", params={"token": F})
    assert qr.status_code == 200 and qr.headers["content-type"] == "image/svg+xml" and qr.text.startswith("<svg")


ROUTES = [("GET", "/"), ("GET", "/room"), ("GET", "/room/qr.svg"), ("GET", "/api/state"), ("GET", "/api/tally"),
          ("POST", "/api/votes"), ("GET", "/api/notes"), ("POST", "/api/notes"),
          ("POST", "/api/notes/0123456789ab/dots"), ("POST", "/api/notes/0123456789ab/hide"),
          ("POST", "/api/voting"), ("POST", "/api/rounds"), ("GET", "/api/room"), ("GET", "/api/events"),
          ("GET", "/favicon.ico"), ("GET", "/tree/notebooks")]


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize("token", [None, "", "wrong", T.upper(), T + "x"])
def test_every_request_without_the_right_token_gets_the_rooms_own_403(
    client: httpx.Client, room: RunningRoom, method: str, path: str, token: str | None
) -> None:
    params = {} if token is None else {"token": token}
    body = {"device": DEVICE, "votes": {"queue": 1}} if method == "POST" else None
    got = client.request(method, path, params=params, json=body)
    assert got.status_code == 403
    if path in ("/", "/room"):
        assert "This link needs its access code" in got.text and "jupyter" not in got.text.lower()
    else:
        assert got.json()["field"] == "token"
    assert not room.room.ws.path("votes", "emotion.jsonl").exists()


@pytest.mark.parametrize("path", ["/room", "/room/qr.svg", "/api/room", "/api/events"])
def test_facilitator_views_refuse_the_participant_token(client: httpx.Client, path: str) -> None:
    assert client.get(path, params={"token": T}).status_code == 403


@pytest.mark.parametrize(("path", "body"), [("/api/voting", {"open": False}), ("/api/rounds", {})])
def test_facilitator_actions_refuse_the_participant_token(client: httpx.Client, room: RunningRoom, path: str,
                                                          body: dict) -> None:
    assert client.post(path, params={"token": T}, json=body).status_code == 403
    assert not room.room.ws.path("votes", "room.jsonl").exists()


def test_unknown_paths_and_methods(client: httpx.Client) -> None:
    assert client.get("/nothing", params={"token": T}).status_code == 404
    wrong = client.get("/api/votes", params={"token": T})
    assert wrong.status_code == 405 and "error" in wrong.json()


# --- state, votes, tally ---------------------------------------------------------------------------------


def test_state_lists_stages_and_touchpoints_by_name(client: httpx.Client, restaurant: Workshop) -> None:
    state = client.get("/api/state", params={"token": T}).json()
    tps = restaurant.load(3)
    assert state["workshop"] == "Vivan los Tacos — lunch visit" and state["language"] == "en"
    assert state["voting_open"] is True and state["round"] == 1
    assert state["stages"] == [{"id": s.id, "label": s.name} for s in tps.stages]
    assert state["touchpoints"] == [{"id": t.id, "label": t.name, "stage": t.stage, "layer": t.layer}
                                    for t in tps.touchpoints]
    assert {t["id"] for t in state["touchpoints"] if t["layer"] == "backstage"} == {"kitchen"}


def test_votes_replace_the_devices_own_earlier_vote(client: httpx.Client, restaurant: Workshop) -> None:
    sent = []
    for device, votes in [("device-0001", {"queue": -2, "payment": 1}), ("device-0002", {"queue": -1}),
                          ("device-0001", {"queue": 0}), ("device-0003", {"food_served": 2, "queue": 2})]:
        got = client.post("/api/votes", params={"token": T}, json={"device": device, "participant": None,
                                                                    "votes": votes})
        assert got.status_code == 200 and got.json() == {"saved": len(votes)}
        sent += [(device, tp, v) for tp, v in votes.items()]
    expected = room_tally(sent)
    tally = {row["touchpoint"]: row for row in client.get("/api/tally", params={"token": T}).json()["touchpoints"]}
    assert [tp for tp, row in tally.items() if row["n"]] == [tp for tp in tally if tp in expected]
    for tp, want in expected.items():
        assert tally[tp]["n"] == want["n"] and tally[tp]["mean"] == pytest.approx(want["mean"])
        assert tally[tp]["counts"] == {str(f): c for f, c in want["counts"].items()}
    assert tally["web_menu"] == {"touchpoint": "web_menu", "stage": "consideration", "n": 0, "mean": None,
                                 "counts": {"-2": 0, "-1": 0, "0": 0, "1": 0, "2": 0}}
    file = [(r["device"], r["touchpoint"], r["emotion"]) for r in restaurant.votes(VOTES)]
    assert file == sent  # every vote on disk, in order, none rewritten


def test_a_name_is_kept_with_the_vote(client: httpx.Client, restaurant: Workshop) -> None:
    client.post("/api/votes", params={"token": T}, json={"device": DEVICE, "participant": "  Chloé ",
                                                          "votes": {"queue": 1}})
    client.post("/api/votes", params={"token": T}, json={"device": "device-0002", "participant": "",
                                                          "votes": {"queue": 1}})
    assert [r["participant"] for r in restaurant.votes(VOTES)] == ["Chloé", None]


LONG = "x" * 501


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        (b"{not json", 400, None),
        (b"\xff\xfe", 400, None),
        (b"[1, 2]", 400, None),
        (b'"votes"', 400, None),
        ({"device": DEVICE}, 400, "votes"),
        ({"device": DEVICE, "votes": {}}, 400, "votes"),
        ({"device": DEVICE, "votes": [["queue", 1]]}, 400, "votes"),
        ({"device": DEVICE, "votes": {"ghost": 1}}, 400, "votes.ghost"),
        ({"device": DEVICE, "votes": {"kitchen": 1}}, 400, "votes.kitchen"),  # backstage: not voted on
        ({"device": DEVICE, "votes": {"queue": 3}}, 400, "votes.queue"),
        ({"device": DEVICE, "votes": {"queue": -3}}, 400, "votes.queue"),
        ({"device": DEVICE, "votes": {"queue": 1.5}}, 400, "votes.queue"),
        ({"device": DEVICE, "votes": {"queue": True}}, 400, "votes.queue"),
        ({"device": DEVICE, "votes": {"queue": "1"}}, 400, "votes.queue"),
        ({"device": DEVICE, "votes": {"queue": None}}, 400, "votes.queue"),
        ({"device": DEVICE, "votes": {"queue": 1, "ghost": 1}}, 400, "votes.ghost"),  # all or nothing
        ({"votes": {"queue": 1}}, 400, "device"),
        ({"device": "short", "votes": {"queue": 1}}, 400, "device"),
        ({"device": "d" * 65, "votes": {"queue": 1}}, 400, "device"),
        ({"device": "device/../x", "votes": {"queue": 1}}, 400, "device"),
        ({"device": 12345678, "votes": {"queue": 1}}, 400, "device"),
        ({"device": DEVICE, "participant": "a" * 61, "votes": {"queue": 1}}, 400, "participant"),
        ({"device": DEVICE, "participant": "Ana\nBen", "votes": {"queue": 1}}, 400, "participant"),
        ({"device": DEVICE, "participant": 7, "votes": {"queue": 1}}, 400, "participant"),
        ({"device": DEVICE, "votes": {"queue": 1}, "admin": True}, 400, "admin"),
    ],
)
def test_bad_votes_are_refused_with_a_clear_json_error_and_nothing_written(
    client: httpx.Client, restaurant: Workshop, body: Any, status: int, field: str | None
) -> None:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    got = client.post("/api/votes", params={"token": T}, content=content,
                      headers={"Content-Type": "application/json"})
    assert got.status_code == status
    error = got.json()
    assert error["field"] == field and error["error"] and error["fix"]
    assert not restaurant.path("votes", "emotion.jsonl").exists()


def test_a_name_of_exactly_60_and_a_note_of_exactly_500_characters_pass(client: httpx.Client) -> None:
    ok = client.post("/api/notes", params={"token": T}, json={"device": DEVICE, "participant": "n" * 60,
                                                               "touchpoint": "queue", "kind": "idea",
                                                               "text": "t" * 500})
    assert ok.status_code == 200


@pytest.mark.parametrize("chunked", [False, True])
def test_a_body_over_64_kb_gets_413(client: httpx.Client, restaurant: Workshop, chunked: bool) -> None:
    payload = json.dumps({"device": DEVICE, "participant": "p" * (65 * 1024), "votes": {"queue": 1}}).encode()
    content: Any = iter([payload[i:i + 8192] for i in range(0, len(payload), 8192)]) if chunked else payload
    got = client.post("/api/votes", params={"token": T}, content=content,
                      headers={"Content-Type": "application/json"})
    assert got.status_code == 413 and "64 KB" in got.json()["error"]
    assert not restaurant.path("votes", "emotion.jsonl").exists()


# --- notes and dots --------------------------------------------------------------------------------------


def post_note(client: httpx.Client, text: str, device: str = DEVICE, **extra: Any) -> httpx.Response:
    body = {"device": device, "participant": None, "touchpoint": "queue", "kind": "pain", "text": text, **extra}
    return client.post("/api/notes", params={"token": T}, json=body)


def test_notes_with_one_dot_per_device(client: httpx.Client, restaurant: Workshop) -> None:
    first = post_note(client, "  Two queues: order, then pay  ")
    assert first.status_code == 200 and re.fullmatch(r"[0-9a-f]{12}", first.json()["id"])
    note_id = first.json()["id"]
    for device in ("device-0001", "device-0002", "device-0001"):
        got = client.post(f"/api/notes/{note_id}/dots", params={"token": T}, json={"device": device})
        assert got.status_code == 200
    assert got.json() == {"dots": 2, "dotted": True}
    listed = client.get("/api/notes", params={"token": T, "device": "device-0002"}).json()["notes"]
    assert [(n["id"], n["text"], n["kind"], n["touchpoint"], n["dots"], n["dotted"]) for n in listed] == [
        (note_id, "Two queues: order, then pay", "pain", "queue", 2, True)]
    assert "device" not in listed[0]  # one participant never sees another's device id
    anonymous = client.get("/api/notes", params={"token": T}).json()["notes"]
    assert anonymous[0]["dotted"] is False
    dots = [r for r in restaurant.votes(NOTES) if r["type"] == "dot"]
    assert [r["device"] for r in dots] == ["device-0001", "device-0002"]  # the repeated dot was not written


@pytest.mark.parametrize(
    ("change", "field"),
    [({"text": LONG}, "text"), ({"text": ""}, "text"), ({"text": " \n "}, "text"), ({"text": 5}, "text"),
     ({"text": "a\x00b"}, "text"), ({"kind": "rant"}, "kind"), ({"kind": None}, "kind"),
     ({"touchpoint": "ghost"}, "touchpoint"), ({"touchpoint": "kitchen"}, "touchpoint"),
     ({"participant": "p" * 61}, "participant"), ({"device": "x"}, "device"), ({"colour": "red"}, "colour")],
)
def test_bad_notes_are_refused_and_nothing_written(client: httpx.Client, restaurant: Workshop, change: dict,
                                                   field: str) -> None:
    body = {"device": DEVICE, "participant": None, "touchpoint": "queue", "kind": "pain", "text": "ok", **change}
    got = client.post("/api/notes", params={"token": T}, json=body)
    assert got.status_code == 400 and got.json()["field"] == field
    assert not restaurant.path("votes", "notes.jsonl").exists()


def test_dots_on_unknown_or_hidden_notes_are_refused(client: httpx.Client) -> None:
    assert client.post("/api/notes/0123456789ab/dots", params={"token": T},
                       json={"device": DEVICE}).status_code == 404
    note_id = post_note(client, "spam spam").json()["id"]
    bad = client.post(f"/api/notes/{note_id}/dots", params={"token": T}, json={"device": "no"})
    assert bad.status_code == 400 and bad.json()["field"] == "device"
    hidden = client.post(f"/api/notes/{note_id}/hide", params={"token": F}, json={})
    assert hidden.status_code == 200 and hidden.json() == {"hidden": True}
    assert client.get("/api/notes", params={"token": T}).json() == {"notes": []}
    assert client.post(f"/api/notes/{note_id}/dots", params={"token": T}, json={"device": DEVICE}).status_code == 404
    shown = client.post(f"/api/notes/{note_id}/hide", params={"token": F}, json={"hidden": False})
    assert shown.json() == {"hidden": False} and len(client.get("/api/notes", params={"token": T}).json()["notes"]) == 1
    assert client.post(f"/api/notes/{note_id}/hide", params={"token": F}, json={"hidden": "no"}).status_code == 400
    assert client.post("/api/notes/0123456789ab/hide", params={"token": F}, json={}).status_code == 404


# --- facilitator actions ---------------------------------------------------------------------------------


def test_closing_voting_refuses_votes_but_keeps_notes(client: httpx.Client, restaurant: Workshop) -> None:
    closed = client.post("/api/voting", params={"token": F}, json={"open": False})
    assert closed.json() == {"voting_open": False, "round": 1}
    assert client.get("/api/state", params={"token": T}).json()["voting_open"] is False
    refused = client.post("/api/votes", params={"token": T}, json={"device": DEVICE, "votes": {"queue": 1}})
    assert refused.status_code == 409 and "voting is closed" in refused.json()["error"]
    assert post_note(client, "still welcome").status_code == 200
    assert not restaurant.path("votes", "emotion.jsonl").exists()
    assert client.post("/api/voting", params={"token": F}, json={"open": True}).json()["voting_open"] is True
    again = client.post("/api/votes", params={"token": T}, json={"device": DEVICE, "votes": {"queue": 1}})
    assert again.status_code == 200
    assert client.post("/api/voting", params={"token": F}, json={}).status_code == 400


def test_a_new_round_starts_an_empty_tally_and_archives_the_old_votes(client: httpx.Client,
                                                                     restaurant: Workshop) -> None:
    client.post("/api/votes", params={"token": T}, json={"device": DEVICE, "votes": {"queue": -2}})
    assert client.post("/api/rounds", params={"token": F}, json={}).json() == {"round": 2, "voting_open": True}
    assert client.post("/api/rounds", params={"token": F}, json={"round": 9}).status_code == 400
    state = client.get("/api/state", params={"token": T}).json()
    assert state["round"] == 2
    queue = next(r for r in client.get("/api/tally", params={"token": T}).json()["touchpoints"]
                 if r["touchpoint"] == "queue")
    assert (queue["n"], queue["mean"]) == (0, None)
    client.post("/api/votes", params={"token": T}, json={"device": DEVICE, "votes": {"queue": 1}})
    assert [(r["round"], r["emotion"]) for r in restaurant.votes(VOTES)] == [(1, -2), (2, 1)]
    assert room_api.tally(restaurant).set_index("touchpoint").loc["queue", "mean"] == 1.0


def test_the_rate_limit_stops_one_device_flooding_the_room(client: httpx.Client, room: RunningRoom,
                                                          restaurant: Workshop) -> None:
    room.room.limiter.clock = lambda: 1000.0  # time stands still: no refill during the burst
    codes = [client.post("/api/votes", params={"token": T}, json={"device": DEVICE, "votes": {"queue": i % 5 - 2}}
                         ).status_code for i in range(35)]
    assert codes == [200] * 30 + [429] * 5
    refused = client.post("/api/notes", params={"token": T}, json={"device": DEVICE, "participant": None,
                                                                    "touchpoint": "queue", "kind": "idea",
                                                                    "text": "hi"})
    assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
    assert client.post("/api/votes", params={"token": T}, json={"device": "device-0002",
                                                                 "votes": {"queue": 1}}).status_code == 200
    assert len(restaurant.votes(VOTES)) == 31
    room.room.limiter.clock = lambda: 1001.0  # a second later: two more writes
    assert [client.post("/api/votes", params={"token": T}, json={"device": DEVICE, "votes": {"queue": 0}}
                        ).status_code for _ in range(3)] == [200, 200, 429]


def test_the_rate_limiter_forgets_idle_devices_and_then_refuses_new_ones() -> None:
    from jmapkit.room.contract import RequestRefused
    from jmapkit.room.server import RateLimiter

    now = [0.0]
    limiter = RateLimiter(burst=2, per_second=1.0, max_devices=2, clock=lambda: now[0])
    limiter.take("a")
    limiter.take("b")
    with pytest.raises(RequestRefused, match="the room is full"):
        limiter.take("c")
    now[0] = 1.0  # both buckets are full again: forgotten to make room
    limiter.take("c")


# --- the projector's stream and the board ------------------------------------------------------------------


def test_the_projector_stream_sends_the_room_and_every_change(client: httpx.Client, room: RunningRoom) -> None:
    events: queue.Queue[dict] = queue.Queue()

    def listen() -> None:
        with httpx.stream("GET", f"{room.links.base}/api/events", params={"token": F}, timeout=10) as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            seen = 0
            for line in stream.iter_lines():
                if line.startswith("data: "):
                    events.put(json.loads(line[6:]))
                    seen += 1
                    if seen == 3:
                        return

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    first = events.get(timeout=10)
    assert first["voters"] == 0 and first["notes"] == [] and first["participant_link"] == room.links.participant
    client.post("/api/votes", params={"token": T}, json={"device": DEVICE, "votes": {"queue": -1}})
    second = events.get(timeout=10)
    queue_tp = next(t for t in second["touchpoints"] if t["id"] == "queue")
    assert (queue_tp["label"], queue_tp["team"], queue_tp["n"], queue_tp["mean"]) == (
        "Queue at the door", -1.0, 1, -1.0)
    assert queue_tp["counts"] == {"-2": 0, "-1": 1, "0": 0, "1": 0, "2": 0} and second["voters"] == 1
    post_note(client, "<script>alert(1)</script>")
    third = events.get(timeout=10)
    assert [n["text"] for n in third["notes"]] == ["<script>alert(1)</script>"]
    listener.join(10)


def test_a_step_saved_in_a_notebook_reaches_the_room(client: httpx.Client, room: RunningRoom,
                                                     restaurant: Workshop) -> None:
    tps = restaurant.load(3)
    renamed = tps.model_copy(update={"touchpoints": [t.model_copy(update={"name": "The line outside"})
                                                     if t.id == "queue" else t for t in tps.touchpoints]})
    restaurant.save(renamed)
    room.room.refresh_board()  # what the server's 2-second poll calls
    state = client.get("/api/state", params={"token": T}).json()
    assert next(t["label"] for t in state["touchpoints"] if t["id"] == "queue") == "The line outside"


# --- load and crashes ------------------------------------------------------------------------------------


def test_20_participants_voting_at_once_lose_nothing(room: RunningRoom, restaurant: Workshop) -> None:
    """20 devices × 10 vote requests at once: the file, /api/tally and notebook 4's panel agree with what was sent."""
    tps = frontstage(restaurant)

    def participant(i: int) -> list[tuple[str, str, int]]:
        device = f"device-{i:04d}"
        sent = []
        with httpx.Client(base_url=room.links.base, timeout=30) as c:
            for k in range(10):
                tp, value = tps[(i + k) % 4], (i * 3 + k) % 5 - 2  # four touchpoints each: later votes replace
                got = c.post("/api/votes", params={"token": T}, json={"device": device, "participant": None,
                                                                       "votes": {tp: value}})
                assert got.status_code == 200 and got.json() == {"saved": 1}
                sent.append((device, tp, value))
        return sent

    with ThreadPoolExecutor(20) as pool:
        per_device = list(pool.map(participant, range(20)))
    sent = [v for votes in per_device for v in votes]
    expected = room_tally(sent)
    in_file = sorted((r["device"], r["touchpoint"], r["emotion"]) for r in restaurant.votes(VOTES))
    assert in_file == sorted(sent) and len(in_file) == 200
    with httpx.Client(base_url=room.links.base) as c:
        api = {r["touchpoint"]: r for r in c.get("/api/tally", params={"token": T}).json()["touchpoints"]}
    panel = TallyPanel(restaurant).frame.set_index("touchpoint")
    names = {t.id: t.label for t in restaurant.load(3).touchpoints}
    for tp in tps:
        want = expected.get(tp, {"n": 0, "mean": None, "counts": dict.fromkeys((-2, -1, 0, 1, 2), 0)})
        assert api[tp]["n"] == want["n"] == panel.loc[names[tp], "n"]
        assert [api[tp]["counts"][str(f)] for f in (-2, -1, 0, 1, 2)] == [want["counts"][f] for f in (-2, -1, 0, 1, 2)]
        assert [panel.loc[names[tp], f"votes_{f}"] for f in (-2, -1, 0, 1, 2)] == [want["counts"][f]
                                                                                  for f in (-2, -1, 0, 1, 2)]
        if want["n"]:
            assert api[tp]["mean"] == pytest.approx(want["mean"]) == panel.loc[names[tp], "voted"]
    assert sum(w["n"] for w in expected.values()) == 80  # 20 devices × 4 touchpoints


@pytest.mark.slow
def test_kill_9_during_a_stream_of_votes_loses_no_answered_vote(restaurant: Workshop, tmp_path: Path) -> None:
    server = subprocess.Popen(
        [sys.executable, "-m", "jmapkit", "serve", str(restaurant.root), "--ip", "127.0.0.1", "--port", "0",
         "--token", T, "--facilitator-token", F],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
    )
    try:
        link, _ = _participant_link(server)
        base = link.split("/?")[0]
        answered: list[str] = []
        lock = threading.Lock()
        stop = threading.Event()
        deadline = time.monotonic() + 30

        def stream(worker: int) -> None:
            with httpx.Client(base_url=base, timeout=5) as c:
                for i in range(500):
                    if stop.is_set() or time.monotonic() > deadline:
                        return
                    device = f"kill-{worker}-{i:05d}"  # one device per request: each answered vote is findable
                    try:
                        got = c.post("/api/votes", params={"token": T},
                                     json={"device": device, "votes": {"queue": i % 5 - 2, "payment": 1}})
                    except httpx.HTTPError:
                        return  # the server is gone
                    if got.status_code == 200:
                        with lock:
                            answered.append(device)

        workers = [threading.Thread(target=stream, args=(w,)) for w in range(4)]
        for t in workers:
            t.start()
        while len(answered) < 300 and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(server.pid, signal.SIGKILL)
        server.wait(10)
        stop.set()
        for t in workers:
            t.join(10)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(10)
        server.stdout.close()  # type: ignore[union-attr]
        server.stderr.close()  # type: ignore[union-attr]
    assert len(answered) >= 300
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TornLineWarning)  # a line cut by the kill is allowed, and skipped
        records = restaurant.votes(VOTES)
        tally = room_api.tally(restaurant)
    in_file = {r["device"] for r in records}
    assert set(answered) <= in_file
    assert all(sum(1 for r in records if r["device"] == d) == 2 for d in answered)  # both votes of the request
    assert tally.set_index("touchpoint").loc["payment", "n"] == len(in_file)


def _participant_link(server: subprocess.Popen) -> tuple[str, str]:
    """Read `jmapkit serve`'s banner up to the participant link (within 30 s): (link, what was read)."""
    deadline = time.monotonic() + 30
    lines = []
    while time.monotonic() < deadline:
        line = server.stdout.readline()  # type: ignore[union-attr]
        if not line:
            break
        lines.append(line)
        if "/?token=" in line:
            return line.strip(), "".join(lines)
    raise AssertionError("jmapkit serve printed no participant link:\n" + "".join(lines) +
                         (server.stderr.read() if server.poll() is not None else ""))  # type: ignore[union-attr]


@pytest.mark.slow
def test_jmapkit_serve_prints_both_links_and_a_qr_code_and_stops_on_sigterm(restaurant: Workshop) -> None:
    with subprocess.Popen(
        [sys.executable, "-m", "jmapkit", "serve", str(restaurant.root), "--ip", "127.0.0.1", "--port", "0",
         "--token", T],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
    ) as server:
        try:
            link, banner = _participant_link(server)
            assert re.fullmatch(rf"http://127\.0\.0\.1:\d+/\?token={T}", link)
            with httpx.Client(timeout=10) as c:
                assert c.get(link).status_code == 200
            server.send_signal(signal.SIGTERM)
            server.wait(15)
            # The banner's rest is in stdout's buffer already: read through the file object, not communicate().
            out, err = banner + server.stdout.read(), server.stderr.read()  # type: ignore[union-attr]
        finally:
            if server.poll() is None:
                server.kill()
    assert server.returncode == 0, err
    assert "█" in out and "▄" in out  # the QR code, drawn in block characters
    room_link = re.search(r"http://127\.0\.0\.1:\d+/room\?token=([A-Za-z0-9_-]{22})", out)
    assert room_link and room_link.group(1) != T
    assert "phones cannot reach it" in out  # 127.0.0.1 is this computer only: the facilitator is told
    assert "The room is closed" in out
