"""The built wheel works outside the repo: notebooks and templates ship inside it."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(REPO)],
                   check=True, capture_output=True)
    return next(out.glob("jmapkit-*.whl"))


def test_wheel_contains_notebooks_and_templates(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for nb in ("1-goals.ipynb", "4-behaviour.ipynb", "5-map.ipynb"):
        assert f"jmapkit/_notebooks/{nb}" in names
    for page in ("participant.html", "participant.js", "room.html", "room.js", "common.js", "room.css",
                 "forbidden.html"):
        assert f"jmapkit/room/static/{page}" in names  # the room's pages, read through importlib.resources
    for name in ("default", "restaurant", "ecommerce", "saas-onboarding", "public-service"):
        assert f"jmapkit/_templates/{name}/template.yaml" in names
    assert "jmapkit/_templates/restaurant/data/events.csv" in names
    assert "jmapkit/_templates/saas-onboarding/data/events.tsv" in names
    for lang in ("de", "ko", "ja"):  # the compiled message catalogs, found through gettext at run time
        assert f"jmapkit/locale/{lang}/LC_MESSAGES/jmapkit.mo" in names


def test_demo_from_an_installed_wheel_in_an_unrelated_folder(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q"]
    subprocess.run([*pip, str(wheel)], check=True, capture_output=True, timeout=900)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = subprocess.run([str(venv / "bin" / "jmapkit"), "demo", "tacos"], cwd=elsewhere, capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (elsewhere / "tacos" / "exports" / "tacos.pptx").is_file()
    runs = list((elsewhere / "tacos" / "runs").glob("*/run.json"))
    assert len(runs) == 1
    assert str(REPO) not in runs[0].read_text()  # nothing was read from the source checkout
