"""What the step notebooks show besides forms: tables for people."""

from __future__ import annotations

import pandas as pd

from jmapkit import notebook


def test_markup_in_a_table_cell_or_header_is_shown_as_text() -> None:
    frame = pd.DataFrame({"<b>name</b>": ["<img src=x onerror=alert(1)>", "Tom & Jerry", None]})
    page = notebook.table(frame).to_html()
    assert "<img" not in page and "<b>" not in page and "&lt;b&gt;name&lt;/b&gt;" in page
    cells = [c.split(">", 1)[1].split("</td>")[0] for c in page.split("<td ")[1:]]
    assert cells == ["&lt;img src=x onerror=alert(1)&gt;", "Tom &amp; Jerry", "–"]
