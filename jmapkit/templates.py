"""Workshop templates: example maps that teach, each checked against the step models before use.

A template is a folder under templates/ with a template.yaml and, optionally, example data files in
data/. Next to the five steps' example content, a template carries what a facilitator needs and the
step models do not hold: a one-line description, notes per step, and a KPI library per stage with a
definition of each KPI. docs/templates.md describes the format.

>>> from jmapkit import templates
>>> [name for name, _ in templates.catalogue()]  # doctest: +SKIP
['default', 'ecommerce', 'public-service', 'restaurant', 'saas-onboarding']
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from jmapkit import resources
from jmapkit.errors import JmapkitError, TemplateInvalid, TemplateNotFound
from jmapkit.model import LANGUAGES, STEPS, Language, Source

StepKey = str


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class KpiIdea(_Strict):
    """One KPI a team may pick for a stage: what it measures and where step 4 computes it."""

    name: str = Field(min_length=1)
    definition: str = Field(min_length=1)
    unit: str = ""
    data_source: str = ""  # events, survey, verbatims, or a survey metric (nps, csat, ces, …)


class Template(_Strict):
    """template.yaml: the example map, its description, facilitator notes and KPI library."""

    name: str = Field(min_length=1)
    description: str = Field(min_length=1, max_length=160)  # one line for `jmapkit templates`
    language: Language = "en"
    steps: dict[StepKey, dict[str, Any]] = {}
    notes: dict[StepKey, str] = {}  # step key → what the facilitator says and asks in that step
    kpi_library: dict[str, list[KpiIdea]] = {}  # stage id → KPIs to choose from


def localize(value: Any, language: str) -> Any:
    """Template text in one language: every `{en: ..., de: ..., ko: ..., ja: ...}` becomes that language's text.

    Templates keep their four languages side by side in one file, so a change to one language shows next
    to the others; a text without a translation falls back to English, and plain text is the same in all.
    """
    if isinstance(value, dict):
        if value and "en" in value and set(value) <= set(LANGUAGES):
            return value.get(language) or value["en"]
        return {k: localize(v, language) for k, v in value.items()}
    if isinstance(value, list):
        return [localize(v, language) for v in value]
    return value


def load(name: str, language: str = "en") -> Template:
    """The named template in one language, validated: every step against its model, notes and KPIs against step 3."""
    import yaml

    known = resources.template_names()
    if name not in known:
        raise TemplateNotFound(f"unknown template {name!r}.", fix=f"use one of: {', '.join(known)}.")
    path = resources.templates_dir() / name / "template.yaml"
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise TemplateInvalid(f"not valid YAML ({getattr(exc, 'problem', exc)}).", where=where,
                              fix="correct the YAML syntax at that line (indentation, quotes, colons).") from None
    problems: list[str] = []
    try:
        spec = Template.model_validate(localize(raw, language))
    except ValidationError as exc:
        raise TemplateInvalid(_problems(exc.errors()), where=str(path), fix=_FIX) from None
    models: dict[str, Any] = {}
    for key, content in spec.steps.items():
        info = next((i for i in STEPS if i.key == key), None)
        if info is None:
            problems.append(f"steps.{key}: not a step (steps are {', '.join(i.key for i in STEPS)})")
            continue
        try:
            models[key] = step_model(info.key, content)
        except ValidationError as exc:
            problems.append(_problems(exc.errors(), prefix=f"steps.{key}", count=False))
    problems += [f"notes.{key}: not a step (steps are {', '.join(i.key for i in STEPS)})"
                 for key in spec.notes if key not in {i.key for i in STEPS}]
    stages = {s.id for s in models["touchpoints"].stages} if "touchpoints" in models else set()
    problems += [f"kpi_library.{stage}: not a stage of steps.touchpoints (stages are {', '.join(sorted(stages))})"
                 for stage in spec.kpi_library if stage not in stages]
    if problems:
        count = len(problems)
        raise TemplateInvalid(f"{count} problem{'s' if count != 1 else ''}: " + "; ".join(problems),
                              where=str(path), fix=_FIX)
    return spec


def step_model(key: str, content: dict[str, Any]) -> Any:
    """A step's template content as its model, every record marked `template` (pre-filled, not yet reviewed).

    An empty step (the template has nothing for it) is the empty model, with nothing to review.
    """
    info = next(i for i in STEPS if i.key == key)
    data = _as_template(content)
    if content and "source" in info.model.model_fields:
        data.setdefault("source", Source(kind="template").model_dump())
    return info.model.model_validate(data)


def catalogue() -> list[tuple[str, str]]:
    """(name, one-line description) of every template; a broken one says so instead of hiding the others."""
    out = []
    for name in resources.template_names():
        try:
            out.append((name, load(name).description))
        except JmapkitError as exc:
            out.append((name, f"(broken: {exc.what})"))
    return out


def with_data() -> list[str]:
    """The templates that ship example data files, so `jmapkit demo --template NAME` can run them."""
    return [name for name in resources.template_names()
            if (resources.templates_dir() / name / "data").is_dir()
            and any((resources.templates_dir() / name / "data").iterdir())]


def notes(template: str, step: int | str, language: str = "en") -> str:
    """The facilitator's notes for one step of a template ('' when it has none)."""
    from jmapkit.model import step_info

    return load(template, language).notes.get(step_info(step).key, "")


def kpi_library(template: str, stage: str | None = None, language: str = "en") -> list[KpiIdea]:
    """The template's KPI ideas for one stage, or for all stages in step-3 order."""
    spec = load(template, language)
    if stage is not None:
        return list(spec.kpi_library.get(stage, []))
    return [kpi for ideas in spec.kpi_library.values() for kpi in ideas]


_FIX = "correct the field named in template.yaml (docs/templates.md describes the format)."


def _problems(errors: list[Any], *, prefix: str = "", count: bool = True) -> str:
    found = []
    for err in errors:
        loc = ".".join(str(p) for p in (prefix, *err["loc"]) if p != "") or "(top level)"
        found.append(f"{loc}: {err['msg']}" + (f" (got {err['input']!r})" if err["type"] != "missing" else ""))
    if not count:
        return "; ".join(found)
    return f"{len(found)} problem{'s' if len(found) != 1 else ''}: " + "; ".join(found)


def _as_template(value: Any) -> Any:
    """Mark every sourced record of a template as `template` (pre-filled, not yet reviewed)."""
    if isinstance(value, dict):
        return {k: _as_template(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mark(v) if isinstance(v, dict) else v for v in value]
    return value


def _mark(record: dict[str, Any]) -> dict[str, Any]:
    marked = _as_template(record)
    marked.setdefault("source", Source(kind="template").model_dump())
    return marked
