"""The journey map as a PNG picture (rendered offline by vl-convert)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from jmapkit.export.report import build

if TYPE_CHECKING:
    from jmapkit.store import Workshop


def write(ws: Workshop, path: Path) -> Path:
    """Write the journey map of `ws` to `path` as PNG at twice the chart's pixel size (sharp on slides and print)."""
    from jmapkit import charts

    report = build(ws)
    return charts.save(report.chart("map").properties(title=report.title), path, scale=2.0)
