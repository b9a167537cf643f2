"""Names sorted as people read them: the Unicode Collation Algorithm (pyuca, pure Python) for every language.

Python's `sorted` orders by code point: German "Ärger" lands after "Zoe" and Japanese katakana after all
hiragana. The UCA's default table (DUCET) sorts ä with a (German dictionary order), Hangul syllables in jamo
order (ㄱ ㄴ ㄷ …) and kana in gojūon order with hiragana and katakana of one sound together, which is what
de, ko and ja readers expect of a list of names; no language here needs a tailoring of it. Babel has no
collation. docs/languages-pages.md lists what was measured.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any, TypeVar

T = TypeVar("T")


@lru_cache(maxsize=1)
def _collator() -> Any:
    from pyuca import Collator  # reads the DUCET table once (≈ 0.3 s)

    return Collator()


def name_key(language: str = "en") -> Callable[[str], tuple[Any, ...]]:
    """A sort key for names in `language` (ties in the UCA broken by the text itself, so the order is total)."""
    collator = _collator()
    return lambda text: (collator.sort_key(text), text)


def sort_names(items: Iterable[T], language: str = "en", key: Callable[[T], str] = str) -> list[T]:
    """The items sorted by their name (`key`) as a reader of `language` expects."""
    by_name = name_key(language)
    return sorted(items, key=lambda item: by_name(key(item)))
