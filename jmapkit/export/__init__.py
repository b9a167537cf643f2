"""Export a workshop to a PowerPoint deck, a self-contained HTML page, an Excel workbook or a PNG map.

One call per format; the registry below is the only list of formats (the CLI's `--to` reads it).

>>> from jmapkit.export import export
>>> export(ws, "pptx")  # doctest: +SKIP
PosixPath('.../my-workshop/exports/my-workshop.pptx')
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from jmapkit.errors import JmapkitError

if TYPE_CHECKING:
    from jmapkit.store import Workshop


@dataclass(frozen=True)
class Exporter:
    """One format: the module whose `write(ws, path)` makes it, and the file suffix."""

    module: str
    suffix: str
    what: str


FORMATS: dict[str, Exporter] = {
    "pptx": Exporter("jmapkit.export.powerpoint", ".pptx", "16:9 PowerPoint deck with speaker notes"),
    "html": Exporter("jmapkit.export.page", ".html", "self-contained web page (no external URLs)"),
    "xlsx": Exporter("jmapkit.export.workbook", ".xlsx", "Excel workbook, one sheet per table"),
    "png": Exporter("jmapkit.export.picture", ".png", "the journey map as a picture"),
    "slides": Exporter("jmapkit.export.slides", ".slides.html", "reveal.js slides, offline"),
}

ALL = "all"  # `--to all`: every format above, one after the other

__all__ = ["ALL", "FORMATS", "default_output", "export", "export_all"]


def default_output(ws: Workshop, to: str) -> Path:
    """exports/<workshop folder name>.<suffix> inside the workshop."""
    return ws.path("exports", f"{ws.root.name}{_exporter(to).suffix}")


def export(ws: Workshop, to: str, output: str | os.PathLike[str] | None = None) -> Path:
    """Write the workshop in format `to` (see FORMATS) to `output` (default: exports/<workshop>.<suffix>)."""
    exporter = _exporter(to)
    path = Path(output) if output is not None else default_output(ws, to)
    if path.is_dir():
        raise JmapkitError(f"{path} is a folder.", where=str(path),
                           fix=f"give a file name, e.g. {path / (ws.root.name + exporter.suffix)}.")
    path.parent.mkdir(parents=True, exist_ok=True)
    module = importlib.import_module(exporter.module)
    return module.write(ws, path)


def export_all(ws: Workshop, folder: str | os.PathLike[str] | None = None) -> list[tuple[str, Path, float]]:
    """Write every format (into `folder`, default exports/): (format, path, seconds) for each, in FORMATS order."""
    import time

    out = []
    for to in FORMATS:
        started = time.perf_counter()
        target = Path(folder) / default_output(ws, to).name if folder is not None else None
        path = export(ws, to, target)
        out.append((to, path, time.perf_counter() - started))
    return out


def _exporter(to: str) -> Exporter:
    key = str(to).lower().lstrip(".")
    if key not in FORMATS:
        raise JmapkitError(f"unknown export format {to!r}.", fix=f"use one of: {', '.join(FORMATS)} (or {ALL}).")
    return FORMATS[key]
