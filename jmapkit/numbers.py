"""Numbers for people, in the workshop's locale: one format for every chart, table, slide and sheet.

Babel's CLDR data decides the separators ("1,424" in English, "1.424" in German, "44 %" in German,
"44%" in Korean and Japanese), so a number reads the same on the funnel chart, in its table and in
the executive summary. The language is the workshop's (`i18n.set_language`) unless one is passed.

>>> from jmapkit.numbers import number, percent
>>> number(1424.0, language="de"), percent(0.4368, language="en")
('1.424', '44%')
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from jmapkit import i18n

NONE = "–"  # what a missing value shows
_LOCALES = {"en": "en_US", "de": "de_DE", "ko": "ko_KR", "ja": "ja_JP"}


def locale(language: str | None = None) -> str:
    """The Babel locale of a workshop language (English for one jmapkit does not know)."""
    return _LOCALES.get(language or i18n.language(), "en_US")


def missing(value: Any) -> bool:
    """None, NaN, or not a number at all."""
    if value is None or isinstance(value, bool):
        return value is None
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError):
        return True


def number(value: Any, digits: int = 1, *, language: str | None = None) -> str:
    """Whole numbers without decimals, others with `digits` decimals; '–' for none."""
    from babel.numbers import format_decimal

    if missing(value):
        return NONE
    value = float(value)
    pattern = "#,##0" if value.is_integer() or digits <= 0 else "#,##0." + "0" * digits
    return format_decimal(value, format=pattern, locale=locale(language))


def signed(value: Any) -> str:
    """An emotion on the −2..+2 scale with one decimal: '+1.5', '−0.5', '+0.0' (never '−0.0'), '–' for none."""
    if missing(value):
        return NONE
    # Adding 0.0 turns a negative zero (−0.03 rounded) into +0.0.
    return f"{round(float(value), 1) + 0.0:+.1f}".replace("-", "\u2212")


def fixed(value: Any, digits: int = 0, *, language: str | None = None, signed: bool = False) -> str:
    """Always `digits` decimals (an axis or a column of one metric), with '+' for positives when signed."""
    from babel.numbers import format_decimal

    if missing(value):
        return NONE
    body = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    pattern = f"+{body};-{body}" if signed else body
    text = format_decimal(float(value), format=pattern, locale=locale(language))
    return text.lstrip("+-") if signed and text.lstrip("+-").strip("0.,") == "" else text  # no sign on zero


def percent(fraction: Any, digits: int = 0, *, language: str | None = None) -> str:
    """A share 0..1 as a percentage in the locale's style: '44%', '44 %' (German)."""
    from babel import Locale
    from babel.numbers import format_percent

    if missing(fraction):
        return NONE
    pattern = Locale.parse(locale(language)).percent_formats[None].pattern  # "#,##0%", "#,##0\u00a0%" (German)
    if digits > 0:
        pattern = pattern.replace("#,##0", "#,##0." + "0" * digits, 1)
    return format_percent(float(fraction), format=pattern, locale=locale(language))


def points(value: Any, digits: int = 0, *, language: str | None = None) -> str:
    """A value already on a 0..100 scale (CSAT) as a percentage."""
    return NONE if missing(value) else percent(float(value) / 100, digits, language=language)


def symbols(language: str | None = None) -> dict[str, str]:
    """Decimal and group separators of the locale (for Vega's number-format locale)."""
    from babel.numbers import get_decimal_symbol, get_group_symbol

    return {"decimal": get_decimal_symbol(locale(language)), "group": get_group_symbol(locale(language))}


def typed(value: float, *, language: str | None = None) -> str:
    """A number as a form field shows it for editing: the locale's decimal sign, no grouping (14,5 in German)."""
    from babel.numbers import format_decimal

    return format_decimal(float(value), format="0.##########", locale=locale(language))


def parse(text: str, *, language: str | None = None) -> float:
    """A number as someone typed it: the locale's way first ('14,5' and '1.424' in German), then with a point.

    A lone comma is a decimal comma in any language ('14,5' typed in an English workshop is 14.5); raises
    ValueError for text that is no number.
    """
    from babel.numbers import NumberFormatError, parse_decimal

    candidate = text.strip().replace("\u2212", "-").replace("\u202f", "").replace("\u00a0", "")
    try:
        return float(parse_decimal(candidate, locale=locale(language), strict=True))
    except NumberFormatError:
        pass
    candidate = candidate.replace(" ", "")
    if candidate.count(",") == 1 and "." not in candidate:
        candidate = candidate.replace(",", ".")
    return float(candidate)


@contextmanager
def language(code: str) -> Iterator[None]:
    """Format (and translate) in `code` for the duration of an export, then restore the language before."""
    before = i18n.language()
    i18n.set_language(code)
    try:
        yield
    finally:
        i18n.set_language(before)
