"""The step notebooks in the workshop's language: markdown cells translated when `jmapkit new` writes them.

Each markdown cell's whole English text is one message of the "jmapkit-notebooks" catalog
(jmapkit/locale/<lang>/LC_MESSAGES/jmapkit-notebooks.po); code cells are copied unchanged, so `jmapkit run`
runs the same code in every language. docs/languages-pages.md says why at creation, not at display time.
"""

from __future__ import annotations

import gettext
import json
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

DOMAIN = "jmapkit-notebooks"


@lru_cache(maxsize=8)
def catalog(language: str) -> gettext.NullTranslations:
    """The notebooks' catalog for a language (the English text itself when there is none)."""
    from jmapkit.i18n import LOCALE_DIR

    return gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[language], fallback=True)


def cell_text(cell: dict[str, Any]) -> str:
    """A cell's source as one string (notebook files store it as a list of lines or as one string)."""
    source = cell.get("source", "")
    return source if isinstance(source, str) else "".join(source)


def translated(notebook: dict[str, Any], language: str) -> dict[str, Any]:
    """A copy of a notebook whose markdown cells are in `language` (English where a cell has no translation)."""
    out = json.loads(json.dumps(notebook))
    if language == "en":
        return out
    translations = catalog(language)
    for cell in out["cells"]:
        if cell["cell_type"] == "markdown" and cell_text(cell).strip():
            cell["source"] = translations.gettext(cell_text(cell)).splitlines(keepends=True)
    out.setdefault("metadata", {})["jmapkit_language"] = language
    return out


def write_notebook(source: Path, target: Path, language: str) -> None:
    """Copy a step notebook into a workshop, its markdown in `language`."""
    from jmapkit.store import atomic_write_text

    notebook = json.loads(source.read_text(encoding="utf-8"))
    text = json.dumps(translated(notebook, language), ensure_ascii=False, indent=1) + "\n"
    atomic_write_text(target, text)


def extract(fileobj: IO[bytes], keywords: Any, comment_tags: Any,
            options: Any) -> Iterator[tuple[int, str, str, list[str]]]:
    """Babel extraction method for .ipynb files: one message per non-empty markdown cell."""
    notebook = json.loads(fileobj.read().decode("utf-8"))
    for number, cell in enumerate(notebook["cells"], start=1):
        if cell["cell_type"] == "markdown" and cell_text(cell).strip():
            yield number, "", cell_text(cell), [f"markdown cell {number}"]
