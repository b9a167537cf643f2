"""The room in a real browser (Debian's chromium): three phones vote and post notes, the projector follows live.

Screenshots go to .cache/screenshots/ (room-phone.png, room-projector.png).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from jmapkit.room.server import start
from jmapkit.store import Workshop
from tests.conftest import ROOM_FACILITATOR, ROOM_TOKEN

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(os.environ.get("JMAPKIT_SCREENSHOTS", Path(__file__).parent.parent / ".cache" / "screenshots"))
XSS_NAME = "<img src=x onerror=alert(1)>"
XSS_NOTE = "<script>alert(1)</script> two queues"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
LIVE_MS = 2000  # the bound: the projector shows a vote or a note within 2 s


def test_three_phones_and_the_projector(restaurant: Workshop) -> None:
    from playwright.sync_api import expect, sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian package 'chromium' is not installed (apt-get install -y chromium)")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tables = restaurant.tables_dir(4)  # what step 4 measured, as its emotion table holds it
    tables.mkdir(parents=True, exist_ok=True)
    (tables / "emotion.csv").write_text("touchpoint,measured,measured_n\nqueue,-0.84,120\npayment,0.3,95\n")
    dialogs: list[str] = []
    with start(restaurant, token=ROOM_TOKEN, facilitator_token=ROOM_FACILITATOR) as room, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            projector = browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()
            projector.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            projector.goto(room.links.room)
            expect(projector.locator("#conn")).to_have_text("Live", timeout=10_000)
            expect(projector.locator(".stage h2")).to_have_text(
                ["Discover", "Choose", "Order & pay", "Eat", "Come back", "Recommend"])

            phones = []
            for _ in range(3):
                page = browser.new_context(**PHONE).new_page()
                page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
                page.goto(room.links.participant)
                expect(page.locator("#workshop")).to_have_text("Vivan los Tacos — lunch visit", timeout=10_000)
                phones.append(page)
            ana, ben, anonymous = phones
            # The phone lists frontstage touchpoints only, by name.
            expect(ana.locator("article.touchpoint h4")).to_have_count(12)
            expect(ana.get_by_text("Kitchen prepares the order")).to_have_count(0)

            def tap(page, touchpoint: str, face: str) -> None:  # type: ignore[no-untyped-def]
                card = page.locator("article.touchpoint", has=page.get_by_role("heading", name=touchpoint, exact=True))
                card.get_by_role("button", name=face, exact=True).click()
                expect(card.locator(".card-status")).to_have_text("Saved ✓")

            queue = projector.locator('.tp[data-touchpoint="queue"]')
            room_vote = queue.locator(".emotion").nth(1).locator("dd")
            room_n = queue.locator(".evidence")
            ana.fill("#name", XSS_NAME)
            tap(ana, "Queue at the door", "−2")
            expect(room_vote).to_have_text("−2.0", timeout=LIVE_MS)
            expect(room_n).to_have_text("1 vote · data n 120")
            expect(queue.locator(".emotion dd")).to_have_text(["−1.0", "−2.0", "−0.8"])
            ben.fill("#name", "Ben")
            tap(ben, "Queue at the door", "−1")
            tap(ben, "Pay at the till", "+1")
            tap(anonymous, "Queue at the door", "−2")
            expect(room_vote).to_have_text("−1.7", timeout=LIVE_MS)
            expect(room_n).to_have_text("3 votes · data n 120")
            expect(queue.locator(".hist .count")).to_have_text(["2", "1", "0", "0", "0"], timeout=LIVE_MS)
            tap(ben, "Queue at the door", "+2")  # Ben changes his mind: his vote is replaced, not added
            expect(room_vote).to_have_text("−0.7", timeout=LIVE_MS)
            expect(room_n).to_have_text("3 votes · data n 120")

            ana.select_option("#note-touchpoint", "queue")
            ana.fill("#note-text", XSS_NOTE)
            ana.get_by_role("button", name="Post note").click()
            expect(ana.locator("#note-status")).to_have_text("Posted ✓ Thank you!")
            note = queue.locator(".note")
            expect(note.locator(".text")).to_have_text(XSS_NOTE, timeout=LIVE_MS)
            expect(note.locator(".who")).to_have_text(XSS_NAME)

            ben.select_option("#note-touchpoint", "payment")
            ben.locator("label.kind.idea").click()
            ben.fill("#note-text", f"{XSS_NAME} tap to pay")
            ben.get_by_role("button", name="Post note").click()
            expect(ben.locator("#note-status")).to_have_text("Posted ✓ Thank you!")
            expect(projector.locator('.tp[data-touchpoint="payment"] .note.idea .text')).to_have_text(
                f"{XSS_NAME} tap to pay", timeout=LIVE_MS)

            anonymous.reload()
            mine = anonymous.locator("li.note", has_text=XSS_NOTE)
            expect(mine.locator(".by")).to_have_text(f"by {XSS_NAME}")
            mine.get_by_role("button").click()
            expect(mine.get_by_role("button")).to_have_text("● Dotted · 1")
            expect(note.locator(".dots")).to_have_text("● 1", timeout=LIVE_MS)

            # Everything participants typed is text: no element was made from it, and no script ran.
            for page in (projector, *phones):
                assert page.locator("main img, main script").count() == 0
            assert dialogs == []

            smallest = projector.evaluate("""() => {
                const sizes = [];
                const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
                while (walker.nextNode()) {
                    const node = walker.currentNode;
                    if (!node.textContent.trim() || !node.parentElement.getClientRects().length) continue;
                    sizes.push(parseFloat(getComputedStyle(node.parentElement).fontSize));
                }
                return Math.min(...sizes);
            }""")
            assert smallest >= 18
            anonymous.screenshot(path=str(SCREENSHOTS / "room-phone.png"), full_page=True)
            anonymous.locator("#notes").screenshot(path=str(SCREENSHOTS / "room-phone-notes.png"))
            ana.evaluate("window.scrollTo(0, 0)")
            ana.screenshot(path=str(SCREENSHOTS / "room-phone-top.png"))
            projector.screenshot(path=str(SCREENSHOTS / "room-projector.png"))
        finally:
            browser.close()
