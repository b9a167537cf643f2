"""The statistics jmapkit needs, written out here (no scipy at run time: it is a test dependency only).

Distribution functions (normal and Student t) and a mean with its 95 % interval for the analytics,
and the tests that decide whether a number that moved between two runs moved for real
(`jmapkit diff`): a two-proportion z-test for conversions and top-2-box shares, a z-test on the
difference of two NPS values, and Welch's t-test for means. `holm` adjusts the p-values of one
comparison together, so a diff of fifty numbers does not flag two or three of them by chance alone.

>>> two_proportion(400, 800, 200, 800).p_value < 0.001
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["ALPHA", "Test", "betainc", "difference", "holm", "mean_ci", "normal_cdf", "normal_two_sided", "t_cdf",
           "t_quantile", "t_two_sided", "two_proportion", "welch"]

ALPHA = 0.05  # a change is significant when its Holm-adjusted p-value is below this
Z95 = 1.96  # two-sided 95 % normal quantile, as the metric definitions write it
TWO_PROPORTION = "two-proportion z-test"
NPS_DIFFERENCE = "z-test on the NPS difference"
WELCH = "Welch t-test"


@dataclass(frozen=True)
class Test:
    """One test of 'these two values differ': its name, statistic and two-sided p-value."""

    name: str
    statistic: float
    p_value: float


def mean_ci(values: Sequence[float]) -> tuple[int, float, float, float]:
    """n, mean and the 95 % t-interval mean ± t(0.975, n−1)·s/√n; NaN mean for n = 0, NaN ends for n < 2."""
    n = len(values)
    if n == 0:
        return 0, math.nan, math.nan, math.nan
    mean = math.fsum(values) / n
    if n < 2:  # one value has no spread to estimate
        return n, mean, math.nan, math.nan
    sd = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1))
    half = t_quantile(0.975, n - 1) * sd / math.sqrt(n)
    return n, mean, mean - half, mean + half


def t_quantile(p: float, df: float) -> float:
    """Student-t quantile by bisection on its CDF (no scipy at run time); exact to ~1e-12."""
    if not 0.5 <= p < 1:
        raise ValueError("p must be in [0.5, 1)")
    low, high = 0.0, 1.0
    while t_cdf(high, df) < p:
        high *= 2
    for _ in range(200):
        mid = (low + high) / 2
        if t_cdf(mid, df) < p:
            low = mid
        else:
            high = mid
        if high - low < 1e-13 * max(1.0, high):
            break
    return (low + high) / 2


def t_cdf(t: float, df: float) -> float:
    """P(T ≤ t) for Student's t with `df` degrees of freedom (df need not be whole: Welch's is not)."""
    x = df / (df + t * t)
    tail = 0.5 * betainc(df / 2, 0.5, x)
    return 1 - tail if t >= 0 else tail


def t_two_sided(t: float, df: float) -> float:
    """P(|T| ≥ |t|): the two-sided p-value of a t statistic."""
    return betainc(df / 2, 0.5, df / (df + t * t))


def normal_cdf(x: float) -> float:
    """P(Z ≤ x) for a standard normal Z, through erfc (accurate in both tails)."""
    return 0.5 * math.erfc(-x / math.sqrt(2))


def normal_two_sided(z: float) -> float:
    """P(|Z| ≥ |z|): the two-sided p-value of a z statistic."""
    return math.erfc(abs(z) / math.sqrt(2))


def betainc(a: float, b: float, x: float) -> float:
    """Regularized incomplete beta I_x(a, b) by Lentz's continued fraction (Numerical Recipes 6.4)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    # The continued fraction converges fast only for x < (a+1)/(a+b+2); use the symmetry otherwise.
    if x > (a + 1) / (a + b + 2):
        return 1 - betainc(b, a, 1 - x)
    tiny = 1e-300
    c, d = 1.0, 1 - (a + b) * x / (a + 1)
    d = 1 / (d if abs(d) > tiny else tiny)
    result = d
    for m in range(1, 500):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1 + numerator * d
            d = 1 / (d if abs(d) > tiny else tiny)
            c = 1 + numerator / c
            c = c if abs(c) > tiny else tiny
            result *= c * d
        if abs(c * d - 1) < 1e-15:
            break
    return math.exp(log_front) * result / a


# --- tests of a change -------------------------------------------------------------------------------


def two_proportion(x1: int, n1: int, x2: int, n2: int) -> Test:
    """Pooled two-proportion z-test of x1/n1 against x2/n2 (conversions, CSAT's top-2-box share)."""
    if min(n1, n2) <= 0:
        raise ValueError("both groups need at least one member")
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:  # both 0 % or both 100 %: nothing moved
        return Test(TWO_PROPORTION, 0.0, 1.0)
    z = (x2 / n2 - x1 / n1) / se
    return Test(TWO_PROPORTION, z, normal_two_sided(z))


def difference(value1: float, se1: float, value2: float, se2: float, name: str = NPS_DIFFERENCE) -> Test:
    """z-test of value2 − value1 with independent standard errors (NPS: a difference of two shares)."""
    se = math.hypot(se1, se2)
    if se == 0:
        return Test(name, 0.0, 1.0 if value1 == value2 else 0.0)
    z = (value2 - value1) / se
    return Test(name, z, normal_two_sided(z))


def welch(mean1: float, sd1: float, n1: int, mean2: float, sd2: float, n2: int) -> Test:
    """Welch's t-test of two means with unequal variances (CES and custom questions)."""
    if min(n1, n2) < 2:
        raise ValueError("each group needs at least two values")
    v1, v2 = sd1 * sd1 / n1, sd2 * sd2 / n2
    if v1 + v2 == 0:
        return Test(WELCH, 0.0, 1.0 if mean1 == mean2 else 0.0)
    t = (mean2 - mean1) / math.sqrt(v1 + v2)
    df = (v1 + v2) ** 2 / (v1 * v1 / (n1 - 1) + v2 * v2 / (n2 - 1))
    return Test(WELCH, t, t_two_sided(t, df))


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjustment: significant at ALPHA when adjusted p < ALPHA, family-wise."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [1.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted
