"""What a facilitator sees: JupyterLab in a real browser (Debian's chromium) editing step 1."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from jmapkit.store import Workshop

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(os.environ.get("JMAPKIT_SCREENSHOTS", Path(__file__).parent.parent / ".cache" / "screenshots"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lab(restaurant: Workshop, tmp_path: Path) -> Iterator[str]:
    """JupyterLab on the workshop, on loopback, with a token; yields its base URL."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian package 'chromium' is not installed (apt-get install -y chromium)")
    port, token = _free_port(), "jmapkit-test"
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path / "jupyter-config"), "HOME": str(tmp_path)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", f"--port={port}", "--ip=127.0.0.1",
         f"--ServerApp.token={token}", f"--ServerApp.root_dir={restaurant.root}",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
            break
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail("JupyterLab did not start within 60 s")
            time.sleep(0.5)
    try:
        yield f"{base}/lab/tree/notebooks/1-goals.ipynb?token={token}&reset"
    finally:
        proc.terminate()
        proc.wait(15)


def test_facilitator_edits_the_goal_in_jupyterlab(lab: str, restaurant: Workshop) -> None:
    from playwright.sync_api import expect, sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(lab)
        panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
        expect(panel.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")).to_be_attached(timeout=60_000)
        # The indicator says idle before a kernel is attached; the status bar names the kernel once it is.
        expect(page.get_by_text("Python 3 (ipykernel) | Idle")).to_be_visible(timeout=60_000)
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
        outputs = panel.locator(".jp-OutputArea")
        goal = outputs.locator(".widget-textarea", has_text="customer goal").locator("textarea")
        expect(goal).to_have_value("Get a great lunch in under 30 minutes, without queueing twice.", timeout=60_000)
        goal.fill("Lunch in 20 minutes, ordering and paying once")
        page.screenshot(path=str(SCREENSHOTS / "lab-step1-form.png"))
        outputs.locator("button.jupyter-button", has_text="Save").first.click()
        expect(outputs.locator(".jmapkit-status")).to_contain_text("saved to steps/1-goals.json", timeout=15_000)
        page.screenshot(path=str(SCREENSHOTS / "lab-step1.png"))
        browser.close()
    goals = restaurant.load(1)
    assert goals.customer_goal == "Lunch in 20 minutes, ordering and paying once"
    assert goals.source.kind == "team"
