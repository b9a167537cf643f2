"""jmapkit: customer-journey-mapping workshops in Jupyter, re-runnable on new data."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

from jmapkit.errors import JmapkitError

if TYPE_CHECKING:
    from jmapkit.store import Workshop, new_workshop, open_workshop

__all__ = ["JmapkitError", "Workshop", "__version__", "new_workshop", "open_workshop"]
_FROM_STORE = {"Workshop", "new_workshop", "open_workshop"}


def __getattr__(name: str) -> Any:
    """The workshop store on first use: a script that only runs `jmapkit.analytics` does not load it (0.35 s)."""
    if name in _FROM_STORE:
        from jmapkit import store

        return getattr(store, name)
    raise AttributeError(f"module 'jmapkit' has no attribute {name!r}")
