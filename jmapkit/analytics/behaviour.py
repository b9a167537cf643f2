"""What customers do: the ordered stage funnel, reach per touchpoint, paths and transitions.

Written once as Ibis expressions, so the same code runs on DuckDB (default) and PySpark; only
aggregated rows come back to pandas.

Events of one customer are ordered by timestamp; events at the same timestamp by stage order (when
the stages are given), then by touchpoint id. So ties are broken the same way on every backend and
in every run (file order is not used: a Spark table has none), and a tie agrees with the funnel,
which counts a same-time event of the next stage as "at or after".

Stages come from the events' own `stage` column where it has a value, else from the touchpoint →
stage mapping of step 3; where both are present and differ, the data wins and a
`StageConflictWarning` names the touchpoints (`stage_conflicts()` lists them as a table).

>>> from jmapkit import analytics
>>> analytics.funnel("events.parquet", stages={"ad": "awareness", "menu": "consideration"})  # doctest: +SKIP
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from jmapkit.analytics.backend import as_table, fetch
from jmapkit.errors import JmapkitError

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import pandas as pd

Stages = Sequence[str] | Mapping[str, str] | None
ARROW = " → "
CONFLICT_COLUMNS = ["touchpoint", "stage", "mapped_stage", "events", "customers"]
FUNNEL_COLUMNS = ["stage", "reached", "conversion_from_previous", "conversion_from_first", "median_hours",
                  "p90_hours", "entered_here", "dropped"]


class StageConflictWarning(UserWarning):
    """The events' `stage` column disagrees with step 3's touchpoint → stage mapping (the data is used)."""


def map_events(
    events: Any, event_map: Mapping[str, str], stages: Mapping[str, str] | None = None
) -> tuple[ir.Table, pd.DataFrame]:
    """Fill `touchpoint` (and `stage`) from raw `event` names; list the unmapped events with counts."""
    t = as_table(events, "events")
    if "event" not in t.columns:
        raise JmapkitError("the events have no 'event' column to map.", where="events",
                           fix="map raw event names only when the file has an 'event' column.")
    missing = t.filter(t.event.isnull() | ~t.event.isin(list(event_map))) if event_map else t
    unmapped = fetch(
        missing.group_by("event")
        .agg(events=missing.count(), customers=missing.customer_id.nunique())
        .order_by([_desc("events"), "event"])
    )
    t = t.drop("touchpoint") if "touchpoint" in t.columns else t
    if stages is not None and "stage" not in t.columns:
        # Touchpoint and stage in one join: every later scan of the mapped events probes one small table.
        event_stage = {e: stages.get(tp) for e, tp in event_map.items()}
        mapped = _lookup(t, "event", {"touchpoint": dict(event_map), "stage": event_stage}, keep=False)
        return _remember(mapped, tuple(stages.items()), (t, event_stage)), unmapped.reset_index(drop=True)
    mapped = _joined(t, "event", event_map, "touchpoint", keep=False)
    if stages is not None:
        mapped = _with_stage(mapped, stages)
    return mapped, unmapped.reset_index(drop=True)


def stage_conflicts(events: Any, stages: Mapping[str, str]) -> pd.DataFrame:
    """Where the data's `stage` differs from the mapping: touchpoint, stage, mapped_stage, events, customers."""
    import pandas as pd

    t = as_table(events, "events")
    if "stage" not in t.columns or "touchpoint" not in t.columns or not stages:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c in ("events", "customers") else "str")
                             for c in CONFLICT_COLUMNS})
    t = _joined(t, "touchpoint", stages, "mapped_stage")
    bad = t.filter(t.stage.notnull() & t.mapped_stage.notnull() & (t.stage != t.mapped_stage))
    counted = bad.group_by(["touchpoint", "stage", "mapped_stage"]).agg(
        events=bad.count(), customers=bad.customer_id.nunique())
    frame = fetch(counted.order_by(["touchpoint", "stage"]))
    return frame[CONFLICT_COLUMNS].reset_index(drop=True)


def funnel(events: Any, stages: Stages = None, *, by: str | None = None) -> pd.DataFrame:
    """The ordered stage funnel of docs/design.md: reached, conversions, time between stages, drop-off.

    `stages` is the stage order (a list, for events with a `stage` column) or a touchpoint → stage
    mapping whose values, in order of first appearance, give the order.
    """
    with ExitStack() as temp:
        return _funnel(as_table(events, "events"), stages, by, temp)


def _funnel(t: ir.Table, stages: Stages, by: str | None, temp: ExitStack) -> pd.DataFrame:
    """One pass over the events gives each customer's first event per stage; most customers' anchors follow.

    A customer's anchor in stage k is their first stage-k event at or after their anchor in stage k-1.
    Where every stage's first event comes at or after the previous anchor (most customers), the anchors
    are those first events. Only customers with a stage-k event before their stage-(k-1) anchor need
    their events again, stage by stage.
    """
    import ibis

    t, order = _staged(t, stages)
    keys = ["customer_id", *([by] if by else [])]
    events, column, values = _stage_column(t, stages, order, keys)
    # Each stage's first event per customer, each a filtered minimum.
    firsts = [f"m{i}" for i in range(len(order))]
    per = events.group_by(keys).agg(**{m: events.timestamp.min(where=events[column] == v)
                                       for v, m in zip(values, firsts, strict=True)})
    reached_any = ibis.coalesce(*(per[m] for m in firsts)) if len(firsts) > 1 else per[firsts[0]]
    per = per.filter(reached_any.notnull())  # not customers with events of other stages only
    # Up to a customer's first out-of-order stage their anchors are their first events, so: a customer is
    # in order unless some stage's first event comes before the previous stage's, all stages up to it
    # reached. An in-order customer's anchor in stage k is m_k where m_0 .. m_k all exist, else none.
    reached, out_of_order = _reached_through(per, firsts), ibis.literal(False)
    for k, (previous, m) in enumerate(itertools.pairwise(firsts), start=1):
        out_of_order = out_of_order | (reached[k] & (per[m] < per[previous]))
    per = _materialized(per.mutate(__jm_late=out_of_order), temp)  # decided once, read by both filters below
    in_order = per.filter(~per.__jm_late)
    reached = _reached_through(in_order, firsts)
    anchors = {f"a{k}": ibis.ifelse(reached[k], in_order[m], ibis.null(in_order[m].type()))
               for k, m in enumerate(firsts) if k}
    wide = in_order.select(*keys, a0=in_order[firsts[0]], **anchors)
    late = _materialized(per.filter(per.__jm_late).select(*keys, a0=per[firsts[0]]), temp)
    if len(order) > 1 and fetch(late.agg(n=late.count()))["n"][0]:
        later = _stage_column(t, stages, order, keys, first=1)[0]
        wide = wide.union(_chain_slowly(later, late, keys, column, values, temp))
    frame = fetch(_stage_metrics(wide, by, len(order)))
    entered = _entered(per, firsts, by, order)
    return _funnel_table(frame, entered, by, order)


def _reached_through(per: ir.Table, firsts: list[str]) -> list[ir.BooleanValue]:
    """Per stage k: the customer has a first event in every stage 0 .. k (`per`'s columns `firsts`)."""
    reached = [per[firsts[0]].notnull()]
    for m in firsts[1:]:
        reached.append(reached[-1] & per[m].notnull())
    return reached


def _stage_column(t: ir.Table, stages: Stages, order: list[str], keys: list[str], *, first: int = 0
                  ) -> tuple[ir.Table, str, list[Any]]:
    """The events of stages `first`.. (keys, timestamp, one column) and that column's value per stage in `order`.

    map_events' output: its events joined once with raw event → stage number ("k": 0, 1, ...), cheaper
    to filter on than names; the join keeps only events of stages `first`.. (an IN filter on the names
    before it would cost DuckDB a mark join over every event). Other tables: their `stage` column and
    the names. A missing group (keys after the customer) is "".
    """
    source = _STAGED.get((t.op(), tuple(stages.items()))) if isinstance(stages, Mapping) else None
    if source is not None and set(keys) <= set(source[0].columns):
        events, event_stage = source
        number = {e: order.index(s) for e, s in event_stage.items() if s in order[first:]}
        t = _joined(events, "event", number, "k", keep=False, value_type="int64")
        column, values = "k", list(range(len(order)))
    else:
        column, values = "stage", list(order)
        t = t.filter(t.stage.isin(order[first:])) if first else t
    t = t.mutate(**{k: t[k].fill_null("") for k in keys[1:]}) if keys[1:] else t
    return t.select(*keys, "timestamp", column), column, values


def _chain_slowly(later: ir.Table, late: ir.Table, keys: list[str], column: str, values: list[Any],
                  temp: ExitStack) -> ir.Table:
    """The anchors of `late` customers (keys, a0) stage by stage from `later`, the events of stages 1..."""
    events = _materialized(later.semi_join(late, keys).select(*keys, "timestamp", column), temp)
    level = late.select(*keys, anchor=late.a0)
    wide = late
    for i in range(1, len(values)):
        step = events.filter(events[column] == values[i]).select(*keys, "timestamp")
        joined = step.join(level, keys).filter(lambda x: x.timestamp >= x.anchor)
        level = _materialized(joined.group_by(keys).agg(anchor=joined.timestamp.min()), temp)
        wide = wide.left_join(level.rename({f"a{i}": "anchor"}), keys).select(*keys, *(f"a{j}" for j in range(i + 1)))
    return wide


def _stage_metrics(wide: ir.Table, by: str | None, stages: int) -> ir.Table:
    """One row (per group): reached_k for every stage, and [median, p90] hours from the previous anchor."""
    metrics: dict[str, Any] = {"reached_0": wide.a0.count()}
    for i in range(1, stages):
        hours = (wide[f"a{i}"].epoch_seconds().cast("float64")
                 - wide[f"a{i - 1}"].epoch_seconds().cast("float64")) / 3600
        metrics |= {f"reached_{i}": wide[f"a{i}"].count(), f"hours_{i}": hours.quantile([0.5, 0.9])}
    return wide.group_by(by).agg(**metrics) if by else wide.agg(**metrics)


def _entered(per: ir.Table, firsts: list[str], by: str | None, order: list[str]) -> pd.DataFrame:
    """Customers per stage whose first event of all is in that stage (ties: the earlier stage)."""
    import ibis

    first = ibis.least(*(per[m] for m in firsts)) if len(firsts) > 1 else per[firsts[0]]
    k = ibis.cases(*((per[m] == first, i) for i, m in enumerate(firsts)))
    entry = per.mutate(k=k)
    frame = fetch(entry.group_by(["k", *([by] if by else [])]).agg(entered_here=entry.count()))
    frame["stage"] = [order[int(k)] for k in frame.pop("k")]
    return frame


def _funnel_table(frame: pd.DataFrame, entered: pd.DataFrame, by: str | None, order: list[str]) -> pd.DataFrame:
    """The wide per-group metrics as FUNNEL_COLUMNS, a row per (group and) stage, with conversions."""
    import pandas as pd

    groups = [by] if by else []
    rows = []
    for record in frame.to_dict("records"):
        for i, stage in enumerate(order):
            median, p90 = _pair(record.get(f"hours_{i}"))
            rows.append({**{g: record[g] for g in groups}, "stage": stage, "reached": record[f"reached_{i}"],
                         "median_hours": median, "p90_hours": p90})
    result = pd.DataFrame(rows, columns=[*groups, "stage", "reached", "median_hours", "p90_hours"])
    if by:
        # Every group gets every stage, with 0 where nobody reached it.
        groups_seen = sorted(set(result[by]) | set(entered[by]))
        full = pd.MultiIndex.from_product([groups_seen, order], names=[by, "stage"])
        result = result.set_index([by, "stage"]).reindex(full).reset_index()
    result["reached"] = result["reached"].fillna(0).astype("int64")
    result = result.merge(entered, on=[*groups, "stage"], how="left")
    result["entered_here"] = result["entered_here"].fillna(0).astype("int64")
    result["stage_index"] = result["stage"].map({s: i for i, s in enumerate(order)})
    result = result.sort_values([*groups, "stage_index"], kind="stable").reset_index(drop=True)
    grouped = result.groupby(groups, sort=False)["reached"] if by else None
    previous = grouped.shift(1) if by else result["reached"].shift(1)
    first = grouped.transform("first") if by else pd.Series(result["reached"].iloc[0], index=result.index)
    following = grouped.shift(-1) if by else result["reached"].shift(-1)
    result["conversion_from_previous"] = (result["reached"] / previous).where(previous > 0)
    result["conversion_from_first"] = (result["reached"] / first).where(first > 0)
    result["dropped"] = (result["reached"] - following).astype("Int64")
    for col in ("median_hours", "p90_hours"):
        result[col] = pd.to_numeric(result[col], errors="coerce").astype("float64")
    return result[[*groups, *FUNNEL_COLUMNS]]


def _pair(quantiles: Any) -> tuple[Any, Any]:
    """(median, p90) from a fetched [0.5, 0.9] quantile list; (None, None) where there was nothing to measure."""
    if quantiles is None or len(quantiles) == 0:
        return None, None
    return quantiles[0], quantiles[1]


def touchpoints(events: Any, stages: Stages = None) -> pd.DataFrame:
    """Per touchpoint: events, unique customers, share of all customers, and drop-off after it.

    `stage` is the touchpoint's stage in the data (the earliest in stage order if its events carry
    several), else from the mapping, else "". `dropoff_after` is the share of its customers whose
    last touchpoint it is (ties ordered as in the module docstring).
    """
    import pandas as pd

    t = as_table(events, "events")
    if isinstance(stages, Mapping):
        t = _with_stage(t, stages)
    # Events per touchpoint (and stage): a scan into a few groups, which also names the touchpoints.
    keys = ["touchpoint", *(["stage"] if "stage" in t.columns else [])]
    counted = fetch(t.group_by(keys).agg(events=t.count(), first=t.timestamp.min(), last=t.timestamp.max()))
    known = counted["touchpoint"].notna()
    names = sorted(set(counted.loc[known, "touchpoint"]))
    span = (counted["first"].min(), counted["last"].max()) if len(counted) else None
    customers, ended, total = _reach(t, stages, names, missing=not known.all(), span=span)
    frame = counted.assign(touchpoint=counted["touchpoint"].astype(object).where(known, None))
    frame = frame.groupby("touchpoint", dropna=False, sort=False, as_index=False)["events"].sum()
    frame["customers"] = [customers[tp] for tp in frame["touchpoint"]]
    frame["share_of_customers"] = frame["customers"] / total
    frame["dropoff_after"] = [ended.get(tp, 0) / customers[tp] for tp in frame["touchpoint"]]
    frame.insert(1, "stage", frame["touchpoint"].map(_touchpoint_stage(counted, stages)).fillna(""))
    frame = frame.sort_values(["customers", "touchpoint"], ascending=[False, True], kind="stable", na_position="last")
    frame["events"] = frame["events"].astype("int64")
    frame["customers"] = frame["customers"].astype("int64")
    columns = ["touchpoint", "stage", "events", "customers", "share_of_customers", "dropoff_after"]
    return pd.DataFrame(frame[columns].reset_index(drop=True))


SEEN_PER_PASS = 64  # touchpoints counted per scan of the events (one aggregate state per customer each)
_KEY_BITS = 62  # of a non-negative int64 key, one bit to spare


def _reach(t: ir.Table, stages: Stages, names: list[str], *, missing: bool, span: tuple[Any, Any] | None
           ) -> tuple[dict[Any, int], dict[str, int], int]:
    """Customers per touchpoint, customers whose last touchpoint it is, and all customers.

    One aggregate per customer: whether they had each touchpoint, and their latest event as the maximum
    of (timestamp, has a touchpoint, stage order, touchpoint), so ties are ordered as `_collapsed`
    orders them. No count(DISTINCT) per touchpoint and no window: at 100 M events those held every
    (touchpoint, customer) pair. `missing`: also count customers with events without a touchpoint (key None).
    `span`: the events' first and last timestamp.
    """
    keyed, latest, last_index = _latest_key(t, stages, names, span)
    customers: dict[Any, int] = {}
    ended: dict[str, int] = {}
    total = 0
    counted: list[str | None] = [*names, *([None] if missing else [])]  # None: events without a touchpoint
    for start in range(0, max(len(counted), 1), SEEN_PER_PASS):
        first = start == 0
        e = keyed if first else t  # later passes need no latest-event key, nor the join that numbers touchpoints
        chunk = counted[start:start + SEEN_PER_PASS]
        seen = {f"s{i}": (e.touchpoint.isnull() if name is None else e.touchpoint == name).any()
                for i, name in enumerate(chunk)}
        per = e.group_by("customer_id").agg(**seen, **({"__jm_latest": latest.max()} if first else {}))
        sums = {f"c{i}": per.count(where=per[f"s{i}"]) for i in range(len(chunk))}
        if first:
            last = last_index(per.__jm_latest)
            sums |= {"total": per.count(), **{f"e{i}": per.count(where=last == i + 1) for i in range(len(names))}}
        row = fetch(per.agg(**sums)).iloc[0]
        customers |= {name: int(row[f"c{i}"]) for i, name in enumerate(chunk)}
        if first:
            total = int(row["total"])
            ended = {name: int(row[f"e{i}"]) for i, name in enumerate(names)}
    return customers, ended, total


def _latest_key(t: ir.Table, stages: Stages, names: list[str], span: tuple[Any, Any] | None
                ) -> tuple[ir.Table, ir.Value, Any]:
    """A sortable key per event whose maximum is a customer's latest event, and how to read back its touchpoint.

    The key orders (timestamp, has a touchpoint, stage order, touchpoint) and is an integer when it
    fits in 63 bits (microseconds since the first event, shifted left past the tie-breakers), so the
    per-customer maximum is a fixed-size aggregate state. A struct would do the same, but DuckDB keeps
    a struct's maximum as a sort key outside its memory limit: 6.5 GB at 100 M events. The touchpoint
    comes back as its place in `names` plus one (0: no touchpoint).
    """
    import ibis
    import pandas as pd

    t, ranked = _ranked(t, stages)
    rank = t.__jm_rank if ranked else ibis.literal(0, "int64")
    t = _joined(t, "touchpoint", {name: i + 1 for i, name in enumerate(names)}, "__jm_tp", value_type="int64")
    index = t.__jm_tp.fill_null(0)
    tp_bits = len(names).bit_length()
    rank_bits = (len(_order(stages)) + 1).bit_length() if ranked else 0
    low_bits = 1 + rank_bits + tp_bits
    start, end = span if span is not None and not pd.isna(span[0]) else (None, None)
    if start is None or (end - start) // timedelta(microseconds=1) < 2 ** (_KEY_BITS - low_bits):
        key = ((index > 0).cast("int64") * 2 ** rank_bits + rank) * 2 ** tp_bits + index
        if start is not None:
            since = t.timestamp.delta(ibis.literal(start).cast(t.timestamp.type()), unit="microsecond")
            key = since * 2 ** low_bits + key
        return t, key, lambda latest: latest % 2 ** tp_bits
    # Events spread over more than ~70 years (or thousands of touchpoints): the struct, memory or not.
    key = ibis.struct({"timestamp": t.timestamp, "known": index > 0, "rank": rank, "index": index})
    return t, key, lambda latest: latest["index"]


def paths(events: Any, top: int = 10, *, stages: Stages = None) -> pd.DataFrame:
    """The `top` most frequent touchpoint sequences (consecutive repeats collapsed), joined by ' → '.

    `share` is of all customers; ties in customers are ranked by the path text. `stages` (the
    funnel's) only orders events at the same timestamp.
    """
    with ExitStack() as temp:
        return _paths(as_table(events, "events"), top, stages, temp)


def _paths(t: ir.Table, top: int, stages: Stages, temp: ExitStack) -> pd.DataFrame:
    """Each customer's path as a list of small touchpoint numbers (1 + place in sorted names; 0 for none).

    Numbers, not names: every customer's list is held at once (at 100 M events, names did not fit in
    DuckDB's memory). The names come back only for the few paths shown.
    """
    import ibis
    import pandas as pd

    names = _touchpoint_names(t)
    counts = []
    for part in _customer_parts(t):  # a customer's path is all in one part
        steps = _collapsed(part, stages, names)
        # An ordered collect is not portable (PySpark has none): collect (position, touchpoint) pairs, sort them.
        pairs = ibis.struct({"position": steps.position.cast("int32"), "touchpoint": steps.tp.fill_null(0)})
        per_customer = steps.group_by("customer_id").agg(path=pairs.collect(), steps=steps.count())
        per_customer = per_customer.mutate(path=per_customer.path.sort().map(lambda pair: pair.touchpoint))
        counts.append(_materialized(per_customer.group_by(["path", "steps"]).agg(customers=per_customer.count()),
                                    temp))
    counted = counts[0]
    if len(counts) > 1:
        together = ibis.union(*counts)
        counted = _materialized(together.group_by(["path", "steps"]).agg(customers=together.customers.sum()), temp)
    total = int(fetch(counted.agg(n=counted.customers.sum()))["n"].fillna(0).iloc[0])
    # The top rows by customers, with every path tied with the last of them: ties are ranked by text here.
    first = fetch(counted.select("customers").order_by(_desc("customers")).limit(top))["customers"]
    shown = counted.filter(counted.customers >= int(first.iloc[-1])) if len(first) == top and top else counted
    frame = fetch(shown) if top else fetch(counted.limit(0))
    frame["path"] = [ARROW.join(names[i - 1] for i in path if i) for path in frame["path"]]
    frame["share"] = frame["customers"] / total if total else frame["customers"].astype("float64")
    frame = frame.sort_values(["customers", "path"], ascending=[False, True], kind="stable").head(top)
    return pd.DataFrame(frame[["path", "steps", "customers", "share"]].reset_index(drop=True))


def transitions(events: Any, *, stages: Stages = None) -> pd.DataFrame:
    """The directly-follows graph: how often one touchpoint is followed by another (repeats collapsed).

    `count` counts every occurrence, `customers` the customers with it at least once, `share_of_source`
    is `count` over all transitions out of `source`. `stages` only orders same-timestamp events.
    """
    import pandas as pd

    t = as_table(events, "events")
    names = _touchpoint_names(t)
    frames = []
    for part in _customer_parts(t):  # a customer's pairs are all in one part
        steps = _collapsed(part, stages, names)
        pairs = steps.filter(steps.previous.notnull())
        frames.append(fetch(pairs.group_by([pairs.previous.name("source"), pairs.tp.name("target")]).agg(
            count=pairs.count(), customers=pairs.customer_id.nunique())))
    frame = frames[0] if len(frames) == 1 else pd.concat(frames).groupby(["source", "target"], as_index=False).sum()
    for end in ("source", "target"):  # back from numbers to names; both ends have one (`_collapsed` drops the rest)
        frame[end] = [names[int(i) - 1] for i in frame[end]]
    frame = frame.sort_values(["count", "source", "target"], ascending=[False, True, True], kind="stable")
    frame["share_of_source"] = frame["count"] / frame.groupby("source")["count"].transform("sum")
    return frame[["source", "target", "count", "customers", "share_of_source"]].reset_index(drop=True)


# --- helpers ---------------------------------------------------------------------------------------


def _staged(t: ir.Table, stages: Stages) -> tuple[ir.Table, list[str]]:
    """The events with a `stage` column, and the stage order."""
    if isinstance(stages, Mapping):
        if "stage" not in t.columns and "touchpoint" not in t.columns:
            raise JmapkitError("the events have neither 'stage' nor 'touchpoint'.", where="events",
                               fix="add a touchpoint column, or map raw events in step 3.")
        return _with_stage(t, stages), _order(stages)
    if "stage" not in t.columns:
        raise JmapkitError("the events have no 'stage' column.", where="events",
                           fix="pass stages as a touchpoint → stage mapping (e.g. from step 3).")
    if not stages:
        raise JmapkitError("the funnel needs the stage order.", where="funnel",
                           fix="pass stages=[first, second, ...] (the order of step 3).")
    return t, list(stages)


def _order(stages: Stages) -> list[str]:
    """The stage order: a list as given, a mapping's values in order of first appearance."""
    if isinstance(stages, Mapping):
        return list(dict.fromkeys(stages.values()))
    return list(stages or [])


def _with_stage(t: ir.Table, stages: Mapping[str, str]) -> ir.Table:
    """`stage` from the data where it has one, else from the mapping; conflicts are warned about."""
    mapping = tuple(stages.items())
    if (t.op(), mapping) in _STAGED:  # e.g. map_events' output: resolved and checked already
        return t
    if "stage" not in t.columns:
        return _remember(_joined(t, "touchpoint", stages, "stage"), mapping)
    if "touchpoint" not in t.columns:
        return t
    conflicts = stage_conflicts(t, stages)
    if len(conflicts):
        listed = "; ".join(f"{r.touchpoint} ({r.stage!r} in the data, {r.mapped_stage!r} in the mapping, "
                           f"{r.events} event{'s' if r.events != 1 else ''})" for r in conflicts.itertuples())
        warnings.warn(f"events: the 'stage' column disagrees with the touchpoint → stage mapping for {listed}; "
                      f"the data's stage is used. Fix: correct the stage column, or the touchpoint's stage in "
                      f"step 3.", StageConflictWarning, stacklevel=3)
    t = _joined(t, "touchpoint", stages, "__jm_mapped")
    return _remember(t.mutate(stage=t.stage.fill_null(t.__jm_mapped)).drop("__jm_mapped"), mapping)


# Tables whose stage _with_stage already resolved for a mapping, so that funnel, touchpoints, ... on
# map_events' output do not scan the events again for conflicts. Ibis expressions are immutable and
# hash by structure; a few recent ones are enough.
# map_events' output also remembers the events it mapped and each raw event's stage, so the funnel can
# number the stages in the same single join.
_STAGED: dict[tuple[Any, tuple[tuple[str, str], ...]], tuple[ir.Table, dict[str, str | None]] | None] = {}


def _remember(t: ir.Table, mapping: tuple[tuple[str, str], ...],
              source: tuple[ir.Table, dict[str, str | None]] | None = None) -> ir.Table:
    _STAGED[(t.op(), mapping)] = source
    while len(_STAGED) > 64:
        del _STAGED[next(iter(_STAGED))]
    return t


def _touchpoint_stage(counted: pd.DataFrame, stages: Stages) -> dict[str, str]:
    """Each touchpoint's stage as the (staged) events carry it (`counted`: touchpoint, stage rows); the
    earliest in stage order if several."""
    if "stage" not in counted.columns:
        return {}
    pairs = counted.loc[counted["stage"].notna() & counted["touchpoint"].notna(), ["touchpoint", "stage"]]
    rank = {s: i for i, s in enumerate(_order(stages))}
    pairs = pairs.assign(rank=pairs["stage"].map(rank).fillna(len(rank)))
    pairs = pairs.sort_values(["touchpoint", "rank", "stage"], kind="stable").drop_duplicates("touchpoint")
    return dict(zip(pairs["touchpoint"], pairs["stage"], strict=True))


def _ranked(t: ir.Table, stages: Stages = None) -> tuple[ir.Table, bool]:
    """`t` with `__jm_rank`, the stage's place in the order for ties (last if unknown), if stages are known."""
    order = {s: i for i, s in enumerate(_order(stages))}
    ranked = bool(order) and "stage" in t.columns
    if ranked:
        t = _joined(t, "stage", order, "__jm_rank", value_type="int64")
    if isinstance(stages, Mapping):  # the data's stage first, as in the funnel
        t = _joined(t, "touchpoint", {tp: order[s] for tp, s in stages.items()}, "__jm_mapped_rank",
                    value_type="int64")
        t = t.mutate(__jm_rank=t.__jm_rank.fill_null(t.__jm_mapped_rank) if ranked else t.__jm_mapped_rank)
        t = t.drop("__jm_mapped_rank")
        ranked = True
    if ranked:
        t = t.mutate(__jm_rank=t.__jm_rank.fill_null(len(order)))
    return t, ranked


WINDOW_ROWS = 16_000_000  # events per window over customers' sequences on DuckDB; more are split by customer


def _customer_parts(t: ir.Table) -> list[ir.Table]:
    """`t` split by customer into parts of about WINDOW_ROWS events, for a window over each customer's events.

    DuckDB's window over all events ran out of its memory limit at 100 M events, even allowed to
    reorder. Every customer's events fall in one part (by a hash of the id), so results per customer are
    exact and counts add up; each part costs a scan. Other backends get `t` whole.
    """
    if _duckdb(t) is None:
        return [t]
    rows = int(fetch(t.agg(n=t.count()))["n"].iloc[0])
    parts = -(-rows // WINDOW_ROWS)
    if parts <= 1:
        return [t]
    bucket = (t.customer_id.hash() % parts + parts) % parts  # ibis reads DuckDB's unsigned hash as signed
    return [t.filter(bucket == i) for i in range(parts)]


def _touchpoint_names(t: ir.Table) -> list[str]:
    """The events' touchpoints, sorted: touchpoint number i is names[i - 1]."""
    import pandas as pd

    return sorted(x for x in fetch(t.select("touchpoint").distinct())["touchpoint"] if pd.notna(x))


def _collapsed(t: ir.Table, stages: Stages, names: list[str]) -> ir.Table:
    """Each customer's touchpoints in order, consecutive repeats removed: customer_id, tp, position, previous.

    `tp` and `previous` are touchpoint numbers (1 + place in `names`; NULL for an event without a
    touchpoint): sorted names number in the same order, and the window's sort holds a small integer
    per event instead of two strings (paths' and transitions' peak memory). Events are ordered by
    timestamp, stage order, touchpoint id. `previous` is the touchpoint before, in the collapsed
    sequence too: an event kept is the first of a run, so the event before it ended the previous run.
    One window over all events, for paths and transitions alike.
    """
    import ibis

    t, ranked = _ranked(t, stages)
    t = _joined(t, "touchpoint", {n: i + 1 for i, n in enumerate(names)}, "__jm_tp", value_type="int32")
    window = ibis.window(group_by="customer_id",
                         order_by=[t.timestamp, *([t.__jm_rank] if ranked else []), t.__jm_tp])
    # The window values are columns first, then filtered on: PySpark cannot filter on a window expression.
    ordered = t.select("customer_id", tp=t.__jm_tp, position=ibis.row_number().over(window),
                       previous=t.__jm_tp.lag().over(window))
    return ordered.filter(ordered.previous.isnull() | (ordered.previous != ordered.tp))


def _joined(t: ir.Table, column: str, mapping: Mapping[Any, Any], name: str, *, keep: bool = True,
            value_type: str = "string") -> ir.Table:
    """`t` with `name` = mapping[t[column]]: NULL where the value is not a key (`keep`), else those rows dropped."""
    return _lookup(t, column, {name: mapping}, keep=keep, value_type=value_type)


def _lookup(t: ir.Table, column: str, mappings: Mapping[str, Mapping[Any, Any]], *, keep: bool = True,
            value_type: str = "string") -> ir.Table:
    """`t` with a column per entry of `mappings` (name → {key: value}, all with the same keys), looked up by `column`.

    A join with the mappings as one small table, not CASE WHEN: DuckDB probes a hash table of a few keys
    about twice as fast as it tests a value against every branch, and it filters the scan with the keys.
    """
    import ibis

    keys = list(next(iter(mappings.values())))
    small = ibis.memtable({"__jm_key": keys, **{name: [m[k] for k in keys] for name, m in mappings.items()}},
                          schema={"__jm_key": t[column].type(), **dict.fromkeys(mappings, value_type)})
    joined = (t.left_join if keep else t.join)(small, t[column] == small.__jm_key)
    return joined.select(*t.columns, *mappings)


def _materialized(expr: ir.Table, temp: ExitStack) -> ir.Table:
    """On DuckDB, a temp table holding `expr`, dropped when `temp` closes; elsewhere `expr` itself.

    Each funnel stage joins the previous stage's anchors: without materialising them every stage would
    recompute the whole chain. (ibis' own .cache() cannot drop its tables on DuckDB 1.4 with ibis 12.)
    """
    import uuid

    con = _duckdb(expr)
    if con is None:
        return expr
    name = f"jmapkit_{uuid.uuid4().hex[:12]}"
    table = con.create_table(name, expr, temp=True)
    temp.callback(con.raw_sql, f'DROP TABLE IF EXISTS "{name}"')
    return table


def _duckdb(expr: ir.Table) -> Any:
    """The DuckDB backend `expr` runs on, or None on any other backend."""
    con = expr._find_backend(use_default=True)
    return con if getattr(con, "name", "") == "duckdb" else None


def _desc(column: str) -> Any:
    import ibis

    return ibis.desc(column)
