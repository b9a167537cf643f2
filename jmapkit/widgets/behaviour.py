"""Step 4's form: only what the team enters — which data files to read, and the team's own emotion estimate.

What jmapkit computes from the data (funnel, scores, tables, warnings) is not in this form at all: it
is written by the compute step into its own envelope, so nothing typed here can overwrite it.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from typing import Any

import ipywidgets as w

from jmapkit.i18n import N_, _
from jmapkit.model import Behaviour, Source, TeamEmotion, Touchpoints
from jmapkit.steps.behaviour import INPUTS
from jmapkit.widgets.forms import STYLE, Problem
from jmapkit.widgets.labels import NOT_SET

# The team's estimate on the −2..+2 scale, in half steps; faces at the whole numbers.
FACES = {-2.0: "😡", -1.0: "🙁", 0.0: "😐", 1.0: "🙂", 2.0: "😍"}
INPUT_LABELS = {"events": N_("Event log"), "survey": N_("Survey scores"), "verbatims": N_("Customer comments")}


def _emotion_options(extra: float | None = None) -> list[tuple[str, float | None]]:
    values = [v / 2 for v in range(-4, 5)]
    if extra is not None and extra not in values:
        values = sorted([*values, extra])
    return [(NOT_SET, None)] + [(f"{FACES.get(v, '')} {v:+g}".replace("-", "−").strip(), v) for v in values]


class BehaviourForm:
    """Data files (with reader options) and one emotion estimate per frontstage touchpoint."""

    def __init__(self, model: Behaviour, touchpoints: Touchpoints, data_files: list[str],
                 on_change: Callable[[], None]):
        self.original = model
        self.touchpoints = touchpoints
        self.files: dict[str, w.Combobox] = {}
        self.options: dict[str, w.Text] = {}
        rows: list[w.Widget] = [w.HTML("<b>" + html.escape(_("Data files")) + "</b>")]
        for name in INPUTS:
            box = w.Combobox(value=model.data.get(name, ""), options=data_files, ensure_option=False,
                             description=_(INPUT_LABELS[name]), placeholder=_("a file in data/, or a path"),
                             style=STYLE, layout=w.Layout(width="70%"))
            opts = w.Text(value=_options_text(model.options.get(name, {})), placeholder=_("e.g. delimiter=;"),
                          description=_("reader options"), style={"description_width": "110px"},
                          layout=w.Layout(width="28%"))
            box.observe(lambda _c: on_change(), names="value")
            opts.observe(lambda _c: on_change(), names="value")
            self.files[name], self.options[name] = box, opts
            rows.append(w.HBox([box, opts]))
        rows.append(w.HTML("<b>" + html.escape(_("How does the customer feel here? The team’s estimate")) + "</b>"))
        self.emotions: dict[str, w.Dropdown] = {}
        saved = {e.touchpoint: e for e in model.emotions}
        for stage in touchpoints.stages:
            front = [t for t in touchpoints.in_stage(stage.id) if t.layer == "frontstage"]
            if not front:
                continue
            rows.append(w.HTML(f"<i>{html.escape(stage.label)}</i>"))
            for t in front:
                value = saved[t.id].emotion if t.id in saved else None
                pick = w.Dropdown(options=_emotion_options(value), value=value, description=t.label, style=STYLE,
                                  layout=w.Layout(width="420px"))
                pick.observe(lambda _c: on_change(), names="value")
                self.emotions[t.id] = pick
                rows.append(pick)
        self.widget = w.VBox(rows)

    def raw(self) -> dict[str, Any]:
        return {"data": {k: v.value for k, v in self.files.items()},
                "options": {k: v.value for k, v in self.options.items()},
                "emotions": {k: v.value for k, v in self.emotions.items()}}

    def set_raw(self, raw: Mapping[str, Any]) -> None:
        for name, value in (raw.get("data") or {}).items():
            if name in self.files:
                self.files[name].value = value or ""
        for name, value in (raw.get("options") or {}).items():
            if name in self.options:
                self.options[name].value = value or ""
        for tp, value in (raw.get("emotions") or {}).items():
            if tp in self.emotions:
                self.emotions[tp].options = _emotion_options(value)
                self.emotions[tp].value = value

    def set_model(self, model: Behaviour) -> None:
        self.original = model
        self.set_raw({"data": {n: model.data.get(n, "") for n in INPUTS},
                      "options": {n: _options_text(model.options.get(n, {})) for n in INPUTS},
                      "emotions": {tp: next((e.emotion for e in model.emotions if e.touchpoint == tp), None)
                                   for tp in self.emotions}})

    def validate(self, *, confirm: bool = False) -> tuple[Behaviour | None, list[Problem]]:
        problems: list[Problem] = []
        options: dict[str, dict[str, str]] = {}
        for name, box in self.options.items():
            parsed, bad = _parse_options(box.value)
            if bad:
                problems.append((name, _("{input}: reader options are written name=value, e.g. delimiter=;")
                                 .format(input=_(INPUT_LABELS[name]))))
            if parsed:
                options[name] = parsed
        before = {e.touchpoint: e for e in self.original.emotions}
        emotions = []
        for tp, pick in self.emotions.items():
            if pick.value is None:
                continue
            old = before.get(tp)
            unchanged = old is not None and old.emotion == pick.value and not confirm
            emotions.append(TeamEmotion(touchpoint=tp, emotion=pick.value,
                                        source=old.source if unchanged and old else Source(kind="team")))
        # Estimates for touchpoints this form does not show (backstage, or removed in step 3) are kept.
        emotions += [e for tp, e in before.items() if tp not in self.emotions]
        data = {name: box.value.strip() for name, box in self.files.items() if box.value.strip()}
        return Behaviour(data=data, options=options, emotions=emotions), problems

    def show(self, problems: list[Problem], prefix: str = "") -> None:
        for name, box in self.options.items():
            box.layout.border = "2px solid #b3261e" if any(n == name for n, _m in problems) else ""


def _options_text(options: Mapping[str, str]) -> str:
    return " ".join(f"{k}={v}" for k, v in options.items())


def _parse_options(text: str) -> tuple[dict[str, str], bool]:
    parsed: dict[str, str] = {}
    bad = False
    for part in text.split():
        key, sep, value = part.partition("=")
        if not sep or not key:
            bad = True
            continue
        parsed[key.strip()] = value.strip()
    return parsed, bad
