"""Step 3: ordered stages, touchpoints per stage, raw event names mapped to touchpoints."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jmapkit.model import Touchpoints

if TYPE_CHECKING:
    import pandas as pd

    from jmapkit.store import Workshop


def run(ws: Workshop) -> Touchpoints:
    """The saved stages and touchpoints, after checking steps 1 and 2 exist."""
    ws.require(1, 2)
    return ws.load(Touchpoints)


def summary(tp: Touchpoints) -> pd.DataFrame:
    import pandas as pd

    names = {s.id: s.label for s in tp.stages}
    events_of: dict[str, list[str]] = {}
    for event, touchpoint in tp.event_map.items():
        events_of.setdefault(touchpoint, []).append(event)
    return pd.DataFrame(
        [
            {
                "stage": names[t.stage],
                "touchpoint": t.label,
                "channel": t.channel,
                "layer": t.layer,
                "owner": t.owner,
                "handoff": t.handoff,
                "moment_of_truth": t.moment_of_truth,
                "events": ", ".join(events_of.get(t.id, [])),
                "source": t.source.kind,
            }
            for s in tp.stages
            for t in tp.in_stage(s.id)
        ],
        columns=["stage", "touchpoint", "channel", "layer", "owner", "handoff", "moment_of_truth", "events", "source"],
    )
