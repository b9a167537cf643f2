"""One root exception; every user-facing error says what is wrong, where, and how to fix it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

# Why a value or a file was refused (or a row dropped): code reads this, never the message's words.
ProblemCode = Literal[
    "missing_column",  # a required column is not in the file
    "duplicate_column",  # two columns have the same name once case and spaces are ignored
    "reserved_column",  # a column is named _row
    "empty_value",  # a required value is empty
    "not_a_number",
    "not_finite",  # inf or NaN where a number is needed
    "not_a_timestamp",
    "unknown_timestamp_format",  # no known format fits the timestamps
    "ambiguous_date_order",  # every timestamp fits both day-first and month-first
    "ambiguous_decimal_mark",  # every number fits both ',' and '.' as the decimal mark
    "out_of_range",  # a score outside its question's scale
    "not_whole_number",  # a score between the whole numbers of its scale
    "blank_rows",  # dropped: rows with no value at all
    "duplicate_rows",  # dropped: rows equal in every column to an earlier row
    "invalid",  # anything else a validator refuses
]


class JmapkitError(Exception):
    """Root of every error jmapkit raises on purpose: the CLI prints it as one line and exits 2."""

    exit_code = 2

    def __init__(self, what: str, *, where: str | None = None, fix: str | None = None) -> None:
        self.what = what
        self.where = where
        self.fix = fix
        super().__init__(self.message)

    @property
    def message(self) -> str:
        parts = [f"{self.where}: {self.what}" if self.where else self.what]
        if self.fix:
            parts.append(f"Fix: {self.fix}")
        return " ".join(parts)


class WorkshopNotFound(JmapkitError):
    """The folder is not a workshop (no workshop.json in it or above it)."""


class WorkshopExists(JmapkitError):
    """`jmapkit new` would overwrite an existing workshop."""


class TemplateNotFound(JmapkitError):
    """An unknown template name."""


class TemplateInvalid(JmapkitError):
    """A template file that does not match the format (a field missing, misspelt or of the wrong kind)."""


class StepMissing(JmapkitError):
    """A step needs an earlier step that has not been saved yet."""


class StepInvalid(JmapkitError):
    """A step file is not valid JSON, not an envelope, or fails validation."""


class SchemaTooNew(StepInvalid):
    """A step file was written by a newer jmapkit than this one."""


class SaveConflict(JmapkitError):
    """Another window (or a run) saved the same values of a step since this edit started."""

    def __init__(self, info: Any, base: int, revision: int, conflicts: Sequence[Any]) -> None:
        self.step = info
        self.base = base
        self.revision = revision
        self.conflicts = list(conflicts)
        fields = ", ".join(c.where for c in self.conflicts[:5])
        super().__init__(
            f"step {info.number} ({info.title}) was changed in another window since revision {base} "
            f"(now {revision}); both changed: {fields}.",
            where=f"steps/{info.filename}",
            fix="choose which value to keep (this window's or the saved one), then save again.",
        )


class DataFileError(JmapkitError):
    """An input data file is missing, unreadable, or has no usable content."""


@dataclass(frozen=True)
class Problem:
    """One validation failure: where it is, what the value was, and what is allowed."""

    column: str | None
    reason: str
    rows: tuple[int, ...] = ()
    value: object = None
    allowed: str | None = None
    count: int | None = None
    code: ProblemCode = "invalid"

    def describe(self, max_rows: int = 5) -> str:
        where = f"column {self.column!r}" if self.column else "file"
        n = self.count if self.count is not None else len(self.rows)
        text = f"{where}: {self.reason}"
        if self.rows:
            shown = ", ".join(str(r) for r in self.rows[:max_rows])
            more = f" and {n - max_rows} more" if n > max_rows else ""
            text += f" (row{'s' if n > 1 else ''} {shown}{more})"
        if self.value is not None:
            text += f", e.g. {self.value!r}"
        if self.allowed:
            text += f"; allowed: {self.allowed}"
        return text


class ValidationFailed(JmapkitError):
    """Every problem found in one input (a data file or a step), reported together."""

    def __init__(self, source: str, problems: Sequence[Problem], *, fix: str | None = None) -> None:
        self.source = source
        self.problems = list(problems)
        listed = "; ".join(p.describe() for p in self.problems)
        count = len(self.problems)
        super().__init__(
            f"{count} problem{'s' if count != 1 else ''}: {listed}",
            where=source,
            fix=fix or "correct the listed values in the file and run again.",
        )


class DataWarning(UserWarning):
    """Something about input data an analyst should know, though the data was read (e.g. averaged CES scores)."""


class RunFailed(JmapkitError):
    """A run stopped: a failing cell, a dead kernel, an unreadable notebook; run.json records it as failed.

    Like papermill's PapermillExecutionError it carries the notebook, the cell's execution count (as
    shown in Jupyter's [N]) and the error's name and value; `cell` is None when no cell ran.
    """

    def __init__(
        self,
        what: str,
        *,
        where: str | None = None,
        fix: str | None = None,
        notebook: str | None = None,
        cell: int | None = None,
        ename: str = "",
        evalue: str = "",
    ) -> None:
        self.notebook = notebook
        self.cell = cell
        self.ename = ename
        self.evalue = evalue
        super().__init__(what, where=where, fix=fix)


class ExportError(JmapkitError):
    """An export could not be written."""


class MissingDependency(JmapkitError):
    """An optional package is needed for this feature."""

    def __init__(self, package: str, feature: str, extra: str | None = None) -> None:
        install = f"pip install 'jmapkit[{extra}]'" if extra else f"pip install {package}"
        super().__init__(f"{feature} needs the package {package!r}, which is not installed.", fix=install)
