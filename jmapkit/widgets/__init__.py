"""ipywidgets UI for the five steps (imported by notebooks only; nothing else imports widgets).

`editor(ws, step)` shows the step's form pre-filled from the saved step. Every change is saved
after a short pause (atomic, with history), so a closed tab or a crashed kernel loses nothing;
input that does not validate yet is kept as a draft next to the history instead of being dropped.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import ipywidgets as w
from pydantic import ValidationError

from jmapkit.model import Touchpoints, step_info
from jmapkit.store import Workshop, atomic_write_text
from jmapkit.widgets.forms import Choices, ModelEditor

__all__ = ["StepEditor", "editor"]

AUTOSAVE_SECONDS = 1.5


class StepEditor:
    """The form for one step with autosave, a Save button and a 'confirm template content' button."""

    def __init__(self, ws: Workshop, step: int | str, *, autosave: float | None = AUTOSAVE_SECONDS):
        self.ws = ws
        self.info = step_info(step)
        self.autosave = autosave
        self._timer: threading.Timer | None = None
        model = ws.load_or_default(self.info.number)
        self.form = ModelEditor(model, _choices(ws, self.info.number), self._changed)
        save = w.Button(description="Save", icon="save", button_style="primary")
        save.on_click(lambda _b: self.save())
        confirm = w.Button(description="Confirm all as reviewed", icon="check", layout=w.Layout(width="auto"),
                           tooltip="Mark pre-filled template content as reviewed by the team")
        confirm.on_click(lambda _b: self.save(confirm=True))
        self.status = w.HTML(self._status_text("loaded"))
        self.widget = w.VBox([
            w.HTML(f"<h3>Step {self.info.number}: {self.info.title}</h3>"),
            self.form.widget,
            w.HBox([save, confirm, self.status]),
        ])

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    def _status_text(self, what: str) -> str:
        return f"<span class='jmapkit-status'>{what}</span>"

    def _changed(self) -> None:
        if not self.autosave:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer = threading.Timer(self.autosave, self.save)
        self._timer.daemon = True
        self._timer.start()

    def save(self, *, confirm: bool = False) -> bool:
        """Validate and save; on a validation error keep the input as a draft and say what to fix."""
        if self._timer is not None:
            self._timer.cancel()
        try:
            model = self.form.value(confirm=confirm)
        except (ValidationError, ValueError) as exc:
            draft = self.ws.path("history", f"{self.ws.step_path(self.info.number).stem}.draft.json")
            atomic_write_text(draft, json.dumps(self.form.raw(), indent=2, ensure_ascii=False, default=str))
            self.status.value = self._status_text(f"⚠ not saved: {_short(exc)} — your input is kept in {draft.name}")
            return False
        path = self.ws.save(model)  # type: ignore[arg-type]
        self.status.value = self._status_text(f"✓ saved to {self.ws.relative(path)}")
        return True


def editor(ws: Workshop, step: int | str, **kwargs: Any) -> StepEditor:
    """The editor for one step, pre-filled from what is saved."""
    return StepEditor(ws, step, **kwargs)


def _choices(ws: Workshop, step: int) -> Choices:
    """Dropdown options for fields that refer to other steps' records (stages, touchpoints)."""
    tps: Touchpoints = ws.load_or_default(3)  # type: ignore[assignment]
    stages = [(s.label, s.id) for s in tps.stages]
    touchpoints = [(f"{t.label} ({t.stage})", t.id) for t in tps.touchpoints]
    if step == 3:
        return {"stage": stages}
    if step in (4, 5):
        return {"touchpoint": touchpoints, "stage": stages}
    return {}


def _short(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        return f"{loc}: {first['msg']}"
    return str(exc).splitlines()[0]


