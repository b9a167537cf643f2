"""What a facilitator does in JupyterLab, in a real browser (Debian's chromium, headless), in every notebook.

One JupyterLab server (loopback, token) and one browser serve the whole module; each test makes its own
workshop folder under the server's root, opens its notebooks in a fresh browser context and shuts its
kernels down afterwards. Widgets are looked up inside the notebook's output areas only: JupyterLab has
buttons of its own called "Save".
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from jmapkit.model import Behaviour, BehaviourResults, Goals, Map, Personas, Source, Touchpoints
from jmapkit.store import Workshop, new_workshop

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(os.environ.get("JMAPKIT_SCREENSHOTS", REPO / ".cache" / "screenshots"))
TOKEN = "jmapkit-test"
NOTEBOOKS = ("1-goals", "2-personas", "3-touchpoints", "4-behaviour", "5-map")
# Bounded waits (ms). Two cores are shared with other work: a kernel start plus step 4's Run All
# (compute and six charts) has taken 25 s; the bounds leave room without hiding a hang.
KERNEL_READY = 90_000
RUN_ALL = 180_000
SAVED = 30_000
# JupyterLab user settings for the tests: no news toast; every cell in the DOM (no windowing), so
# prompts, outputs and full-length screenshots are all there; no autosave of the notebook file, so a
# reloaded page shows the notebook as shipped (stripped), not this test's outputs.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false"},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
}
HTML_BAIT = "<img src=x onerror=alert(1)>"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A JupyterLab server on 127.0.0.1 whose root holds one workshop folder per test."""

    def __init__(self, root: Path, home: Path) -> None:
        self.root = root
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        settings = home / "lab-settings"
        for name, value in LAB_SETTINGS.items():
            (settings / name).parent.mkdir(parents=True, exist_ok=True)
            (settings / name).write_text(json.dumps(value), encoding="utf-8")
        env = {
            **os.environ,
            "HOME": str(home),
            "JUPYTER_CONFIG_DIR": str(home / "jupyter-config"),
            "JUPYTERLAB_SETTINGS_DIR": str(settings),
            "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
            # The kernels import this checkout's jmapkit, not whichever one is installed.
            "PYTHONPATH": os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]),
        }
        self.log = open(home / "jupyterlab.log", "wb")  # noqa: SIM115 (closed in stop())
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", f"--port={self.port}",
             "--ip=127.0.0.1", f"--ServerApp.token={TOKEN}", f"--ServerApp.root_dir={root}",
             "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
            stdout=self.log, stderr=subprocess.STDOUT, env=env,
        )
        deadline = time.monotonic() + 90
        while True:
            try:
                self._api("GET", "status")
                return
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.stop()
                    pytest.fail(f"JupyterLab did not start within 90 s; see {home / 'jupyterlab.log'}")
                time.sleep(0.5)

    def _api(self, method: str, path: str) -> Any:
        request = urllib.request.Request(f"{self.base}/api/{path}", method=method,
                                         headers={"Authorization": f"token {TOKEN}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def workshop(self, name: str) -> Workshop:
        return new_workshop(self.root / name, template="restaurant")

    def url(self, ws: Workshop, notebook: str) -> str:
        path = (ws.root / "notebooks" / f"{notebook}.ipynb").relative_to(self.root).as_posix()
        return f"{self.base}/lab/tree/{path}?token={TOKEN}&reset"

    def shut_down_kernels(self) -> None:
        """Each step notebook's kernel holds 200–475 MB: end them after every test."""
        for session in self._api("GET", "sessions"):
            self._api("DELETE", f"sessions/{session['id']}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        self.log.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian package 'chromium' is not installed (apt-get install -y chromium)")
    server = Lab(tmp_path_factory.mktemp("lab-root"), tmp_path_factory.mktemp("lab-home"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield browser
        browser.close()


class Notebook:
    """One step notebook open in a browser tab: run it, find its form's fields, wait for saves."""

    def __init__(self, page: Any, url: str) -> None:
        self.page = page
        self.url = url
        self.panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
        self.outputs = self.panel.locator(".jp-OutputArea")
        self.form = self.outputs.locator(".jmapkit-step-editor")
        self.status = self.form.locator("span.jmapkit-status")
        self._load()

    def _load(self) -> None:
        from playwright.sync_api import expect

        self.page.goto(self.url)
        expect(self.panel.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")).to_be_attached(
            timeout=KERNEL_READY)
        # The indicator says idle before a kernel is attached; the status bar names the kernel once it is.
        expect(self.page.get_by_text("Python 3 (ipykernel) | Idle")).to_be_visible(timeout=KERNEL_READY)

    def reload(self) -> None:
        """A new page load of the same notebook (its kernel keeps running, as after closing a tab)."""
        self.page.reload()
        self._load()

    def run_all(self) -> None:
        """Run All Cells and wait until every code cell has run; fail at once on an error output."""
        prompts = self.panel.locator(".jp-CodeCell .jp-InputPrompt")
        before = prompts.all_inner_texts()
        self.page.get_by_role("menuitem", name="Run", exact=True).click()
        self.page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
        errors = self.panel.locator("[data-mime-type='application/vnd.jupyter.error'],"
                                    "[data-mime-type='application/vnd.jupyter.stderr']")
        deadline = time.monotonic() + RUN_ALL / 1000
        while True:
            if errors.count():
                pytest.fail(f"a cell wrote an error or warning:\n{errors.first.inner_text()}")
            now = prompts.all_inner_texts()
            if now != before and all(re.fullmatch(r"\[\d+\]:", p.strip()) for p in now):
                break
            if time.monotonic() > deadline:
                pytest.fail(f"Run All did not finish within {RUN_ALL // 1000} s; prompts {now}")
            self.page.wait_for_timeout(250)

    def record(self, title: str | re.Pattern[str]) -> Any:
        """The panel of one record (a persona, a touchpoint ...) found by its title now, opened.

        The locator returned points at the panel by position, so it stays on the same record when
        its title follows a name typed into it.
        """
        pattern = title if isinstance(title, re.Pattern) else re.compile(f"^{re.escape(title)}$")
        panels = self.form.locator(".jupyter-widget-Collapse")
        titles: list[str] = []
        deadline = time.monotonic() + SAVED / 1000
        while time.monotonic() < deadline:  # the form's widgets render a moment after their cell ran
            titles = panels.evaluate_all(
                "els => els.map(e => e.querySelector(':scope > .jupyter-widget-Collapse-header').textContent)")
            found = [i for i, text in enumerate(titles) if pattern.search(text)]
            if len(found) == 1:
                break
            self.page.wait_for_timeout(200)
        else:
            pytest.fail(f"no single record titled {pattern.pattern!r} in the form; titles: {titles}")
        panel = panels.nth(found[0])
        contents = panel.locator("xpath=./div[contains(@class, 'jupyter-widget-Collapse-contents')]")
        if "lm-mod-hidden" in (contents.get_attribute("class") or ""):
            panel.locator("xpath=./div[contains(@class, 'jupyter-widget-Collapse-header')]").click()
        return panel

    def title(self, panel: Any) -> str:
        return panel.locator("xpath=./div[contains(@class, 'jupyter-widget-Collapse-header')]").inner_text()

    def field(self, label: str, within: Any = None) -> Any:
        """The input, textarea or select labelled `label` (in one record's panel, or in the form)."""
        return (within or self.form).get_by_label(label, exact=True)

    def chosen(self, label: str, within: Any = None) -> str:
        """The text of the option a dropdown shows."""
        return self.field(label, within).evaluate("s => s.options[s.selectedIndex].textContent")

    def button(self, css: str, within: Any = None) -> Any:
        return (within or self.form).locator(f"button{css}")

    def wait_saved(self, ws: Workshop, step: Any, revision: int) -> None:
        """Wait until the step file has a newer revision than `revision` and the form says so."""
        from playwright.sync_api import expect

        deadline = time.monotonic() + SAVED / 1000
        while ws.revision(step) <= revision:
            if time.monotonic() > deadline:
                pytest.fail(f"not saved within {SAVED // 1000} s; the form says: {self.status.inner_text()}")
            self.page.wait_for_timeout(200)
        expect(self.status).to_contain_text(re.compile(r"✓ saved at \d\d:\d\d:\d\d"), timeout=SAVED)

    def screenshot(self, name: str, *, full: bool = False) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        if not full:
            self.page.screenshot(path=str(path))
            return path
        # JupyterLab scrolls inside the notebook panel, so a "full page" shot needs a window as tall as it.
        size = self.page.viewport_size
        scroller = self.panel.locator(".jp-WindowedPanel-outer")
        scroller.evaluate("e => { e.scrollTop = 0; }")
        bottom = scroller.evaluate("e => e.getBoundingClientRect().bottom")
        last = self.panel.locator(".jp-Cell").last.evaluate("c => c.getBoundingClientRect().bottom")
        extra = max(0, last - bottom + 24)
        height = min(size["height"] + round(extra), 16_000)
        self.page.set_viewport_size({"width": size["width"], "height": height})
        self.page.wait_for_timeout(300)
        self.page.screenshot(path=str(path))
        self.page.set_viewport_size(size)
        return path


class Facilitator:
    """A browser context (one person's browser); every alert, confirm or prompt any page raises is recorded."""

    def __init__(self, chromium: Any, lab: Lab, viewport: dict[str, int]) -> None:
        self.lab = lab
        self.context = chromium.new_context(viewport=viewport)
        self.context.set_default_timeout(SAVED)
        self.dialogs: list[str] = []

    def open(self, ws: Workshop, notebook: str) -> Notebook:
        page = self.context.new_page()

        def on_dialog(dialog: Any) -> None:
            if dialog.type == "beforeunload":  # JupyterLab asks before leaving a notebook with changes
                dialog.accept()
            else:
                self.dialogs.append(f"{dialog.type}: {dialog.message}")
                dialog.dismiss()

        page.on("dialog", on_dialog)
        return Notebook(page, self.lab.url(ws, notebook))


@contextmanager
def _person(chromium: Any, lab: Lab, viewport: dict[str, int]) -> Iterator[Facilitator]:
    person = Facilitator(chromium, lab, viewport)
    try:
        yield person
    finally:
        person.context.close()
        lab.shut_down_kernels()
    assert person.dialogs == []  # markup typed into a field must never run


@pytest.fixture
def facilitator(chromium: Any, lab: Lab) -> Iterator[Facilitator]:
    with _person(chromium, lab, {"width": 1400, "height": 1000}) as person:
        yield person


@pytest.fixture
def projector(chromium: Any, lab: Lab) -> Iterator[Facilitator]:
    """The facilitator's browser at projector size (1920 × 1080)."""
    with _person(chromium, lab, {"width": 1920, "height": 1080}) as person:
        yield person


# --- 1. every notebook: edit one field, the file has exactly that change, and it survives a reload -------

TEAM = Source(kind="team").model_dump(mode="json")
GOAL = "Lunch in 20 minutes, ordering and paying once"
Where = tuple[str | int, ...]  # where the edited record is in a step's JSON: () for the step itself


@dataclass(frozen=True)
class Edit:
    """One facilitator edit: done in the form, applied by hand to the step's JSON, and seen after a reload."""

    cls: type
    do: Callable[[Notebook, dict[str, Any]], Where]  # edits the form and `expected` alike; where the record is
    shown: Callable[[Notebook], None]  # checks the form shows the edit


def _edit_goal(nb: Notebook, expected: dict[str, Any]) -> Where:
    nb.field("Customer goal").fill(GOAL)
    expected.update(customer_goal=GOAL, source=TEAM)
    return ()


def _rename_persona(nb: Notebook, expected: dict[str, Any]) -> Where:
    nb.field("Name", nb.record("Family Fernando")).fill("Family Fatima")
    expected["personas"][1].update(name="Family Fatima", source=TEAM)
    return ("personas", 1)


def _add_touchpoint(nb: Notebook, expected: dict[str, Any]) -> Where:
    nb.button(".jmapkit-add").filter(has_text="Add touchpoint").click()
    nb.field("Name", nb.record("Touchpoint 14 (no name yet)")).fill("Table QR code")
    # The id is made from the name; a new touchpoint goes into the first stage until the team moves it.
    expected["touchpoints"].append({
        "source": TEAM, "id": "table_qr_code", "name": "Table QR code", "stage": expected["stages"][0]["id"],
        "channel": "", "layer": "frontstage", "owner": "", "handoff": False, "moment_of_truth": False,
    })
    return ("touchpoints", 13)


def _pick_emotion(nb: Notebook, expected: dict[str, Any]) -> Where:
    nb.field("Queue at the door").select_option(label="−1.5")
    index = next(i for i, e in enumerate(expected["emotions"]) if e["touchpoint"] == "queue")
    expected["emotions"][index].update(emotion=-1.5, source=TEAM)
    return ("emotions", index)


def _set_owner(nb: Notebook, expected: dict[str, Any]) -> Where:
    nb.field("Owner", nb.record(re.compile("^Customers queue a second time to pay"))).fill("Front-of-house lead")
    expected["pain_points"][1].update(owner="Front-of-house lead", source=TEAM)
    return ("pain_points", 1)


def _shows(label: str, value: str, record: str | re.Pattern[str] | None = None) -> Callable[[Notebook], None]:
    def check(nb: Notebook) -> None:
        from playwright.sync_api import expect

        field = nb.field(label, nb.record(record) if record else None)
        if field.evaluate("e => e.tagName") == "SELECT":
            assert nb.chosen(label) == value
        else:
            expect(field).to_have_value(value)

    return check


EDITS = {
    "1-goals": Edit(Goals, _edit_goal, _shows("Customer goal", GOAL)),
    "2-personas": Edit(Personas, _rename_persona, _shows("Name", "Family Fatima", "Family Fatima")),
    "3-touchpoints": Edit(Touchpoints, _add_touchpoint, _shows("Id (used in data files)", "table_qr_code",
                                                              "Table QR code")),
    "4-behaviour": Edit(Behaviour, _pick_emotion, _shows("Queue at the door", "−1.5")),
    "5-map": Edit(Map, _set_owner, _shows("Owner", "Front-of-house lead",
                                          re.compile("^Customers queue a second time to pay"))),
}


def _dump(model: Any) -> dict[str, Any]:
    return model.model_dump(mode="json")


def _at(data: Any, path: Where) -> Any:
    for key in path:
        if isinstance(key, int) and key >= len(data):
            return None
        data = data[key]
    return data


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_an_edit_in_each_notebook_saves_exactly_that_value_and_survives_a_reload(
    lab: Lab, facilitator: Facilitator, notebook: str
) -> None:
    edit = EDITS[notebook]
    ws = lab.workshop(f"edit-{notebook}")
    before = _dump(ws.load(edit.cls))
    revision = ws.revision(edit.cls)
    nb = facilitator.open(ws, notebook)
    nb.run_all()
    expected = copy.deepcopy(before)
    path = edit.do(nb, expected)
    nb.wait_saved(ws, edit.cls, revision)
    saved = _dump(ws.load(edit.cls))
    assert (_at(before, path) or {"source": {"kind": "template"}})["source"]["kind"] == "template"
    assert _at(saved, path)["source"]["kind"] == "team"  # the edited record is now the team's ...
    assert saved == expected  # ... and nothing else changed: the whole step is the one before plus this edit
    nb.status.scroll_into_view_if_needed()
    nb.screenshot(f"lab-{notebook}-edited")

    nb.reload()
    nb.run_all()
    assert _dump(ws.load(edit.cls)) == saved  # running the notebook again changes no team input
    edit.shown(nb)


# --- 2. step 4: the team's estimate never touches computed results ---------------------------------


def test_changing_the_team_emotion_after_compute_leaves_results_and_tables_byte_identical(
    lab: Lab, facilitator: Facilitator
) -> None:
    ws = lab.workshop("step4-results")
    nb = facilitator.open(ws, "4-behaviour")
    nb.run_all()  # the Compute cell writes the results envelope and the tables
    results = ws.step_path(BehaviourResults).read_bytes()
    tables = {p.name: p.read_bytes() for p in sorted(ws.tables_dir(4).glob("*.csv"))}
    assert json.loads(results)["data"]["funnel"] and len(tables) >= 8
    revision = ws.revision(Behaviour)
    nb.field("Order at the counter").select_option(label="😐 +0")
    nb.wait_saved(ws, Behaviour, revision)
    emotions = {e.touchpoint: e for e in ws.load(Behaviour).emotions}
    assert (emotions["order_counter"].emotion, emotions["order_counter"].source.kind) == (0.0, "team")
    assert ws.step_path(BehaviourResults).read_bytes() == results
    assert {p.name: p.read_bytes() for p in sorted(ws.tables_dir(4).glob("*.csv"))} == tables


# --- 3. two tabs on one step -------------------------------------------------------------------------


def test_two_tabs_merge_edits_of_different_fields_and_show_a_conflict_on_the_same_field(
    lab: Lab, facilitator: Facilitator
) -> None:
    from playwright.sync_api import expect

    ws = lab.workshop("two-tabs")
    tab_b = facilitator.open(ws, "1-goals")  # opened first, edited last
    tab_b.run_all()
    tab_a = facilitator.open(ws, "1-goals")
    tab_a.run_all()

    revision = ws.revision(Goals)
    tab_a.field("Customer goal").fill("Lunch in 20 minutes")
    tab_a.wait_saved(ws, Goals, revision)
    tab_b.field("Time period").fill("2027 Q1")
    tab_b.wait_saved(ws, Goals, revision + 1)
    expect(tab_b.status).to_contain_text("merged with another window's changes")
    goals = ws.load(Goals)
    assert (goals.customer_goal, goals.time_period) == ("Lunch in 20 minutes", "2027 Q1")
    expect(tab_b.field("Customer goal")).to_have_value("Lunch in 20 minutes")  # tab B now shows A's edit

    revision = ws.revision(Goals)
    tab_a.field("Customer goal").fill("Tab A: lunch in 15 minutes")
    tab_a.wait_saved(ws, Goals, revision)
    tab_b.field("Customer goal").fill("Tab B: lunch without a second queue")
    conflict = tab_b.form.locator(".jmapkit-conflict")
    expect(conflict).to_contain_text("Changed in another window", timeout=SAVED)
    expect(conflict).to_contain_text("“Tab A: lunch in 15 minutes”")
    expect(conflict).to_contain_text("“Tab B: lunch without a second queue”")
    expect(tab_b.status).to_contain_text("choose which values to keep")
    tab_b.screenshot("lab-conflict")
    assert ws.load(Goals).customer_goal == "Tab A: lunch in 15 minutes"  # nothing was overwritten ...
    draft = ws.draft(Goals)
    assert draft is not None and draft["data"]["customer_goal"] == "Tab B: lunch without a second queue"  # ... or lost
    expect(tab_b.field("Customer goal")).to_have_value("Tab B: lunch without a second queue")

    revision = ws.revision(Goals)
    tab_b.button(".jmapkit-keep-mine").click()
    tab_b.wait_saved(ws, Goals, revision)
    expect(conflict).to_have_count(0)
    goals = ws.load(Goals)
    assert (goals.customer_goal, goals.time_period) == ("Tab B: lunch without a second queue", "2027 Q1")
    assert ws.draft(Goals) is None


# --- 4. an invalid record next to a valid edit ---------------------------------------------------------


def test_an_invalid_record_is_kept_as_a_draft_at_its_field_and_offered_back_after_run_all(
    lab: Lab, facilitator: Facilitator
) -> None:
    from playwright.sync_api import expect

    ws = lab.workshop("draft")
    before = ws.load(Personas)
    nb = facilitator.open(ws, "2-personas")
    nb.run_all()
    nb.button(".jmapkit-add").filter(has_text="Add persona").click()
    new = nb.record("Persona 4 (no name yet)")
    nb.field("Quote", new).fill("I typed this before giving a name")
    expect(new.locator("span.jmapkit-field-error")).to_have_text("⚠ a name is needed", timeout=SAVED)
    revision = ws.revision(Personas)
    nb.field("Role or segment", nb.record("Family Fernando")).fill("Parent of three, weekend lunches")
    nb.wait_saved(ws, Personas, revision)
    expect(nb.status).to_contain_text("except: Persona 4: a name is needed (kept as a draft until it is fixed)")
    nb.screenshot("lab-draft-at-field")
    saved = ws.load(Personas)
    assert [p.name for p in saved.personas] == [p.name for p in before.personas]  # the valid edit is saved ...
    assert (saved.personas[1].role, saved.personas[1].source.kind) == ("Parent of three, weekend lunches", "team")
    draft = ws.draft(Personas)  # ... the invalid record is in the draft
    assert draft is not None and draft["data"]["personas"][3]["quote"] == "I typed this before giving a name"

    nb.run_all()
    offer = nb.form.locator(".jmapkit-status-warning", has_text="Unsaved draft from")
    expect(offer).to_contain_text("Persona 4: a name is needed")
    assert nb.form.locator(".jupyter-widget-Collapse").count() == 3  # the form shows what is saved ...
    nb.button(".jmapkit-restore").click()  # ... and restore brings the typed text back
    restored = nb.record("Persona 4 (no name yet)")
    expect(nb.field("Quote", restored)).to_have_value("I typed this before giving a name")
    expect(nb.field("Role or segment", nb.record("Family Fernando"))).to_have_value("Parent of three, weekend lunches")
    revision = ws.revision(Personas)
    nb.field("Name", nb.record("Persona 4 (no name yet)")).fill("Student Sam")  # one panel is open at a time
    nb.wait_saved(ws, Personas, revision)
    expect(nb.status).not_to_contain_text("except")
    sam = ws.load(Personas).personas[3]
    assert (sam.name, sam.quote, sam.source.kind) == ("Student Sam", "I typed this before giving a name", "team")
    assert ws.draft(Personas) is None


# --- 5. bad input ---------------------------------------------------------------------------------------


def _error_at(panel: Any, text: str) -> None:
    from playwright.sync_api import expect

    expect(panel.locator("span.jmapkit-field-error")).to_have_text(f"⚠ {text}", timeout=SAVED)


def _shown_as_text(nb: Notebook, text: str) -> None:
    """The text is on the page as typed, and no element was made from it."""
    from playwright.sync_api import expect

    expect(nb.outputs.get_by_text(text, exact=True).first).to_be_visible()
    assert nb.page.locator("img[src='x']").count() == 0


def test_bad_input_in_personas_gets_a_plain_message_at_the_field_and_loses_nothing(
    lab: Lab, facilitator: Facilitator
) -> None:
    from playwright.sync_api import expect

    ws = lab.workshop("bad-personas")
    saved = ws.step_path(Personas).read_bytes()
    nb = facilitator.open(ws, "2-personas")
    nb.run_all()
    second = nb.record("Family Fernando")
    name = nb.field("Name", second)
    for typed, message in [
        ("Office lunch Olivia", "another persona is already called “Office lunch Olivia”"),
        ("", "a name is needed"),
        ("Fernando " * 222 + "ab", "Name is too long (2,000 characters; at most 120)"),
    ]:
        name.fill(typed)
        _error_at(second, message)
        expect(nb.status).to_contain_text(f"Persona 2: {message}")
        assert ws.step_path(Personas).read_bytes() == saved  # nothing already saved is lost
    nb.screenshot("lab-bad-name")

    revision = ws.revision(Personas)
    name.fill(HTML_BAIT)
    nb.field("Quote", second).fill(f"Quote with {HTML_BAIT} inside")
    nb.wait_saved(ws, Personas, revision)
    assert nb.title(second) == HTML_BAIT  # the panel title is text
    personas = ws.load(Personas).personas
    assert (personas[1].name, personas[1].quote) == (HTML_BAIT, f"Quote with {HTML_BAIT} inside")
    assert [p.name for p in personas[::2]] == [p["name"] for p in json.loads(saved)["data"]["personas"][::2]]
    nb.run_all()  # the summary table below the form shows the name
    _shown_as_text(nb, HTML_BAIT)
    assert facilitator.dialogs == []


def test_bad_input_in_the_map_text_in_a_number_field_and_markup(lab: Lab, facilitator: Facilitator) -> None:
    from playwright.sync_api import expect

    ws = lab.workshop("bad-map")
    before = ws.load(Map)
    saved = ws.step_path(Map).read_bytes()
    nb = facilitator.open(ws, "5-map")
    nb.run_all()
    kpi = nb.record("Median minutes queue to payment")
    nb.field("Baseline", kpi).fill("about 14")
    message = "“about 14” is not a number: type digits only, e.g. 14.5"
    _error_at(kpi, message)
    expect(nb.status).to_contain_text(f"KPI 2: {message}")
    assert ws.step_path(Map).read_bytes() == saved  # the saved baseline 14 is kept
    nb.screenshot("lab-bad-number")

    revision = ws.revision(Map)
    pain = nb.record(re.compile("^Customers queue a second time to pay"))
    nb.field("Candidate fix", pain).fill(HTML_BAIT)
    nb.wait_saved(ws, Map, revision)
    after = ws.load(Map)
    assert after.pain_points[1].fix == HTML_BAIT
    assert after.kpis[1].baseline == 14.0
    expected = _dump(before)
    expected["pain_points"][1].update(fix=HTML_BAIT, source=TEAM)
    assert _dump(after) == expected
    nb.run_all()  # the pain-point table shows the candidate fix
    _shown_as_text(nb, HTML_BAIT)
    assert facilitator.dialogs == []


# --- 6. presentation mode ---------------------------------------------------------------------------------

# Every chart and the map are SVG images (data: URLs): parse each one, place it in the page to let the
# browser resolve its styles, and give each text's font size as drawn on screen (its size in the SVG,
# times its transforms, times the image's shown width over its own width).
SVG_TEXT_SIZES = """imgs => imgs.filter(i => (i.getAttribute('src') || '').startsWith('data:image/svg')).map(img => {
  const src = img.getAttribute('src');
  const doc = new DOMParser().parseFromString(decodeURIComponent(src.slice(src.indexOf(',') + 1)), 'image/svg+xml');
  const host = document.createElement('div');
  host.style.cssText = 'position:absolute;left:0;top:0;visibility:hidden';
  host.appendChild(document.importNode(doc.documentElement, true));
  document.body.appendChild(host);
  const svg = host.firstElementChild;
  const box = svg.viewBox.baseVal;
  const width = box && box.width ? box.width : svg.width.baseVal.value;
  const shown = img.getBoundingClientRect().width / width;
  const toSvg = svg.getScreenCTM().inverse();
  const texts = [...svg.querySelectorAll('text')].filter(t => t.textContent.trim()).map(t => {
    const m = toSvg.multiply(t.getScreenCTM());
    return [t.textContent, parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b) * shown];
  });
  host.remove();
  return {width: width, shown: img.getBoundingClientRect().width, texts: texts};
})"""
# What the room sees: output text outside the facilitator's collapsed notes.
ROOM_TEXT = """els => els.map(e => {
  const copy = e.cloneNode(true);
  copy.querySelectorAll('details.jmapkit-notes').forEach(d => d.remove());
  return copy.textContent;
}).join('\\n')"""
RAW_CELL = re.compile(r"^(nan|NaN|<NA>|None|NaT|inf|[−-]0(\.0+)?)$|\d\.\d{4,}")  # missing, negative zero, raw floats
# Each table as its header and rows of cell text.
TABLES = """tables => tables.map(t => ({
  head: [...t.querySelectorAll('thead th')].map(th => th.textContent.trim()),
  rows: [...t.querySelectorAll('tbody tr')].map(tr => [...tr.querySelectorAll('td')].map(td => td.textContent.trim())),
}))"""


def test_presentation_mode_draws_every_notebook_for_a_projector(lab: Lab, projector: Facilitator) -> None:
    from playwright.sync_api import expect

    from jmapkit.notebook import presentation

    ws = lab.workshop("presentation")
    tps = ws.load(Touchpoints)
    ids = {x.id for x in [*tps.stages, *tps.touchpoints] if x.id != x.label}
    smallest: dict[str, float] = {}
    for notebook in NOTEBOOKS:
        nb = projector.open(ws, notebook)
        nb.run_all()
        switch = nb.outputs.locator("button.jmapkit-presentation")
        if notebook == "1-goals":
            switch.click()  # one switch for the workshop: the later notebooks open in presentation mode
            expect(switch).to_have_class(re.compile("mod-active"))
            deadline = time.monotonic() + SAVED / 1000
            while not presentation(ws):
                assert time.monotonic() < deadline, "the switch did not save the setting"
                nb.page.wait_for_timeout(200)
            nb.run_all()
        expect(switch).to_have_class(re.compile("mod-active"))
        nb.page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current").click()  # the room needs no files
        nb.page.wait_for_function("[...document.images].every(i => i.complete)")
        nb.screenshot(f"presentation-{notebook}", full=True)

        charts = nb.outputs.locator("img").evaluate_all(SVG_TEXT_SIZES)
        texts = [(text, px) for chart in charts for text, px in chart["texts"]]
        if notebook in ("4-behaviour", "5-map"):  # six charts in step 4, the map in step 5
            assert len(charts) >= (6 if notebook == "4-behaviour" else 1) and texts
        if texts:
            smallest[notebook] = min(px for _text, px in texts)
            small = sorted({(text, round(px, 1)) for text, px in texts if px < 16}, key=lambda t: t[1])
            assert not small, f"{notebook}: text under 16 px on a 1920 × 1080 screen: {small[:10]}"
            # An id is a whole label ("queue"), or a word no name has ("order_counter").
            shown_ids = sorted({text for text, _px in texts
                                if text.strip() in ids or any("_" in i and i in text for i in ids)})
            assert not shown_ids, f"{notebook}: ids instead of names in a chart: {shown_ids}"
        tables = nb.outputs.locator(".jp-RenderedHTML table")
        assert tables.locator("th.row_heading").count() == 0  # no 0…n index
        for table in tables.evaluate_all(TABLES):
            raw = [cell for row in table["rows"] for cell in row if RAW_CELL.search(cell)]
            assert not raw, f"{notebook}: raw values in the table {table['head']}: {raw[:10]}"
            for i, column in enumerate(table["head"]):
                if "share" in column or "conversion" in column:  # fractions are shown as percentages
                    shares = [row[i] for row in table["rows"]]
                    assert all(v == "–" or v.endswith(" %") for v in shares), (notebook, column, shares)
        notes = nb.outputs.locator("details.jmapkit-notes")
        assert all(d.get_attribute("open") is None for d in notes.all())  # facilitator notes start collapsed
        assert "pip install" not in nb.outputs.locator(".jp-OutputArea-output").evaluate_all(ROOM_TEXT)
        nb.page.close()
        projector.lab.shut_down_kernels()
    print("smallest text in the charts, px at 1920 × 1080:", smallest)


# --- 7. suggested pain points from what customers wrote (notebook 5) ------------------------------------


def test_accepting_one_suggestion_and_dismissing_another_in_notebook_5(lab: Lab, facilitator: Facilitator) -> None:
    from playwright.sync_api import expect

    from jmapkit import steps, suggestions

    ws = lab.workshop("suggestions")
    steps.behaviour.run(ws)  # step 4 computed, as after notebook 4
    offered = suggestions.pending(ws)
    assert len(offered) >= 2
    keep, drop = offered[0], offered[1]
    nb = facilitator.open(ws, "5-map")
    nb.run_all()
    cards = nb.outputs.locator(".jmapkit-suggestion")
    expect(cards).to_have_count(len(offered), timeout=SAVED)
    first = cards.filter(has_text=keep.label).first
    expect(first).to_contain_text(keep.quotes[0])  # the customers' own words, as text
    first.get_by_label("Owner", exact=True).fill("Store manager")
    first.get_by_label("Candidate fix", exact=True).fill("A second till at lunch")
    revision = ws.revision(Map)
    first.locator("button.jmapkit-accept").click()
    deadline = time.monotonic() + SAVED / 1000
    while ws.revision(Map) <= revision and time.monotonic() < deadline:
        nb.page.wait_for_timeout(200)
    accepted = ws.load(Map).pain_points[-1]
    assert (accepted.description, accepted.owner, accepted.fix) == (keep.label, "Store manager",
                                                                   "A second till at lunch")
    assert accepted.source.kind == "data" and accepted.touchpoint == keep.touchpoint
    [link] = accepted.evidence_links
    assert (link.kind, link.ref, link.n, link.quotes) == ("theme", keep.id, keep.n, list(keep.quotes))
    revision = ws.revision(Map)
    cards.filter(has_text=drop.label).first.locator("button.jmapkit-dismiss").click()
    deadline = time.monotonic() + SAVED / 1000
    while ws.revision(Map) <= revision and time.monotonic() < deadline:
        nb.page.wait_for_timeout(200)
    assert ws.load(Map).dismissed == {drop.id: drop.signature}
    expect(cards).to_have_count(len(offered) - 2, timeout=SAVED)
    nb.screenshot("lab-5-suggestions")
    # The next run on the same data: the dismissed theme is unchanged, so it does not come back.
    steps.behaviour.run(ws)
    assert {s.id for s in suggestions.pending(ws)} == {s.id for s in offered} - {keep.id, drop.id}
    nb.reload()
    nb.run_all()
    expect(cards).to_have_count(len(offered) - 2, timeout=SAVED)
    assert ws.load(Map).pain_points[-1] == accepted  # a later Run All rewrites nothing of the team's map
