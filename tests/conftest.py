from __future__ import annotations

from pathlib import Path

import pytest

from jmapkit.store import Workshop, new_workshop

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def restaurant(tmp_path: Path) -> Workshop:
    """A fresh workshop made from the bundled restaurant template (with its example data)."""
    return new_workshop(tmp_path / "tacos", template="restaurant")


@pytest.fixture
def blank(tmp_path: Path) -> Workshop:
    return new_workshop(tmp_path / "blank")
