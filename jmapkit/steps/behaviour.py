"""Step 4: turn the team's event log, survey and verbatims into evidence per stage and touchpoint.

Reads the data files the team chose (or the run's overrides), computes the analytics on the
backend, writes every aggregated table as CSV under steps/4-behaviour/, and saves the step with
the content hash of each file read, so a run can be reproduced and compared.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jmapkit.errors import DataFileError, JmapkitError
from jmapkit.model import Behaviour, DataRef, FunnelRow, Personas, ScoreRow, Touchpoints

if TYPE_CHECKING:
    import pandas as pd

    from jmapkit.store import Workshop

INPUTS = ("events", "survey", "verbatims")


@dataclass
class BehaviourResult:
    """What step 4 computed: the saved model and the aggregated tables behind it."""

    model: Behaviour
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def warnings(self) -> list[str]:
        return self.model.warnings


def data_files(ws: Workshop, saved: Behaviour, overrides: Mapping[str, str] | None = None) -> dict[str, Path]:
    """The files to read: the team's choice in step 4, replaced by any override of this run."""
    chosen = {**saved.data, **{k: str(v) for k, v in (overrides or {}).items() if v}}
    unknown = sorted(set(chosen) - set(INPUTS))
    if unknown:
        raise JmapkitError(
            f"unknown data input {', '.join(map(repr, unknown))}.",
            where="step 4 data",
            fix=f"name inputs {', '.join(INPUTS)} (e.g. --data events=PATH).",
        )
    files = {name: ws.resolve(path) for name, path in chosen.items()}
    for name, path in files.items():
        if not path.is_file():
            raise DataFileError(
                f"the {name} file does not exist.",
                where=str(path),
                fix=f"check the path, or pass another file with --data {name}=PATH.",
            )
    return files


def run(ws: Workshop, *, data: Mapping[str, str] | None = None, run_id: str | None = None) -> BehaviourResult:
    """Recompute step 4 from the data and the team's emotion votes, save it, and return the tables."""
    from jmapkit import analytics, io
    from jmapkit.analytics.backend import default_backend

    _, personas, tps = ws.require(1, 2, 3)
    assert isinstance(personas, Personas) and isinstance(tps, Touchpoints)
    saved: Behaviour = ws.load_or_default(4)  # type: ignore[assignment]
    files = data_files(ws, saved, data)
    con = default_backend()
    tables: dict[str, pd.DataFrame] = {}
    notes: list[str] = []
    inputs: dict[str, DataRef] = {}
    loaded: dict[str, Any] = {}
    for name, path in files.items():
        result = io.read(path, name, con=con)  # type: ignore[arg-type]
        inputs[name] = DataRef(path=ws.relative(path), sha256=result.sha256, rows=result.rows)
        notes += [f"{path.name}: {w}" for w in result.warnings]
        notes += [f"{path.name}: dropped {p.describe()}" for p in result.dropped]
        loaded[name] = result.table
    stages = _touchpoint_stages(tps)

    period = None
    if "events" in loaded:
        tables.update(_behaviour_tables(loaded["events"], tps, personas, stages, notes))
        period = _period(loaded["events"])
    else:
        notes.append("no events file: funnel, paths and touchpoint reach are empty (choose one in step 4).")
    if "survey" in loaded:
        survey = loaded["survey"]
        by = [c for c in ("touchpoint", "stage", "segment") if c in survey.columns] + ["all"]
        tables["scores"] = analytics.survey_scores(survey, by=by)
    if "verbatims" in loaded:
        with warnings.catch_warnings(record=True) as caught:
            # Only sentiment's own warnings (languages without a method) are notes about the data.
            warnings.simplefilter("always", analytics.SentimentWarning)
            tables["verbatims"] = analytics.score_texts(loaded["verbatims"])
            tables["sentiment"] = analytics.sentiment(tables["verbatims"], by="touchpoint")
        notes += [str(w.message) for w in caught if issubclass(w.category, analytics.SentimentWarning)]
        for w in caught:
            if not issubclass(w.category, analytics.SentimentWarning):
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    tables["emotion"] = analytics.emotion_comparison(
        _votes(ws, saved),
        scores=_by_touchpoint(tables.get("scores")),
        sentiment=tables.get("sentiment"),
        touchpoints=[t.id for t in tps.touchpoints],
    )

    out = ws.tables_dir(4)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.csv"):
        if old.stem not in tables:
            old.unlink()  # a table this run did not produce must not linger as if it were current
    for name, frame in tables.items():
        frame.to_csv(out / f"{name}.csv", index=False)
    model = saved.model_copy(
        update={
            "inputs": inputs,
            "funnel": [FunnelRow(**_row(r, FunnelRow)) for r in _records(tables.get("funnel"))],
            "scores": [ScoreRow(**_row(r, ScoreRow)) for r in _records(tables.get("scores"))],
            "tables": {name: ws.relative(out / f"{name}.csv") for name in tables},
            "warnings": notes,
            "run": run_id,
            "period": period,
        }
    )
    ws.save(model)
    return BehaviourResult(model=model, tables=tables)


def _behaviour_tables(
    events: Any, tps: Touchpoints, personas: Personas, stages: dict[str, str], notes: list[str]
) -> dict[str, pd.DataFrame]:
    from jmapkit import analytics
    from jmapkit.steps.personas import segment_names

    tables: dict[str, pd.DataFrame] = {}
    if "touchpoint" not in events.columns:
        events, unmapped = analytics.map_events(events, tps.event_map, stages)
        tables["unmapped_events"] = unmapped
        if len(unmapped):
            listed = ", ".join(f"{e} ({n})" for e, n in zip(unmapped["event"], unmapped["events"], strict=True))
            notes.append(f"{len(unmapped)} event names are not mapped to a touchpoint in step 3: {listed}.")
    tables["funnel"] = analytics.funnel(events, stages=stages)
    if "segment" in events.columns:
        by_segment = analytics.funnel(events, stages=stages, by="segment")
        by_segment.insert(1, "persona", by_segment["segment"].map(segment_names(personas)).fillna(""))
        tables["funnel_by_segment"] = by_segment
    tables["touchpoints"] = analytics.touchpoints(events, stages=stages)
    tables["paths"] = analytics.paths(events, top=10)
    tables["transitions"] = analytics.transitions(events)
    return tables


def _period(events: Any) -> tuple[datetime, datetime] | None:
    """The first and the last event's time (UTC): the period the data covers, for the deck and `jmapkit runs`."""
    from jmapkit.analytics.backend import fetch

    span = fetch(events.aggregate(first=events.timestamp.min(), last=events.timestamp.max())).iloc[0]
    if span.isna().any():
        return None
    return (span["first"].to_pydatetime().replace(tzinfo=timezone.utc),
            span["last"].to_pydatetime().replace(tzinfo=timezone.utc))


def _touchpoint_stages(tps: Touchpoints) -> dict[str, str]:
    # Ordered by stage, so the mapping's values appear in the journey's order.
    return {t.id: s.id for s in tps.stages for t in tps.in_stage(s.id)}


def _votes(ws: Workshop, saved: Behaviour) -> pd.DataFrame:
    """Participants' votes if any were cast, else the emotions the team entered (one vote each)."""
    import pandas as pd

    from jmapkit.vote import latest

    cast = latest(ws)
    if len(cast):
        return cast[["touchpoint", "emotion"]]
    rows = [{"touchpoint": e.touchpoint, "emotion": e.emotion} for e in saved.emotions]
    return pd.DataFrame(rows, columns=["touchpoint", "emotion"])


def _by_touchpoint(scores: pd.DataFrame | None) -> pd.DataFrame | None:
    if scores is None:
        return None
    return scores[scores["group_by"] == "touchpoint"].reset_index(drop=True)


def _records(frame: pd.DataFrame | None) -> list[dict[str, Any]]:
    if frame is None:
        return []
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def _row(record: dict[str, Any], model: type) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k in model.model_fields}  # type: ignore[attr-defined]
