"""The room's pages, its error answers and the notebooks' markdown in en, de, ko and ja; names collated per language.

Expected texts come from the .po files read with Babel (not through the code's gettext lookup), and the
English texts to look for are the catalog's own msgids, so a text added to the pages is covered at once.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest
from babel.messages.extract import extract_from_file
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from jmapkit import notebook_lang
from jmapkit.collation import sort_names
from jmapkit.room import texts
from jmapkit.room.server import start
from jmapkit.store import new_workshop
from tests.conftest import REPO, ROOM_FACILITATOR, ROOM_TOKEN

LOCALE = REPO / "jmapkit" / "locale"
TRANSLATED = ("de", "ko", "ja")
DOMAINS = ("jmapkit-room", "jmapkit-notebooks")


def po(domain: str, language: str):  # type: ignore[no-untyped-def]
    with open(LOCALE / language / "LC_MESSAGES" / f"{domain}.po", "rb") as f:
        return read_po(f, locale=language)


def english_texts() -> list[str]:
    """Every English text of the room catalog (singular and plural forms)."""
    out: list[str] = []
    for message in po("jmapkit-room", "de"):
        if message.id:
            out += list(message.id) if isinstance(message.id, tuple) else [message.id]
    return out


def english_left(page: str, language: str) -> list[str]:
    """The catalog's English texts found in a page, except those the language writes the same ("Team")."""
    same = set()
    for message in po("jmapkit-room", language):
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        same |= {i for i in ids if i in strings}
    # Comments in the inlined style and scripts are for developers, and stay English.
    page = re.sub(r"(?m)(^|\s)//.*$", "", re.sub(r"/\*.*?\*/", "", page, flags=re.S))
    found = []
    for text in english_texts():
        for variant in {text, text.replace("'", "&#x27;")}:
            core = re.escape(variant).replace(r"\{n\}", r"\d+")
            if text not in same and re.search(rf"(?<![\w{{]){core}(?![\w}}])", page):
                found.append(text)
    return found


# --- catalogs ---------------------------------------------------------------------------------------------


def extracted(domain: str) -> set[str]:
    """The msgids the sources hold now, extracted as `make messages-pages` does."""
    if domain == "jmapkit-room":
        found = extract_from_file("python", REPO / "jmapkit" / "room" / "texts.py",
                                  keywords={"N_": None, "Np_": (1, 2)})
        return {m[1] if isinstance(m[1], str) else m[1][0] for m in found}
    return {m[1] for nb in sorted((REPO / "notebooks").glob("*.ipynb"))
            for m in extract_from_file(notebook_lang.extract, nb)}


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated_and_compiled(domain: str, language: str) -> None:
    catalog = po(domain, language)
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}
    assert extracted(domain) - ids == set(), "texts missing from the catalog: run `make messages-pages`"
    untranslated = [m.id for m in catalog if m.id and (m.fuzzy or not all(
        m.string if isinstance(m.string, tuple) else (m.string,)))]
    assert untranslated == [], f"untranslated in {language}/{domain}.po"
    with open(LOCALE / language / "LC_MESSAGES" / f"{domain}.mo", "rb") as f:
        compiled = read_mo(f)
    for m in catalog:
        if m.id:
            as_compiled = compiled[m.id].string
            as_compiled = tuple(as_compiled) if isinstance(as_compiled, list) else as_compiled
            assert as_compiled == m.string, f"{domain}.mo is older than its .po: run `make messages-pages`"


def test_every_page_text_is_in_the_catalog() -> None:
    """The HTML placeholders and the scripts' `T.key`s are all defined in jmapkit/room/texts.py."""
    static = REPO / "jmapkit" / "room" / "static"
    keys = set(texts.PAGE) | {"lang"}
    for name in ("participant.html", "room.html", "forbidden.html"):
        assert set(re.findall(r"\{\{(\w+)\}\}", (static / name).read_text(encoding="utf-8"))) <= keys, name
    script_keys = set(texts.SCRIPT) | set(texts.COUNTS) | {"lang", "languages"}
    for name in ("common.js", "participant.js", "room.js"):
        used = set(re.findall(r"\bT\.(\w+)", (static / name).read_text(encoding="utf-8")))
        assert used and used <= script_keys, name


# --- the room over HTTP -------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", TRANSLATED)
def test_pages_speak_the_workshops_language(tmp_path: Path, language: str) -> None:
    ws = new_workshop(tmp_path / language, template="restaurant", language=language)
    with start(ws, token=ROOM_TOKEN, facilitator_token=ROOM_FACILITATOR) as room, \
            httpx.Client(base_url=room.links.base, timeout=10) as client:
        page = client.get("/", params={"token": ROOM_TOKEN}).text
        de = po("jmapkit-room", language)
        assert f'<html lang="{language}">' in page
        assert f"<h2>{de['How does the customer feel here?'].string}</h2>" in page
        assert english_left(page, language) == []
        projector = client.get("/room", params={"token": ROOM_FACILITATOR}).text
        assert f'<html lang="{language}">' in projector and english_left(projector, language) == []
        forbidden = client.get("/", params={"token": "wrong"})
        assert forbidden.status_code == 403
        assert f"<h1>{de['This link needs its access code'].string}</h1>" in forbidden.text
        refused = client.get("/api/state", params={"token": "wrong"}).json()
        assert refused["error"] == de["this link's token is missing or wrong."].string


def test_the_switch_changes_the_participants_language_not_the_projectors(restaurant) -> None:  # type: ignore[no-untyped-def]
    ko, ja = po("jmapkit-room", "ko"), po("jmapkit-room", "ja")
    with start(restaurant, token=ROOM_TOKEN, facilitator_token=ROOM_FACILITATOR) as room, \
            httpx.Client(base_url=room.links.base, timeout=10) as client:
        english = client.get("/", params={"token": ROOM_TOKEN}).text
        assert "<h2>How does the customer feel here?</h2>" in english and '<html lang="en">' in english
        # What the switch's script does: a cookie the server reads on the next page load.
        client.cookies.set(texts.LANGUAGE_COOKIE, "ko")
        korean = client.get("/", params={"token": ROOM_TOKEN}).text
        assert f"<h2>{ko['How does the customer feel here?'].string}</h2>" in korean
        assert english_left(korean, "ko") == []
        assert '<html lang="en">' in client.get("/room", params={"token": ROOM_FACILITATOR}).text
        # Errors answer in the participant's language too; a link may also name one.
        client.post("/api/voting", params={"token": ROOM_FACILITATOR}, json={"open": False})
        closed = client.post("/api/votes", params={"token": ROOM_TOKEN},
                             json={"device": "device-0001", "participant": None, "votes": {"queue": 1}})
        assert closed.status_code == 409
        assert closed.json()["error"] == ko["voting is closed."].string
        assert closed.json()["fix"] == ko["wait until the facilitator opens voting again."].string
        japanese = client.get("/", params={"token": ROOM_TOKEN, "lang": "ja"}).text
        assert f"<h2>{ja['How does the customer feel here?'].string}</h2>" in japanese
        client.cookies.set(texts.LANGUAGE_COOKIE, "xx")  # not one of the four: the workshop's language
        assert "<h2>How does the customer feel here?</h2>" in client.get("/", params={"token": ROOM_TOKEN}).text


def test_texts_cannot_close_the_script_element() -> None:
    assert "<" not in texts.script_texts("ja").replace("\\u003c", "")


# --- notebooks ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", TRANSLATED)
def test_new_writes_the_notebooks_markdown_in_the_workshops_language(tmp_path: Path, language: str) -> None:
    catalog = po("jmapkit-notebooks", language)
    ws = new_workshop(tmp_path / language, template="restaurant", language=language)
    for shipped in sorted((REPO / "notebooks").glob("*.ipynb")):
        original = json.loads(shipped.read_text(encoding="utf-8"))
        written = json.loads((ws.root / "notebooks" / shipped.name).read_text(encoding="utf-8"))
        assert len(written["cells"]) == len(original["cells"])
        for before, after in zip(original["cells"], written["cells"], strict=True):
            if before["cell_type"] == "markdown":
                assert "".join(after["source"]) == catalog["".join(before["source"])].string
            else:
                assert after == before  # code runs the same in every language
    first = json.loads((ws.root / "notebooks" / "1-goals.ipynb").read_text(encoding="utf-8"))
    heading = "".join(first["cells"][0]["source"]).splitlines()[0]
    assert heading == {"de": "# Schritt 1 · Ziele", "ko": "# 1단계 · 목표", "ja": "# ステップ 1 · ゴール"}[language]


def test_an_english_workshop_gets_the_notebooks_as_shipped(restaurant) -> None:  # type: ignore[no-untyped-def]
    for shipped in sorted((REPO / "notebooks").glob("*.ipynb")):
        written = restaurant.root / "notebooks" / shipped.name
        assert json.loads(written.read_text(encoding="utf-8")) == json.loads(shipped.read_text(encoding="utf-8"))


# --- collation ----------------------------------------------------------------------------------------------


def test_names_sort_as_readers_of_each_language_expect() -> None:
    # German dictionary order (DIN 5007-1): umlauts with their base letter, ß as ss.
    assert sort_names(["Zoe", "Ärger", "Apfel", "Bär", "Ahorn", "Öl", "Ofen"], "de") == [
        "Ahorn", "Apfel", "Ärger", "Bär", "Ofen", "Öl", "Zoe"]
    assert sorted(["Zoe", "Ärger"]) == ["Zoe", "Ärger"]  # what plain sorting would do
    # Korean: by initial consonant ㄱ ㄲ ㄴ ㄷ ㅇ ㅎ.
    assert sort_names(["하늘", "다리", "가방", "아이", "나무", "까치"], "ko") == [
        "가방", "까치", "나무", "다리", "아이", "하늘"]
    # Japanese: gojūon order, hiragana and katakana of one sound together (a i ka sa ya).
    assert sort_names(["ゆき", "さくら", "カメ", "いちご", "アキラ"], "ja") == [
        "アキラ", "いちご", "カメ", "さくら", "ゆき"]
    assert sorted(["さくら", "アキラ"]) == ["さくら", "アキラ"]
    people = [{"name": "Özge"}, {"name": "Oskar"}, {"name": "Paul"}]
    assert [p["name"] for p in sort_names(people, "de", key=lambda p: p["name"])] == ["Oskar", "Özge", "Paul"]
