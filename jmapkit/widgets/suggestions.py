"""Notebook 5: pain points suggested by what customers wrote, to accept (as is or edited) or dismiss.

The suggestions, and what accepting or dismissing does, live in `jmapkit.suggestions`; this panel only
shows them. Quotes are customers' own words and are shown as text, never markup.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import ipywidgets as w

from jmapkit.errors import JmapkitError
from jmapkit.i18n import _, ngettext
from jmapkit.model import Touchpoints
from jmapkit.store import Workshop
from jmapkit.suggestions import Suggestion, accept, dismiss, pending

__all__ = ["SuggestionsPanel", "suggestions_panel"]

NONE_YET = ("No suggestions: step 4 found no negative theme in the customers' comments that is not already "
            "on the map or dismissed.")


class SuggestionsPanel:
    """One card per suggested pain point: the theme, its numbers and quotes, fields to edit, Accept and Dismiss."""

    def __init__(self, ws: Workshop, on_change: Callable[[], None] | None = None) -> None:
        self.ws = ws
        self.on_change = on_change
        self.status = w.HTML()
        self.list = w.VBox()
        refresh = w.Button(description=_("Refresh"), icon="refresh")
        refresh.on_click(lambda _b: self.refresh())
        self.widget = w.VBox([w.HBox([refresh, self.status]), self.list])
        self.widget.add_class("jmapkit-suggestions")
        self.cards: dict[str, dict[str, Any]] = {}
        self.refresh()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    def refresh(self) -> None:
        """Read step 4's themes and step 5 again, and list what is still to decide."""
        try:
            found = pending(self.ws)
        except JmapkitError as exc:
            self.say("⚠ " + exc.message)
            return
        names = {t.id: t.label for t in self.ws.load_or_default(Touchpoints).touchpoints}
        self.cards = {s.id: self._card(s, names) for s in found}
        self.list.children = [card["box"] for card in self.cards.values()]
        self.say(_(NONE_YET) if not found else ngettext("{n} suggested pain point", "{n} suggested pain points",
                                                        len(found)).format(n=len(found)))

    def say(self, text: str) -> None:
        self.status.value = f"<span class='jmapkit-suggestions-status'>{html.escape(text)}</span>"

    def _card(self, s: Suggestion, names: dict[str, str]) -> dict[str, Any]:
        quotes = "".join(f"<li>“{html.escape(q)}”</li>" for q in s.quotes)
        head = w.HTML(
            f"<b>{html.escape(names.get(s.touchpoint, s.touchpoint))}</b> · {html.escape(s.label)}<br>"
            f"<small>{html.escape(s.summary)}</small><ul class='jmapkit-quotes'>{quotes}</ul>"
        )
        style = {"description_width": "120px"}
        fields = {
            "description": w.Textarea(value=s.label, description=_("Pain point"), style=style,
                                      layout=w.Layout(width="95%")),
            "severity": w.IntSlider(value=s.severity, min=1, max=5, description=_("Severity (1–5)"), style=style),
            "frequency": w.IntSlider(value=s.frequency, min=1, max=5, description=_("Frequency (1–5)"), style=style),
            "owner": w.Text(description=_("Owner"), style=style),
            "fix": w.Text(description=_("Candidate fix"), style=style, layout=w.Layout(width="95%")),
        }
        take = w.Button(description=_("Accept"), icon="check", button_style="success")
        take.add_class("jmapkit-accept")
        drop = w.Button(description=_("Dismiss"), icon="times")
        drop.add_class("jmapkit-dismiss")
        take.on_click(lambda _b: self._accept(s))
        drop.on_click(lambda _b: self._dismiss(s))
        box = w.VBox([head, *fields.values(), w.HBox([take, drop])],
                     layout=w.Layout(border="1px solid #d0d4d9", padding="6px", margin="4px 0"))
        box.add_class("jmapkit-suggestion")
        return {"box": box, "fields": fields}

    def _accept(self, s: Suggestion) -> None:
        fields = self.cards[s.id]["fields"]
        edits = {name: widget.value for name, widget in fields.items()}
        edits = {k: (v.strip() if isinstance(v, str) else v) for k, v in edits.items()}
        try:
            accept(self.ws, s.id, edits)
        except JmapkitError as exc:
            self.say("⚠ " + exc.message)
            return
        self._done(_("✓ added to the map: {label}").format(label=edits["description"]))

    def _dismiss(self, s: Suggestion) -> None:
        try:
            dismiss(self.ws, s.id)
        except JmapkitError as exc:
            self.say("⚠ " + exc.message)
            return
        self._done(_("Dismissed: {label} (it comes back only if its theme changes)").format(label=s.label))

    def _done(self, message: str) -> None:
        if self.on_change:
            self.on_change()
        self.refresh()
        self.say(message)


def suggestions_panel(ws: Workshop, on_change: Callable[[], None] | None = None) -> SuggestionsPanel:
    """The suggested pain points for notebook 5 (call the step-5 form's reload on a change)."""
    return SuggestionsPanel(ws, on_change)
