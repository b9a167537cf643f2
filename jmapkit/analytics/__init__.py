"""Step 4 analytics, written once as Ibis expressions (DuckDB by default, PySpark for clusters).

Each function takes a file path, a pandas DataFrame or an Ibis table and returns a pandas
DataFrame of the aggregated result; raw events never leave the backend.

>>> from jmapkit import analytics
>>> analytics.funnel("events.parquet", stages=["visit", "order", "pay"])  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import Any

# Imported on first use: ibis and the sentiment lexicons are heavy, and `import jmapkit` is not.
_EXPORTS = {
    "funnel": "behaviour",
    "touchpoints": "behaviour",
    "paths": "behaviour",
    "transitions": "behaviour",
    "map_events": "behaviour",
    "survey_scores": "survey",
    "emotion_comparison": "emotion",
    "sentiment": "verbatims",
    "score_texts": "verbatims",
    "SentimentWarning": "verbatims",
    "themes": "theming",
    "theme_table": "theming",
    "themes_and_members": "theming",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'jmapkit.analytics' has no attribute {name!r}")
    module = importlib.import_module(f"jmapkit.analytics.{_EXPORTS[name]}")
    return getattr(module, name)


def __dir__() -> list[str]:
    return __all__
