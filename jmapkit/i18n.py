"""Translation of user-facing text: gettext catalogs under jmapkit/locale/, English when none matches.

Every message a facilitator, a participant or a reader of an export sees goes through `_()`, so the
catalogs (de, ko, ja; built with Babel) can translate it. The language is the workshop's: a notebook
or a command sets it once with `set_language(ws.meta.language)`.
"""

from __future__ import annotations

import gettext
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
    return _language


def _(message: str) -> str:
    """The message in the current language."""
    return _catalog(_language).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Singular or plural, as the current language counts."""
    return _catalog(_language).ngettext(singular, plural, n)
