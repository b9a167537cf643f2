"""The room's records read back: tally per round, notes and their promotion into step 5, LAN address, QR codes."""

from __future__ import annotations

import ipaddress
import math
import socket
from pathlib import Path

import pytest

from jmapkit import room
from jmapkit.errors import JmapkitError
from jmapkit.model import Source
from jmapkit.room.links import PROBES, Links, lan_ip, qr_svg, qr_terminal
from jmapkit.room.state import NOTES, ROOM, VOTES, RoomFileWarning, RoomState
from jmapkit.store import Workshop
from tests.independent import room_tally


def vote(ws: Workshop, device: str, touchpoint: str, emotion: int, round_: int = 1) -> None:
    ws.append_vote(VOTES, {"round": round_, "device": device, "participant": None, "touchpoint": touchpoint,
                           "emotion": emotion})


def note(ws: Workshop, note_id: str, touchpoint: str, text: str, kind: str = "pain", device: str = "dev-0001") -> None:
    ws.append_vote(NOTES, {"type": "note", "id": note_id, "round": 1, "device": device, "participant": "Ana",
                           "touchpoint": touchpoint, "kind": kind, "text": text})


SENT = [("d1", "queue", -2), ("d2", "queue", -1), ("d1", "payment", 1), ("d3", "queue", 2), ("d1", "queue", 0),
        ("d2", "food_served", 2), ("d3", "queue", -2), ("d4", "payment", -1)]


def test_tally_counts_each_devices_last_vote_per_touchpoint(restaurant: Workshop) -> None:
    for device, tp, emotion in SENT:
        vote(restaurant, device, tp, emotion)
    got = room.tally(restaurant)
    expected = room_tally(SENT)
    assert list(got.columns) == ["touchpoint", "stage", "n", "mean", "votes_-2", "votes_-1", "votes_0", "votes_1",
                                 "votes_2"]
    assert list(got["touchpoint"]) == [t.id for t in restaurant.load(3).touchpoints]  # template is in stage order
    for row in got.to_dict("records"):
        want = expected.get(row["touchpoint"])
        if want is None:
            assert row["n"] == 0 and math.isnan(row["mean"])
            assert [row[c] for c in room.FACE_COLUMNS] == [0] * 5
            continue
        assert row["n"] == want["n"]
        assert row["mean"] == pytest.approx(want["mean"])
        assert [row[c] for c in room.FACE_COLUMNS] == [want["counts"][f] for f in (-2, -1, 0, 1, 2)]
    assert got.set_index("touchpoint").loc["queue", "stage"] == "purchase"
    assert len(restaurant.votes(VOTES)) == len(SENT)  # every vote stays in the append-only file


def test_a_new_round_archives_the_old_votes(restaurant: Workshop) -> None:
    vote(restaurant, "d1", "queue", -2)
    vote(restaurant, "d2", "queue", -1)
    restaurant.append_vote(ROOM, {"type": "round", "round": 2})
    vote(restaurant, "d1", "queue", 2, round_=2)
    got = room.tally(restaurant).set_index("touchpoint")
    assert (got.loc["queue", "n"], got.loc["queue", "mean"], got.loc["queue", "votes_2"]) == (1, 2.0, 1)
    assert [r["round"] for r in restaurant.votes(VOTES)] == [1, 1, 2]  # archived, never deleted


def test_voting_state_and_round_fold_from_the_facilitators_actions(restaurant: Workshop) -> None:
    restaurant.append_vote(ROOM, {"type": "voting", "open": False, "round": 1})
    assert RoomState.read(restaurant).voting_open is False
    restaurant.append_vote(ROOM, {"type": "round", "round": 2})  # a new round opens voting again
    state = RoomState.read(restaurant)
    assert (state.round, state.voting_open) == (2, True)


def test_a_torn_last_line_is_skipped_with_a_warning_and_the_next_vote_is_kept(restaurant: Workshop) -> None:
    vote(restaurant, "d1", "queue", -2)
    path = restaurant.path("votes", "emotion.jsonl")
    with open(path, "ab") as f:
        f.write(b'{"at": "2026-12-01T10:00:00+00:00", "round": 1, "device": "d2", "touc')  # a crash mid-write
    with pytest.warns(UserWarning, match=r"skipped 1 line that is not a JSON record \(line 2\)"):
        assert [r["device"] for r in restaurant.votes(VOTES)] == ["d1"]
    vote(restaurant, "d3", "queue", 1)  # the next append starts on a line of its own
    with pytest.warns(UserWarning, match=r"\(line 2\)"):
        got = room.tally(restaurant).set_index("touchpoint")
    assert (got.loc["queue", "n"], got.loc["queue", "mean"]) == (2, -0.5)


def test_records_missing_fields_are_skipped_with_a_warning(restaurant: Workshop) -> None:
    vote(restaurant, "d1", "queue", -2)
    restaurant.append_vote(VOTES, {"round": 1, "device": "d2", "touchpoint": "queue", "emotion": 7})
    restaurant.append_vote(VOTES, {"round": 1, "device": "d3", "touchpoint": "queue"})
    with pytest.warns(RoomFileWarning, match="skipped 2 record"):
        got = room.tally(restaurant).set_index("touchpoint")
    assert got.loc["queue", "n"] == 1


def test_votes_on_a_touchpoint_step_3_no_longer_has_do_not_count(restaurant: Workshop) -> None:
    vote(restaurant, "d1", "ghost", 1)
    got = room.tally(restaurant)
    assert "ghost" not in set(got["touchpoint"]) and got["n"].sum() == 0


def test_overview_shows_names_and_all_three_emotions(restaurant: Workshop) -> None:
    tables = restaurant.tables_dir(4)
    tables.mkdir(parents=True, exist_ok=True)
    (tables / "emotion.csv").write_text("touchpoint,voted,measured,measured_n\nqueue,,-0.8,120\npayment,,,0\n")
    vote(restaurant, "d1", "queue", -2)
    vote(restaurant, "d2", "queue", -1)
    got = room.overview(restaurant).set_index("touchpoint")
    row = got.loc["Queue at the door"]
    assert (row["stage"], row["team"], row["voted"], row["n"], row["votes_-2"], row["votes_-1"]) == (
        "Order & pay", -1.0, -1.5, 2, 1, 1)
    assert (row["measured"], row["measured_n"]) == (-0.8, 120)
    assert math.isnan(got.loc["Pay at the till", "measured"])  # an empty measured cell is no measurement
    assert math.isnan(got.loc["Maps listing", "team"])  # the team gave no estimate there
    assert got.loc["Kitchen prepares the order", "layer"] == "backstage"


# --- notes ---------------------------------------------------------------------------------------------


def test_notes_are_listed_by_touchpoint_then_dots(restaurant: Workshop) -> None:
    note(restaurant, "aaaaaaaaaaa1", "payment", "Card reader is slow")
    note(restaurant, "aaaaaaaaaaa2", "queue", "No idea how long the wait is")
    note(restaurant, "aaaaaaaaaaa3", "queue", "Queue blocks the door", kind="idea")
    for device in ("d1", "d2"):
        restaurant.append_vote(NOTES, {"type": "dot", "note": "aaaaaaaaaaa3", "device": device})
    restaurant.append_vote(NOTES, {"type": "dot", "note": "aaaaaaaaaaa3", "device": "d1"})  # one dot per device
    note(restaurant, "aaaaaaaaaaa4", "queue", "spam")
    restaurant.append_vote(NOTES, {"type": "hide", "note": "aaaaaaaaaaa4", "hidden": True})
    got = [(n.note.id, n.stage, n.touchpoint, len(n.note.dots)) for n in room.notes.listed(restaurant)]
    assert got == [("aaaaaaaaaaa3", "Order & pay", "Queue at the door", 2),
                   ("aaaaaaaaaaa2", "Order & pay", "Queue at the door", 0),
                   ("aaaaaaaaaaa1", "Order & pay", "Pay at the till", 0)]


def test_promote_a_note_into_a_pain_point_with_its_evidence(restaurant: Workshop) -> None:
    note(restaurant, "bbbbbbbbbbb1", "queue", "We wait 20 minutes <b>every</b> day")
    for device in ("d1", "d2", "d3"):
        restaurant.append_vote(NOTES, {"type": "dot", "note": "bbbbbbbbbbb1", "device": device})
    before = restaurant.load(5)
    item = room.promote(restaurant, "bbbbbbbbbbb1", "pain_point")
    after = restaurant.load(5)
    assert after.pain_points[:-1] == before.pain_points and after.opportunities == before.opportunities
    saved = after.pain_points[-1]
    assert saved == item
    assert (saved.touchpoint, saved.description) == ("queue", "We wait 20 minutes <b>every</b> day")
    assert saved.source == Source(kind="participant", detail="bbbbbbbbbbb1", n=3)
    assert saved.evidence == ["participant note bbbbbbbbbbb1, 3 dots: “We wait 20 minutes <b>every</b> day”"]
    assert room.notes.promoted(restaurant) == {"bbbbbbbbbbb1": "pain_point"}
    with pytest.raises(JmapkitError, match="already a pain point in step 5"):
        room.promote(restaurant, "bbbbbbbbbbb1", "opportunity")
    assert len(restaurant.history(5)) == 1  # one save, the earlier version kept


def test_promote_a_note_into_an_opportunity(restaurant: Workshop) -> None:
    note(restaurant, "ccccccccccc1", "app_order", "Let regulars reorder their usual", kind="idea")
    item = room.promote(restaurant, "ccccccccccc1", "opportunity")
    saved = restaurant.load(5).opportunities[-1]
    assert saved == item
    assert (saved.touchpoint, saved.stage, saved.description) == ("app_order", "purchase",
                                                                  "Let regulars reorder their usual")
    assert saved.source == Source(kind="participant", detail="ccccccccccc1", n=0)
    assert saved.evidence == ["participant note ccccccccccc1, 0 dots: “Let regulars reorder their usual”"]


@pytest.mark.parametrize(
    ("note_id", "kind", "message"),
    [("nope", "pain_point", "there is no note 'nope'"), ("ddddddddddd1", "kpi", "cannot promote a note into 'kpi'"),
     ("ddddddddddd2", "pain_point", "touchpoint 'gone', which step 3 no longer has")],
)
def test_promote_refuses_and_saves_nothing(restaurant: Workshop, note_id: str, kind: str, message: str) -> None:
    note(restaurant, "ddddddddddd1", "queue", "fine")
    note(restaurant, "ddddddddddd2", "gone", "on a touchpoint that was removed")
    before = restaurant.step_path(5).read_bytes()
    with pytest.raises(JmapkitError, match=message):
        room.promote(restaurant, note_id, kind)  # type: ignore[arg-type]
    assert restaurant.step_path(5).read_bytes() == before


# --- links -----------------------------------------------------------------------------------------------


class FakeSocket:
    """A UDP socket whose routing answer is given per probe address (None: no route)."""

    def __init__(self, answers: dict[str, str | None], sent: list[str]) -> None:
        self.answers, self.sent = answers, sent
        self.target: str | None = None

    def __enter__(self) -> FakeSocket:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def connect(self, address: tuple[str, int]) -> None:
        self.sent.append(address[0])
        if self.answers.get(address[0]) is None:
            raise OSError("Network is unreachable")
        self.target = address[0]

    def getsockname(self) -> tuple[str, int]:
        return (self.answers[self.target], 40000)  # type: ignore[index]


@pytest.mark.parametrize(
    ("answers", "expected", "probed"),
    [({PROBES[0]: "10.1.2.3"}, "10.1.2.3", PROBES[:1]),
     ({PROBES[0]: None, PROBES[1]: "192.168.1.23"}, "192.168.1.23", PROBES[:2]),
     ({PROBES[0]: "127.0.0.1", PROBES[1]: "0.0.0.0", PROBES[2]: "172.20.0.5"}, "172.20.0.5", PROBES),
     ({PROBES[0]: "169.254.3.4"}, None, PROBES),  # link-local: no DHCP, phones cannot reach it
     ({}, None, PROBES)],
)
def test_lan_ip_takes_the_first_routable_private_address(answers: dict, expected: str | None, probed: tuple) -> None:
    sent: list[str] = []
    assert lan_ip(lambda: FakeSocket(answers, sent)) == expected  # type: ignore[arg-type,return-value]
    assert tuple(sent) == tuple(probed)


def test_lan_ip_on_this_machine_is_one_of_its_own_addresses() -> None:
    ip = lan_ip()
    if ip is None:
        return  # a machine without a network has no LAN address, which is the right answer
    address = ipaddress.ip_address(ip)
    assert not address.is_loopback and address.version == 4
    with socket.socket() as s:
        s.bind((ip, 0))  # only an address of this machine can be bound


def test_links_and_qr_codes(tmp_path: Path) -> None:
    links = Links("192.168.1.23", 8866, "abc-DEF_1", "f" * 22)
    assert links.participant == "http://192.168.1.23:8866/?token=abc-DEF_1"
    assert links.room == f"http://192.168.1.23:8866/room?token={'f' * 22}"
    svg = qr_svg(links.participant).decode()
    assert svg.startswith("<svg") and "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")
    drawn = qr_terminal(links.participant).splitlines()
    assert len(drawn) > 10 and len({len(line) for line in drawn if line}) == 1  # a square of block characters



def test_step_4_uses_the_current_rounds_votes(restaurant: Workshop) -> None:
    from jmapkit.steps import behaviour

    vote(restaurant, "d1", "queue", 2)  # archived by the new round below
    restaurant.append_vote(ROOM, {"type": "round", "round": 2})
    sent = [("d1", "queue", -2, 2), ("d2", "queue", -1, 2), ("d1", "queue", -1, 2), ("d3", "payment", 1, 2)]
    for device, tp, emotion, round_ in sent:
        vote(restaurant, device, tp, emotion, round_)
    expected = room_tally([(d, tp, e) for d, tp, e, _ in sent])
    emotion = behaviour.run(restaurant).tables["emotion"].set_index("touchpoint")
    for tp in ("queue", "payment"):
        assert emotion.loc[tp, "voted_n"] == expected[tp]["n"]
        assert emotion.loc[tp, "voted"] == pytest.approx(expected[tp]["mean"])
    assert emotion.loc["web_menu", "voted_n"] == 0  # once anyone voted, the team's estimates are not votes
