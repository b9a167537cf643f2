"""Step 5: pain points, opportunities and KPIs on the map, checked against the quality rules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from jmapkit.model import Map, Touchpoints
from jmapkit.quality import Finding, check

if TYPE_CHECKING:
    import pandas as pd

    from jmapkit.store import Workshop


@dataclass
class MapResult:
    model: Map
    findings: list[Finding]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]


def run(ws: Workshop) -> MapResult:
    """Load the map after the four steps it stands on and check it (a run never rewrites the team's map)."""
    ws.require(1, 2, 3, 4)
    return MapResult(model=ws.load_or_default(Map), findings=check(ws))


def pain_points(journey: Map, tps: Touchpoints) -> pd.DataFrame:
    """Pain points ranked by priority (severity × frequency, doubled at a moment of truth)."""
    import pandas as pd

    by_id = {t.id: t for t in tps.touchpoints}
    stage_names = {s.id: s.label for s in tps.stages}
    rows = []
    for p, priority in journey.ranked(tps):
        tp = by_id.get(p.touchpoint)
        mot = bool(tp and tp.moment_of_truth)
        rows.append({
            "stage": stage_names.get(tp.stage, tp.stage) if tp else "",
            "touchpoint": tp.label if tp else p.touchpoint,
            "pain point": p.description,
            "severity": p.severity,
            "frequency": p.frequency,
            "moment of truth": mot,
            "priority": priority,
            "owner": p.owner,
            "fix": p.fix,
            "source": p.source.kind,
        })
    columns = ["stage", "touchpoint", "pain point", "severity", "frequency", "moment of truth", "priority",
               "owner", "fix", "source"]
    return pd.DataFrame(rows, columns=columns)


def kpis(journey: Map, tps: Touchpoints) -> pd.DataFrame:
    import pandas as pd

    stage_names = {s.id: s.label for s in tps.stages}
    order = {s.id: i for i, s in enumerate(tps.stages)}
    rows = sorted(journey.kpis, key=lambda k: order.get(k.stage, len(order)))
    return pd.DataFrame(
        [{"stage": stage_names.get(k.stage, k.stage), "kpi": k.name, "baseline": k.baseline, "target": k.target,
          "unit": k.unit, "owner": k.owner, "data source": k.data_source, "source": k.source.kind} for k in rows],
        columns=["stage", "kpi", "baseline", "target", "unit", "owner", "data source", "source"],
    )


def findings_table(findings: list[Finding]) -> pd.DataFrame:
    """`jmapkit check` as a table for the top of notebook 5: code, severity, step, item, message and fix."""
    import pandas as pd

    columns = ["code", "severity", "step", "item", "message", "fix"]
    return pd.DataFrame([{c: getattr(f, c) for c in columns} for f in findings], columns=columns)
