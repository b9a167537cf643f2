"""Display settings for the step notebooks (interactive and under papermill)."""

from __future__ import annotations


def setup() -> None:
    """Static SVG charts (offline, valid nbformat under papermill) and table text that is not cut short."""
    import pandas as pd

    from jmapkit import charts

    charts.setup_renderer()
    pd.set_option("display.max_colwidth", 160)
