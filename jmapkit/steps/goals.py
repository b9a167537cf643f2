"""Step 1: scope, customer goal, business objectives, period, success metrics, out of scope."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jmapkit.i18n import _
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
        (_("Scope"), _("customer journey map (one persona, one product)") if goals.scope == "journey"
         else _("customer experience map (whole brand, all channels)")),
        (_("Customer goal"), goals.customer_goal),
        (_("Business objectives"), "; ".join(goals.business_objectives)),
        (_("Time period"), goals.time_period),
        (_("Success metrics"), "; ".join(goals.success_metrics)),
        (_("Out of scope"), "; ".join(goals.out_of_scope)),
        (_("Source"), _(goals.source.kind)),
    ]
    return pd.DataFrame(rows, columns=["field", "value"])
