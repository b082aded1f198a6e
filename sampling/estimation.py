"""Error rates from a reviewed sample: the stratified estimate, its interval, and budget bounds.

Point estimate and variance (stratified simple random sampling without replacement; Cochran,
W.G. (1977) Sampling Techniques, 3rd ed., Wiley, ch. 5, stratified estimation of proportions):

    p = sum_h W_h p_h,   W_h = N_h / N,   p_h = positives_h / n_h,
    V = sum_h W_h^2 (1 - f_h) p_h (1 - p_h) / (n_h - 1),   f_h = n_h / N_h.

p is also the Hajek weighted mean of the reviewed items with weights N_h / n_h, so one code path
serves both views. A census stratum (n_h = N_h) adds no variance.

Interval (Korn, E.L. & Graubard, B.I. (1998) "Confidence intervals for proportions with small
expected number of positive counts estimated from survey data", Survey Methodology 24:193-201):
the design's effective sample size n_eff = min(n, p (1 - p) / V) turns the estimate into
effective counts, which an exact or score interval for a binomial proportion then takes:

    n* = n_eff (z_{1-a/2} / t_{1-a/2, df})^2,   x* = p n*,   interval = CP/Wilson/Jeffreys(x*, n*),

with df = sum over sampled (non-census) strata of (n_h - 1). When p is 0 or 1, or V is 0, the
variance says nothing about precision (docs/metrics.md §2.1) and n_eff falls back to Kish's
n_eff = (sum w)^2 / sum w^2 over the reviewed items, w = N_h / n_h (Kish, L. (1965) Survey
Sampling, Wiley; Kish (1992) J. Official Statistics 8:183-200). So zero errors still give a
positive upper bound, never a zero-width interval. Only a full census has the interval [p, p].
Dean & Pagano (2015) JSSAM 3:484-503 compare these modified intervals and recommend them.

Unweighted intervals never use Wald (Newcombe, R.G. (1998) Stat. Med. 17:857-872; Brown, Cai &
DasGupta (2001) Stat. Sci. 16:101-133): Wilson (Wilson 1927, JASA 22:209-212), Clopper-Pearson
(Clopper & Pearson 1934, Biometrika 26:404-413) or Jeffreys (with Brown, Cai & DasGupta's ends:
lower 0 at no positives, upper 1 at all positives). statsmodels' ``proportion_confint`` computes
them; its one-sided ``alternative='larger'`` returns the *upper* bound, which reads backwards, so
the one-sided bound here is taken as the upper end of the two-sided interval at level 1 - 2a.

One-sided upper bounds (``upper_bound``, ``estimate_upper_bound``, ``Estimate.upper_one_sided``)
are always Clopper-Pearson, whatever two-sided method was chosen: they are the numbers compared
with a budget, often at zero errors, where the score and Jeffreys bounds are too low. At zero
errors the exact bound is 1 - a^(1/n), about 3.0/n at 95 %; Wilson's one-sided bound is
z^2 / (n + z^2), about 2.7/n, and Jeffreys' about 1.9/n. A true rate between theirs and the exact
bound is missed whenever the sample shows no error, with probability (1 - p)^n: their coverage
there is 92-93 % (Wilson) and 85 % (Jeffreys) instead of 95 %, at every n (computed exactly in
tests/sampling/test_estimation.py; Brown, Cai & DasGupta (2001) describe the same dips of these
intervals near 0). Clopper-Pearson never covers less than its level.
"""
from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass

from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from .sizing import _check_probability

INTERVAL_METHODS = ("wilson", "clopper-pearson", "jeffreys")
_STATSMODELS_NAMES = {"wilson": "wilson", "clopper-pearson": "beta", "jeffreys": "jeffreys"}


@dataclass(frozen=True)
class StratumCount:
    """What was reviewed in one stratum: N_h outputs, n_h of them reviewed, positives_h flagged."""

    name: str
    population: int
    sampled: int
    positives: int

    def __post_init__(self) -> None:
        if self.population < 1:
            raise ValueError(f"stratum {self.name!r}: population must be >= 1, not {self.population}")
        if not 0 <= self.sampled <= self.population:
            raise ValueError(
                f"stratum {self.name!r}: sampled must be in [0, population = {self.population}], not {self.sampled}"
            )
        if not 0 <= self.positives <= self.sampled:
            raise ValueError(
                f"stratum {self.name!r}: positives must be in [0, sampled = {self.sampled}], not {self.positives}"
            )


@dataclass(frozen=True)
class Estimate:
    """A design-weighted rate with its two-sided interval at ``confidence``.

    se: sqrt of the stratified variance V. n_eff: the Korn-Graubard effective sample size
    (Kish's when V says nothing), before the degrees-of-freedom adjustment. n, positives: the
    items reviewed and the positives among them (unweighted). method: the binomial interval used.
    df: degrees of freedom of V (None: no t adjustment). population: N, the outputs the rate is
    about (None if unknown); n == population means a census.
    """

    value: float
    se: float
    lower: float
    upper: float
    n_eff: float
    confidence: float
    n: int
    positives: int
    method: str
    df: int | None = None
    population: int | None = None

    @property
    def variance(self) -> float:
        return self.se**2

    @property
    def is_census(self) -> bool:
        return self.population is not None and self.n == self.population

    @property
    def upper_one_sided(self) -> float:
        """The one-sided upper bound at ``confidence``: "the rate is below this" (estimate_upper_bound).

        Clopper-Pearson on the effective counts whatever ``method`` the two-sided interval used.
        """
        return estimate_upper_bound(self)


def _check_method(method: str) -> None:
    if method not in INTERVAL_METHODS:
        raise ValueError(f"method must be one of {', '.join(INTERVAL_METHODS)}, not {method!r}")


def _check_counts(count: float, nobs: float) -> None:
    if not nobs > 0:
        raise ValueError(f"nobs must be > 0, not {nobs}")
    if not 0 <= count <= nobs:
        raise ValueError(f"count must be in [0, nobs = {nobs}], not {count}")


def _bounds(count: float, nobs: float, alpha: float, method: str) -> tuple[float, float]:
    """Two-sided 1 - alpha interval; count and nobs may be effective (non-integer) counts."""
    low, high = proportion_confint(count, nobs, alpha=alpha, method=_STATSMODELS_NAMES[method])
    low = 0.0 if count <= 0 else max(0.0, float(low))
    high = 1.0 if count >= nobs else min(1.0, float(high))
    return low, high


def proportion_interval(
    count: float, nobs: float, *, confidence: float = 0.95, method: str = "wilson"
) -> tuple[float, float]:
    """Two-sided interval for a binomial proportion: Wilson (default), Clopper-Pearson or Jeffreys.

    Never Wald, which collapses to [0, 0] at zero errors. Counts may be non-integer (effective
    counts). Newcombe (1998) Stat. Med. 17:857-872, Table I: 81/263 -> Wilson 0.2553-0.3662,
    Clopper-Pearson 0.2527-0.3676.
    """
    _check_counts(count, nobs)
    _check_probability("confidence", confidence)
    _check_method(method)
    return _bounds(count, nobs, 1 - confidence, method)


def _check_one_sided(confidence: float) -> None:
    if not 0.5 < confidence < 1:
        raise ValueError(f"confidence must be in (0.5, 1) for a one-sided bound, not {confidence}")


def upper_bound(count: float, nobs: float, *, confidence: float = 0.95, method: str = "clopper-pearson") -> float:
    """One-sided upper bound U: "the rate is below U" with ``confidence``; compare U to the budget.

    Always Clopper-Pearson: U = Beta^-1(confidence; c + 1, n - c), 1 when c = n; with no errors
    U = 1 - (1 - confidence)^(1/n), about 3/n at 95% (Hanley & Lippman-Hand 1983, JAMA
    249:1743-5): 598 clean items show a rate below 0.5%, 597 do not. A bound that decides
    "within budget" must hold its level at zero errors, where Wilson's and Jeffreys' do not (see
    the module docstring).

    ``method`` is deprecated and has no effect: it is still accepted (and checked) so that
    existing calls keep working, but any method other than "clopper-pearson" warns
    (DeprecationWarning) that the bound is Clopper-Pearson anyway.
    """
    _check_counts(count, nobs)
    _check_one_sided(confidence)
    _check_method(method)
    if method != "clopper-pearson":
        warnings.warn(
            f"upper_bound(method={method!r}) is deprecated: one-sided bounds are always Clopper-Pearson "
            "(exact at zero errors); drop the argument", DeprecationWarning, stacklevel=2,
        )
    return _bounds(count, nobs, 2 * (1 - confidence), "clopper-pearson")[1]


def _effective_bounds(value: float, n_eff: float, df: int | None, alpha: float, method: str) -> tuple[float, float]:
    """Korn-Graubard: the binomial interval on (p n*, n*), n* = n_eff (z / t_df)^2.

    Widened to hold p if needed: with a tiny n* (a stratum of one item carrying most of the
    weight) the Jeffreys interval can miss its own estimate.
    """
    n_star = n_eff
    if df is not None and df > 0:
        n_star = n_eff * (stats.norm.isf(alpha / 2) / stats.t.isf(alpha / 2, df)) ** 2
    lower, upper = _bounds(value * n_star, n_star, alpha, method)
    return min(lower, value), max(upper, value)


def estimate_upper_bound(estimate: Estimate, *, confidence: float | None = None) -> float:
    """One-sided upper bound of a design-weighted rate on its Korn-Graubard effective counts.

    At ``confidence`` (default: the estimate's own), with the one-sided t adjustment
    n* = n_eff (z_{1-a} / t_{1-a, df})^2, always by Clopper-Pearson whatever the estimate's
    two-sided ``method``: the bound is what is compared with a budget, and only the exact bound
    keeps its level at zero errors (module docstring). A census gives its value.
    """
    confidence = estimate.confidence if confidence is None else confidence
    _check_one_sided(confidence)
    if estimate.is_census:
        return estimate.value
    return _effective_bounds(estimate.value, estimate.n_eff, estimate.df, 2 * (1 - confidence), "clopper-pearson")[1]


def _stratum_variance(weight: float, count: StratumCount) -> float:
    """W_h^2 (1 - f_h) p_h q_h / (n_h - 1); a lone non-census item takes the worst case p q = 1/4.

    With n_h = 1 the unbiased variance is 0/0: one item says nothing about the spread in its
    stratum. Using 1/4 (the largest p q, over n_h = 1) keeps the interval honest; allocate at
    least two items per stratum to avoid it.
    """
    n, population = count.sampled, count.population
    if n == population:
        return 0.0
    if n == 1:
        return weight**2 * (1 - n / population) * 0.25
    rate = count.positives / n
    return weight**2 * (1 - n / population) * rate * (1 - rate) / (n - 1)


def estimate_proportion(
    counts: Iterable[StratumCount], *, confidence: float = 0.95, method: str = "clopper-pearson",
    conservative: bool = True,
) -> Estimate:
    """The stratified estimate of a rate, its standard error and Korn-Graubard interval.

    ``conservative``: take the smaller of Korn-Graubard's and Kish's effective sample size. A
    stratum whose reviewed items show no positive (or only positives) adds nothing to V, however
    few its items and however large its weight, so p q / V can credit the design with more
    information than its weights allow (pitfall 7 of the project's statistics notes). Kish's n_eff
    is what the weights alone allow; the minimum keeps the interval from being narrower than that.
    On by default: mid-week, when a heavy stratum has only a handful of reviews and no error yet,
    the textbook interval (``conservative=False``) covers the true rate 55-63 % of the time in
    simulation instead of 95 %; the floor costs width only when the weights are very unequal.

    Every stratum with outputs must have reviewed items: a stratum with none has no estimate of
    its own rate, and leaving it out would bias the total, so it raises ValueError (give it a
    minimum in the allocation, or leave it out of ``counts`` and report the rate as being about
    the other strata only). See the module docstring for the formulas.
    """
    counts = list(counts)
    _check_probability("confidence", confidence)
    _check_method(method)
    if not counts:
        raise ValueError("counts must hold at least one stratum")
    names = [c.name for c in counts]
    if len(set(names)) != len(names):
        raise ValueError("stratum names must be unique")
    for count in counts:
        if count.sampled == 0:
            raise ValueError(
                f"stratum {count.name!r}: no items were reviewed of its {count.population}, so its rate "
                "cannot be estimated"
            )
    total = sum(c.population for c in counts)
    n = sum(c.sampled for c in counts)
    positives = sum(c.positives for c in counts)
    value = sum(c.population / total * c.positives / c.sampled for c in counts)
    value = min(1.0, max(0.0, value))
    variance = sum(_stratum_variance(c.population / total, c) for c in counts)
    se = math.sqrt(variance)
    sampled_df = sum(c.sampled - 1 for c in counts if c.sampled < c.population)
    df = sampled_df if sampled_df > 0 else None
    if n == total:  # a census: no sampling error at all
        return Estimate(value, 0.0, value, value, float(n), confidence, n, positives, method, df, total)
    kish = min(float(n), total**2 / sum(c.population**2 / c.sampled for c in counts))  # <= n
    if 0 < value < 1 and variance > 0:
        n_eff = min(float(n), value * (1 - value) / variance)
        if conservative:
            n_eff = min(n_eff, kish)
    else:
        n_eff = kish
    lower, upper = _effective_bounds(value, n_eff, df, 1 - confidence, method)
    return Estimate(value, se, lower, upper, n_eff, confidence, n, positives, method, df, total)
