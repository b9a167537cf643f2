"""jmapkit.analytics.stats against scipy and against calculations written apart from it (tests/independent.py)."""

from __future__ import annotations

import math
import random

import pytest
from scipy import stats as sp

from jmapkit.analytics import stats
from tests.independent import holm_rejects, two_proportion_p


@pytest.mark.parametrize("x", [-8.5, -3.0, -1.96, -0.3, 0.0, 0.7, 1.96, 4.2, 9.0])
def test_normal_cdf_matches_scipy(x: float) -> None:
    assert stats.normal_cdf(x) == pytest.approx(sp.norm.cdf(x), rel=1e-12, abs=1e-300)
    assert stats.normal_two_sided(x) == pytest.approx(2 * sp.norm.sf(abs(x)), rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("df", [1, 2, 3, 4, 7, 12, 29, 30, 99, 1000])
def test_t_quantile_matches_scipy(df: int) -> None:
    assert stats.t_quantile(0.975, df) == pytest.approx(sp.t.ppf(0.975, df), rel=1e-10)


@pytest.mark.parametrize(("t", "df"), [(0.4, 3.0), (-2.1, 7.35), (2.5, 41.7), (5.0, 1.2), (-0.01, 250.0)])
def test_t_cdf_takes_the_fractional_degrees_of_freedom_welch_gives(t: float, df: float) -> None:
    assert stats.t_cdf(t, df) == pytest.approx(sp.t.cdf(t, df), rel=1e-10)
    assert stats.t_two_sided(t, df) == pytest.approx(2 * sp.t.sf(abs(t), df), rel=1e-10)


@pytest.mark.parametrize(
    ("x1", "n1", "x2", "n2"),
    [(469, 817, 460, 801), (469, 817, 230, 800), (12, 40, 9, 38), (0, 50, 3, 60), (800, 800, 790, 800)],
)
def test_two_proportion_is_the_chi_square_test_of_the_two_by_two_table(x1: int, n1: int, x2: int, n2: int) -> None:
    test = stats.two_proportion(x1, n1, x2, n2)
    assert test.name == "two-proportion z-test"
    assert test.p_value == pytest.approx(two_proportion_p(x1, n1, x2, n2), rel=1e-9)
    # z by hand: the pooled share's standard error of the difference.
    pooled = (x1 + x2) / (n1 + n2)
    z = (x2 / n2 - x1 / n1) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    assert test.statistic == pytest.approx(z, rel=1e-12)


def test_the_issues_example_small_move_is_noise_and_a_halving_is_not() -> None:
    # 57.4 % → 56.9 % of 800 customers, and 57.4 % → 28.7 %.
    assert stats.two_proportion(459, 800, 455, 800).p_value > 0.8
    assert stats.two_proportion(459, 800, 230, 800).p_value < 1e-20


def test_nothing_to_test_when_both_are_all_or_nothing() -> None:
    assert stats.two_proportion(0, 10, 0, 20) == stats.Test("two-proportion z-test", 0.0, 1.0)
    assert stats.two_proportion(10, 10, 20, 20).p_value == 1.0
    with pytest.raises(ValueError):
        stats.two_proportion(0, 0, 1, 2)


@pytest.mark.parametrize(
    ("m1", "s1", "n1", "m2", "s2", "n2"),
    [(2.48, 1.05, 58, 2.9, 1.4, 61), (5.0, 0.2, 3, 5.6, 2.0, 9), (3.1, 1.0, 400, 3.1, 1.0, 400)],
)
def test_welch_matches_scipy(m1: float, s1: float, n1: int, m2: float, s2: float, n2: int) -> None:
    test = stats.welch(m1, s1, n1, m2, s2, n2)
    expected = sp.ttest_ind_from_stats(m2, s2, n2, m1, s1, n1, equal_var=False)
    assert test.name == "Welch t-test"
    assert test.statistic == pytest.approx(expected.statistic, rel=1e-12, abs=1e-12)
    assert test.p_value == pytest.approx(expected.pvalue, rel=1e-9)


def test_difference_of_two_estimates() -> None:
    test = stats.difference(11.3, 4.3, 2.0, 5.1)
    z = (2.0 - 11.3) / math.sqrt(4.3**2 + 5.1**2)
    assert (test.name, test.statistic) == ("z-test on the NPS difference", pytest.approx(z))
    assert test.p_value == pytest.approx(2 * sp.norm.sf(abs(z)))


def test_holm_textbook_example() -> None:
    # Sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1 → 0.02, 0.03, 0.06, 0.04; made monotone: 0.06 for the last.
    assert stats.holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert stats.holm([]) == []
    assert stats.holm([0.9, 0.8]) == [1.0, 1.0]


@pytest.mark.parametrize("seed", range(5))
def test_holm_rejects_what_the_step_down_procedure_rejects(seed: int) -> None:
    rng = random.Random(seed)
    p = [rng.random() ** 3 for _ in range(30)]  # many small p-values, so some are rejected
    adjusted = stats.holm(p)
    for alpha in (0.01, 0.05, 0.1):
        assert {i for i, a in enumerate(adjusted) if a < alpha} == holm_rejects(p, alpha)
