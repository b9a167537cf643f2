from __future__ import annotations

import json
import time

import pytest

from jmapkit.model import STEPS
from jmapkit.store import Workshop
from jmapkit.widgets import editor


@pytest.mark.parametrize("step", [info.number for info in STEPS])
def test_form_is_prefilled_from_the_saved_step(restaurant: Workshop, step: int) -> None:
    form = editor(restaurant, step, autosave=None).form
    assert form.value() == restaurant.load(step)


def _field(ed, name: str):  # type: ignore[no-untyped-def]
    form = getattr(ed, "form", ed)  # a step editor or a record's editor
    return next(f for f in form.fields if f.name == name)


def test_an_edited_record_becomes_team_content(restaurant: Workshop) -> None:
    ed = editor(restaurant, "goals", autosave=None)
    _field(ed, "customer_goal").widget.value = "Lunch without queueing twice"
    _field(ed, "success_metrics").widget.value = "Minutes to pay\n\n  CSAT at the till  \n"
    assert ed.save()
    goals = restaurant.load(1)
    assert goals.customer_goal == "Lunch without queueing twice"
    assert goals.success_metrics == ["Minutes to pay", "CSAT at the till"]
    assert goals.source.kind == "team"
    assert len(restaurant.history(1)) == 1


def test_untouched_records_stay_template_until_confirmed(restaurant: Workshop) -> None:
    ed = editor(restaurant, "personas", autosave=None)
    personas = _field(ed, "personas").child
    _field(personas.editors[0], "quote").widget.value = "New quote"
    ed.save()
    assert [p.source.kind for p in restaurant.load(2).personas] == ["team", "template", "template"]
    ed.save(confirm=True)
    assert [p.source.kind for p in restaurant.load(2).personas] == ["team", "team", "team"]


def test_invalid_input_is_kept_as_a_draft_not_lost(restaurant: Workshop) -> None:
    before = restaurant.step_path(2).read_bytes()
    ed = editor(restaurant, "personas", autosave=None)
    personas = _field(ed, "personas").child
    personas._add()
    _field(personas.editors[-1], "quote").widget.value = "I typed this before giving a name"
    assert not ed.save()
    assert "not saved" in ed.status.value and "name" in ed.status.value
    assert restaurant.step_path(2).read_bytes() == before
    draft = json.loads(restaurant.path("history", "2-personas.draft.json").read_text())
    assert draft["personas"][-1]["quote"] == "I typed this before giving a name"


def test_touchpoint_stage_is_a_dropdown_of_the_saved_stages(restaurant: Workshop) -> None:
    ed = editor(restaurant, "touchpoints", autosave=None)
    first = _field(ed, "touchpoints").child.editors[0]
    options = [value for _, value in _field(first, "stage").widget.options]
    assert options == ["awareness", "consideration", "purchase", "onboarding", "retention", "advocacy"]


def test_removing_a_pain_point_and_autosave(restaurant: Workshop) -> None:
    ed = editor(restaurant, "map", autosave=0.05)
    pains = _field(ed, "pain_points").child
    pains._remove(2)  # the web-menu pain point; triggers autosave
    deadline = time.monotonic() + 5
    while len(restaurant.load(5).pain_points) != 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [p.touchpoint for p in restaurant.load(5).pain_points] == ["order_counter", "payment"]
