"""Step 2: persona cards, each optionally linked to a segment value in the data."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jmapkit.model import Personas

if TYPE_CHECKING:
    import pandas as pd

    from jmapkit.store import Workshop


def run(ws: Workshop) -> Personas:
    """The saved personas, after checking that step 1 exists."""
    ws.require(1)
    return ws.load(Personas)


def summary(personas: Personas) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(
        [
            {
                "name": p.name,
                "role": p.role,
                "segment": p.segment or "",
                "goals": "; ".join(p.goals),
                "frustrations": "; ".join(p.frustrations),
                "quote": p.quote,
                "source": p.source.kind,
            }
            for p in personas.personas
        ],
        columns=["name", "role", "segment", "goals", "frustrations", "quote", "source"],
    )


def segment_names(personas: Personas) -> dict[str, str]:
    """Data segment value → persona name, so segment splits read as personas."""
    return {p.segment: p.name for p in personas.personas if p.segment}
