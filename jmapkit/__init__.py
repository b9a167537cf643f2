"""jmapkit: customer-journey-mapping workshops in Jupyter, re-runnable on new data."""

from __future__ import annotations

__version__ = "0.1.0"

from jmapkit.errors import JmapkitError
from jmapkit.store import Workshop, new_workshop, open_workshop

__all__ = ["JmapkitError", "Workshop", "__version__", "new_workshop", "open_workshop"]
