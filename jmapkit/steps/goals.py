"""Step 1: scope, customer goal, business objectives, period, success metrics, out of scope."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jmapkit.model import Goals

if TYPE_CHECKING:
    import pandas as pd

    from jmapkit.store import Workshop


def run(ws: Workshop) -> Goals:
    """The saved goals (batch mode reads them; there is nothing to compute)."""
    return ws.load(Goals)


def summary(goals: Goals) -> pd.DataFrame:
    """Goals as a two-column table for the notebook and the exports."""
    import pandas as pd

    rows = [
        ("Scope", "customer journey map (one persona, one product)" if goals.scope == "journey"
         else "customer experience map (whole brand, all channels)"),
        ("Customer goal", goals.customer_goal),
        ("Business objectives", "; ".join(goals.business_objectives)),
        ("Time period", goals.time_period),
        ("Success metrics", "; ".join(goals.success_metrics)),
        ("Out of scope", "; ".join(goals.out_of_scope)),
        ("Source", goals.source.kind),
    ]
    return pd.DataFrame(rows, columns=["field", "value"])
