"""jmapkit.numbers: numbers for people, one format everywhere."""

from __future__ import annotations

import pytest

from jmapkit.numbers import signed


@pytest.mark.parametrize(("value", "shown"), [
    (1.5, "+1.5"), (-0.5, "\u22120.5"), (-0.03, "+0.0"), (0, "+0.0"), (2, "+2.0"),
    (None, "–"), (float("nan"), "–"),
])
def test_an_emotion_is_signed_with_one_decimal_and_never_negative_zero(value: object, shown: str) -> None:
    assert signed(value) == shown
