"""What changed between two versions of step 4: the numbers a re-run on new data moved."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from jmapkit.model import BehaviourResults


@dataclass(frozen=True)
class Change:
    table: str  # funnel | scores | inputs
    key: str  # e.g. "purchase" or "touchpoint=payment csat"
    field: str
    before: object
    after: object

    def describe(self) -> str:
        return f"{self.table} {self.key} {self.field}: {_fmt(self.before)} → {_fmt(self.after)}"


def compare(before: BehaviourResults, after: BehaviourResults) -> list[Change]:
    """Every funnel, score and input-file difference between two step-4 results."""
    changes: list[Change] = []
    for name in sorted(set(before.inputs) | set(after.inputs)):
        old, new = before.inputs.get(name), after.inputs.get(name)
        if (old and old.sha256) != (new and new.sha256):
            changes.append(Change("inputs", name, "file", old.path if old else None, new.path if new else None))
    changes += _rows(
        "funnel",
        {r.stage: r.model_dump() for r in before.funnel},
        {r.stage: r.model_dump() for r in after.funnel},
        ("reached", "conversion_from_first", "median_hours"),
    )
    changes += _rows(
        "scores",
        {f"{r.group_by}={r.group} {r.metric}": r.model_dump() for r in before.scores},
        {f"{r.group_by}={r.group} {r.metric}": r.model_dump() for r in after.scores},
        ("n", "value"),
    )
    return changes


def as_records(changes: list[Change]) -> list[dict[str, object]]:
    return [asdict(c) for c in changes]


def _rows(table: str, old: dict[str, dict], new: dict[str, dict], fields: tuple[str, ...]) -> list[Change]:
    out = []
    for key in list(old) + [k for k in new if k not in old]:
        a, b = old.get(key, {}), new.get(key, {})
        for field in fields:
            if a.get(field) != b.get(field):
                out.append(Change(table, key, field, a.get(field), b.get(field)))
    return out


def _fmt(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
