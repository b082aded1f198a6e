"""Watching an error rate over time: week-over-week change, p-chart, binomial CUSUM and SPRT.

* change_test: two independent weekly design-weighted estimates. z = (p_t - p_{t-1}) /
  sqrt(V_t + V_{t-1}) with the stratified variances (Lohr (2010) Sampling: Design and Analysis,
  2nd ed., ch. 3; docs/metrics.md §4.1), two-sided p-value. The interval for the difference
  combines the two estimates' own intervals by Newcombe's hybrid score method (Newcombe, R.G.
  (1998) Stat. Med. 17:873-890, method 10; as MOVER, Zou & Donner (2008) Stat. Med.
  27:1693-1702): L = d - sqrt((p_t - l_t)^2 + (u_{t-1} - p_{t-1})^2), U = d + sqrt((u_t - p_t)^2
  + (p_{t-1} - l_{t-1})^2). With Wilson intervals of unweighted counts this is exactly Newcombe's
  interval; with the Korn-Graubard intervals of estimate_proportion it stays honest when a week
  has zero errors, where the variance is 0 and the z statistic says little.
* p_chart: Shewhart p-chart with limits p_bar +/- 3 sqrt(p_bar (1 - p_bar) / n_t) that vary with
  each period's size, clipped to [0, 1] (Montgomery, D.C. Introduction to Statistical Quality
  Control, ch. 7). For display: at rates near 0.5% and 100 items a week the LCL is 0.
* binomial_cusum: S_t = max(0, S_{t-1} + x_t - s n_t), signal when S_t >= h, with reference
  value s = ln(q0/q1) / ln(p1 q0 / (p0 q1)), the SPRT slope, which makes it optimal for a shift
  from p0 to p1 (Page (1954) Biometrika 41:100-115; Gan (1993) J. Appl. Stat. 20:445-460;
  Reynolds & Stoumbos (1999) J. Quality Technology 31:87-108 for the per-item Bernoulli CUSUM,
  sizes of 1). h sets the in-control average run length; choose it by simulation or their tables.
* SPRT: Wald's sequential probability ratio test of p0 against p1 with risks alpha and beta,
  for stopping an audit early (Wald (1945) Ann. Math. Stat. 16:117-186; NIST/SEMATECH
  e-Handbook of Statistical Methods, 6.2, sequential sampling). Valid on unweighted items drawn
  at random inside one stratum.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from .estimation import Estimate
from .sizing import _check_probability


@dataclass(frozen=True)
class Change:
    """current - previous rate: the difference, its design-based z test and its interval."""

    difference: float
    se: float
    z: float
    p_value: float
    lower: float
    upper: float
    confidence: float


def change_test(previous: Estimate, current: Estimate) -> Change:
    """Did the rate change between two independent samples? Two-sided z test and Newcombe-style interval.

    When both variances are 0: two censuses differ exactly (z infinite, p 0, unless equal); other
    zero-variance samples (no errors, or only errors, in both) fall back to the pooled variance
    p (1 - p)(1/n_eff + 1/n_eff') on their effective counts, the usual two-proportion z test; if
    that is 0 too (no errors in either), there is no evidence of change: z 0, p 1.
    The interval is at the estimates' confidence, which must be the same.
    """
    if not math.isclose(previous.confidence, current.confidence):
        raise ValueError(
            f"the estimates must share a confidence level: previous {previous.confidence}, current {current.confidence}"
        )
    difference = current.value - previous.value
    variance = previous.variance + current.variance
    if variance == 0 and not (previous.is_census and current.is_census):
        effective = previous.n_eff + current.n_eff
        pooled = (previous.value * previous.n_eff + current.value * current.n_eff) / effective
        variance = pooled * (1 - pooled) * (1 / previous.n_eff + 1 / current.n_eff)
    se = math.sqrt(variance)
    z = difference / se if se > 0 else (0.0 if difference == 0 else math.copysign(math.inf, difference))
    p_value = float(2 * stats.norm.sf(abs(z)))
    lower = difference - math.hypot(current.value - current.lower, previous.upper - previous.value)
    upper = difference + math.hypot(current.upper - current.value, previous.value - previous.lower)
    return Change(difference, se, z, p_value, max(-1.0, lower), min(1.0, upper), current.confidence)


def _check_series(counts: Sequence[float], sizes: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    x, n = np.asarray(counts, dtype=float), np.asarray(sizes, dtype=float)
    if x.ndim != 1 or x.shape != n.shape or not x.size:
        raise ValueError(f"counts and sizes must be equal-length non-empty sequences, not {x.size} and {n.size}")
    if (n < 1).any():
        raise ValueError(f"sizes must be >= 1, not {n[n < 1][0]:g} (period {int(np.argmax(n < 1))})")
    bad = (x < 0) | (x > n)
    if bad.any():
        t = int(np.argmax(bad))
        raise ValueError(f"counts must be in [0, size]: period {t} has {x[t]:g} of {n[t]:g}")
    return x, n


@dataclass(frozen=True)
class PChart:
    """A p-chart: per period the rate, its lower and upper control limits, and whether it is outside."""

    center: float
    rates: tuple[float, ...]
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    out_of_control: tuple[bool, ...]

    @property
    def signals(self) -> tuple[int, ...]:
        """Indices of the periods outside their limits."""
        return tuple(i for i, out in enumerate(self.out_of_control) if out)


def p_chart(
    counts: Sequence[float], sizes: Sequence[float], *, center: float | None = None, sigmas: float = 3.0
) -> PChart:
    """p-chart of counts[t] errors in sizes[t] items: limits center +/- sigmas sqrt(center (1 - center) / n_t).

    Counts and sizes may be fractional: a weighted estimate charts as its effective sample size.
    center: a known standard rate (phase II); by default p_bar = sum counts / sum sizes (phase I).
    Montgomery's orange-juice cans (30 samples of 50, 347 nonconforming): p_bar 0.2313,
    UCL 0.4102, LCL 0.0524, samples 15 and 23 out of control.
    """
    x, n = _check_series(counts, sizes)
    if center is None:
        center = float(x.sum() / n.sum())
    else:
        _check_probability("center", center, closed=True)
    if not sigmas > 0:
        raise ValueError(f"sigmas must be > 0, not {sigmas}")
    rates = x / n
    spread = sigmas * np.sqrt(center * (1 - center) / n)
    lower, upper = np.clip(center - spread, 0, 1), np.clip(center + spread, 0, 1)
    out = (rates > upper) | (rates < lower)
    return PChart(center, tuple(rates.tolist()), tuple(lower.tolist()), tuple(upper.tolist()), tuple(out.tolist()))


def _check_shift(p0: float, p1: float) -> None:
    _check_probability("p0", p0)
    _check_probability("p1", p1)
    if not p1 > p0:
        raise ValueError(f"p1 ({p1}) must be above p0 ({p0})")


def _log_odds_ratio(p0: float, p1: float) -> float:
    return math.log(p1 * (1 - p0) / (p0 * (1 - p1)))


def _slope(p0: float, p1: float) -> float:
    """s = ln(q0/q1) / ln(p1 q0 / (p0 q1)): the SPRT slope and the CUSUM reference value."""
    return math.log((1 - p0) / (1 - p1)) / _log_odds_ratio(p0, p1)


@dataclass(frozen=True)
class CusumResult:
    """The CUSUM path S_t, the first period with S_t >= threshold (None if none), and its parameters."""

    path: tuple[float, ...]
    signal: int | None
    reference: float
    threshold: float


def binomial_cusum(counts: Sequence[int], sizes: Sequence[int], *, p0: float, p1: float, h: float) -> CusumResult:
    """Upper binomial CUSUM for a rise from p0 to p1: S_t = max(0, S_{t-1} + x_t - s n_t), S_0 = 0.

    Signals at the first t with S_t >= h; the path is not reset after a signal. Sizes of 1 give
    the per-item Bernoulli CUSUM.
    """
    x, n = _check_series(counts, sizes)
    _check_shift(p0, p1)
    if not h > 0:
        raise ValueError(f"h must be > 0, not {h}")
    s = _slope(p0, p1)
    path, level = [], 0.0
    for increment in (x - s * n).tolist():
        level = max(0.0, level + increment)
        path.append(level)
    signal = next((t for t, value in enumerate(path) if value >= h), None)
    return CusumResult(tuple(path), signal, s, float(h))


@dataclass(frozen=True)
class SPRT:
    """Wald's SPRT of H0: p = p0 (within budget) against H1: p = p1 (alarm), risks alpha and beta.

    After n items with d errors the log likelihood ratio is d ln(p1/p0) + (n - d) ln(q1/q0):
    reject H0 (escalate) at >= ln((1 - beta)/alpha), accept H0 at <= ln(beta/(1 - alpha)).
    Linear form: accept when d <= -h1 + s n, reject when d >= h2 + s n, with k = ln(p1 q0/(p0 q1)),
    h1 = ln((1 - alpha)/beta)/k, h2 = ln((1 - beta)/alpha)/k, s = ln(q0/q1)/k.
    Budget 0.5% against alarm 2% (alpha .05, beta .2): s 0.01084, h1 1.112, h2 1.978, and 103
    clean items in a row accept.
    """

    p0: float
    p1: float
    alpha: float = 0.05
    beta: float = 0.2

    def __post_init__(self) -> None:
        _check_shift(self.p0, self.p1)
        _check_probability("alpha", self.alpha)
        _check_probability("beta", self.beta)
        if self.alpha + self.beta >= 1:
            raise ValueError(f"alpha + beta must be below 1, not {self.alpha + self.beta}")

    @property
    def s(self) -> float:
        return _slope(self.p0, self.p1)

    @property
    def h1(self) -> float:
        return math.log((1 - self.alpha) / self.beta) / _log_odds_ratio(self.p0, self.p1)

    @property
    def h2(self) -> float:
        return math.log((1 - self.beta) / self.alpha) / _log_odds_ratio(self.p0, self.p1)

    def decide(self, n: int, errors: int) -> str:
        """"reject" (the rate is above budget: escalate), "accept" (within budget) or "continue" reviewing."""
        if n < 0:
            raise ValueError(f"n must be >= 0, not {n}")
        if not 0 <= errors <= n:
            raise ValueError(f"errors must be in [0, n = {n}], not {errors}")
        ratio = errors * math.log(self.p1 / self.p0) + (n - errors) * math.log((1 - self.p1) / (1 - self.p0))
        if ratio >= math.log((1 - self.beta) / self.alpha):
            return "reject"
        if ratio <= math.log(self.beta / (1 - self.alpha)):
            return "accept"
        return "continue"

    def acceptance_number(self, n: int) -> int | None:
        """The most errors among n items that accept H0 (None: n items cannot accept yet).

        Defined for every n >= 0. Early on the acceptance line -h1 + s n is below zero, so even
        n clean items do not accept: None, not an error (the line's start is clamped to -1).
        """
        if n < 0:
            raise ValueError(f"n must be >= 0, not {n}")
        d = max(-1, min(n, math.floor(-self.h1 + self.s * n + 1e-9)))  # the linear form; the loops settle rounding
        while d >= 0 and self.decide(n, d) != "accept":
            d -= 1
        while d < n and self.decide(n, d + 1) == "accept":
            d += 1
        return d if d >= 0 else None

    def rejection_number(self, n: int) -> int | None:
        """The fewest errors among n items that reject H0 (None: n items cannot reject yet).

        Defined for every n >= 0: when even n errors in n items do not reach the rejection line
        h2 + s n, None (the line's start is clamped to n + 1).
        """
        if n < 0:
            raise ValueError(f"n must be >= 0, not {n}")
        d = min(n + 1, max(0, math.ceil(self.h2 + self.s * n - 1e-9)))
        while d <= n and self.decide(n, d) != "reject":
            d += 1
        while 0 < d <= n and self.decide(n, d - 1) == "reject":
            d -= 1
        return d if d <= n else None

    @property
    def accept_after_clean(self) -> int:
        """Consecutive error-free items needed to accept: the smallest n with 0 <= -h1 + s n."""
        n = max(1, math.ceil(self.h1 / self.s - 1e-9))
        while self.decide(n, 0) != "accept":
            n += 1
        while n > 1 and self.decide(n - 1, 0) == "accept":
            n -= 1
        return n
