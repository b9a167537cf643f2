"""Packaged notebooks and templates, found the same way in a wheel and in a source checkout."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def _packaged(name: str, repo_name: str) -> Path:
    # In a wheel they sit inside the package (force-included by hatch); in a checkout, beside it.
    inside = Path(str(files("jmapkit"))) / name
    if inside.is_dir():
        return inside
    return Path(__file__).resolve().parent.parent / repo_name


def notebooks_dir() -> Path:
    """The folder holding the five step notebooks as shipped."""
    return _packaged("_notebooks", "notebooks")


def templates_dir() -> Path:
    """The folder holding workshop templates (one sub-folder each) and slide templates."""
    return _packaged("_templates", "templates")


def template_names() -> list[str]:
    return sorted(p.name for p in templates_dir().iterdir() if (p / "template.yaml").is_file())
