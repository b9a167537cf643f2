"""The step forms as a facilitator uses them, driven through their widgets (the browser tests drive JupyterLab)."""

from __future__ import annotations

import time

import pytest

from jmapkit.model import STEPS, Behaviour, BehaviourResults, Goals, Map, Personas, Touchpoints
from jmapkit.steps import behaviour
from jmapkit.store import Workshop
from jmapkit.widgets import editor


@pytest.mark.parametrize("step", [info.number for info in STEPS])
def test_form_is_prefilled_from_the_saved_step(restaurant: Workshop, step: int) -> None:
    model, problems = editor(restaurant, step, autosave=None).form.validate()
    assert problems == [] and model == restaurant.load(step)


def _field(ed, name: str):  # type: ignore[no-untyped-def]
    form = getattr(ed, "form", ed)  # a step editor or a record's editor
    return next(f for f in form.fields if f.name == name)


def test_an_edited_record_becomes_team_content(restaurant: Workshop) -> None:
    ed = editor(restaurant, "goals", autosave=None)
    _field(ed, "customer_goal").widget.value = "Lunch without queueing twice"
    _field(ed, "success_metrics").widget.value = "Minutes to pay\n\n  CSAT at the till  \n"
    assert ed.save()
    goals = restaurant.load(Goals)
    assert goals.customer_goal == "Lunch without queueing twice"
    assert goals.success_metrics == ["Minutes to pay", "CSAT at the till"]
    assert goals.source.kind == "team"
    assert len(restaurant.history(1)) == 1


def test_untouched_records_stay_template_until_confirmed(restaurant: Workshop) -> None:
    ed = editor(restaurant, "personas", autosave=None)
    personas = _field(ed, "personas").child
    _field(personas.editors[0], "quote").widget.value = "New quote"
    ed.save()
    assert [p.source.kind for p in restaurant.load(Personas).personas] == ["team", "template", "template"]
    ed.save(confirm=True)
    assert [p.source.kind for p in restaurant.load(Personas).personas] == ["team", "team", "team"]


def test_one_invalid_record_does_not_block_the_others(restaurant: Workshop) -> None:
    ed = editor(restaurant, "personas", autosave=None)
    personas = _field(ed, "personas").child
    _field(personas.editors[1], "role").widget.value = "Student on a budget"
    personas._add()
    _field(personas.editors[-1], "quote").widget.value = "I typed this before giving a name"
    assert not ed.save()  # not everything is saved ...
    saved = restaurant.load(Personas).personas
    assert saved[1].role == "Student on a budget" and len(saved) == 3  # ... but the valid edit is
    assert _field(personas.editors[-1], "name").error.value.endswith("a name is needed</span>")
    assert "Persona 4: a name is needed" in ed.status.value
    draft = restaurant.draft(Personas)
    assert draft is not None and draft["data"]["personas"][-1]["quote"] == "I typed this before giving a name"
    assert draft["problems"] == ["Persona 4: a name is needed"]

    again = editor(restaurant, "personas", autosave=None)  # Run All: the draft is offered back
    assert "Unsaved draft from" in again.banner.children[0].children[0].value
    restore = again.banner.children[0].children[1]
    restore.click()
    restored = _field(again, "personas").child.editors
    assert len(restored) == 4 and _field(restored[-1], "quote").widget.value == "I typed this before giving a name"


@pytest.mark.parametrize(
    ("index", "typed", "message"),
    [
        (0, "", "Persona 1: a name is needed"),
        (1, "Office lunch Olivia", "Persona 2: another persona is already called “Office lunch Olivia”"),
        (0, "x" * 2000, "Persona 1: Name is too long (2,000 characters; at most 120)"),
    ],
)
def test_bad_input_gets_a_plain_message_naming_the_record(restaurant: Workshop, index: int, typed: str,
                                                          message: str) -> None:
    before = restaurant.load(Personas)
    assert before.personas[0].name == "Office lunch Olivia"
    ed = editor(restaurant, "personas", autosave=None)
    _field(_field(ed, "personas").child.editors[index], "name").widget.value = typed
    assert not ed.save()
    assert message in ed.status.value
    assert restaurant.load(Personas) == before  # the record keeps its saved version: nothing saved is lost


def test_text_in_a_number_field_is_named(restaurant: Workshop) -> None:
    ed = editor(restaurant, "map", autosave=None)
    kpi = _field(ed, "kpis").child.editors[0]
    _field(kpi, "baseline").widget.value = "about 14"
    assert not ed.save()
    assert "KPI 1: “about 14” is not a number: type digits only, e.g. 14.5" in ed.status.value
    _field(kpi, "baseline").widget.value = "14,5"
    assert ed.save()
    assert restaurant.load(Map).kpis[0].baseline == 14.5


def test_ids_are_made_from_names_and_titles_follow_the_name(restaurant: Workshop) -> None:
    ed = editor(restaurant, "touchpoints", autosave=None)
    tps = _field(ed, "touchpoints").child
    tps._add()
    new = tps.editors[-1]
    _field(new, "name").widget.value = "Order kiosk"
    assert _field(new, "id").widget.value == "order_kiosk"
    assert tps.accordion.get_title(len(tps.editors) - 1) == "Order kiosk"
    assert ed.save()
    assert restaurant.load(Touchpoints).touchpoints[-1].id == "order_kiosk"


def test_remove_offers_undo(restaurant: Workshop) -> None:
    ed = editor(restaurant, "personas", autosave=None)
    personas = _field(ed, "personas").child
    personas._remove(0)
    ed.save()
    assert len(restaurant.load(Personas).personas) == 2
    undo = personas.undo_bar.children[1]
    assert "Removed persona" in personas.undo_bar.children[0].value
    undo.click()
    ed.save()
    assert len(restaurant.load(Personas).personas) == 3


def test_labels_and_plurals(restaurant: Workshop) -> None:
    ed = editor(restaurant, "map", autosave=None)
    adds = {f.name: f.child.widget.children[2].children[0].description for f in ed.form.fields if f.child}
    assert adds == {"pain_points": "Add pain point", "opportunities": "Add opportunity", "kpis": "Add KPI"}


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
    while len(restaurant.load(Map).pain_points) != 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [p.touchpoint for p in restaurant.load(Map).pain_points] == ["order_counter", "payment"]


def test_step_4_form_holds_only_team_input_and_never_touches_results(restaurant: Workshop) -> None:
    result = behaviour.run(restaurant)
    envelope = restaurant.step_path(BehaviourResults).read_bytes()
    tables = {p.name: p.read_bytes() for p in restaurant.tables_dir(4).glob("*.csv")}
    assert len(result.model.funnel) == 6 and len(tables) >= 8
    ed = editor(restaurant, "behaviour", autosave=None)
    ed.form.emotions["queue"].value = -1.5
    assert ed.save()
    assert restaurant.step_path(BehaviourResults).read_bytes() == envelope
    assert {p.name: p.read_bytes() for p in restaurant.tables_dir(4).glob("*.csv")} == tables
    saved = {e.touchpoint: e for e in restaurant.load(Behaviour).emotions}
    assert saved["queue"].emotion == -1.5 and saved["queue"].source.kind == "team"
    assert saved["web_menu"].source.kind == "template"  # untouched estimates keep their provenance


def test_two_windows_editing_different_fields_both_land(restaurant: Workshop) -> None:
    tab_b = editor(restaurant, "goals", autosave=None)  # opened first
    tab_a = editor(restaurant, "goals", autosave=None)
    _field(tab_a, "customer_goal").widget.value = "Lunch in 20 minutes"
    assert tab_a.save()
    _field(tab_b, "time_period").widget.value = "2027 Q1"
    assert tab_b.save()
    goals = restaurant.load(Goals)
    assert (goals.customer_goal, goals.time_period) == ("Lunch in 20 minutes", "2027 Q1")
    assert _field(tab_b, "customer_goal").widget.value == "Lunch in 20 minutes"  # tab B now shows A's edit


def test_two_windows_editing_the_same_field_show_the_conflict(restaurant: Workshop) -> None:
    tab_b = editor(restaurant, "goals", autosave=None)
    tab_a = editor(restaurant, "goals", autosave=None)
    _field(tab_a, "customer_goal").widget.value = "A's goal"
    assert tab_a.save()
    _field(tab_b, "customer_goal").widget.value = "B's goal"
    assert not tab_b.save()
    conflict = tab_b.banner.children[0].children[0].value
    assert "Changed in another window" in conflict and "A&#x27;s goal" in conflict and "B&#x27;s goal" in conflict
    assert restaurant.load(Goals).customer_goal == "A's goal"
    assert restaurant.draft(Goals)["data"]["customer_goal"] == "B's goal"  # kept, not lost
    keep_mine = tab_b.banner.children[0].children[1].children[0]
    keep_mine.click()
    assert restaurant.load(Goals).customer_goal == "B's goal"


def test_markup_typed_into_a_field_is_stored_and_shown_as_text(restaurant: Workshop) -> None:
    ed = editor(restaurant, "personas", autosave=None)
    personas = _field(ed, "personas").child
    _field(personas.editors[0], "name").widget.value = "<img src=x onerror=alert(1)>"
    assert ed.save()
    assert restaurant.load(Personas).personas[0].name == "<img src=x onerror=alert(1)>"
    assert personas.accordion.get_title(0) == "<img src=x onerror=alert(1)>"  # titles are text in ipywidgets 8


def _descendants(widget):  # type: ignore[no-untyped-def]
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _descendants(child)


def test_step_4_form_shows_one_emotion_dropdown_per_frontstage_touchpoint(restaurant: Workshop) -> None:
    ed = editor(restaurant, "behaviour", autosave=None)
    shown = list(_descendants(ed.widget))
    front = [t.id for t in restaurant.load(Touchpoints).touchpoints if t.layer == "frontstage"]
    assert list(ed.form.emotions) == front and all(ed.form.emotions[tp] in shown for tp in front)


def test_reload_shows_a_pain_point_added_elsewhere_and_a_later_save_keeps_it(restaurant: Workshop) -> None:
    from jmapkit.model import PainPoint

    ed = editor(restaurant, "map", autosave=None)
    step5 = restaurant.load(Map)
    restaurant.save(step5.model_copy(update={"pain_points": [*step5.pain_points, PainPoint(
        touchpoint="queue", description="Promoted from a note")]}))
    ed.reload()
    assert [e.raw()["description"] for e in _field(ed, "pain_points").child.editors][-1] == "Promoted from a note"
    _field(_field(ed, "pain_points").child.editors[0], "owner").widget.value = "Ops"
    assert ed.save()
    saved = restaurant.load(Map).pain_points
    assert saved[0].owner == "Ops" and saved[-1].description == "Promoted from a note"


def test_an_optional_choice_not_set_shows_as_not_set_and_saves_none(restaurant: Workshop) -> None:
    ed = editor(restaurant, "goals", autosave=None)
    refresh = _field(ed, "refresh").widget
    assert (refresh.label, restaurant.load(Goals).refresh) == ("Quarterly", "quarterly")
    refresh.value = ""
    assert refresh.label == "–"
    assert ed.save() and restaurant.load(Goals).refresh is None
    refresh.value = "yearly"
    assert ed.save() and restaurant.load(Goals).refresh == "yearly"
