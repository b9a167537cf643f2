from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest

from jmapkit import __version__
from jmapkit.errors import (
    SaveConflict,
    SchemaTooNew,
    StepInvalid,
    StepMissing,
    TemplateNotFound,
    WorkshopExists,
    WorkshopNotFound,
)
from jmapkit.model import Behaviour, BehaviourResults, Goals, Persona, Personas
from jmapkit.store import FOLDERS, MIGRATIONS, Workshop, new_workshop, open_workshop


def test_new_workshop_has_the_designed_layout(restaurant: Workshop) -> None:
    for folder in FOLDERS:
        assert restaurant.path(folder).is_dir(), folder
    assert sorted(p.name for p in restaurant.path("notebooks").glob("*.ipynb")) == [
        "1-goals.ipynb", "2-personas.ipynb", "3-touchpoints.ipynb",
        "4-behaviour.ipynb", "5-map.ipynb",
    ]
    assert sorted(p.name for p in restaurant.path("data").iterdir()) == ["events.csv", "survey.csv", "verbatims.csv"]
    meta = json.loads(restaurant.path("workshop.json").read_text())
    assert (meta["template"], meta["language"], meta["jmapkit"]) == ("restaurant", "en", __version__)


def test_template_content_is_marked_as_template(restaurant: Workshop) -> None:
    goals = restaurant.load(1)
    personas = restaurant.load(2)
    assert goals.source.kind == "template"
    assert [p.source.kind for p in personas.personas] == ["template"] * 3


def test_envelope_round_trip(restaurant: Workshop) -> None:
    goals = Goals(customer_goal="Eat quickly", time_period="Q4", business_objectives=["a", "b"])
    path = restaurant.save(goals).path
    envelope = json.loads(path.read_text())
    assert envelope["schema"] == "jmapkit/goals"
    assert envelope["version"] == 1
    assert envelope["jmapkit"] == __version__
    assert envelope["revision"] == 2  # the template's goals were revision 1
    assert restaurant.load(1) == goals


def test_every_save_keeps_the_previous_version(restaurant: Workshop) -> None:
    first = restaurant.step_path(1).read_bytes()
    restaurant.save(Goals(customer_goal="one"))
    restaurant.save(Goals(customer_goal="two"))
    history = restaurant.history(1)
    assert len(history) == 2
    assert history[0].read_bytes() == first
    assert json.loads(history[1].read_text())["data"]["customer_goal"] == "one"
    assert restaurant.load(1).customer_goal == "two"


def test_saving_unchanged_data_adds_no_revision(restaurant: Workshop) -> None:
    restaurant.save(restaurant.load(1))
    assert restaurant.history(1) == []


def test_newer_envelope_version_is_a_clear_error(restaurant: Workshop) -> None:
    path = restaurant.step_path(1)
    envelope = json.loads(path.read_text())
    envelope["version"] = 7
    envelope["jmapkit"] = "9.0.0"
    path.write_text(json.dumps(envelope))
    with pytest.raises(SchemaTooNew) as info:
        restaurant.load(1)
    message = str(info.value)
    assert "9.0.0" in message and "version 7" in message and "reads up to version 1" in message
    assert "upgrade jmapkit" in message


def test_older_envelope_is_migrated(restaurant: Workshop, monkeypatch: pytest.MonkeyPatch) -> None:
    from jmapkit.model import STEPS

    path = restaurant.step_path(1)
    envelope = json.loads(path.read_text())
    envelope["data"]["goal"] = envelope["data"].pop("customer_goal")  # what a version-1 file might have said
    path.write_text(json.dumps(envelope))
    info = STEPS[0]
    monkeypatch.setattr(info, "schema_version", 2)
    monkeypatch.setitem(MIGRATIONS, ("goals", 1), lambda d: {**{k: v for k, v in d.items() if k != "goal"},
                                                             "customer_goal": d["goal"]})
    assert restaurant.load(1).customer_goal.startswith("Get a great lunch")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "not valid JSON"),
        ('{"schema": "jmapkit/personas", "version": 1, "data": {}}', "expected 'jmapkit/goals'"),
        ('{"schema": "jmapkit/goals", "version": 1, "data": {"scope": "galaxy"}}', "scope"),
        ('{"schema": "jmapkit/goals", "version": 0, "data": {}}', "not a positive whole number"),
    ],
)
def test_broken_step_files_name_file_and_fix(restaurant: Workshop, content: str, expected: str) -> None:
    restaurant.save(Goals(customer_goal="kept"))  # so history has a good version to restore
    path = restaurant.step_path(1)
    path.write_text(content)
    with pytest.raises(StepInvalid) as info:
        restaurant.load(1)
    message = str(info.value)
    assert str(path) in message and expected in message
    assert "restore the last good version from" in message


def test_missing_earlier_step_names_it(blank: Workshop) -> None:
    blank.step_path(2).unlink()
    with pytest.raises(StepMissing) as info:
        blank.require(1, 2, 3)
    assert "step 2 (Personas) has not been saved yet" in str(info.value)
    assert "2-personas.ipynb" in str(info.value)


def test_a_new_workshop_has_every_step_saved(blank: Workshop) -> None:
    assert [blank.has(n) for n in range(1, 6)] == [True] * 5
    assert blank.load(Personas) == Personas()


def test_typed_loading_returns_the_class_asked_for(restaurant: Workshop) -> None:
    goals = restaurant.load(Goals)
    assert isinstance(goals, Goals) and goals == restaurant.load(1) == restaurant.load("goals")
    assert isinstance(restaurant.load_or_default(BehaviourResults), BehaviourResults)


def test_a_stale_save_of_other_fields_merges(restaurant: Workshop) -> None:
    base = restaurant.revision(Goals)
    start = restaurant.load(Goals)
    tab_a = start.model_copy(update={"customer_goal": "Lunch in 20 minutes"})
    tab_b = start.model_copy(update={"time_period": "2027 Q1"})
    assert restaurant.save(tab_a, base=base).revision == base + 1
    saved = restaurant.save(tab_b, base=base)
    assert saved.merged and saved.revision == base + 2
    goals = restaurant.load(Goals)
    assert (goals.customer_goal, goals.time_period) == ("Lunch in 20 minutes", "2027 Q1")


def test_a_stale_save_of_the_same_field_is_a_conflict_and_writes_nothing(restaurant: Workshop) -> None:
    base = restaurant.revision(Goals)
    start = restaurant.load(Goals)
    restaurant.save(start.model_copy(update={"customer_goal": "A"}), base=base)
    before = restaurant.step_path(1).read_bytes()
    with pytest.raises(SaveConflict) as info:
        restaurant.save(start.model_copy(update={"customer_goal": "B"}), base=base)
    assert [(c.where, c.mine, c.theirs) for c in info.value.conflicts] == [("customer_goal", "B", "A")]
    assert "changed in another window" in str(info.value)
    assert restaurant.step_path(1).read_bytes() == before


def test_records_edited_in_two_windows_merge_item_by_item(restaurant: Workshop) -> None:
    base = restaurant.revision(Personas)
    start = restaurant.load(Personas)
    a = [p.model_copy() for p in start.personas]
    a[0] = a[0].model_copy(update={"role": "night shift"})
    b = [p.model_copy() for p in start.personas] + [Persona(name="New one")]
    b[1] = b[1].model_copy(update={"quote": "fast please"})
    restaurant.save(Personas(personas=a), base=base)
    restaurant.save(Personas(personas=b), base=base)
    merged = restaurant.load(Personas).personas
    assert merged[0].role == "night shift" and merged[1].quote == "fast please"
    assert [p.name for p in merged][-1] == "New one" and len(merged) == len(start.personas) + 1


def test_drafts_are_kept_offered_and_discarded(restaurant: Workshop) -> None:
    assert restaurant.draft(Personas) is None
    restaurant.save_draft(Personas, {"personas": [{"name": ""}]}, base=1, problems=["Persona 1: a name is needed"])
    draft = restaurant.draft(Personas)
    assert draft is not None and draft["base"] == 1 and draft["data"] == {"personas": [{"name": ""}]}
    restaurant.discard_draft(Personas)
    assert restaurant.draft(Personas) is None


def test_step_4_version_1_keeps_the_team_input_and_drops_computed_results(restaurant: Workshop) -> None:
    old = {"data": {"events": "data/events.csv"}, "emotions": [{"touchpoint": "queue", "emotion": -1.5}],
           "inputs": {"events": {"path": "data/events.csv", "sha256": "ab" * 32}}, "funnel": [], "run": "r1"}
    restaurant.step_path(4).write_text(json.dumps({"schema": "jmapkit/behaviour", "version": 1, "data": old}))
    b = restaurant.load(Behaviour)
    assert b.data == {"events": "data/events.csv"} and [e.emotion for e in b.emotions] == [-1.5]


def test_invalid_model_is_not_written(restaurant: Workshop) -> None:
    before = restaurant.step_path(2).read_bytes()
    with pytest.raises(ValueError):
        restaurant.save(Personas.model_construct(personas=[Persona(name="A"), Persona(name="A")]))
    assert restaurant.step_path(2).read_bytes() == before


def test_find_walks_up_from_a_subfolder(restaurant: Workshop) -> None:
    assert open_workshop(restaurant.path("notebooks")).root == restaurant.root


def test_not_a_workshop(tmp_path: Path) -> None:
    with pytest.raises(WorkshopNotFound) as info:
        open_workshop(tmp_path)
    assert "jmapkit new" in str(info.value)


def test_new_refuses_to_overwrite(restaurant: Workshop) -> None:
    with pytest.raises(WorkshopExists):
        new_workshop(restaurant.root, template="restaurant")


def test_unknown_template_lists_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(TemplateNotFound) as info:
        new_workshop(tmp_path / "w", template="bakery")
    assert "'bakery'" in str(info.value) and "default" in str(info.value) and "restaurant" in str(info.value)
    assert not (tmp_path / "w").exists()


def _save_many(root: str, worker: int) -> None:
    ws = Workshop(root)
    for i in range(15):
        ws.save(Goals(customer_goal=f"writer {worker} save {i}"))
        ws.append_vote("emotion", {"participant": f"p{worker}", "touchpoint": "queue", "emotion": -1, "i": i})


def test_concurrent_writers_do_not_corrupt(restaurant: Workshop) -> None:
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_save_many, args=(str(restaurant.root), w)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    # The final file is whole and valid, and every one of the 60 saves left exactly one revision behind it.
    assert restaurant.load(1).customer_goal.startswith("writer ")
    envelope = json.loads(restaurant.step_path(1).read_text())
    assert envelope["revision"] == 61
    assert len(restaurant.history(1)) == 60
    for old in restaurant.history(1):
        json.loads(old.read_text())
    votes = restaurant.votes("emotion")
    assert len(votes) == 60
    expected = sorted((f"p{w}", i) for w in range(4) for i in range(15))
    assert sorted((v["participant"], v["i"]) for v in votes) == expected
    assert not list(restaurant.path("steps").glob(".*.tmp"))


def test_append_vote_writes_several_records_in_order_with_one_timestamp(restaurant: Workshop) -> None:
    restaurant.append_vote("notes", {"n": 1}, {"n": 2, "at": "2026-01-01T00:00:00+00:00"})
    got = restaurant.votes("notes")
    assert [r["n"] for r in got] == [1, 2]
    assert got[1]["at"] == "2026-01-01T00:00:00+00:00"  # a record's own stamp wins (the room applies what it wrote)
    assert restaurant.path("votes", "notes.jsonl").read_bytes().count(b"\n") == 2


def test_votes_skip_a_torn_last_line_with_a_warning_and_appends_start_a_new_line(restaurant: Workshop) -> None:
    from jmapkit.store import TornLineWarning

    restaurant.append_vote("emotion", {"n": 1})
    path = restaurant.path("votes", "emotion.jsonl")
    with open(path, "ab") as f:
        f.write('{"n": 2, "text": "caf\u00e9'.encode()[:-1])  # cut inside a UTF-8 character, as a crash may
    with pytest.warns(TornLineWarning, match=r"emotion\.jsonl: skipped 1 line .* \(line 2\)"):
        assert [r["n"] for r in restaurant.votes("emotion")] == [1]
    restaurant.append_vote("emotion", {"n": 3})
    with pytest.warns(TornLineWarning, match=r"\(line 2\)"):
        assert [r["n"] for r in restaurant.votes("emotion")] == [1, 3]
