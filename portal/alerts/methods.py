"""The early-warning statistics on monthly counts (DOMAIN §8), in plain Python: no database, no numpy.

One cell (a dispute type in a place) gives a series of monthly counts, oldest first; `assess` judges its last month:

- **Poisson exceedance**: the month's count x against the baseline μ; yellow when P(X ≥ x | μ) ≤ 0.01, red when
  ≤ 0.001, only when x ≥ the minimum count. With over-dispersion (φ = var/mean of the baseline months > 1) the count
  must also reach μ + z·√(φμ): φ can only raise the bar, never lower the exact Poisson one. The minimum count
  (PORTAL_ALERT_MIN_COUNT, 4) keeps three cases of a quiet cell from being a cluster.
- **Poisson CUSUM** for slow rises: S_t = max(0, S_{t−1} + x_t − k_t) with k = (μ1 − μ0)/(ln μ1 − ln μ0),
  μ1 = μ0 + 1.5·√μ0, μ0 being each month's baseline; yellow at S ≥ 4σ, red at S ≥ 5σ with σ = √(φμ0) but at
  least one case (see docs/early-warning.md for the false-alarm rates behind 4 and 5), only when the run holds at
  least the minimum count.
  After an alert in a month (by either rule) the sum starts again from zero.

The baseline μ of a month is the mean of the 12 months before it; once two earlier years exist, the mean of the same
month and its two neighbours in up to three earlier years (the "historical limits" of Stroup et al. 1989), so that a
season's regular peak is compared with earlier peaks. A month needs MIN_HISTORY earlier months to be judged at all.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from statistics import NormalDist

MIN_HISTORY = 7  # earlier months a month needs before it is judged
WINDOW = 12  # months of the plain baseline
SEASONAL_YEARS = 3  # earlier years of the seasonal baseline (at least 2 needed)
ZERO_BASELINE = 0.5  # a baseline without a single case counts as half a case over its months, not as zero
SHIFT = 1.5  # the rise the CUSUM is tuned to: μ1 = μ0 + SHIFT·√μ0
H_YELLOW, H_RED = 4.0, 5.0  # the CUSUM's decision interval h, in baseline standard deviations √(φμ0)


def poisson_tail(x: int, mu: float) -> float:
    """P(X ≥ x) for X ~ Poisson(μ), summed exactly (in log space, so a county-sized μ neither under- nor overflows)."""
    if x <= 0:
        return 1.0
    if mu <= 0:
        return 0.0

    def term(k: int) -> float:
        return math.exp(k * math.log(mu) - mu - math.lgamma(k + 1))

    if x <= mu:  # the tail is at least ~1/2: one minus the few lower terms loses nothing
        return max(0.0, 1.0 - math.fsum(term(k) for k in range(x)))
    total, k, t = 0.0, x, term(x)  # above the mean the terms fall at least geometrically
    while t > 0 and t > total * 1e-17:
        total += t
        k += 1
        t *= mu / k
    return min(1.0, total)


def poisson_threshold(mu: float, alpha: float) -> int:
    """The least count x with P(X ≥ x | μ) ≤ α (DOMAIN §8: μ 2 → 7, 5 → 12, 10 → 19, 20 → 32 at α = 0.01)."""
    x = max(1, int(mu))
    while poisson_tail(x, mu) > alpha:
        x += 1
    return x


@cache
def z_of(alpha: float) -> float:
    """The one-sided standard normal quantile: z(0.01) ≈ 2.326, z(0.001) ≈ 3.090."""
    return NormalDist().inv_cdf(1.0 - alpha)


@dataclass(frozen=True)
class Baseline:
    """What a month is compared with: the mean μ of some earlier months and their dispersion φ = var/mean (≥ 1)."""

    mu: float
    phi: float
    months: int  # how many months the mean is over
    seasonal: bool  # the same month and its neighbours in earlier years, else the months just before

    @property
    def label(self) -> str:
        if self.seasonal:
            return f"往年同月及前后月（{self.months} 个月）均值"
        return f"前 {self.months} 个月均值"


def baseline(series: Sequence[int], t: int) -> Baseline | None:
    """The baseline of month `t` of the series from the months before it, or None when there are too few."""
    if t >= 2 * 12 + 1:
        values = [
            series[i]
            for year in range(1, SEASONAL_YEARS + 1)
            for i in (t - 12 * year - 1, t - 12 * year, t - 12 * year + 1)
            if i >= 0
        ]
        seasonal = True
    elif t >= MIN_HISTORY:
        values = list(series[max(0, t - WINDOW) : t])
        seasonal = False
    else:
        return None
    n = len(values)
    mu = sum(values) / n
    phi = sum((v - mu) ** 2 for v in values) / (n - 1) / mu if mu > 0 and n > 1 else 1.0
    return Baseline(max(mu, ZERO_BASELINE / len(values)), max(1.0, phi), len(values), seasonal)


@dataclass(frozen=True)
class Signal:
    """An alert on a cell's month: the rule that fired, what was observed, the baseline and the thresholds."""

    rule: str  # "poisson" (exceedance) or "cusum"
    level: str  # "red" or "yellow"
    observed: int  # the month's count
    baseline: Baseline
    p_value: float  # P(X ≥ observed | μ) under the Poisson baseline (both rules say it)
    yellow: float  # poisson: the least count that is yellow; cusum: h for yellow
    red: float  # … and red
    score: float  # cusum: S of the month; poisson: the count itself
    run_months: int = 1  # cusum: the months since S left zero
    run_count: int = 0  # cusum: the cases in those months


def _dispersed_bar(base: Baseline, alpha: float) -> int:
    """μ + z·√(φμ), rounded up to a count: the over-dispersed bar (0 when φ = 1)."""
    if base.phi <= 1.0:
        return 0
    return math.ceil(base.mu + z_of(alpha) * math.sqrt(base.phi * base.mu) - 1e-9)


def exceedance_thresholds(base: Baseline, *, min_count: int, p_yellow: float, p_red: float) -> tuple[int, int]:
    """The least counts that are yellow and red against this baseline: the exact Poisson one, raised to μ + z·√(φμ)
    when the baseline is over-dispersed, and to the minimum count."""

    def bar(alpha: float) -> int:
        return max(min_count, poisson_threshold(base.mu, alpha), _dispersed_bar(base, alpha))

    return bar(p_yellow), bar(p_red)


def _exceeds(x: int, p: float, base: Baseline, alpha: float, min_count: int) -> bool:
    """x ≥ the threshold of `alpha` (exceedance_thresholds), decided from p without searching for the threshold."""
    return x >= min_count and p <= alpha and x >= _dispersed_bar(base, alpha)


def cusum_reference(mu0: float) -> float:
    """k = (μ1 − μ0)/(ln μ1 − ln μ0) with μ1 = μ0 + 1.5·√μ0: the count above which a month adds to the sum."""
    mu1 = mu0 + SHIFT * math.sqrt(mu0)
    return (mu1 - mu0) / (math.log(mu1) - math.log(mu0))


def assess(series: Sequence[int], *, min_count: int = 4, p_yellow: float = 0.01, p_red: float = 0.001) -> Signal | None:
    """The alert on the series' last month, or None."""
    return judge(series, min_count=min_count, p_yellow=p_yellow, p_red=p_red)[-1] if series else None


def judge(
    series: Sequence[int], *, min_count: int = 4, p_yellow: float = 0.01, p_red: float = 0.001
) -> list[Signal | None]:
    """The alert on each month of the series, or None. The months are judged in order, so that the CUSUM starts again
    after an alert, as it would after a person looked into it."""
    s, run_months, run_count = 0.0, 0, 0
    signals: list[Signal | None] = []
    for t, x in enumerate(series):
        signal = None
        base = baseline(series, t)
        if base is None:
            signals.append(None)
            continue
        p = poisson_tail(x, base.mu) if x >= min_count and x > base.mu else 1.0  # at or below μ, p ≥ ~1/2
        s = max(0.0, s + x - cusum_reference(base.mu))
        run_months, run_count = (run_months + 1, run_count + x) if s > 0 else (0, 0)
        sigma = max(1.0, math.sqrt(base.phi * base.mu))  # at least one case: below that a few cases would suffice
        if _exceeds(x, p, base, p_yellow, min_count):
            yellow, red = exceedance_thresholds(base, min_count=min_count, p_yellow=p_yellow, p_red=p_red)
            signal = Signal("poisson", "red" if x >= red else "yellow", x, base, p, yellow, red, x)
        elif s >= H_YELLOW * sigma and run_count >= min_count:
            level = "red" if s >= H_RED * sigma else "yellow"
            p = poisson_tail(x, base.mu)
            signal = Signal("cusum", level, x, base, p, H_YELLOW * sigma, H_RED * sigma, s, run_months, run_count)
        if signal is not None:
            s, run_months, run_count = 0.0, 0, 0
        signals.append(signal)
    return signals
