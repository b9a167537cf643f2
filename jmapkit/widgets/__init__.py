"""ipywidgets UI for the five steps (imported by notebooks only; nothing else imports widgets).

`editor(ws, step)` shows the step's form pre-filled from the saved step. Every change is saved after
a short pause (atomic, with history), so a closed tab or a crashed kernel loses nothing:

- each save names the revision the form was opened on, so an edit made meanwhile in another window
  is merged in, or, where both changed the same value, shown with both values to choose from;
- a record that does not validate yet is kept in a draft and marked at its field, while every other
  record is saved; a form that opens with a draft newer than the saved step offers it back.
"""

from __future__ import annotations

import html
import threading
from datetime import datetime
from typing import Any

import ipywidgets as w

from jmapkit.errors import JmapkitError, SaveConflict
from jmapkit.i18n import _, ngettext
from jmapkit.model import Behaviour, Touchpoints, step_info
from jmapkit.store import Workshop
from jmapkit.widgets.behaviour import BehaviourForm
from jmapkit.widgets.forms import Choices, ModelEditor
from jmapkit.widgets.labels import describe_path

__all__ = ["StepEditor", "editor", "presentation_switch"]

AUTOSAVE_SECONDS = 1.5
HIDDEN = {"map": ("dismissed",)}  # team input the form does not edit (suggestions dismissed elsewhere)


class StepEditor:
    """The form for one step with autosave, drafts, conflicts, a Save and a 'confirm as reviewed' button."""

    def __init__(self, ws: Workshop, step: int | str, *, autosave: float | None = AUTOSAVE_SECONDS):
        self.ws = ws
        self.info = step_info(step)
        if self.info.computed:
            raise JmapkitError(f"{self.info.title} are computed, not entered.",
                               fix="open step 4's form for its data files and emotion estimates.")
        self.autosave = autosave
        self._timer: threading.Timer | None = None
        self._saving = threading.Lock()
        self.base = ws.revision(self.info.key)
        model = ws.load_or_default(self.info.key)
        if isinstance(model, Behaviour):
            files = sorted(p.relative_to(ws.root).as_posix() for p in ws.path("data").glob("*") if p.is_file())
            self.form: Any = BehaviourForm(model, ws.load_or_default(Touchpoints), files, self._changed)
        else:
            self.form = ModelEditor(model, _choices(ws, self.info.number), self._changed,
                                    hidden=HIDDEN.get(self.info.key, ()))
        save = w.Button(description=_("Save"), icon="save", button_style="primary")
        save.add_class("jmapkit-save")
        save.on_click(lambda _b: self.save())
        confirm = w.Button(description=_("Confirm all as reviewed"), icon="check", layout=w.Layout(width="auto"),
                           tooltip=_("Mark pre-filled template content as reviewed by the team"))
        confirm.add_class("jmapkit-confirm")
        confirm.on_click(lambda _b: self.save(confirm=True))
        self.status = w.HTML(self._status(_("loaded revision {n}").format(n=self.base)))
        self.banner = w.VBox([])  # drafts offered back, conflicts to resolve
        self.widget = w.VBox([
            w.HTML("<h3>" + html.escape(_("Step {n}: {title}").format(n=self.info.number, title=_(self.info.title)))
                   + "</h3>"),
            self.banner,
            self.form.widget,
            w.HBox([save, confirm, self.status]),
        ])
        self.widget.add_class("jmapkit-step-editor")
        self._offer_draft()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    @staticmethod
    def _status(text: str, kind: str = "ok") -> str:
        return f"<span class='jmapkit-status jmapkit-status-{kind}'>{html.escape(text)}</span>"

    # --- autosave ---------------------------------------------------------------------------------------

    def _changed(self) -> None:
        if not self.autosave:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer = threading.Timer(self.autosave, self.save)
        self._timer.daemon = True
        self._timer.start()

    def save(self, *, confirm: bool = False, prefer: str | None = None) -> bool:
        """Save every valid record; keep invalid ones (and conflicts) as a draft shown at their fields."""
        if self._timer is not None:
            self._timer.cancel()
        with self._saving:
            return self._save(confirm=confirm, prefer=prefer)

    def _save(self, *, confirm: bool, prefer: str | None) -> bool:
        model, problems = self.form.validate(confirm=confirm)
        messages = [message for _field, message in problems]
        if model is None:
            self._keep_draft(messages)
            self.status.value = self._status(_("⚠ not saved: {problems}. Your input is kept as a draft.")
                                             .format(problems="; ".join(messages)), "error")
            return False
        try:
            saved = self.ws.save(model, base=self.base, prefer=prefer)  # type: ignore[arg-type]
        except SaveConflict as conflict:
            self._keep_draft([conflict.what])
            self._show_conflict(conflict)
            return False
        except (JmapkitError, ValueError) as exc:
            self._keep_draft([str(exc)])
            self.status.value = self._status(_("⚠ not saved: {problem}. Your input is kept as a draft.")
                                             .format(problem=str(exc).splitlines()[0]), "error")
            return False
        self.base = saved.revision
        if saved.merged:
            # Another window's edit of other values was merged in: show the step as it is now saved.
            self.form.set_model(self.ws.load(self.info.key))
        self.banner.children = []
        when = datetime.now().strftime("%H:%M:%S")
        if messages:
            self._keep_draft(messages)
            kept = ngettext("kept as a draft until it is fixed", "kept as a draft until they are fixed",
                            len(messages))
            self.status.value = self._status(_("✓ saved at {time}, except: {problems} ({kept}).").format(
                time=when, problems="; ".join(messages), kept=kept), "warning")
            return False
        self.ws.discard_draft(self.info.key)
        merged = _(" (merged with another window's changes)") if saved.merged else ""
        self.status.value = self._status(_("✓ saved at {time}{merged}").format(time=when, merged=merged))
        return True

    def _keep_draft(self, problems: list[str]) -> None:
        self.ws.save_draft(self.info.key, self.form.raw(), base=self.base, problems=problems)

    def reload(self) -> None:
        """Show the step as saved now (e.g. after a note was promoted into step 5 from the notes panel)."""
        with self._saving:
            self.base = self.ws.revision(self.info.key)
            self.form.set_model(self.ws.load_or_default(self.info.key))
            self.status.value = self._status(_("loaded revision {n}").format(n=self.base))

    # --- drafts and conflicts ------------------------------------------------------------------------------

    def _offer_draft(self) -> None:
        draft = self.ws.draft(self.info.key)
        if draft is None:
            return
        saved_at = self.ws.load_envelope(self.info.key).get("saved_at", "") if self.ws.has(self.info.key) else ""
        if saved_at and str(draft.get("saved_at", "")) <= saved_at:
            return  # the step was saved after the draft was written: nothing newer to offer
        when = _local_time(str(draft.get("saved_at", "")))
        problems = "; ".join(draft.get("problems") or [])
        text = w.HTML(self._status(_("Unsaved draft from {time}: {problems}").format(time=when, problems=problems),
                                   "warning"))
        restore = w.Button(description=_("Restore draft"), icon="undo", button_style="warning")
        restore.add_class("jmapkit-restore")
        discard = w.Button(description=_("Discard draft"), icon="times")
        discard.add_class("jmapkit-discard")

        def on_restore(_b: Any) -> None:
            self.banner.children = []
            self.form.set_raw(draft["data"])
            self.save()

        def on_discard(_b: Any) -> None:
            self.ws.discard_draft(self.info.key)
            self.banner.children = []

        restore.on_click(on_restore)
        discard.on_click(on_discard)
        self.banner.children = [w.HBox([text, restore, discard])]

    def _show_conflict(self, conflict: SaveConflict) -> None:
        theirs, mine_ = html.escape(_("saved in the other window")), html.escape(_("this window"))
        lines = "".join(
            f"<li><b>{html.escape(describe_path(c.path))}</b>: {theirs} "
            f"“{html.escape(_brief(c.theirs))}”, {mine_} “{html.escape(_brief(c.mine))}”</li>"
            for c in conflict.conflicts
        )
        changed = html.escape(_("Changed in another window"))
        text = w.HTML(f"<div class='jmapkit-conflict'>⚠ {changed}:<ul>{lines}</ul></div>")
        mine = w.Button(description=_("Keep this window's"), button_style="warning", layout=w.Layout(width="auto"))
        mine.add_class("jmapkit-keep-mine")
        theirs = w.Button(description=_("Use the saved values"), layout=w.Layout(width="auto"))
        theirs.add_class("jmapkit-keep-theirs")
        mine.on_click(lambda _b: self.save(prefer="mine"))

        def use_saved(_b: Any) -> None:
            if self.save(prefer="theirs"):
                self.form.set_model(self.ws.load(self.info.key))

        theirs.on_click(use_saved)
        self.banner.children = [w.VBox([text, w.HBox([mine, theirs])])]
        self.status.value = self._status(_("⚠ not saved yet: choose which values to keep (your input is kept)."),
                                         "error")


def editor(ws: Workshop, step: int | str, **kwargs: Any) -> StepEditor:
    """The editor for one step, pre-filled from what is saved."""
    return StepEditor(ws, step, **kwargs)


def presentation_switch(ws: Workshop) -> w.ToggleButton:
    """One switch per notebook: charts and the map at projector size (saved in the workshop's settings)."""
    from jmapkit import notebook

    button = w.ToggleButton(value=notebook.presentation(ws), description=_("Presentation mode"), icon="desktop",
                            layout=w.Layout(width="auto"),  # the default width cuts the label to "Presentation …"
                            tooltip=_("Draw charts and the map for a projector (then run the cells again)"))
    button.add_class("jmapkit-presentation")

    def toggle(change: dict[str, Any]) -> None:
        notebook.set_presentation(ws, bool(change["new"]))

    button.observe(toggle, names="value")
    return button


def _choices(ws: Workshop, step: int) -> Choices:
    """Dropdown options for fields that refer to other steps' records (stages, touchpoints), by name."""
    tps = ws.load_or_default(Touchpoints)
    stage_label = {s.id: s.label for s in tps.stages}
    stages = [(s.label, s.id) for s in tps.stages]
    touchpoints = [(f"{t.label} · {stage_label.get(t.stage, t.stage)}", t.id) for t in tps.touchpoints]
    if step == 3:
        return {"stage": stages}
    if step == 5:
        return {"touchpoint": touchpoints, "stage": stages}
    return {}


def _brief(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("name") or value.get("description") or value
    text = "–" if value in (None, "") else str(value)
    return text if len(text) <= 80 else text[:79] + "…"


def _local_time(iso: str) -> str:
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%H:%M")
    except ValueError:
        return iso

