"""One module per workshop step: load the earlier steps, compute this step's outputs, save.

These are what a notebook cell and the CLI both call; notebooks hold no logic of their own.
"""

from __future__ import annotations

from jmapkit.steps import behaviour, goals, map, personas, touchpoints  # noqa: A004 (the step is called map)

__all__ = ["behaviour", "goals", "map", "personas", "touchpoints"]
