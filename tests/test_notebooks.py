"""The five notebooks as shipped: stripped, parameterized, and passing nbval in a workshop."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from jmapkit.model import NOTEBOOKS
from jmapkit.resources import notebooks_dir
from jmapkit.store import Workshop

SHIPPED = sorted(notebooks_dir().glob("*.ipynb"))


def test_the_five_step_notebooks_ship() -> None:
    assert [p.name for p in SHIPPED] == list(NOTEBOOKS)  # the room is a web page of its own, not a notebook


@pytest.mark.parametrize("path", [p for p in SHIPPED if p.name in NOTEBOOKS], ids=lambda p: p.name)
def test_committed_without_outputs_with_one_parameters_cell(path: Path) -> None:
    book = json.loads(path.read_text(encoding="utf-8"))
    code = [c for c in book["cells"] if c["cell_type"] == "code"]
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in code)
    tagged = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1
    assert code.index(tagged[0]) == 0  # parameters come before anything uses them
    names = [line.split("=")[0].strip() for line in "".join(tagged[0]["source"]).splitlines()]
    assert names == ["workshop_dir", "interactive", "data", "options", "run_id"]
    assert book["metadata"]["kernelspec"]["name"] == "python3"


@pytest.mark.slow
def test_nbval_passes_in_a_workshop(restaurant: Workshop) -> None:
    """nbval runs the notebooks as a facilitator would open them: interactive, found by walking up."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env", "-p", "no:cacheprovider",
         "-o", "filterwarnings=ignore::DeprecationWarning", "-q", str(restaurant.path("notebooks"))],
        capture_output=True, text=True, cwd=restaurant.root, timeout=900,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    summary = result.stdout.strip().splitlines()[-1]
    assert "failed" not in summary and "passed" in summary, summary
