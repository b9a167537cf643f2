"""The journey map as data: one row per stage × lane, with provenance, for the chart and every export.

Pure data (pandas only): the Altair chart (`jmapkit.charts.journey_map`) and the pptx, html and xlsx
exporters all read this table, so none of them re-derives what goes where.

>>> from jmapkit import journey
>>> journey.lanes(ws)  # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from jmapkit.model import Behaviour, Goals, JourneyMap, Personas, Source, Touchpoints, step_info

if TYPE_CHECKING:
    import pandas as pd

    from jmapkit.store import Workshop

# Lane id → label, top to bottom as the map shows them.
LANES: dict[str, str] = {
    "actions": "Actions",
    "touchpoints": "Touchpoints",
    "emotion": "Emotion",
    "pain_points": "Pain points",
    "opportunities": "Opportunities",
    "owners": "Owners",
    "kpis": "KPIs",
}
MOMENT_OF_TRUTH = "★"
HANDOFF = "⇄"
TEMPLATE_NOTE = "template — not yet reviewed by the team"
# The step-4 CSVs, with the columns the charts and exports read from them.
TABLES: dict[str, tuple[str, ...]] = {
    "funnel": ("stage", "reached", "conversion_from_previous", "conversion_from_first", "median_hours", "p90_hours"),
    "scores": ("group_by", "group", "metric", "n", "value", "ci_low", "ci_high"),
    "emotion": ("touchpoint", "voted", "measured"),
    "touchpoints": ("touchpoint", "stage", "customers"),
    "transitions": ("source", "target", "count"),
    "paths": ("path", "customers"),
    "sentiment": ("touchpoint", "n", "mean"),
}
LANE_COLUMNS = ["stage", "stage_label", "stage_index", "lane", "lane_label", "lane_index", "items", "text", "n",
                "template", "sources", "evidence", "points"]
POINT_KEYS = ("touchpoint", "label", "position", "voted", "voted_kind", "voted_n", "voted_ci_low", "voted_ci_high",
              "measured", "measured_n", "measured_ci_low", "measured_ci_high", "measured_from", "moment_of_truth")


@dataclass
class Steps:
    """The saved steps of one workshop (any may be missing) and its step-4 tables."""

    name: str = ""
    goals: Goals | None = None
    personas: Personas | None = None
    touchpoints: Touchpoints | None = None
    behaviour: Behaviour | None = None
    journey: JourneyMap | None = None
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    missing_tables: dict[str, str] = field(default_factory=dict)  # table name → why it is not there


def steps(ws_or_steps: Workshop | Steps | Mapping[Any, Any] | Iterable[Any]) -> Steps:
    """Everything a map or an export needs, from a Workshop, a Steps, a {step: model} mapping or a list of models."""
    from jmapkit.store import Workshop

    if isinstance(ws_or_steps, Steps):
        return ws_or_steps
    if isinstance(ws_or_steps, Workshop):
        return _from_workshop(ws_or_steps)
    models = ws_or_steps.values() if isinstance(ws_or_steps, Mapping) else ws_or_steps
    found = Steps()
    tables: dict[str, pd.DataFrame] = {}
    for model in models:
        if _is_frame_mapping(model):
            tables.update(model)
            continue
        setattr(found, _ATTR[step_info(model).key], model)
    found.tables = tables
    found.missing_tables = _missing(found.behaviour, tables)
    return found


def load_tables(ws: Workshop, behaviour: Behaviour | None) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """The step-4 CSVs that exist, and for each known table that does not, the reason."""
    import pandas as pd

    tables: dict[str, pd.DataFrame] = {}
    missing: dict[str, str] = {}
    named = dict(behaviour.tables) if behaviour else {}
    folder = ws.tables_dir(4)
    for name in sorted(set(TABLES) | set(named)):
        path = ws.resolve(named[name]) if name in named else folder / f"{name}.csv"
        if path.is_file():
            tables[name] = pd.read_csv(path, keep_default_na=True)
        elif name in TABLES:
            missing[name] = _why_missing(name, behaviour, ws.relative(path))
    return tables, missing


def lanes(ws_or_steps: Workshop | Steps | Mapping[Any, Any] | Iterable[Any]) -> pd.DataFrame:
    """One row per stage × lane (step-3 stage order; lanes in LANES order) with items, text and provenance.

    Columns: stage, stage_label, stage_index, lane, lane_label, lane_index, items (list of str), text (items
    joined by newlines), n (items), template (how many items are still un-reviewed template content),
    sources (provenance kinds, comma-separated), evidence (where numbers came from), points (emotion lane
    only: one dict per touchpoint with voted and measured emotion and their CIs, in touchpoint order).
    """
    import pandas as pd

    s = steps(ws_or_steps)
    tps = s.touchpoints or Touchpoints()
    jm = s.journey or JourneyMap()
    by_tp = {t.id: t for t in tps.touchpoints}
    emotion = _emotion_by_touchpoint(s)
    rows: list[dict[str, Any]] = []
    for si, stage in enumerate(tps.stages):
        in_stage = tps.in_stage(stage.id)
        tp_ids = {t.id for t in in_stage}
        cells: dict[str, list[tuple[str, Source]]] = {lane: [] for lane in LANES}
        cells["actions"] = [(a, stage.source) for a in stage.actions]
        cells["touchpoints"] = [(touchpoint_text(t), t.source) for t in in_stage]
        pains = [p for p in jm.pain_points if p.touchpoint in tp_ids]
        pains.sort(key=lambda p: -p.priority(by_tp[p.touchpoint].moment_of_truth))
        cells["pain_points"] = [(pain_text(p, by_tp[p.touchpoint].moment_of_truth), p.source) for p in pains]
        cells["opportunities"] = [
            (o.description + (f" ({o.owner})" if o.owner else ""), o.source)
            for o in jm.opportunities
            if o.stage == stage.id or (o.touchpoint in tp_ids)
        ]
        owners: dict[str, Source] = {}
        for t in in_stage:
            if t.owner:
                owners.setdefault(t.owner, t.source)
        cells["owners"] = list(owners.items())
        cells["kpis"] = [(kpi_text(k), k.source) for k in jm.kpis if k.stage == stage.id]
        points = [_point(t, emotion.get(t.id), k, len(in_stage)) for k, t in enumerate(in_stage)]
        points = [p for p in points if p["voted"] is not None or p["measured"] is not None]
        for li, (lane, label) in enumerate(LANES.items()):
            items = [text for text, _ in cells[lane]]
            kinds = [src.kind for _, src in cells[lane]]
            evidence = ""
            if lane == "emotion":
                items = [_point_text(p) for p in points]
                kinds = [p["voted_kind"] or "vote" for p in points if p["voted"] is not None]
                kinds += ["data" for p in points if p["measured"] is not None]
                evidence = emotion_evidence(s, points)
            elif lane == "kpis":
                evidence = "; ".join(sorted({k.data_source for k in jm.kpis if k.stage == stage.id and k.data_source}))
            rows.append({
                "stage": stage.id,
                "stage_label": stage.label,
                "stage_index": si,
                "lane": lane,
                "lane_label": label,
                "lane_index": li,
                "items": items,
                "text": "\n".join(items),
                "n": len(items),
                "template": sum(k == "template" for k in kinds),
                "sources": ", ".join(sorted(set(kinds))),
                "evidence": evidence,
                "points": points if lane == "emotion" else [],
            })
    return pd.DataFrame(rows, columns=LANE_COLUMNS)


# --- texts shared by the chart and the exports ------------------------------------------------------


def touchpoint_text(t: Any) -> str:
    """A touchpoint's label with its markers: ★ moment of truth, ⇄ handoff."""
    marks = (MOMENT_OF_TRUTH if t.moment_of_truth else "") + (HANDOFF if t.handoff else "")
    return f"{marks} {t.label}" if marks else t.label


def pain_text(p: Any, moment_of_truth: bool) -> str:
    """A pain point with its priority (severity × frequency, ×2 at a moment of truth) and owner."""
    owner = f" ({p.owner})" if p.owner else ""
    return f"P{p.priority(moment_of_truth)} {p.description}{owner}"


def kpi_text(k: Any) -> str:
    """'name: baseline → target unit (owner)'."""
    unit = f" {k.unit}" if k.unit else ""
    owner = f" ({k.owner})" if k.owner else ""
    return f"{k.name}: {number(k.baseline)} → {number(k.target)}{unit}{owner}"


def number(value: Any, digits: int = 1) -> str:
    """A number for people: whole numbers without decimals, '–' for none."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    value = float(value)
    if value.is_integer():
        return f"{int(value):,}".replace(",", " ")
    return f"{value:,.{digits}f}".replace(",", " ")


def describe_source(source: Source) -> str:
    """Where a value came from, in words for speaker notes and tables."""
    if source.kind == "template":
        return TEMPLATE_NOTE
    if source.kind == "vote":
        return f"votes (n={source.n})" if source.n is not None else "votes"
    if source.kind == "participant":
        return f"participant {source.detail or 'note'}" + (f" ({source.n} dots)" if source.n is not None else "")
    if source.kind == "data":
        parts = [source.detail or "data"]
        if source.sha256:
            parts.append(f"sha256 {source.sha256[:12]}")
        if source.run:
            parts.append(f"run {source.run}")
        return "data: " + ", ".join(parts)
    return "team"


def data_evidence(s: Steps, *names: str) -> str:
    """'events.csv (sha256 1a2b3c4d5e6f, 1 200 rows), run R' for the named step-4 inputs (all when none named)."""
    b = s.behaviour
    if b is None or not b.inputs:
        return "no data file has been read yet (step 4 not run)"
    chosen = [n for n in (names or tuple(b.inputs)) if n in b.inputs]
    if not chosen:
        return f"no {' or '.join(names)} file in step 4"
    parts = []
    for n in chosen:
        ref = b.inputs[n]
        rows = f", {number(ref.rows)} rows" if ref.rows is not None else ""
        parts.append(f"{ref.path.rsplit('/', 1)[-1]} (sha256 {ref.sha256[:12]}{rows})")
    return "; ".join(parts) + f", run {b.run or 'interactive (no run id)'}"


def emotion_evidence(s: Steps, points: list[dict[str, Any]]) -> str:
    """Voted emotions cite the votes (n); measured ones the files they came from."""
    out = []
    voted = [p["voted_n"] for p in points if p["voted"] is not None and p["voted_n"] is not None]
    if voted:
        out.append(f"votes (n={min(voted)}–{max(voted)})" if min(voted) != max(voted) else f"votes (n={voted[0]})")
    signals = sorted({part.strip() for p in points if p["measured"] is not None and p["measured_from"]
                      for part in str(p["measured_from"]).split(",") if part.strip()})
    if signals:
        # Sentiment comes from the verbatims file; every other signal (nps, csat, ces, custom) from the survey.
        files = (["survey"] if any(sig != "sentiment" for sig in signals) else []) + (
            ["verbatims"] if "sentiment" in signals else [])
        out.append(f"measured from {', '.join(signals)}: " + data_evidence(s, *files))
    return "; ".join(out)


# --- internals ---------------------------------------------------------------------------------------

_ATTR = {"goals": "goals", "personas": "personas", "touchpoints": "touchpoints", "behaviour": "behaviour",
         "map": "journey"}


def _from_workshop(ws: Workshop) -> Steps:
    loaded: dict[str, Any] = {}
    for number_, attr in enumerate(_ATTR.values(), start=1):
        loaded[attr] = ws.load(number_) if ws.has(number_) else None
    tables, missing = load_tables(ws, loaded["behaviour"])
    return Steps(name=ws.meta.name, tables=tables, missing_tables=missing, **loaded)


def _is_frame_mapping(value: Any) -> bool:
    if not isinstance(value, Mapping):
        return False
    import pandas as pd

    return all(isinstance(v, pd.DataFrame) for v in value.values())


def _missing(behaviour: Behaviour | None, tables: Mapping[str, Any]) -> dict[str, str]:
    return {name: _why_missing(name, behaviour, None) for name in TABLES if name not in tables}


def _why_missing(name: str, behaviour: Behaviour | None, path: Any) -> str:
    if behaviour is None or not behaviour.inputs:
        return "step 4 has not been run on data yet"
    needs = {"funnel": "events", "touchpoints": "events", "transitions": "events", "paths": "events",
             "scores": "survey", "sentiment": "verbatims"}.get(name)
    if needs and needs not in behaviour.inputs:
        return f"no {needs} file was chosen in step 4"
    return f"step 4 wrote no {path}" if path else "not computed"


def _emotion_by_touchpoint(s: Steps) -> dict[str, dict[str, Any]]:
    """Voted and measured emotion per touchpoint: the step-4 emotion table, else the team's entered votes."""
    frame = s.tables.get("emotion")
    b = s.behaviour
    entered = {v.touchpoint: v for v in (b.emotions if b else [])}
    if frame is not None and "touchpoint" in frame.columns:
        out = {str(r["touchpoint"]): {k: _clean(v) for k, v in r.items()} for r in frame.to_dict("records")}
        for tp, values in out.items():
            # Step 4 falls back to the emotions entered in the notebook when nobody voted: one "vote" each,
            # and still template content if the team never confirmed it.
            e = entered.get(tp)
            same = e is not None and values.get("voted") == float(e.emotion) and values.get("voted_n") in (1, None)
            values["voted_kind"] = e.source.kind if same else "vote"
        return out
    return {
        tp: {"voted": float(v.emotion), "voted_n": v.source.n if v.source.kind == "vote" else 1,
             "voted_kind": v.source.kind}
        for tp, v in entered.items()
    }


def _point(t: Any, values: dict[str, Any] | None, k: int, count: int) -> dict[str, Any]:
    values = values or {}
    point = {key: values.get(key) for key in POINT_KEYS}
    point.update(touchpoint=t.id, label=t.label, position=(k + 0.5) / count, moment_of_truth=t.moment_of_truth)
    for key in ("voted_n", "measured_n"):
        if point[key] is not None:
            point[key] = int(point[key])
    return point


def _point_text(p: dict[str, Any]) -> str:
    parts = [p["label"] + ":"]
    if p["voted"] is not None:
        parts.append(f"voted {p['voted']:+.1f}" + (f" (n={p['voted_n']})" if p["voted_n"] is not None else ""))
    if p["measured"] is not None:
        parts.append(f"measured {p['measured']:+.1f}" + (f" ({p['measured_from']})" if p["measured_from"] else ""))
    return " ".join(parts)


def _clean(value: Any) -> Any:
    import pandas as pd

    if value is None or (not isinstance(value, (list, tuple, dict)) and pd.isna(value)):
        return None
    if hasattr(value, "item"):  # numpy scalar → python
        return value.item()
    return value
