"""The early-warning statistics on synthetic monthly series: what must alarm, what must not (DOMAIN §8)."""

from __future__ import annotations

import math
import random

import pytest

from portal.alerts.methods import (
    H_RED,
    H_YELLOW,
    MIN_HISTORY,
    assess,
    baseline,
    cusum_reference,
    exceedance_thresholds,
    judge,
    poisson_tail,
    poisson_threshold,
    z_of,
)

NOISY_TWO = [2, 3, 1, 2, 2, 3, 2, 1, 2, 3, 2, 2]  # a quiet cell: about two cases a month


def poisson_sample(rng: random.Random, mu: float) -> int:
    limit, k, product = math.exp(-mu), 0, 1.0
    while True:
        product *= rng.random()
        if product < limit:
            return k
        k += 1


@pytest.mark.parametrize(("mu", "threshold"), [(2, 7), (5, 12), (10, 19), (20, 32)])
def test_the_domain_thresholds_at_one_percent(mu: float, threshold: int) -> None:
    assert poisson_threshold(mu, 0.01) == threshold
    assert poisson_tail(threshold, mu) <= 0.01 < poisson_tail(threshold - 1, mu)


def test_the_poisson_tail_equals_the_direct_sum_and_survives_county_sized_means() -> None:
    rng = random.Random(13)
    for _ in range(200):
        mu, x = rng.uniform(0.05, 30), rng.randint(0, 60)
        direct = 1 - sum(math.exp(-mu) * mu**k / math.factorial(k) for k in range(x))
        assert poisson_tail(x, mu) == pytest.approx(max(direct, 0.0), rel=1e-9, abs=1e-12)
    assert poisson_tail(0, 4) == 1.0 and poisson_tail(3, 0) == 0.0
    assert poisson_tail(3000, 3000) == pytest.approx(0.5, abs=0.01)  # e^-3000 alone would underflow
    assert 0 < poisson_tail(3300, 3000) < 1e-6
    assert poisson_tail(10_000, 3000) == 0.0


def test_thresholds_are_the_least_counts_for_random_means_and_levels() -> None:
    rng = random.Random(5)
    for _ in range(100):
        mu, alpha = rng.uniform(0.01, 80), rng.choice((0.05, 0.01, 0.001))
        x = poisson_threshold(mu, alpha)
        assert poisson_tail(x, mu) <= alpha
        assert x == 1 or poisson_tail(x - 1, mu) > alpha


def test_z_quantiles() -> None:
    assert z_of(0.01) == pytest.approx(2.3263, abs=1e-4)
    assert z_of(0.001) == pytest.approx(3.0902, abs=1e-4)


def test_a_flat_series_never_alarms() -> None:
    assert not any(judge([4] * 36))
    assert not any(judge([0] * 36))


def test_a_noisy_but_steady_series_never_alarms() -> None:
    rng = random.Random(2026)
    series = [poisson_sample(rng, 3) for _ in range(36)]
    assert not any(judge(series)), series


def test_a_single_spike_alarms_red_in_its_month_and_not_after() -> None:
    series = [*NOISY_TWO, 9, 2, 3]
    signals = judge(series)
    spike = signals[12]
    assert spike is not None and (spike.rule, spike.level, spike.observed) == ("poisson", "red", 9)
    assert spike.baseline.mu == pytest.approx(25 / 12) and spike.baseline.months == 12
    assert spike.p_value < 0.001 and (spike.yellow, spike.red) == (7, 9)
    assert signals[13] is None and signals[14] is None
    assert assess([*NOISY_TWO, 7]).level == "yellow"
    assert assess([*NOISY_TWO, 6]) is None


def test_tiny_counts_two_to_three_do_not_alarm() -> None:
    assert assess([2] * 12 + [3]) is None
    assert assess([0, 1, 0, 2, 1, 0, 1, 0, 0, 2, 1, 1, 3]) is None
    assert assess([1] * 12 + [2]) is None


def test_the_minimum_count_holds_back_what_a_tiny_baseline_makes_improbable() -> None:
    assert assess([0] * 12 + [3]) is None  # P(X ≥ 3 | μ ≈ 0.04) < 0.001, but three cases are not yet a cluster
    fired = assess([0] * 12 + [4])
    assert fired is not None and fired.level == "red" and fired.baseline.mu == pytest.approx(0.5 / 12)
    assert assess([0] * 12 + [4], min_count=5) is None
    assert assess([0] * 12 + [3], min_count=3).level == "red"


def test_over_dispersion_raises_the_bar_and_never_lowers_it() -> None:
    swinging = [0, 10] * 6  # mean 5, variance ~27: φ ≈ 5.5
    base = baseline([*swinging, 0], 12)
    assert base.phi > 5
    yellow, red = exceedance_thresholds(base, min_count=3, p_yellow=0.01, p_red=0.001)
    assert yellow == math.ceil(5 + z_of(0.01) * math.sqrt(base.phi * 5))
    assert yellow > poisson_threshold(5, 0.01)
    assert assess([*swinging, 14]) is None  # 14 ≥ 12 would be yellow at φ = 1
    assert assess([5] * 12 + [14]) is not None
    # a baseline steadier than Poisson (φ < 1) keeps the exact Poisson threshold
    assert exceedance_thresholds(baseline([5] * 13, 12), min_count=3, p_yellow=0.01, p_red=0.001)[0] == 12


def test_a_seasonal_series_does_not_alarm_at_its_regular_peaks() -> None:
    year = [9, 8, 4, 3, 3, 2, 3, 3, 2, 3, 4, 8]  # 春节前后: wages, family visits
    series = year * 3 + year[:4]
    assert not any(judge(series))
    last = baseline(series, len(series) - 4)  # the fourth January: compared with the earlier Decembers–Februaries
    assert last.seasonal and last.months == 8 and last.label.startswith("往年同月")
    # a peak twice the usual is still a peak worth a look
    assert assess([*year * 3, 18]).rule == "poisson"


def test_a_slow_rise_that_no_single_month_shows_is_caught_by_the_cusum() -> None:
    series = [3] * 12 + [5, 5, 6, 6, 6, 7, 7, 8]
    signals = judge(series)
    assert [s.rule for s in signals if s] == ["cusum"]
    rise = signals[-1]
    assert rise.level == "yellow" and rise.run_months == 8 and rise.run_count == 50
    assert rise.score >= rise.yellow == pytest.approx(H_YELLOW * math.sqrt(rise.baseline.mu))
    assert rise.red == pytest.approx(H_RED * math.sqrt(rise.baseline.mu))
    assert all(s is None or s.rule == "cusum" for s in signals)


def test_the_cusum_reference_follows_the_domain_formula() -> None:
    mu0 = 4.0
    mu1 = mu0 + 1.5 * 2
    assert cusum_reference(mu0) == pytest.approx((mu1 - mu0) / (math.log(mu1) - math.log(mu0)))
    assert mu0 < cusum_reference(mu0) < mu1


def test_a_short_history_is_not_judged() -> None:
    assert judge([1, 1, 1, 1, 1, 1, 30])[-1] is None
    assert baseline([1] * 10, MIN_HISTORY - 1) is None
    assert assess([1] * MIN_HISTORY + [30]).rule == "poisson"
    assert assess([]) is None


def test_steady_cells_raise_few_false_alarms() -> None:
    """The design's budget: in a steady cell, yellow alerts of either rule in about 1 % of months, red far fewer."""
    rng = random.Random(7)
    for mu in (0.3, 2, 10):
        series = [poisson_sample(rng, mu) for _ in range(1500)]
        signals = judge(series)[MIN_HISTORY:]
        alarms = [s for s in signals if s]
        assert len(alarms) <= 0.025 * len(signals), (mu, len(alarms))
        assert sum(s.level == "red" for s in alarms) <= 0.006 * len(signals), mu
