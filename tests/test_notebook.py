"""jmapkit.notebook: setup() imports Altair and pandas only when a chart or table is drawn; tables show text."""

from __future__ import annotations

import html
import os
import subprocess
import sys
from pathlib import Path

from jmapkit.store import Workshop

REPO = Path(__file__).resolve().parent.parent

# The step notebooks' import cell, then a chart as step 4 draws it.
SCRIPT = """
import sys
import jmapkit
from IPython.display import display
from jmapkit import charts, journey, notebook, steps
ws = jmapkit.open_workshop(sys.argv[1])
notebook.setup(ws)
print("after setup:", "pandas" in sys.modules, "altair" in sys.modules)
import pandas as pd
chart = charts.funnel(pd.DataFrame({"stage": ["a", "b"], "reached": [2, 1], "conversion_from_previous": [None, .5],
                                    "conversion_from_first": [1, .5], "median_hours": [None, 1.0],
                                    "p90_hours": [None, 2.0]}))
import altair as alt
print("renderer:", alt.renderers.active, "theme:", alt.theme.active)
"""


def test_setup_imports_nothing_heavy_and_sets_the_renderer_at_the_first_chart(restaurant: Workshop) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(restaurant.root)], capture_output=True, text=True,
                         env=env, check=True).stdout
    assert out.splitlines() == ["after setup: False False", "renderer: svg theme: jmapkit"]


def test_markup_in_a_table_cell_or_header_is_shown_as_text() -> None:
    import pandas as pd

    from jmapkit import notebook

    frame = pd.DataFrame({"<b>name</b>": ["<img src=x onerror=alert(1)>", "Tom & Jerry", None]})
    page = notebook.table(frame).to_html()
    assert "<img" not in page and "<b>" not in page and "&lt;b&gt;name&lt;/b&gt;" in page
    cells = [c.split(">", 1)[1].split("</td>")[0] for c in page.split("<td ")[1:]]
    assert cells == ["&lt;img src=x onerror=alert(1)&gt;", "Tom &amp; Jerry", "–"]


def test_the_guide_shows_the_templates_notes_for_the_step_collapsed(restaurant) -> None:  # type: ignore[no-untyped-def]
    from jmapkit import notebook, templates

    shown = notebook.guide(restaurant, "personas").data
    assert shown.startswith("<details class='jmapkit-notes'><summary>Facilitator notes for this step</summary>")
    assert html.escape(templates.notes("restaurant", "personas")) in shown
