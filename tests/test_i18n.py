"""Message catalogs (gettext domain "jmapkit"): complete, compiled, used by the CLI, forms and exports."""

from __future__ import annotations

import html.parser
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from click.testing import CliRunner

from jmapkit import i18n
from jmapkit.cli import main
from jmapkit.model import Map
from jmapkit.store import Workshop, new_workshop

PACKAGE = Path(i18n.__file__).parent
LOCALE = PACKAGE / "locale"
TRANSLATED = ("de", "ko", "ja")
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}  # the Makefile's -k _ -k N_ -k ngettext:1,2
# (room/texts.py is the jmapkit-room domain's, with its own N_: the Makefile leaves it out too)
PLACEHOLDER = re.compile(r"\{[a-z_]*\}")


@pytest.fixture(autouse=True)
def _english_afterwards() -> Iterator[None]:
    """A test that switches the language leaves English behind for the next one."""
    yield
    i18n.set_language("en")


def source_messages() -> set[str | tuple[str, str]]:
    """Every message the package's source hands to _(), N_() or ngettext(), extracted with Babel."""
    found: set[str | tuple[str, str]] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(PACKAGE), method_map=[("room/texts.py", "ignore"), ("**.py", "python")], keywords=KEYWORDS):
        found.add(message if isinstance(message, str) else tuple(message))
    return found


def catalog(language: str):  # type: ignore[no-untyped-def]
    with open(LOCALE / language / "LC_MESSAGES" / "jmapkit.po", "rb") as f:
        return read_po(f, locale=language)


def translations(language: str) -> dict[str, list[str]]:
    """msgid (singular) → its translations, for every translated message of the catalog."""
    out = {}
    for m in catalog(language):
        if m.id and m.string and not m.fuzzy:
            ids = list(m.id) if isinstance(m.id, tuple) else [m.id]
            strings = list(m.string) if isinstance(m.string, tuple) else [m.string]
            for msgid in ids:
                out[msgid] = strings
    return out


def test_the_source_has_messages_to_translate() -> None:
    messages = source_messages()
    assert "Funnel by stage" in messages and ("{n} error", "{n} errors") in messages
    assert len(messages) > 400


def test_no_message_hides_in_an_f_string() -> None:
    """Babel extracts _() only outside f-strings: a call inside one would never reach the catalog."""
    import tokenize

    hidden = []
    for path in sorted(PACKAGE.rglob("*.py")):
        with path.open("rb") as f:
            for token in tokenize.tokenize(f.readline):
                if token.type == tokenize.STRING and re.match(r"(?i)[rb]*f", token.string) and \
                        re.search(r"\{[^{}]*(?<![\w.])(_|N_|ngettext)\(\s*['\"]", token.string):
                    hidden.append(f"{path.relative_to(PACKAGE)}:{token.start[0]}")
    assert hidden == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated(language: str) -> None:
    """Lists, per language, the messages of the source that the catalog does not translate (run `make messages`)."""
    cat = catalog(language)
    untranslated = []
    for message in sorted(source_messages(), key=str):
        key = message[0] if isinstance(message, tuple) else message
        entry = cat.get(key)
        strings = entry.string if entry is not None else ""
        strings = strings if isinstance(strings, tuple) else (strings,)
        if entry is None or entry.fuzzy or not all(strings):
            untranslated.append(key)
    assert untranslated == [], f"{len(untranslated)} untranslated in {language}: {untranslated}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_the_placeholders(language: str) -> None:
    """`.format(name=...)` fills a translation only if it names the same fields as the English."""
    wrong = []
    for m in catalog(language):
        if not m.id:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        expected = {frozenset(PLACEHOLDER.findall(i)) for i in ids}
        wrong += [(ids[0], s) for s in strings if frozenset(PLACEHOLDER.findall(s)) not in expected]
    assert wrong == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_committed_mo_is_the_compiled_po(language: str) -> None:
    """The shipped .mo cannot drift from the .po a translator edits: `make messages` compiles both."""
    fresh = io.BytesIO()
    write_mo(fresh, catalog(language), use_fuzzy=False)
    assert (LOCALE / language / "LC_MESSAGES" / "jmapkit.mo").read_bytes() == fresh.getvalue()


def test_a_missing_message_falls_back_to_english() -> None:
    i18n.set_language("de")
    assert i18n._("Funnel by stage") == "Funnel nach Phase"
    assert i18n._("no such message in any catalog") == "no such message in any catalog"
    assert i18n.ngettext("{n} warning", "{n} warnings", 3).format(n=3) == "3 Warnungen"
    i18n.set_language("fr")  # no catalog: English
    assert i18n._("Funnel by stage") == "Funnel by stage"


@pytest.mark.parametrize(("environ", "language"), [
    ({"LANG": "de_DE.UTF-8"}, "de"),
    ({"LANG": "ko_KR.UTF-8"}, "ko"),
    ({"LANG": "ja_JP.eucJP"}, "ja"),
    ({"LANG": "fr_FR.UTF-8"}, "en"),
    ({"LANG": "C.UTF-8"}, "en"),
    ({"LANG": "de_DE.UTF-8", "LC_ALL": "ja_JP.UTF-8"}, "ja"),  # LC_ALL wins
    ({"LANG": "de_DE.UTF-8", "LC_MESSAGES": "ko_KR.UTF-8"}, "ko"),
    ({"LANG": "de_DE.UTF-8", "LC_ALL": ""}, "de"),  # an empty variable does not count
    ({"LANG": "de_AT@euro"}, "de"),
    ({}, "en"),
])
def test_language_from_the_locale(environ: dict[str, str], language: str) -> None:
    assert i18n.language_from_environment(environ) == language


@pytest.mark.parametrize(("lang_env", "language"), [("de_DE.UTF-8", "de"), ("ja_JP.UTF-8", "ja"), ("C", "en")])
def test_new_takes_the_language_from_the_locale(tmp_path: Path, lang_env: str, language: str) -> None:
    target = tmp_path / "w"
    result = CliRunner().invoke(main, ["new", str(target)], env={"LANG": lang_env, "LC_ALL": "", "LC_MESSAGES": ""})
    assert result.exit_code == 0, result.output
    assert Workshop(target).meta.language == language


def test_new_lang_beats_the_locale(tmp_path: Path) -> None:
    target = tmp_path / "w"
    result = CliRunner().invoke(main, ["new", str(target), "--lang", "ko"], env={"LANG": "de_DE.UTF-8"})
    assert result.exit_code == 0, result.output
    assert Workshop(target).meta.language == "ko"
    # The command's own output is already in the workshop's language.
    name = Workshop(target).meta.name
    assert result.output.splitlines()[0] == f"워크숍 ‘{name}’을(를) {target.resolve()}에 만들었습니다"


def test_check_speaks_the_workshops_language(tmp_path: Path) -> None:
    ws = new_workshop(tmp_path / "w", template="restaurant", language="de")
    result = CliRunner().invoke(main, ["check", str(ws.root)], env={"LANG": "C"})
    last = result.output.splitlines()[-1]
    assert re.fullmatch(r"\d+ Fehler, \d+ Warnung(en)?", last), last
    assert "Schritt 4" in result.output and " step 4 " not in result.output


def test_an_error_before_any_workshop_speaks_the_locale(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["check", str(tmp_path)], env={"LANG": "de_DE.UTF-8", "LC_ALL": ""})
    assert result.exit_code == 2
    assert result.output.startswith(f"Fehler: {tmp_path.resolve()} ist kein Workshop (kein workshop.json).")


# --- numbers in forms -------------------------------------------------------------------------------------------


def _kpi_baseline(ws: Workshop):  # type: ignore[no-untyped-def]
    from jmapkit.widgets import editor

    ed = editor(ws, "map", autosave=None)
    kpis = next(f for f in ed.form.fields if f.name == "kpis")
    return ed, next(f for f in kpis.child.editors[0].fields if f.name == "baseline")


def test_a_german_baseline_typed_with_a_comma_is_stored_and_shown_again(tmp_path: Path) -> None:
    ws = new_workshop(tmp_path / "w", template="restaurant", language="de")
    i18n.set_language(ws.meta.language)  # what notebook.setup does
    ed, baseline = _kpi_baseline(ws)
    baseline.widget.value = "14,5"
    assert ed.save()
    assert ws.load(Map).kpis[0].baseline == 14.5
    ed, baseline = _kpi_baseline(ws)
    assert baseline.widget.value == "14,5"  # a new form shows it the German way
    baseline.widget.value = "1.424,5"  # German grouping
    assert ed.save()
    assert ws.load(Map).kpis[0].baseline == 1424.5
    ed, baseline = _kpi_baseline(ws)
    assert baseline.widget.value == "1424,5"  # no grouping in a field one edits
    baseline.widget.value = "etwa 14"
    assert not ed.save()
    assert "„etwa 14“ ist keine Zahl: Tippen Sie nur Ziffern, z. B. 14,5" in ed.status.value
    assert ws.load(Map).kpis[0].baseline == 1424.5  # bad input never replaces a good value


@pytest.mark.parametrize(("language", "typed", "value", "shown"), [
    ("en", "14.5", 14.5, "14.5"), ("en", "14,5", 14.5, "14.5"), ("en", "1,424", 1424.0, "1424"),
    ("de", "14.5", 14.5, "14,5"), ("ko", "14,5", 14.5, "14.5"), ("ja", "−3", -3.0, "-3"),
])
def test_number_fields_read_and_show_each_language(tmp_path: Path, language: str, typed: str, value: float,
                                                   shown: str) -> None:
    ws = new_workshop(tmp_path / "w", template="restaurant", language=language)
    i18n.set_language(language)
    ed, baseline = _kpi_baseline(ws)
    baseline.widget.value = typed
    assert ed.save()
    assert ws.load(Map).kpis[0].baseline == value
    assert _kpi_baseline(ws)[1].widget.value == shown


# --- exports: no English UI string left -------------------------------------------------------------------------


class _VisibleText(html.parser.HTMLParser):
    """The text a reader sees: no script or style, no attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._hidden += tag in ("script", "style")

    def handle_endtag(self, tag: str) -> None:
        self._hidden -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def _page_text(path: Path) -> str:
    parser = _VisibleText()
    parser.feed(path.read_text(encoding="utf-8"))
    return "\n".join(parser.parts)


def _deck_text(path: Path) -> str:
    from pptx import Presentation

    parts = []
    for slide in Presentation(str(path)).slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                parts.append(shape.text_frame.text)
            if shape.has_table:
                parts += [cell.text for row in shape.table.rows for cell in row.cells]
        if slide.has_notes_slide:
            parts.append(slide.notes_slide.notes_text_frame.text)
    return "\n".join(parts)


def _content_strings(ws: Workshop) -> set[str]:
    """Everything the team, the template or the data put into the steps (names, labels, notes, themes …)."""
    found: set[str] = {ws.meta.name}

    def walk(value: object) -> None:
        if isinstance(value, str):
            found.add(value)
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(k)
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    for path in sorted(ws.path("steps").glob("*.json")):
        walk(json.loads(path.read_text(encoding="utf-8")))
    return {s for s in found if len(s) > 2}


def _without_content(text: str, content: set[str]) -> str:
    """The export's text with every content string cut out (line breaks a deck wraps with count as spaces)."""
    flat = " ".join(text.split())
    for s in sorted((" ".join(c.split()) for c in content), key=len, reverse=True):
        if s:
            flat = flat.replace(s, " ")
    return flat


def english_left(text: str, language: str) -> list[str]:
    """Catalog messages whose English (a literal part of it, long enough to mean something) is in the text.

    Only messages the language translates differently count; a name the team typed is cut out beforehand.
    """
    left = []
    for msgid, strings in translations(language).items():
        if all(s == msgid for s in strings):
            continue
        for fragment in PLACEHOLDER.split(msgid):
            words = fragment.strip(" .,:;()–—-·")
            if len(words) >= 6 and re.search(r"[A-Za-z]{3}", words) and \
                    re.search(r"(?<![A-Za-z])" + re.escape(words) + r"(?![A-Za-z])", text):
                left.append(words)
    return sorted(set(left))


def test_english_left_finds_an_english_label() -> None:
    """The detector itself: an English label in a German text is found, the German one is not."""
    assert english_left("Kundenziel: lunch · Funnel by stage", "de") == ["Funnel by stage"]
    assert english_left("Kundenziel: lunch · Funnel nach Phase", "de") == []


@pytest.mark.slow
@pytest.mark.parametrize("language", TRANSLATED)
def test_deck_and_page_carry_no_english_ui_string(tmp_path: Path, language: str) -> None:
    from jmapkit.steps import behaviour

    target = tmp_path / f"restaurant-{language}"
    runner = CliRunner()
    result = runner.invoke(main, ["new", str(target), "--template", "restaurant", "--lang", language],
                           env={"LANG": "C"})
    assert result.exit_code == 0, result.output
    ws = Workshop(target)
    behaviour.run(ws)
    i18n.set_language("en")  # the export must set the workshop's language itself
    for fmt in ("pptx", "html"):
        result = runner.invoke(main, ["export", str(target), "--to", fmt], env={"LANG": "C"})
        assert result.exit_code == 0, result.output
    content = _content_strings(ws)
    deck = _without_content(_deck_text(target / "exports" / f"{target.name}.pptx"), content)
    page = _without_content(_page_text(target / "exports" / f"{target.name}.html"), content)
    assert english_left(deck, language) == []
    assert english_left(page, language) == []
    # The translated labels are there (not an empty deck passing by having no text at all).
    for text in (deck, page):
        assert translations(language)["Top pain points"][0] in text
