"""The participant page and notebook 1 in en, de, ko and ja, in a real browser (Debian's chromium).

Screenshots go to .cache/screenshots/ (room-phone-<lang>.png, room-phone-switched-ko.png, lab-1-goals-<lang>.png).
Expected texts are read from the .po files with Babel.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from jmapkit.room.server import start
from jmapkit.store import Workshop, new_workshop
from tests.conftest import ROOM_FACILITATOR, ROOM_TOKEN
from tests.test_browser_lab import CHROMIUM, SCREENSHOTS, Lab, Notebook, chromium, lab  # noqa: F401
from tests.test_room_browser import PHONE
from tests.test_room_languages import po

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LANGUAGES = ("en", "de", "ko", "ja")


def translated(language: str, message: str) -> str:
    return message if language == "en" else po("jmapkit-room", language)[message].string


def open_phone(browser: Any, ws: Workshop, room: Any) -> Any:
    from playwright.sync_api import expect

    page = browser.new_context(**PHONE).new_page()
    page.goto(room.links.participant)
    expect(page.locator("#workshop")).to_have_text(ws.meta.name, timeout=10_000)
    expect(page.locator("article.touchpoint h4")).to_have_count(12)
    return page


@pytest.mark.parametrize("language", LANGUAGES)
def test_participant_page_in_each_language(tmp_path: Path, chromium: Any, language: str) -> None:  # noqa: F811
    from playwright.sync_api import expect

    ws = new_workshop(tmp_path / language, template="restaurant", language=language)
    with start(ws, token=ROOM_TOKEN, facilitator_token=ROOM_FACILITATOR) as room:
        page = open_phone(chromium, ws, room)
        expect(page.locator("#vote h2")).to_have_text(translated(language, "How does the customer feel here?"))
        expect(page.locator("#post h2")).to_have_text(translated(language, "Post a note"))
        expect(page.locator("#note-kind label")).to_have_text(
            [translated(language, k) for k in ("Pain", "Idea", "Question")])
        expect(page.locator("#round")).to_have_text(translated(language, "Round {n}").replace("{n}", "1"))
        expect(page.locator("#lang")).to_have_value(language)
        card = page.locator("article.touchpoint").first
        card.get_by_role("button", name="−1", exact=True).click()
        expect(card.locator(".card-status")).to_have_text(translated(language, "Saved ✓"))
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"room-phone-{language}.png"), full_page=True)
        page.context.close()


def test_the_switch_is_remembered_on_the_device(tmp_path: Path, chromium: Any) -> None:  # noqa: F811
    from playwright.sync_api import expect

    ws = new_workshop(tmp_path / "de", template="restaurant", language="de")
    with start(ws, token=ROOM_TOKEN, facilitator_token=ROOM_FACILITATOR) as room:
        page = open_phone(chromium, ws, room)
        expect(page.locator("#vote h2")).to_have_text(translated("de", "How does the customer feel here?"))
        with page.expect_navigation():
            page.select_option("#lang", "ko")
        expect(page.locator("#vote h2")).to_have_text(translated("ko", "How does the customer feel here?"))
        expect(page.locator("html")).to_have_attribute("lang", "ko")
        again = page.context.new_page()  # the same phone opens the link later: still Korean
        again.goto(room.links.participant)
        expect(again.locator("#vote h2")).to_have_text(translated("ko", "How does the customer feel here?"))
        page.screenshot(path=str(SCREENSHOTS / "room-phone-switched-ko.png"))
        other = chromium.new_context(**PHONE).new_page()  # another phone keeps the workshop's language
        other.goto(room.links.participant)
        expect(other.locator("#vote h2")).to_have_text(translated("de", "How does the customer feel here?"))
        projector = chromium.new_context(viewport={"width": 1920, "height": 1080}).new_page()
        projector.goto(room.links.room)
        expect(projector.locator("#conn")).to_have_text(translated("de", "Live"), timeout=10_000)
        expect(projector.locator("#toggle-voting")).to_have_text(translated("de", "Close voting"))
        projector.screenshot(path=str(SCREENSHOTS / "room-projector-de.png"))
        for context in (page.context, other.context, projector.context):
            context.close()


HEADINGS = {"en": "Step 1 · Goals", "de": "Schritt 1 · Ziele", "ko": "1단계 · 목표", "ja": "ステップ 1 · ゴール"}


@pytest.mark.parametrize("language", ("de", "ko", "ja"))
def test_notebook_1_in_jupyterlab(lab: Lab, chromium: Any, language: str) -> None:  # noqa: F811
    from playwright.sync_api import expect

    folder = lab.root / f"tacos-{language}"
    subprocess.run([sys.executable, "-m", "jmapkit", "new", str(folder), "--template", "restaurant",
                    "--lang", language], check=True, capture_output=True, timeout=120)
    ws = Workshop(folder)
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    try:
        notebook = Notebook(context.new_page(), lab.url(ws, "1-goals"))
        notebook.run_all()
        expect(notebook.panel.locator(".jp-MarkdownOutput h1").first).to_contain_text(HEADINGS[language])
        expect(notebook.form).to_be_visible()
        notebook.screenshot(f"lab-1-goals-{language}", full=True)
    finally:
        context.close()
        lab.shut_down_kernels()
