"""All five steps of one workshop in one typed bundle: what the map, `check` and every export read.

A step that has not been saved yet is its empty model, so readers never test for None; `saved` says
which records exist on disk when that matters (e.g. "step 4 has not been run").

>>> from jmapkit.bundle import Bundle
>>> b = Bundle.load(ws)  # doctest: +SKIP
>>> b.map.ranked(b.touchpoints)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from jmapkit.model import RECORDS, Behaviour, BehaviourResults, Goals, Map, Personas, Touchpoints, step_info
from jmapkit.safe import restored

if TYPE_CHECKING:
    import pandas as pd

    from jmapkit.store import Workshop

# The step-4 CSVs, with the columns the charts and exports read from them.
TABLES: dict[str, tuple[str, ...]] = {
    "funnel": ("stage", "reached", "conversion_from_previous", "conversion_from_first", "median_hours", "p90_hours"),
    "scores": ("group_by", "group", "metric", "n", "value", "ci_low", "ci_high"),
    "emotion": ("touchpoint", "team", "voted", "measured"),
    "touchpoints": ("touchpoint", "stage", "customers"),
    "transitions": ("source", "target", "count"),
    "paths": ("path", "customers"),
    "sentiment": ("touchpoint", "n", "mean"),
    "themes": ("group_by", "group", "theme", "label", "n", "share", "mean", "ci_low", "ci_high"),
}
# Which input file each table is computed from, to say why a table is missing.
NEEDS = {"funnel": "events", "touchpoints": "events", "transitions": "events", "paths": "events",
         "scores": "survey", "sentiment": "verbatims", "themes": "verbatims"}


@dataclass
class Bundle:
    """The saved steps of one workshop (empty models where not saved yet) and its step-4 tables."""

    name: str = ""
    language: str = "en"
    goals: Goals = field(default_factory=Goals)
    personas: Personas = field(default_factory=Personas)
    touchpoints: Touchpoints = field(default_factory=Touchpoints)
    behaviour: Behaviour = field(default_factory=Behaviour)
    results: BehaviourResults = field(default_factory=BehaviourResults)
    map: Map = field(default_factory=Map)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    missing_tables: dict[str, str] = field(default_factory=dict)  # table name → why it is not there
    saved: frozenset[str] = frozenset()  # keys of the records found on disk

    @classmethod
    def load(cls, ws: Workshop) -> Bundle:
        """Every saved record of a workshop and the step-4 CSVs the results name."""
        meta = ws.meta
        models = {info.key: ws.load(info.model) for info in RECORDS if ws.has(info.key)}
        found = cls.of(models.values(), name=meta.name, language=meta.language)
        found.tables, found.missing_tables = load_tables(ws, found.results)
        found.saved = frozenset(models)
        return found

    @classmethod
    def of(cls, models: Iterable[Any] | Mapping[Any, Any], *, name: str = "", language: str = "en",
           tables: Mapping[str, pd.DataFrame] | None = None) -> Bundle:
        """A bundle from models in memory (any subset, any order) and optional step-4 tables."""
        values = list(models.values() if isinstance(models, Mapping) else models)
        found = cls(name=name, language=language)
        for model in values:
            setattr(found, _ATTR[step_info(model).key], model)
        found.saved = frozenset(step_info(m).key for m in values)
        found.tables = dict(tables or {})
        found.missing_tables = {t: why_missing(t, found.results, None) for t in TABLES if t not in found.tables}
        return found

    @property
    def computed(self) -> bool:
        """Whether step 4 has read any data file yet."""
        return bool(self.results.inputs)


def as_bundle(source: Workshop | Bundle | Mapping[Any, Any] | Iterable[Any]) -> Bundle:
    """A Bundle from a Workshop, a Bundle, or models (with an optional {name: DataFrame} of tables among them)."""
    from jmapkit.store import Workshop

    if isinstance(source, Bundle):
        return source
    if isinstance(source, Workshop):
        return Bundle.load(source)
    values = list(source.values() if isinstance(source, Mapping) else source)
    tables: dict[str, pd.DataFrame] = {}
    models = []
    for value in values:
        if isinstance(value, Mapping):
            tables.update(value)
        else:
            models.append(value)
    return Bundle.of(models, tables=tables)


def load_tables(ws: Workshop, results: BehaviourResults) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """The step-4 CSVs that exist, and for each known table that does not, the reason."""
    import pandas as pd

    tables: dict[str, pd.DataFrame] = {}
    missing: dict[str, str] = {}
    named = dict(results.tables)
    folder = ws.tables_dir(4)
    for name in sorted(set(TABLES) | set(named)):
        path = ws.resolve(named[name]) if name in named else folder / f"{name}.csv"
        if path.is_file():
            tables[name] = restored(pd.read_csv(path, keep_default_na=True))  # the text step 4 wrote (jmapkit.safe)
        elif name in TABLES:
            missing[name] = why_missing(name, results, ws.relative(path))
    return tables, missing


def why_missing(name: str, results: BehaviourResults, path: Any) -> str:
    """Why a step-4 table is not there, in words for a slide or a notebook."""
    if not results.inputs:
        return "step 4 has not been run on data yet"
    needs = NEEDS.get(name)
    if needs and needs not in results.inputs:
        return f"no {needs} file was chosen in step 4"
    return f"step 4 wrote no {path}" if path else "not computed"


_ATTR = {"goals": "goals", "personas": "personas", "touchpoints": "touchpoints", "behaviour": "behaviour",
         "behaviour-results": "results", "map": "map"}
