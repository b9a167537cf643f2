"""Notebook panels for the room: the tally in notebook 4, participants' notes to promote in notebook 5.

The data and the promotion live in `jmapkit.room`; these panels only show them. Every text a participant
wrote is escaped before it is shown: names and notes are text, never markup.
"""

from __future__ import annotations

import html
from abc import ABC, abstractmethod
from collections.abc import Callable

import ipywidgets as w

from jmapkit.errors import JmapkitError
from jmapkit.i18n import N_, _, ngettext
from jmapkit.numbers import signed
from jmapkit.room import FACE_COLUMNS, overview
from jmapkit.room.notes import ListedNote, listed, promote
from jmapkit.store import Workshop

__all__ = ["NotesPanel", "TallyPanel", "notes_panel", "tally_panel"]

# Marked for translation here, translated where shown (the language is set when a notebook starts).
NO_VOTES = "No votes in this round yet: participants open the link that “jmapkit serve” prints."
NO_NOTES = "No notes yet: participants post them from the room's page (“jmapkit serve”)."
KIND_LABELS = {"pain": N_("pain"), "idea": N_("idea"), "question": N_("question")}  # shown through _()
TARGET_NAMES = {"pain_point": N_("a pain point"), "opportunity": N_("an opportunity")}
BUTTONS = {"pain_point": N_("→ pain point"), "opportunity": N_("→ opportunity")}


class _Panel(ABC):
    """A Refresh button, a status line and a body that `draw()` fills from the workshop's files."""

    what = "Read the room's votes and notes again"

    def __init__(self, ws: Workshop, body: w.Widget) -> None:
        self.ws = ws
        self.status = w.HTML()
        refresh = w.Button(description=_("Refresh"), icon="refresh", tooltip=_(self.what))
        refresh.on_click(lambda _b: self.refresh())
        self.widget = w.VBox([w.HBox([refresh, self.status]), body])
        self.refresh()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    def refresh(self) -> None:
        """Read the votes files and the steps again, and redraw."""
        try:
            self.draw()
        except JmapkitError as exc:
            self.say(f"⚠ {exc.message}")

    @abstractmethod
    def draw(self) -> None:
        """Fill the body from the workshop's files."""

    def say(self, text: str) -> None:
        self.status.value = f"<span class='jmapkit-status'>{html.escape(text)}</span>"


class TallyPanel(_Panel):
    """Notebook 4: per touchpoint, the team's estimate, the room's votes (n, per face) and the measured emotion."""

    what = "Read the room's votes again"

    def __init__(self, ws: Workshop) -> None:
        self.table = w.HTML()
        super().__init__(ws, self.table)

    def draw(self) -> None:
        frame = overview(self.ws)
        self.frame = frame
        voted = int(frame["n"].sum())
        self.say(_(NO_VOTES) if voted == 0 else ngettext("{n} vote in this round", "{n} votes in this round",
                                                         voted).format(n=voted))
        faces = "".join(f"<th>{html.escape(c.removeprefix('votes_'))}</th>" for c in FACE_COLUMNS)
        names = [_("stage"), _("touchpoint"), _("team"), _("voted"), "n"]
        head = ("<tr>" + "".join(f"<th>{html.escape(t)}</th>" for t in names) + faces +
                "<th>" + html.escape(_("measured")) + "</th><th>" + html.escape(_("n (data)")) + "</th></tr>")
        rows = []
        for r in frame.to_dict("records"):
            counts = "".join(f"<td>{int(r[c])}</td>" for c in FACE_COLUMNS)
            rows.append(
                f"<tr><td>{html.escape(r['stage'])}</td><td>{html.escape(r['touchpoint'])}</td>"
                f"<td>{signed(r['team'])}</td><td><b>{signed(r['voted'])}</b></td><td>{int(r['n'])}</td>{counts}"
                f"<td>{signed(r['measured'])}</td><td>{int(r['measured_n'])}</td></tr>"
            )
        self.table.value = f"<table class='jmapkit-tally'>{head}{''.join(rows)}</table>"


class NotesPanel(_Panel):
    """Notebook 5: participants' notes by touchpoint and dots, each with buttons that promote it into step 5."""

    what = "Read the room's notes again"

    def __init__(self, ws: Workshop, on_promoted: Callable[[], None] | None = None) -> None:
        self.on_promoted = on_promoted
        self.list = w.VBox()
        self.buttons: dict[tuple[str, str], w.Button] = {}
        super().__init__(ws, self.list)

    def draw(self) -> None:
        """List the notes (new ones, new dots, what was promoted)."""
        notes = listed(self.ws)
        self.notes = notes
        self.buttons = {}
        rows: list[w.Widget] = []
        current = None
        for item in notes:
            heading = (item.stage, item.touchpoint)
            if heading != current:
                current = heading
                rows.append(w.HTML(f"<h4>{html.escape(item.stage)} · {html.escape(item.touchpoint)}</h4>"))
            rows.append(self._row(item))
        self.list.children = rows
        self.say(_(NO_NOTES) if not notes else ngettext("{n} note", "{n} notes", len(notes)).format(n=len(notes)))

    def _row(self, item: ListedNote) -> w.Widget:
        n = item.note
        dots = len(n.dots)
        by = f" — {html.escape(n.participant)}" if n.participant else ""
        text = w.HTML(
            f"<span class='jmapkit-note'><b>{html.escape(_(KIND_LABELS.get(n.kind, n.kind)))}</b> · "
            f"● {dots} · {html.escape(n.text)}{by}</span>",
            layout=w.Layout(flex="1 1 auto"),
        )
        if item.promoted:
            done = w.HTML("<i>" + html.escape(_("✓ in step 5 as {what}").format(what=_(TARGET_NAMES[item.promoted])))
                          + "</i>")
            return w.HBox([text, done])
        controls = []
        for kind, label in BUTTONS.items():
            button = w.Button(description=_(label), layout=w.Layout(width="auto"),
                              tooltip=_("Add this note to step 5 as {what}").format(what=_(TARGET_NAMES[kind])))
            button.on_click(lambda _b, note=n.id, kind=kind: self.promote(note, kind))
            self.buttons[(n.id, kind)] = button
            controls.append(button)
        return w.HBox([text, *controls])

    def promote(self, note_id: str, kind: str) -> None:
        """Promote one note (what its button does); the list then shows it as done."""
        try:
            item = promote(self.ws, note_id, kind)  # type: ignore[arg-type]
        except JmapkitError as exc:
            self.say(f"⚠ {exc.message}")
            return
        self.refresh()
        self.say(_("✓ saved to step 5 as {what}: {text}").format(what=_(TARGET_NAMES[kind]),
                                                                 text=item.description[:80]))
        if self.on_promoted is not None:
            self.on_promoted()  # e.g. reload the step-5 form so its next autosave keeps the new point


def tally_panel(ws: Workshop) -> TallyPanel:
    """The room's tally for notebook 4 (with a Refresh button)."""
    return TallyPanel(ws)


def notes_panel(ws: Workshop, on_promoted: Callable[[], None] | None = None) -> NotesPanel:
    """Participants' notes for notebook 5, each with buttons to make it a pain point or an opportunity."""
    return NotesPanel(ws, on_promoted)
