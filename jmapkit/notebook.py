"""Display settings for the step notebooks (interactive and under papermill), without importing what they set.

Steps 1–3 draw no chart, so `setup()` imports neither Altair (≈ 1 s) nor pandas: the chart renderer
is set when the first chart is drawn, and tables get their width through IPython's display
formatters, which are looked up by type name and so need no pandas until a table is shown.
"""

from __future__ import annotations

import sys
from typing import Any

COLUMN_WIDTH = 160  # characters of a table cell shown before "…" (pandas' default of 50 cuts pain points short)
_FRAME_TYPES = (("pandas", "DataFrame"), ("pandas.core.frame", "DataFrame"))  # pandas ≥ 3 and older


def setup() -> None:
    """Static SVG charts (offline, valid nbformat under papermill) and table text that is not cut short."""
    from jmapkit import charts

    charts.setup_renderer(lazy=True)
    if "pandas" in sys.modules:
        sys.modules["pandas"].set_option("display.max_colwidth", COLUMN_WIDTH)
        return
    shell = _shell()
    if shell is None:
        return
    formatters = shell.display_formatter.formatters
    for module, name in _FRAME_TYPES:
        formatters["text/html"].for_type_by_name(module, name, _html)
        formatters["text/plain"].for_type_by_name(module, name, _text)


def _shell() -> Any:
    if "IPython" not in sys.modules:
        return None
    return sys.modules["IPython"].get_ipython()


def _html(frame: Any) -> str:
    import pandas as pd

    with pd.option_context("display.max_colwidth", COLUMN_WIDTH):
        return frame._repr_html_()


def _text(frame: Any, printer: Any, cycle: bool) -> None:
    import pandas as pd

    with pd.option_context("display.max_colwidth", COLUMN_WIDTH):
        printer.text(repr(frame))
