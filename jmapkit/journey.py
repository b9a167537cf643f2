"""The journey map as data: one row per stage × lane, with provenance, for the chart and every export.

Pure data (pandas only): the Altair chart (`jmapkit.charts.journey_map`) and the pptx, html and xlsx
exporters all read this table, so none of them re-derives what goes where.

>>> from jmapkit import journey
>>> journey.lanes(ws)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from jmapkit.bundle import TABLES, Bundle, as_bundle
from jmapkit.i18n import N_, _
from jmapkit.model import Source

if TYPE_CHECKING:
    import pandas as pd

    from jmapkit.store import Workshop

# Lane id → label, top to bottom as the map shows them.
LANES: dict[str, str] = {
    "actions": N_("Actions"),
    "touchpoints": N_("Touchpoints"),
    "emotion": N_("Emotion"),
    "pain_points": N_("Pain points"),
    "opportunities": N_("Opportunities"),
    "owners": N_("Owners"),
    "kpis": N_("KPIs"),
}
MOMENT_OF_TRUTH = "★"
HANDOFF = "⇄"
TEMPLATE_NOTE = N_("template — not yet reviewed by the team")  # shown through _()
LANE_COLUMNS = ["stage", "stage_label", "stage_index", "lane", "lane_label", "lane_index", "items", "text", "n",
                "template", "item_template", "priorities", "sources", "evidence", "points"]
# The three sources of emotion are kept apart: the team's estimate, participants' votes, the data.
POINT_KEYS = ("touchpoint", "label", "position", "team", "team_kind", "voted", "voted_n", "voted_ci_low",
              "voted_ci_high", "measured", "measured_n", "measured_ci_low", "measured_ci_high", "measured_from",
              "moment_of_truth")
__all__ = ["LANES", "TABLES", "labelled", "lanes"]


def lanes(source: Workshop | Bundle | Mapping[Any, Any] | Iterable[Any]) -> pd.DataFrame:
    """One row per stage × lane (step-3 stage order; lanes in LANES order) with items, text and provenance.

    Columns: stage, stage_label, stage_index, lane, lane_label, lane_index, items (list of str), text (items
    joined by newlines), n (items), template (how many items are still un-reviewed template content),
    item_template (per item: is it un-reviewed template content), priorities (pain points lane: each
    item's priority), sources (provenance kinds, comma-separated), evidence (where numbers came from),
    points (emotion lane only: one dict per touchpoint with the team's, voted and measured emotion).
    """
    import pandas as pd

    s = as_bundle(source)
    tps = s.touchpoints
    jm = s.map
    emotion = _emotion_by_touchpoint(s)
    ranked = jm.ranked(tps)
    rows: list[dict[str, Any]] = []
    for si, stage in enumerate(tps.stages):
        in_stage = tps.in_stage(stage.id)
        tp_ids = {t.id for t in in_stage}
        cells: dict[str, list[tuple[str, Source]]] = {lane: [] for lane in LANES}
        cells["actions"] = [(a, stage.source) for a in stage.actions]
        cells["touchpoints"] = [(touchpoint_text(t), t.source) for t in in_stage]
        pains = [(p, prio) for p, prio in ranked if p.touchpoint in tp_ids]
        cells["pain_points"] = [(pain_text(p, prio), p.source) for p, prio in pains]
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
        points = [p for p in points if any(p[k] is not None for k in ("team", "voted", "measured"))]
        for li, (lane, label) in enumerate(LANES.items()):
            items = [text for text, _ in cells[lane]]
            kinds = [src.kind for _, src in cells[lane]]
            item_template = [k == "template" for k in kinds]
            evidence = ""
            if lane == "emotion":
                items = [_point_text(p) for p in points]
                item_template = [p["team_kind"] == "template" for p in points]
                kinds = [p["team_kind"] or "team" for p in points if p["team"] is not None]
                kinds += ["vote" for p in points if p["voted"] is not None]
                kinds += ["data" for p in points if p["measured"] is not None]
                evidence = emotion_evidence(s, points)
            elif lane == "kpis":
                evidence = "; ".join(sorted({k.data_source for k in jm.kpis if k.stage == stage.id and k.data_source}))
            rows.append({
                "stage": stage.id,
                "stage_label": stage.label,
                "stage_index": si,
                "lane": lane,
                "lane_label": _(label),
                "lane_index": li,
                "items": items,
                "text": "\n".join(items),
                "n": len(items),
                "template": sum(item_template),
                "item_template": item_template,
                "priorities": [prio for _, prio in pains] if lane == "pain_points" else [],
                "sources": ", ".join(sorted(set(kinds))),
                "evidence": evidence,
                "points": points if lane == "emotion" else [],
            })
    return pd.DataFrame(rows, columns=LANE_COLUMNS)


def labelled(frame: pd.DataFrame | None, source: Workshop | Bundle | Any) -> pd.DataFrame | None:
    """A step-4 table with stage and touchpoint ids replaced by their names, for charts and tables people read."""
    if frame is None:
        return None
    tps = source if hasattr(source, "stages") else as_bundle(source).touchpoints
    stages = {s.id: s.label for s in tps.stages}
    points = {t.id: t.label for t in tps.touchpoints}
    out = frame.copy()
    for column, names in (("stage", stages), ("touchpoint", points), ("source", points), ("target", points)):
        if column in out:
            out[column] = [names.get(str(v), v) for v in out[column]]
    if "group" in out and "group_by" in out:
        by = {"touchpoint": points, "stage": stages}
        out["group"] = [by.get(str(k), {}).get(str(g), g) for k, g in zip(out["group_by"], out["group"], strict=True)]
    if "path" in out:
        out["path"] = [" → ".join(points.get(p.strip(), p.strip()) for p in str(v).split("→")) for v in out["path"]]
    return out


# --- texts shared by the chart and the exports ------------------------------------------------------


def touchpoint_text(t: Any) -> str:
    """A touchpoint's label with its markers: ★ moment of truth, ⇄ handoff."""
    marks = (MOMENT_OF_TRUTH if t.moment_of_truth else "") + (HANDOFF if t.handoff else "")
    return f"{marks} {t.label}" if marks else t.label


def pain_text(p: Any, priority: int) -> str:
    """A pain point with its priority (severity × frequency, ×2 at a moment of truth, from `Map.ranked`) and owner."""
    owner = f" ({p.owner})" if p.owner else ""
    return f"P{priority} {p.description}{owner}"


def kpi_text(k: Any) -> str:
    """'name: baseline → target unit (owner)'."""
    unit = f" {k.unit}" if k.unit else ""
    owner = f" ({k.owner})" if k.owner else ""
    return f"{k.name}: {number(k.baseline)} → {number(k.target)}{unit}{owner}"


def number(value: Any, digits: int = 1) -> str:
    """A number for people in the workshop's locale: whole numbers without decimals, '–' for none."""
    from jmapkit.numbers import number as localised

    return localised(value, digits)


def describe_source(source: Source) -> str:
    """Where a value came from, in words for speaker notes and tables."""
    if source.kind == "template":
        return _(TEMPLATE_NOTE)
    if source.kind == "vote":
        return _("votes (n={n})").format(n=source.n) if source.n is not None else _("votes")
    if source.kind == "participant":
        return _("participant note {note}").format(note=source.detail) if source.detail else _("participant note")
    if source.kind == "data":
        parts = [source.detail or _("data")]
        if source.sha256:
            parts.append(f"sha256 {source.sha256[:12]}")
        if source.run:
            parts.append(_("run {run}").format(run=source.run))
        return _("data: {parts}").format(parts=", ".join(parts))
    return _("team")


def signals_text(signals: str) -> str:
    """'csat, sentiment' as a reader of the workshop's language reads it (metric codes stay as they are)."""
    return ", ".join(_(part.strip()) for part in str(signals).split(",") if part.strip())


def data_evidence(s: Bundle, *names: str) -> str:
    """'events.csv (sha256 1a2b3c4d5e6f, 1 200 rows), run R' for the named step-4 inputs (all when none named)."""
    b = s.results
    if not b.inputs:
        return _("no data file has been read yet (step 4 not run)")
    chosen = [n for n in (names or tuple(b.inputs)) if n in b.inputs]
    if not chosen:
        return _("no {names} file in step 4").format(names=" / ".join(names))
    parts = []
    for n in chosen:
        ref = b.inputs[n]
        rows = ", " + _("{n} rows").format(n=number(ref.rows)) if ref.rows is not None else ""
        parts.append(f"{ref.path.rsplit('/', 1)[-1]} (sha256 {ref.sha256[:12]}{rows})")
    return "; ".join(parts) + ", " + _("run {run}").format(run=b.run or _("interactive (no run id)"))


def emotion_evidence(s: Bundle, points: list[dict[str, Any]]) -> str:
    """The team's estimate says so; voted emotions cite the votes (n); measured ones the files they came from."""
    out = []
    if any(p["team"] is not None for p in points):
        out.append(_("team estimate"))
    voted = [p["voted_n"] for p in points if p["voted"] is not None and p["voted_n"] is not None]
    if voted:
        out.append(_("votes (n={n})").format(n=f"{min(voted)}–{max(voted)}" if min(voted) != max(voted) else voted[0]))
    signals = sorted({part.strip() for p in points if p["measured"] is not None and p["measured_from"]
                      for part in str(p["measured_from"]).split(",") if part.strip()})
    if signals:
        # Sentiment comes from the verbatims file; every other signal (nps, csat, ces, custom) from the survey.
        files = (["survey"] if any(sig != "sentiment" for sig in signals) else []) + (
            ["verbatims"] if "sentiment" in signals else [])
        out.append(_("measured from {signals}: {files}").format(signals=signals_text(", ".join(signals)),
                                                                 files=data_evidence(s, *files)))
    return "; ".join(out)


# --- internals ---------------------------------------------------------------------------------------

def _emotion_by_touchpoint(s: Bundle) -> dict[str, dict[str, Any]]:
    """Team, voted and measured emotion per touchpoint: the step-4 emotion table, else the team's estimates."""
    frame = s.tables.get("emotion")
    team = {e.touchpoint: e for e in s.behaviour.emotions}
    out: dict[str, dict[str, Any]] = {}
    if frame is not None and "touchpoint" in frame.columns:
        out = {str(r["touchpoint"]): {k: _clean(v) for k, v in r.items()} for r in frame.to_dict("records")}
    # The team's estimate is team input: always read from step 4's saved input, never from a computed table.
    for tp in set(team) | set(out):
        values = out.setdefault(tp, {})
        e = team.get(tp)
        values["team"] = float(e.emotion) if e else None
        values["team_kind"] = e.source.kind if e else None
    return out


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
    if p["team"] is not None:
        parts.append(f"team {p['team']:+.1f}" + (" (template)" if p["team_kind"] == "template" else ""))
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
