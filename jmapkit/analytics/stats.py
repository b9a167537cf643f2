"""Small statistics shared by the analytics: the Student-t quantile and a mean with its 95 % interval.

Written out here (no scipy at run time): scipy is a test dependency only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["betainc", "mean_ci", "t_cdf", "t_quantile"]


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


def t_quantile(p: float, df: int) -> float:
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


def t_cdf(t: float, df: int) -> float:
    x = df / (df + t * t)
    tail = 0.5 * betainc(df / 2, 0.5, x)
    return 1 - tail if t >= 0 else tail


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
