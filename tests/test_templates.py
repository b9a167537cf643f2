"""Workshop templates: each validates, lists with a description, teaches (notes, KPI library), regenerates its
data, and a broken template file gives a clear error naming the field; end to end per template (slow)."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from jmapkit import templates
from jmapkit.cli import main
from jmapkit.errors import TemplateInvalid
from jmapkit.model import STEPS
from jmapkit.resources import templates_dir
from jmapkit.store import Workshop, new_workshop

NAMES = ["default", "ecommerce", "public-service", "restaurant", "saas-onboarding"]
WITH_DATA = ["ecommerce", "public-service", "restaurant", "saas-onboarding"]


def invoke(*args: object) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def test_five_templates_with_one_line_descriptions() -> None:
    found = templates.catalogue()
    assert [name for name, _ in found] == NAMES
    assert all(description and "\n" not in description and "broken" not in description for _, description in found)
    assert templates.with_data() == WITH_DATA


@pytest.mark.parametrize("args", [("new", "--template"), ("templates",)])
def test_new_without_a_name_lists_the_templates(args: tuple[str, ...]) -> None:
    code, out, _ = invoke(*args)
    width = max(map(len, NAMES))
    expected = [f"{name:<{width}}  {templates.load(name).description}" for name in NAMES]
    assert code == 0
    assert out.splitlines() == [*expected, "Use one with: jmapkit new DIR --template NAME"]


def test_new_without_a_folder_says_so() -> None:
    assert invoke("new") == (2, "", "Error: missing DIRECTORY. Fix: write `jmapkit new DIR [--template NAME]`.\n")


@pytest.mark.parametrize("name", NAMES)
def test_template_validates_and_teaches(name: str, tmp_path: Path) -> None:
    spec = templates.load(name)
    assert set(spec.notes) == {info.key for info in STEPS}
    assert all(len(text) > 80 for text in spec.notes.values())
    assert templates.notes(name, 3) == spec.notes["touchpoints"]
    ws = new_workshop(tmp_path / "w", template=name)
    stages = [s.id for s in ws.load(3).stages]
    assert list(spec.kpi_library) == stages  # a KPI idea for every stage, in journey order
    assert all(k.definition for k in templates.kpi_library(name))
    assert templates.kpi_library(name, stages[0]) == spec.kpi_library[stages[0]]
    ws.validate_all()


@pytest.mark.parametrize("name", ["ecommerce", "public-service", "saas-onboarding"])
def test_new_templates_mark_handoffs_and_moments_of_truth(name: str, tmp_path: Path) -> None:
    from jmapkit.quality import check

    ws = new_workshop(tmp_path / "w", template=name)
    found = {f.code for f in check(ws)}
    assert not found & {"JM303", "JM304", "JM305", "JM511", "JM512", "JM513"}
    assert not [f for f in check(ws) if f.severity == "error"]


@pytest.mark.parametrize("name", WITH_DATA)
def test_make_data_regenerates_the_committed_files(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = templates_dir() / name / "make_data.py"
    spec = importlib.util.spec_from_file_location(f"make_data_{name.replace('-', '_')}", script)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "HERE", tmp_path)
    module.main()
    committed = sorted(p.name for p in (templates_dir() / name / "data").iterdir())
    assert sorted(p.name for p in tmp_path.iterdir()) == committed
    for file in committed:
        assert (tmp_path / file).read_bytes() == (templates_dir() / name / "data" / file).read_bytes(), file


# --- broken template files ------------------------------------------------------------------------------------------


@pytest.fixture
def broken(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the templates folder that jmapkit reads instead of the packaged one."""
    folder = tmp_path / "templates"
    shutil.copytree(templates_dir() / "restaurant", folder / "broken", ignore=shutil.ignore_patterns("data"))
    monkeypatch.setattr("jmapkit.resources.templates_dir", lambda: folder)
    monkeypatch.setattr("jmapkit.store.templates_dir", lambda: folder)
    return folder / "broken" / "template.yaml"


@pytest.mark.parametrize(
    ("old", "new", "named"),
    [
        ("stage: awareness\n        channel: {en: social", "stage: awarenes\n        channel: {en: social",
         "steps.touchpoints: Value error, touchpoint 'instagram' is in stage 'awarenes'"),
        ("ja: SNS}\n        owner: {en: Marketing", "ja: SNS}\n        ownr: {en: Marketing",
         "steps.touchpoints.touchpoints.0.ownr: Extra inputs are not permitted"),
        ("        severity: 5\n", "        severity: 9\n",
         "steps.map.pain_points.0.severity: Input should be less than or equal to 5 (got 9)"),
        ("kpi_library:\n  awareness:", "kpi_library:\n  awarness:",
         "kpi_library.awarness: not a stage of steps.touchpoints"),
        ("description:\n  en: A taqueria", "descripton:\n  en: A taqueria",
         "descripton: Extra inputs are not permitted"),
        ("  map:\n    en: >-", "  mapping:\n    en: >-", "notes.mapping: not a step"),
    ],
)
def test_broken_template_names_the_field(broken: Path, tmp_path: Path, old: str, new: str, named: str) -> None:
    text = broken.read_text(encoding="utf-8")
    assert old in text
    broken.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(TemplateInvalid) as caught:
        templates.load("broken")
    assert named in caught.value.what
    code, _, err = invoke("new", tmp_path / "w", "--template", "broken")
    assert code == 2 and err.count("\n") == 1
    assert err.startswith(f"Error: {broken}: ") and named in err
    assert err.endswith("Fix: correct the field named in template.yaml (docs/templates.md describes the format).\n")
    assert not (tmp_path / "w").exists()
    assert dict(templates.catalogue())["broken"].startswith("(broken: ")


def test_yaml_syntax_error_names_the_line(broken: Path) -> None:
    lines = broken.read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if line == "  personas:" and lines[i + 1] == "    personas:")  # steps
    assert lines[at + 3] == "          en: Office lunch Olivia"
    lines[at + 3] = "          en: [Office lunch Olivia"
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(TemplateInvalid) as caught:
        templates.load("broken")
    assert caught.value.where == f"{broken}:{at + 5}"


def test_demo_needs_a_template_with_data(tmp_path: Path) -> None:
    code, _, err = invoke("demo", tmp_path / "d", "--template", "default")
    assert (code, err) == (2, "Error: the template 'default' has no example data to run. "
                               f"Fix: use one of: {', '.join(WITH_DATA)}.\n")


# --- end to end --------------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("name", ["public-service", "saas-onboarding"])
def test_new_run_check_export(name: str, tmp_path: Path) -> None:
    """new, run, check and export pptx work on a fresh workshop of each template (e-commerce: test_drilldown)."""
    run_check_export(tmp_path / name, name)


def run_check_export(folder: Path, template: str) -> Workshop:
    """The CLI's new → run → check → export pptx on a fresh workshop; returns it."""
    from pptx import Presentation

    assert invoke("new", folder, "--template", template)[0] == 0
    code, out, err = invoke("run", folder)
    assert code == 0, err
    ws = Workshop(folder)
    from jmapkit.model import BehaviourResults

    results = ws.load(BehaviourResults)
    assert set(results.inputs) == {"events", "survey", "verbatims"}
    assert results.funnel and results.scores and not results.warnings
    code, out, _ = invoke("check", folder)
    assert code == 0, out  # warnings only: the example map is complete, though not yet reviewed
    assert "JM601" in out and "JM801" not in out
    code, out, _ = invoke("check", folder, "--strict")
    assert code == 1
    code, out, _ = invoke("export", folder, "--to", "pptx")
    assert code == 0
    deck = Presentation(str(ws.path("exports", f"{folder.name}.pptx")))
    # The deck breaks long lines with a vertical tab: compare the words.
    title = " ".join(" ".join(shape.text_frame.text for shape in deck.slides[0].shapes if shape.has_text_frame).split())
    assert ws.meta.name in title and "Check: 0 errors, " in title and "JM601" in title
    return ws


def test_localize_picks_the_language_and_falls_back_to_english() -> None:
    from jmapkit.templates import localize

    raw = {"name": {"en": "Queue", "de": "Warteschlange", "ko": "대기 줄", "ja": "行列"}, "id": "queue",
           "actions": [{"en": "Pays", "de": "Bezahlt"}, "plain"], "owner": {"en": "Store"}}
    assert localize(raw, "de") == {"name": "Warteschlange", "id": "queue", "actions": ["Bezahlt", "plain"],
                                   "owner": "Store"}
    assert localize(raw, "ja")["actions"] == ["Pays", "plain"]  # no Japanese text: English
    assert localize(raw, "en")["name"] == "Queue"


# Every human-readable text of a template, as a path with `*` for any key or list item; each is a mapping
# {en, de, ko, ja}. Ids, references, segments, event maps, data sources, evidence paths, scope, layer,
# refresh, flags and numbers are not in the list and stay plain. A unit that is the same in every language
# ("%", "min") may stay plain.
HUMAN_TEXT = [
    "name", "description", "notes.*",
    "kpi_library.*.*.name", "kpi_library.*.*.definition", "kpi_library.*.*.unit",
    "steps.goals.customer_goal", "steps.goals.business_objectives.*", "steps.goals.time_period",
    "steps.goals.success_metrics.*", "steps.goals.out_of_scope.*",
    *(f"steps.personas.personas.*.{f}" for f in ("name", "role", "quote", "goals.*", "needs.*", "frustrations.*")),
    "steps.touchpoints.stages.*.name", "steps.touchpoints.stages.*.actions.*",
    *(f"steps.touchpoints.touchpoints.*.{f}" for f in ("name", "channel", "owner")),
    *(f"steps.map.pain_points.*.{f}" for f in ("description", "owner", "fix")),
    *(f"steps.map.opportunities.*.{f}" for f in ("description", "owner")),
    *(f"steps.map.kpis.*.{f}" for f in ("name", "unit", "owner")),
]
LANGUAGE_NEUTRAL = {"%", "min"}


def _at(value: object, path: list[str], where: str = "") -> list[tuple[str, object]]:
    """(path, value) of every field the path names in a template's raw YAML; `*` is any key or list item."""
    if not path:
        return [(where, value)]
    head, rest = path[0], path[1:]
    if isinstance(value, list) and head == "*":
        return [hit for i, item in enumerate(value) for hit in _at(item, rest, f"{where}.{i}")]
    if isinstance(value, dict) and not _is_text(value):
        keys = list(value) if head == "*" else [head] if head in value else []
        return [hit for key in keys for hit in _at(value[key], rest, f"{where}.{key}".lstrip("."))]
    return []


def _is_text(value: object) -> bool:
    return isinstance(value, dict) and "en" in value and set(value) <= {"en", "de", "ko", "ja"}


def _texts(value: object, where: str = "") -> list[str]:
    """The path of every {en, ...} mapping in the raw YAML, wherever it is."""
    if _is_text(value):
        return [where]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _texts(v, f"{where}.{k}".lstrip("."))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _texts(v, f"{where}.{i}")]
    return []


@pytest.mark.parametrize("name", NAMES)
def test_template_text_is_in_four_languages(name: str) -> None:
    import yaml

    raw = yaml.safe_load((templates_dir() / name / "template.yaml").read_text(encoding="utf-8"))
    fields = [hit for path in HUMAN_TEXT for hit in _at(raw, path.split("."))]
    assert {"name", "description", "notes.goals"} <= {where for where, _ in fields}
    untranslated = [f"{where}: {value!r}" for where, value in fields
                    if not (_is_text(value) and set(value) == {"en", "de", "ko", "ja"}
                            and all(isinstance(t, str) and t.strip() for t in value.values()))
                    and not (isinstance(value, str) and value in LANGUAGE_NEUTRAL)]
    assert not untranslated
    assert set(_texts(raw)) <= {where for where, _ in fields}  # nothing else (ids, references, data) translated
    for language in ("de", "ko", "ja"):
        assert len(templates.load(name, language).description) <= 160


@pytest.mark.parametrize("language", ["de", "ko", "ja"])
def test_a_translated_workshop_checks_like_the_english_one(language: str, tmp_path: Path) -> None:
    """Owner teams, handoffs and KPIs read the same in every language, so the check finds the same things."""
    from jmapkit.quality import check

    english = new_workshop(tmp_path / "en", template="restaurant", language="en")
    translated = new_workshop(tmp_path / language, template="restaurant", language=language)
    assert translated.load(3).stages[0].name != english.load(3).stages[0].name  # the workshop is in its language
    codes = [sorted(f.code for f in check(ws)) for ws in (english, translated)]
    assert codes[0] == codes[1]
    assert "JM305" in codes[1]
