"""How many outputs to review, for an equal-probability sample: a margin, an error budget, a rise.

These are the textbook sizes for a simple random sample of one stratum. They are not what a
stratified, risk-allocated audit needs for the same claim (its claims rest on its least-sampled
stratum): sampling.design sizes the design that is drawn, under the verdicts of
sampling.verdicts, and falls back to these on a single stratum.

Binomial and hypergeometric tails come from scipy.stats; the normal-approximation sample size
from statsmodels (``samplesize_confint_proportion``). Sizes are rounded up: a sample one item
too small does not deliver what was asked.
"""
from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
from scipy import stats
from statsmodels.stats.proportion import samplesize_confint_proportion

from .types import Power

_EPS = 1e-9  # n0 = 370.0000000001 from floating point must not become 371


def _check_probability(name: str, value: float, *, closed: bool = False) -> None:
    ok = 0 <= value <= 1 if closed else 0 < value < 1
    if not ok:
        raise ValueError(f"{name} must be in {'[0, 1]' if closed else '(0, 1)'}, not {value}")


def _check_population(population: int | None) -> None:
    if population is not None and population < 1:
        raise ValueError(f"population must be >= 1, not {population}")


def sample_size_for_margin(
    margin: float, *, confidence: float = 0.95, expected_rate: float = 0.5, population: int | None = None
) -> int:
    """Items needed to estimate a rate within +/- ``margin`` at ``confidence`` (Cochran), for an
    equal-probability sample (sampling.size_for_margin: the drawn design).

    n0 = z^2 p (1 - p) / e^2 with z the two-sided normal quantile; with a finite population N,
    n = n0 / (1 + (n0 - 1) / N); rounded up and never above N. Assumes simple random sampling
    and a normal approximation, which is poor for rare rates: use sample_size_for_budget there.
    Cochran, W.G. (1977) Sampling Techniques, 3rd ed., Wiley, sections 4.4-4.5.
    Examples: margin 0.05 at 95% -> 385; with N = 10,000 -> 370.
    """
    _check_probability("margin", margin)
    _check_probability("confidence", confidence)
    _check_probability("expected_rate", expected_rate)
    _check_population(population)
    n0 = float(samplesize_confint_proportion(expected_rate, margin, alpha=1 - confidence))
    n = n0 if population is None else n0 / (1 + (n0 - 1) / population)
    n = math.ceil(n - _EPS)
    return n if population is None else min(n, population)


def margin_of_sample(
    n: int, *, confidence: float = 0.95, expected_rate: float = 0.5, population: int | None = None
) -> float:
    """The +/- margin n items buy: z sqrt(p (1 - p) / n) times the fpc sqrt((N - n) / (N - 1)).

    The inverse of sample_size_for_margin (Cochran 1977, eq. 4.2 with the fpc).
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, not {n}")
    _check_probability("confidence", confidence)
    _check_probability("expected_rate", expected_rate, closed=True)
    _check_population(population)
    z = stats.norm.ppf(1 - (1 - confidence) / 2)
    fpc = 1.0 if population is None or population == 1 else max(0.0, (population - n) / (population - 1))
    return float(z * math.sqrt(expected_rate * (1 - expected_rate) / n * fpc))


def margin_of_allocation(
    sizes: dict[str, int], populations: dict[str, int], *, expected_rate: float = 0.5, confidence: float = 0.95,
    variance_factors: Mapping[str, float] | None = None,
) -> float:
    """The +/- margin of the stratified estimate of a rate for a given allocation.

    V = sum_h W_h^2 (1 - f_h) p(1 - p) / n_h with W_h = N_h / N and f_h = n_h / N_h, margin
    z sqrt(V) (Cochran 1977, eq. 5.7 for proportions, with one planning rate p in every
    stratum). A stratum of the population with no items makes the estimate biased: the margin is
    then infinite. A census stratum adds nothing. ``variance_factors`` scale a stratum's variance
    (a judge-assisted estimate's V_h / V_h,human, sampling.judge_variance_factor); absent is 1.
    """
    _check_probability("confidence", confidence)
    _check_probability("expected_rate", expected_rate, closed=True)
    total = sum(populations.values())
    if total == 0:
        return 0.0
    variance = 0.0
    for name, population in populations.items():
        if population == 0:
            continue
        n = sizes.get(name, 0)
        if n == 0:
            return math.inf
        weight = population / total
        factor = 1.0 if variance_factors is None else variance_factors.get(name, 1.0)
        variance += factor * weight**2 * (1 - n / population) * expected_rate * (1 - expected_rate) / n
    return float(stats.norm.ppf(1 - (1 - confidence) / 2) * math.sqrt(variance))


def sample_size_for_budget(
    max_rate: float, *, confidence: float = 0.95, allowed_errors: int = 0, population: int | None = None
) -> int:
    """Smallest n such that at most ``allowed_errors`` errors in n show the rate is below ``max_rate``,
    for an equal-probability sample (sampling.size_for_budget / size_for_clean_week: the drawn design).

    The claim "rate < p*" at confidence 1 - a holds when P(X <= c | n, p*) <= a, i.e. the
    one-sided Clopper-Pearson upper bound is <= p*. X is binomial(n, p*), or, with a finite
    population N, hypergeometric with D* = ceil(p* N) errors in the population (the fewest that
    break the budget). For c = 0 the binomial answer is ceil(ln a / ln(1 - p*)), about 3/p*
    at 95% (the rule of three).
    Hanley & Lippman-Hand (1983) JAMA 249:1743-5; Jovanovic & Levy (1997) Am. Stat. 51:137-9.
    Examples: p* = 1%: 299 (c = 0), 473 (c = 1), 628 (c = 2); p* = 0.5%: 598, 947, 1258.
    """
    _check_probability("max_rate", max_rate)
    _check_probability("confidence", confidence)
    if allowed_errors < 0:
        raise ValueError(f"allowed_errors must be >= 0, not {allowed_errors}")
    _check_population(population)
    alpha = 1 - confidence
    c = allowed_errors
    if population is None:
        def accepts_too_often(n: int) -> bool:
            return stats.binom.cdf(c, n, max_rate) > alpha

        upper = max(c + 1, 16)
        while accepts_too_often(upper):
            upper *= 2
        return _first_false(accepts_too_often, c + 1, upper)
    bad = math.ceil(max_rate * population - _EPS)
    if c >= bad:
        raise ValueError(
            f"with {c} allowed errors no sample of a population of {population} can show a rate below "
            f"{max_rate}: that many errors already break the budget"
        )
    return _first_false(lambda n: stats.hypergeom.cdf(c, population, bad, n) > alpha, c + 1, population)


def _first_false(predicate, low: int, high: int) -> int:
    """Smallest n in [low, high] with predicate(n) False, for a predicate true then false."""
    while low < high:
        mid = (low + high) // 2
        if predicate(mid):
            low = mid + 1
        else:
            high = mid
    return low


def _tests(ns: np.ndarray, baseline_rate: float, alert_rate: float, alpha: float, population: int | None):
    """Critical counts, sizes and powers of the exact one-sided test for each n in ns."""
    if population is None:
        null, alt = stats.binom(ns, baseline_rate), stats.binom(ns, alert_rate)
    else:
        null = stats.hypergeom(population, round(baseline_rate * population), ns)
        alt = stats.hypergeom(population, round(alert_rate * population), ns)
    # c(n) = min{c : P(X >= c | p0) <= alpha}; ppf gives the smallest k with cdf(k) >= 1 - alpha.
    critical = null.ppf(1 - alpha).astype(int) + 1
    critical = np.where(null.sf(critical - 2) <= alpha, critical - 1, critical)  # guard ppf rounding
    return critical, null.sf(critical - 1), alt.sf(critical - 1)


def power_of_sample(
    n: int, baseline_rate: float, alert_rate: float, *, alpha: float = 0.05, population: int | None = None
) -> Power:
    """Power of the exact one-sided test (alarm at c(n) or more errors) to catch a rise to alert_rate.

    c(n) = min{c : P(X >= c | n, p0) <= alpha}; power = P(X >= c(n) | n, p1); X binomial, or
    hypergeometric with round(p N) errors when the population N is given.
    Example (docs/sampling.md §2.1): n = 100, p0 = 0.5%: alarm at >= 3; power 0.32 at 2%, 0.88 at 5%.
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, not {n}")
    _check_probability("baseline_rate", baseline_rate)
    _check_probability("alert_rate", alert_rate, closed=True)
    _check_probability("alpha", alpha)
    _check_population(population)
    if population is not None and n > population:
        raise ValueError(f"n = {n} is larger than the population {population}")
    critical, size, power = _tests(np.array([n]), baseline_rate, alert_rate, alpha, population)
    return Power(n=n, critical_count=int(critical[0]), false_alarm_rate=float(size[0]), power=float(power[0]))


def sample_size_for_change(
    baseline_rate: float,
    alert_rate: float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    population: int | None = None,
    stable: bool = False,
) -> int:
    """Smallest n for which the exact one-sided test at level alpha detects a rise from
    baseline_rate to alert_rate with at least ``power``, for an equal-probability sample
    (sampling.size_for_rise: the drawn design).

    The test alarms at c(n) = min{c : P(X >= c | n, p0) <= alpha} or more errors; its power is
    P(X >= c(n) | n, p1), X binomial, or hypergeometric with round(p N) errors given a population
    N. Exact power saw-tooths in n: it drops each time c(n) steps up. By default the n returned
    is the first that reaches the power (Chernick & Liu 2002, Am. Stat. 56:149-155, call it the
    "nominal" n); a slightly larger n may fall short again. With ``stable=True`` the n returned is
    the smallest from which on power never falls below the target.
    Example (docs/sampling.md §2.1): 0.5% -> 1.5%, alpha 0.05, power 0.8: n = 604, alarm at >= 7
    errors (stable: 681); the normal approximation would undersize it at 477.
    """
    _check_probability("baseline_rate", baseline_rate)
    _check_probability("alert_rate", alert_rate)
    _check_probability("alpha", alpha)
    _check_probability("power", power)
    _check_population(population)
    if alert_rate <= baseline_rate:
        raise ValueError(f"alert_rate ({alert_rate}) must be above baseline_rate ({baseline_rate})")
    z = stats.norm.ppf(1 - alpha) * math.sqrt(baseline_rate * (1 - baseline_rate))
    z += stats.norm.ppf(power) * math.sqrt(alert_rate * (1 - alert_rate))
    approx = (z / (alert_rate - baseline_rate)) ** 2
    limit = int(4 * approx + 200) if population is None else population
    ns = np.arange(1, limit + 1)
    _, _, powers = _tests(ns, baseline_rate, alert_rate, alpha, population)
    enough = powers >= power
    if not enough.any():
        raise ValueError(f"no sample of a population of {population} reaches power {power} for this rise")
    if not stable:
        return int(ns[np.argmax(enough)])
    short = np.nonzero(~enough)[0]
    return int(ns[short[-1] + 1]) if short.size else 1
