"""jmapkit.notebook.setup(): nothing heavy imported until a chart or a table is drawn, and then the right settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# The notebooks' import cell, then what steps 1–3 and 4 do, in a fresh IPython shell.
SCRIPT = """
import sys
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
import jmapkit
import jmapkit.notebook
import jmapkit.widgets
from IPython.display import display
from jmapkit import charts, journey, steps
jmapkit.notebook.setup()
print("after setup:", "pandas" in sys.modules, "altair" in sys.modules)
import pandas as pd
text = "x" * 120
data, _ = shell.display_formatter.format(pd.DataFrame({"pain point": [text]}))
print("html shows all:", text in data["text/html"], "text shows all:", text in data["text/plain"])
print("default width kept:", pd.get_option("display.max_colwidth"))
chart = charts.funnel(pd.DataFrame({"stage": ["a", "b"], "reached": [2, 1], "conversion_from_previous": [None, .5],
                                    "conversion_from_first": [1, .5], "median_hours": [None, 1.0],
                                    "p90_hours": [None, 2.0]}))
import altair as alt
print("renderer:", alt.renderers.active, "theme:", alt.theme.active)
"""


def test_setup_imports_nothing_heavy_and_applies_its_settings_when_drawing() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, check=True).stdout
    assert out.splitlines() == [
        "after setup: False False",
        "html shows all: True text shows all: True",
        "default width kept: 50",
        "renderer: svg theme: jmapkit",
    ]
