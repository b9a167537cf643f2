"""The voting page participants open on their own device (served by Voila: `jmapkit serve`)."""

from __future__ import annotations

import ipywidgets as w

from jmapkit import vote
from jmapkit.errors import JmapkitError
from jmapkit.model import Touchpoints
from jmapkit.store import Workshop

FACES = [("😡 −2", -2), ("🙁 −1", -1), ("😐 0", 0), ("🙂 +1", 1), ("😍 +2", 2)]


class VotingPage:
    """A name field, one five-face choice per touchpoint, and a Send button."""

    def __init__(self, ws: Workshop):
        self.ws = ws
        tps: Touchpoints = ws.load(3)  # type: ignore[assignment]
        stage_names = {s.id: s.label for s in tps.stages}
        self.name = w.Text(description="Your name", placeholder="name or nickname")
        self.choices: dict[str, w.ToggleButtons] = {}
        rows: list[w.Widget] = [w.HTML(f"<h2>{ws.meta.name}</h2><p>How does the customer feel here?</p>"), self.name]
        for stage in tps.stages:
            rows.append(w.HTML(f"<h3>{stage_names[stage.id]}</h3>"))
            for t in tps.in_stage(stage.id):
                choice = w.ToggleButtons(options=FACES, value=None, style={"button_width": "64px"})
                self.choices[t.id] = choice
                rows.append(w.VBox([w.HTML(f"<b>{t.label}</b>"), choice]))
        send = w.Button(description="Send my votes", button_style="primary", icon="paper-plane")
        send.on_click(lambda _b: self.send())
        self.status = w.HTML("")
        rows += [send, self.status]
        self.widget = w.VBox(rows, layout=w.Layout(max_width="720px"))

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    def send(self) -> None:
        chosen = {tp: c.value for tp, c in self.choices.items() if c.value is not None}
        if not chosen:
            self.status.value = "<span class='jmapkit-vote-status'>Pick at least one face first.</span>"
            return
        try:
            count = vote.cast(self.ws, self.name.value, chosen)
        except JmapkitError as exc:
            self.status.value = f"<span class='jmapkit-vote-status'>⚠ {exc.what}</span>"
            return
        self.status.value = (f"<span class='jmapkit-vote-status'>✓ Thank you, {self.name.value.strip()}: "
                             f"{count} vote{'s' if count != 1 else ''} saved.</span>")


def voting_page(ws: Workshop) -> VotingPage:
    return VotingPage(ws)
