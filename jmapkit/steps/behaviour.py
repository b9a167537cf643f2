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

from jmapkit import safe
from jmapkit.errors import DataFileError, JmapkitError
from jmapkit.i18n import _
from jmapkit.model import Behaviour, BehaviourResults, DataRef, FunnelRow, Personas, ScoreRow, Touchpoints
from jmapkit.numbers import signed

if TYPE_CHECKING:
    import pandas as pd

    from jmapkit.store import Workshop

INPUTS = ("events", "survey", "verbatims")
SHOWN = 5  # names listed in a message before "and N more"


@dataclass
class BehaviourResult:
    """What step 4 computed: the saved results and the aggregated tables behind them."""

    model: BehaviourResults
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


def run(ws: Workshop, *, data: Mapping[str, str] | None = None,
        options: Mapping[str, Mapping[str, str]] | None = None, run_id: str | None = None) -> BehaviourResult:
    """Recompute step 4's results from the data the team chose and save them in their own envelope.

    Only `BehaviourResults` and the CSV tables are written: the team's input (files, emotion estimates)
    is read, never saved here, so a form and a run can never overwrite each other. Every input is read
    and checked, and everything computed, before anything is written: a file that cannot be used
    (unreadable, no rows, no event reaching a stage) leaves the earlier results in place. `options`:
    reader options of this run per input (e.g. {"events": {"delimiter": ";"}}), over the saved ones.
    """
    from jmapkit import analytics

    personas = ws.load_or_default(Personas)
    tps = ws.load_or_default(Touchpoints)
    saved = ws.load_or_default(Behaviour)
    based_on = ws.revision(Behaviour)
    files = data_files(ws, saved, data)
    tables: dict[str, pd.DataFrame] = {}
    notes: list[str] = []
    inputs: dict[str, DataRef] = {}
    loaded = read_inputs(files, reader_options(saved, options), notes)
    for name, result in loaded.items():
        inputs[name] = DataRef(path=ws.relative(result.path), sha256=result.sha256, rows=result.rows)
    stages = _touchpoint_stages(tps)

    period = None
    if "events" in loaded:
        tables.update(_behaviour_tables(loaded["events"], tps, personas, stages, notes))
        period = _period(loaded["events"].table)
    elif files:
        notes.append("no events file: funnel, paths and touchpoint reach are empty (choose one in step 4).")
    if "survey" in loaded:
        survey = loaded["survey"].table
        by = [c for c in ("touchpoint", "stage", "segment") if c in survey.columns] + ["all"]
        tables["scores"] = analytics.survey_scores(survey, by=by)
    if "verbatims" in loaded:
        with warnings.catch_warnings(record=True) as caught:
            # Only sentiment's own warnings (languages without a method) are notes about the data.
            warnings.simplefilter("always", analytics.SentimentWarning)
            tables["verbatims"] = analytics.score_texts(loaded["verbatims"].table)
            if tables["verbatims"]["touchpoint"].notna().any():
                tables["sentiment"] = analytics.sentiment(tables["verbatims"], by="touchpoint")
            tables["themes"] = analytics.theme_table(loaded["verbatims"].table, tables["verbatims"])
        name = loaded["verbatims"].path.name
        notes += [f"{name}: {w.message}" for w in caught if issubclass(w.category, analytics.SentimentWarning)]
        if "sentiment" not in tables:
            notes.append(f"{name}: no text has a touchpoint, so sentiment is scored per text (verbatims.csv) but "
                         "not per touchpoint; add a 'touchpoint' column to compare it with the room's emotions.")
        for w in caught:
            if not issubclass(w.category, analytics.SentimentWarning):
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    tables["emotion"] = analytics.emotion_comparison(
        participant_votes(ws),
        scores=_by_touchpoint(tables.get("scores")),
        sentiment=tables.get("sentiment"),
        touchpoints=[t.id for t in tps.touchpoints],
    )

    out = ws.tables_dir(4)
    model = BehaviourResults(
        inputs=inputs,
        funnel=[FunnelRow(**_row(r, FunnelRow)) for r in _records(tables.get("funnel"))],
        scores=[ScoreRow(**_row(r, ScoreRow)) for r in _records(tables.get("scores"))],
        tables={name: ws.relative(out / f"{name}.csv") for name in tables},
        warnings=notes,
        run=run_id,
        based_on=based_on,
        period=period,
    )
    with ws.locked():
        _write_tables(out, tables)
        ws.save(model)
    return BehaviourResult(model=model, tables=tables)


def reader_options(saved: Behaviour, options: Mapping[str, Mapping[str, str]] | None) -> dict[str, dict[str, Any]]:
    """Per input, the reader options saved in step 4 with this run's on top, checked and typed for io.read."""
    from jmapkit import io

    given = {name: {**saved.options.get(name, {}), **dict((options or {}).get(name, {}))}
             for name in {*saved.options, *(options or {})}}
    unknown = sorted(set(given) - set(INPUTS))
    if unknown:
        raise JmapkitError(f"reader options for unknown input {', '.join(map(repr, unknown))}.",
                           where="step 4 options", fix=f"name inputs {', '.join(INPUTS)} (e.g. --option "
                           "events.delimiter=';').")
    return {name: io.reader_options(values, where=f"step 4 options for {name}") for name, values in given.items()}


def read_inputs(files: Mapping[str, Path], options: Mapping[str, dict[str, Any]], notes: list[str]) -> dict[str, Any]:
    """Read and check every input; all problems of all files in one error, and no input without rows.

    Every warning and dropped-row note goes to `notes`, headed by its file's name.
    """
    from jmapkit import io
    from jmapkit.duck import default_backend

    con = default_backend()
    loaded: dict[str, Any] = {}
    failed: list[JmapkitError] = []
    for name, path in files.items():
        try:
            result = io.read(path, name, con=con, **options.get(name, {}))  # type: ignore[arg-type]
        except JmapkitError as exc:
            failed.append(exc)
            continue
        notes += [f"{path.name}: {w}" for w in result.warnings if w != io.NO_ROWS]
        notes += [f"{path.name}: {p.describe()}" for p in result.dropped]
        if result.rows == 0:
            dropped = sum(p.count or 0 for p in result.dropped)
            failed.append(DataFileError(
                f"the {name} file has no data rows" + (f" once {dropped} blank or duplicate rows are dropped"
                                                       if dropped else "") + "; step 4 keeps its earlier results.",
                where=str(path), fix=f"export the data again with its rows, or pass another file with --data "
                                     f"{name}=PATH."))
        loaded[name] = result
    if len(failed) == 1:
        raise failed[0]
    if failed:
        raise DataFileError(_("{n} data files cannot be used: {problems}").format(
            n=len(failed), problems=" | ".join(e.message for e in failed)),
            fix=_("fix each file as said; step 4 keeps its earlier results."))
    return loaded


def emotion_chart_data(ws: Workshop, emotion: pd.DataFrame) -> tuple[pd.DataFrame, list[str], list[str]]:
    """The emotion table with names instead of ids and the team's estimate, and the stage and touchpoint order."""
    from jmapkit.journey import labelled

    tps = ws.load_or_default(Touchpoints)
    team = {e.touchpoint: e.emotion for e in ws.load_or_default(Behaviour).emotions}
    frame = emotion.copy()
    frame["team"] = [team.get(str(tp)) for tp in frame["touchpoint"]]
    frame["stage"] = [tps.stage_of().get(str(tp), "") for tp in frame["touchpoint"]]
    frame = labelled(frame, tps)
    return frame, [s.label for s in tps.stages], [t.label for t in tps.touchpoints]


def theme_chart_names(ws: Workshop) -> dict[str, Any]:
    """`names` and `order` for `charts.themes`: touchpoint names as the team gave them, in journey order."""
    tps = ws.load_or_default(Touchpoints)
    ids = [t.id for s in tps.stages for t in tps.in_stage(s.id)]
    return {"names": {t.id: t.label for t in tps.touchpoints}, "order": ids}


def theme_summary(ws: Workshop, themes: pd.DataFrame) -> pd.DataFrame:
    """Themes per touchpoint for people: where, the theme's words, how many, share, sentiment with CI, a quote."""
    import pandas as pd

    from jmapkit.journey import labelled

    per_tp = themes[(themes["group_by"] == "touchpoint") & (themes["theme"] > 0)]
    frame = labelled(per_tp.rename(columns={"group": "touchpoint"}), ws.load_or_default(Touchpoints))
    assert frame is not None
    rows = [{"touchpoint": r["touchpoint"], "theme": r["label"], "comments": r["n"], "share": r["share"],
             "sentiment": signed(r["mean"]), "95 % CI": f"{signed(r['ci_low'])} … {signed(r['ci_high'])}",
             "quote": r["quote_1"] if isinstance(r["quote_1"], str) else "–"}
            for r in frame.sort_values(["touchpoint", "n"], ascending=[True, False], kind="stable").to_dict("records")]
    return pd.DataFrame(rows, columns=["touchpoint", "theme", "comments", "share", "sentiment", "95 % CI", "quote"])


def participant_votes(ws: Workshop) -> pd.DataFrame:
    """Participants' votes of the room's current round, one row per device and touchpoint (touchpoint, emotion).

    Never the team's estimate. Built from `jmapkit.room.tally` (a count per face), one row per vote again,
    as `emotion_comparison` wants for its confidence interval.
    """
    import pandas as pd

    from jmapkit.room import FACE_COLUMNS, tally

    counts = tally(ws)
    rows = [{"touchpoint": row["touchpoint"], "emotion": int(column.removeprefix("votes_"))}
            for row in counts.to_dict("records") for column in FACE_COLUMNS for _ in range(int(row[column]))]
    return pd.DataFrame(rows, columns=["touchpoint", "emotion"])


def emotion_sources(ws: Workshop, emotion: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per touchpoint, side by side: the team's estimate, participants' votes (n, mean) and the measured value.

    The team column is read from the saved step-4 input at the time of the call (so an edit in the form
    shows at once); votes and measured values come from the last compute (`emotion`, default: its CSV).
    """
    import pandas as pd

    from jmapkit.journey import number

    tps = ws.load_or_default(Touchpoints)
    team = {e.touchpoint: e for e in ws.load_or_default(Behaviour).emotions}
    if emotion is None:
        path = ws.tables_dir(4) / "emotion.csv"
        emotion = pd.read_csv(path) if path.is_file() else pd.DataFrame(columns=["touchpoint"])
    computed = {str(r["touchpoint"]): r for r in emotion.to_dict("records")}
    stage = {s.id: s.label for s in tps.stages}
    rows = []
    for t in tps.touchpoints:
        c = computed.get(t.id, {})
        e = team.get(t.id)
        rows.append({
            "stage": stage.get(t.stage, t.stage),
            "touchpoint": t.label,
            "team": signed(e.emotion) if e else "–",
            "team source": e.source.kind if e else "–",
            "voted": signed(c.get("voted")),
            "votes": number(c.get("voted_n") or 0),
            "measured": signed(c.get("measured")),
            "measured from": c.get("measured_from") if isinstance(c.get("measured_from"), str) else "–",
        })
    return pd.DataFrame(rows, columns=["stage", "touchpoint", "team", "team source", "voted", "votes", "measured",
                                       "measured from"])


def _write_tables(out: Path, tables: Mapping[str, pd.DataFrame]) -> None:
    """Replace the folder of CSVs as a whole: a table this run did not produce must not linger as current."""
    import shutil

    staging = out.with_name(f".{out.name}.new")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for name, frame in tables.items():
        safe.frame(frame).to_csv(staging / f"{name}.csv", index=False)  # no cell a spreadsheet would run
    old = out.with_name(f".{out.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if out.exists():
        out.rename(old)
    staging.rename(out)
    shutil.rmtree(old, ignore_errors=True)


def _behaviour_tables(
    events: Any, tps: Touchpoints, personas: Personas, stages: dict[str, str], notes: list[str]
) -> dict[str, pd.DataFrame]:
    from jmapkit import analytics
    from jmapkit.steps.personas import segment_names

    tables: dict[str, pd.DataFrame] = {}
    where, table = events.path, events.table
    if "touchpoint" not in table.columns:
        table, unmapped = analytics.map_events(table, tps.event_map, stages)
        tables["unmapped_events"] = unmapped
        if len(unmapped):
            listed = ", ".join(f"{e} ({n})" for e, n in zip(unmapped["event"], unmapped["events"], strict=True))
            notes.append(f"{where.name}: {len(unmapped)} event names are not mapped to a touchpoint in step 3: "
                         f"{listed}.")
    tables["funnel"] = analytics.funnel(table, stages=stages)
    if not (tables["funnel"]["reached"].sum() or tables["funnel"]["entered_here"].sum()):
        raise _nothing_maps(where, table, tps, tables.get("unmapped_events"))
    events = table
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


def _nothing_maps(path: Path, events: Any, tps: Touchpoints, unmapped: pd.DataFrame | None) -> DataFileError:
    """The error for events none of which reaches a stage of step 3: which names the file has, which step 3."""
    from jmapkit.analytics.backend import fetch

    if unmapped is not None and len(unmapped):
        names, column = list(zip(unmapped["event"], unmapped["events"], strict=True)), "event"
    else:
        import ibis

        counted = fetch(events.group_by("touchpoint").aggregate(n=events.count())
                        .order_by([ibis.desc("n"), "touchpoint"]).limit(SHOWN + 1))
        names, column = list(zip(counted["touchpoint"], counted["n"], strict=True)), "touchpoint"
    shown = ", ".join(f"{n!r} ({k})" for n, k in names[:SHOWN]) + (" …" if len(names) > SHOWN else "")
    ids = [t.id for t in tps.touchpoints]
    known = (", ".join(map(repr, ids[:SHOWN])) + (f" and {len(ids) - SHOWN} more" if len(ids) > SHOWN else "")
             if ids else "none yet")
    fix = ("map the event names to touchpoints in step 3 (notebook 3)" if column == "event" else
           "rename the touchpoints in the file or in step 3 so they match")
    return DataFileError(f"no event maps to a stage of step 3, so the funnel would be all zeros; the file's "
                         f"{column} values are {shown}, step 3's touchpoints {known}. Step 4 keeps its earlier "
                         "results.", where=str(path), fix=f"{fix}, then run step 4 again.")


def _touchpoint_stages(tps: Touchpoints) -> dict[str, str]:
    # Ordered by stage, so the mapping's values appear in the journey's order.
    return {t.id: s.id for s in tps.stages for t in tps.in_stage(s.id)}


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
