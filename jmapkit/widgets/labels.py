"""Words the forms show: field labels, record names with their plurals, and plain-language messages.

Validation errors come from pydantic in a developer's words ("String should have at least 1
character"); a facilitator reads "Persona 3: a name is needed" at the field instead.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from jmapkit.i18n import N_, _

# Field name → label shown next to the widget (all words here are shown through _()).
FIELD_LABELS: dict[str, str] = {
    "scope": N_("Scope"),
    "customer_goal": N_("Customer goal"),
    "business_objectives": N_("Business objectives"),
    "time_period": N_("Time period"),
    "success_metrics": N_("Success metrics"),
    "out_of_scope": N_("Out of scope"),
    "refresh": N_("Refresh the map"),
    "name": N_("Name"),
    "role": N_("Role or segment"),
    "segment": N_("Data segment"),
    "goals": N_("Goals"),
    "needs": N_("Needs"),
    "frustrations": N_("Frustrations"),
    "quote": N_("Quote"),
    "evidence": N_("Evidence"),
    "id": N_("Id (used in data files)"),
    "actions": N_("Customer actions"),
    "stage": N_("Stage"),
    "channel": N_("Channel"),
    "layer": N_("Front- or backstage"),
    "owner": N_("Owner"),
    "handoff": N_("Handoff between teams"),
    "moment_of_truth": N_("Moment of truth"),
    "event_map": N_("Raw events → touchpoint"),
    "touchpoint": N_("Touchpoint"),
    "description": N_("Description"),
    "severity": N_("Severity (1–5)"),
    "frequency": N_("Frequency (1–5)"),
    "fix": N_("Candidate fix"),
    "baseline": N_("Baseline"),
    "target": N_("Target"),
    "unit": N_("Unit"),
    "data_source": N_("Data source"),
}
# List field → (heading, one item): "Add opportunity", never "Add opportunitie".
LIST_LABELS: dict[str, tuple[str, str]] = {
    "personas": (N_("Personas"), N_("persona")),
    "stages": (N_("Stages"), N_("stage")),
    "touchpoints": (N_("Touchpoints"), N_("touchpoint")),
    "pain_points": (N_("Pain points"), N_("pain point")),
    "opportunities": (N_("Opportunities"), N_("opportunity")),
    "kpis": (N_("KPIs"), N_("KPI")),
}
PLACEHOLDERS: dict[str, str] = {
    "customer_goal": N_("What does the customer want to get done? e.g. a good lunch in under 30 minutes"),
    "time_period": N_("e.g. 2026 Q4"),
    "event_map": N_("raw event name = touchpoint id, one per line"),
}


def field_label(name: str) -> str:
    return _(FIELD_LABELS.get(name, name.replace("_", " ").capitalize()))


def list_labels(name: str) -> tuple[str, str]:
    heading, item = LIST_LABELS.get(name, (name.replace("_", " ").capitalize(), name.rstrip("s")))
    return _(heading), _(item)


def record_label(item: str, index: int) -> str:
    """'Persona 3', 'Pain point 1': how a message names the record it is about (1-based)."""
    return f"{item[:1].upper()}{item[1:]} {index + 1}"


def plain_message(error: dict[str, Any], field: str) -> str:
    """One pydantic error in a facilitator's words (without the record's name)."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    label = field_label(field).split(" (")[0].lower()
    value = error.get("input")
    if kind in ("missing", "string_too_short"):
        return _("a {field} is needed").format(field=label)
    if kind == "string_too_long":
        return _("{field} is too long ({n} characters; at most {max})").format(
            field=label.capitalize(), n=f"{len(str(value)):,}", max=ctx.get("max_length"))
    if kind in ("float_parsing", "int_parsing", "float_type", "int_type", "int_from_float"):
        from jmapkit.numbers import typed

        return _("“{value}” is not a number: type digits only, e.g. {example}").format(value=_short(value),
                                                                                    example=typed(14.5))
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return _("{field} must be within the allowed range").format(field=label.capitalize())
    if kind == "string_pattern_mismatch":
        return _("{field} may not contain spaces or slashes").format(field=label.capitalize())
    if kind == "literal_error":
        return _("choose one of: {allowed}").format(allowed=ctx.get("expected", ""))
    return f"{label}: {error.get('msg', '')}"


def slug(text: str, taken: Iterable[str] = ()) -> str:
    """An id made from a name (lowercase letters, digits and '_'), unique among `taken`."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")[:40]
    if not base:  # names in Korean or Japanese: keep their letters, the id only has to be unique
        base = re.sub(r"[\s/\\]+", "_", text.strip())[:40] or "item"
    taken = set(taken)
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}_{n}", n + 1
    return candidate


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 40 else text[:39] + "…"


# Literal field → value → label in the dropdown.
CHOICE_LABELS: dict[str, dict[str, str]] = {
    "scope": {"journey": N_("Customer journey map: one persona, one product, in depth"),
              "experience": N_("Customer experience map: the whole brand, across channels")},
    "layer": {"frontstage": N_("Frontstage: the customer sees it"), "backstage": N_("Backstage: behind the scenes")},
    "refresh": {"monthly": N_("Monthly"), "quarterly": N_("Quarterly"), "half-yearly": N_("Every six months"),
                "yearly": N_("Yearly")},
}
NOT_SET = "–"


def choice_label(field: str, value: Any) -> str:
    if value is None:
        return NOT_SET
    return _(CHOICE_LABELS.get(field, {}).get(value, str(value)))


def describe_path(path: tuple[str | int, ...]) -> str:
    """('personas', 2, 'name') → 'Persona 3 · name': where a conflict is, in the form's words."""
    parts: list[str] = []
    item = ""
    for part in path:
        if isinstance(part, int):
            parts.append(record_label(item or _("item"), part))
        elif part in LIST_LABELS:
            item = list_labels(part)[1]
            if not parts and path[-1] == part:
                parts.append(list_labels(part)[0])
        else:
            parts.append(field_label(part).split(" (")[0].lower() if parts else field_label(part).split(" (")[0])
    return " · ".join(parts) or _("the whole step")
