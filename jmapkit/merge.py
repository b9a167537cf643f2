"""Three-way merge of two edits of one saved step, so two windows never silently overwrite each other.

Both edits started from the same saved revision (the base). Where only one side changed a value, that
change wins; where both changed the same value differently, it is a conflict the person must resolve.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldConflict:
    """One value both windows changed: where it is, this window's value and the saved one."""

    path: tuple[str | int, ...]
    mine: Any
    theirs: Any

    @property
    def where(self) -> str:
        return ".".join(str(p) for p in self.path) or "(whole step)"


def merge(base: Any, mine: Any, theirs: Any, *, prefer: str = "theirs") -> tuple[Any, list[FieldConflict]]:
    """Merge `mine` and `theirs`, both edited from `base`: the merged value and the conflicts found.

    A conflicting value is taken from the side named by `prefer` ("mine" or "theirs") in the merged value.
    """
    conflicts: list[FieldConflict] = []
    merged = _merge(base, mine, theirs, (), conflicts, prefer == "mine")
    return merged, conflicts


def _merge(base: Any, mine: Any, theirs: Any, path: tuple[str | int, ...], out: list[FieldConflict],
           mine_wins: bool) -> Any:
    if mine == theirs:
        return mine
    if mine == base:
        return theirs
    if theirs == base:
        return mine
    if isinstance(base, dict) and isinstance(mine, dict) and isinstance(theirs, dict):
        keys = list(dict.fromkeys([*theirs, *mine]))
        merged = {}
        for key in keys:
            value = _merge(base.get(key), mine.get(key), theirs.get(key), (*path, key), out, mine_wins)
            if value is not None or key in mine or key in theirs:
                merged[key] = value
        return merged
    if isinstance(base, list) and isinstance(mine, list) and isinstance(theirs, list):
        common = len(base)
        # Records edited in place merge item by item; items one side appended after them are kept.
        if len(mine) >= common and len(theirs) >= common and (len(mine) == common or len(theirs) == common):
            head = [_merge(base[i], mine[i], theirs[i], (*path, i), out, mine_wins) for i in range(common)]
            return head + mine[common:] + theirs[common:]
    out.append(FieldConflict(path, mine, theirs))
    return mine if mine_wins else theirs
