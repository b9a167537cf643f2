"""Translation of user-facing text: gettext catalogs under jmapkit/locale/, English when none matches.

Every message a facilitator, a participant or a reader of an export sees goes through `_()`, so the
catalogs (de, ko, ja; built with Babel) can translate it. The language is the workshop's: a notebook
or a command sets it once with `set_language(ws.meta.language)`.
"""

from __future__ import annotations

import gettext
import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

DOMAIN = "jmapkit"
LOCALE_DIR = Path(__file__).parent / "locale"
_language = "en"


@lru_cache(maxsize=8)
def _catalog(language: str) -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[language], fallback=True)


def set_language(language: str) -> None:
    """Use this language's catalog from now on (a missing catalog or message falls back to English)."""
    global _language
    _language = language


def language() -> str:
    """The language messages are translated into now."""
    return _language


LANGUAGES = ("en", "de", "ko", "ja")
# POSIX order: LC_ALL overrides LC_MESSAGES, which overrides LANG.
_LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")


def language_from_environment(environ: Mapping[str, str] | None = None) -> str:
    """The workshop language the user's locale asks for (de_DE.UTF-8 → de), English for any other locale."""
    environ = os.environ if environ is None else environ
    for variable in _LOCALE_VARIABLES:
        value = environ.get(variable, "")
        if value:
            # The first set variable decides, as in setlocale(); "C" and "POSIX" mean English.
            code = value.split(".")[0].split("@")[0].split("_")[0].lower()
            return code if code in LANGUAGES else "en"
    return "en"


def _(message: str) -> str:
    """The message in the current language."""
    return _catalog(_language).gettext(message)


def N_(message: str) -> str:
    """Mark a constant for the catalog without translating it yet (it is translated where it is shown)."""
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    """Singular or plural, as the current language counts."""
    return _catalog(_language).ngettext(singular, plural, n)
