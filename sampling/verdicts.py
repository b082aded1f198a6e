"""Verdicts on a week from its stratified, risk-weighted sample: "under budget" and "above baseline".

The plan page promises them and the scorecard states them, so one rule serves both, and it must
hold for the sample actually drawn: strata sampled at different fractions, errors anywhere.

The rule. Write the week's rate as p = sum_h W_h p_h (W_h = N_h / N). A stratum reviewed in full
(a census) contributes its exact share; a stratum with no reviewed item contributes nothing to
the lower limit and its whole share W_h to the upper one. The other strata give the weighted
count y = sum_h w_h x_h (x_h errors among n_h reviewed, w_h = W_h / n_h: y is the stratified
estimate of their share) and v = sum_h w_h^2 x_h. The limits are Clopper-Pearson limits on the
effective counts of a weighted sum of binomials:

    upper: Beta^-1(c; a, n* - a + 1) with a = (y + w_M)^2 / (v + w_M^2), n* = (y + w_M) / (v + w_M^2)
    lower: Beta^-1(1 - c; y^2 / v, y / v - y^2 / v + 1), 0 when y = 0,

where w_M is the largest w_h. The shift by one error of the heaviest weight is Fay & Feuer's
(1997, Stat. Med. 16:791-801, the gamma interval for directly standardised rates, which is
conservative in every published simulation); using their effective counts in a beta instead of
a gamma quantile (the binomial instead of the Poisson model, as Korn & Graubard 1998, Survey
Methodology 24:193-201, do for their effective sample size) makes the rule exactly Clopper-
Pearson on a simple random sample (a = x + 1, n* = n) and less conservative than the gamma for
rates that are not rare. With no error the upper limit is 1 - (1 - c)^(1 / n*) with
n* = min_h n_h / W_h: a clean week shows no more than its least-sampled stratum can, because
every error of the week might sit there. That is why risk over-sampling buys nothing for a
budget claim unless the bulk stratum keeps its share (docs/sampling.md compares the designs).

Where the rate threshold is above one half, the verdict is taken on the complementary rate
(successes), where the effective counts are tight: the choice follows the threshold, never the
data, so the guarantee is kept. Validity is checked by seeded simulation on risk-allocated
designs with the errors in the bulk, in the risky strata and spread (tests/sampling/
test_verdicts.py; bench/plan.py runs the fuller one).

verdict_chance: the probability that a verdict comes out True for a week of given strata,
sizes and per-stratum rates (errors fixed in the week: D_h = round(p_h N_h), so reviewed errors
are hypergeometric). It sums over every count vector more likely than 1e-7 when there are at
most 20,000 of them and they hold all but 0.4% of the mass (rare errors: the usual case; the
error is then under 0.002); otherwise it is a seeded simulation of 40,000 weeks (standard error at most
0.0025). The same uniforms are reused for every call (inverse-CDF draws), so the chance moves
smoothly with the sizes, which the sizing search needs.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import special

from .estimation import StratumCount, _check_one_sided
from .sizing import _check_probability

VERDICTS = ("budget", "rise")
SIMULATIONS = 40_000
_SEED = 20261206
_TAIL = 1e-9  # per-stratum probability mass left out of the exact sum
_LIKELY = 1e-7  # count vectors less likely than this are left out of the exact sum ...
_MOST_VECTORS = 20_000  # ... unless more than this many are left, or more than _LEFT_OUT of the mass: then simulate
_LEFT_OUT = 0.004


@dataclass(frozen=True)
class _Design:
    """What the limits need from a design: share weights, census and unreviewed strata."""

    populations: np.ndarray  # N_h
    sizes: np.ndarray  # n_h reviewed
    total: int

    @property
    def census(self) -> np.ndarray:
        return (self.sizes == self.populations) & (self.populations > 0)

    @property
    def unreviewed(self) -> np.ndarray:
        return (self.sizes == 0) & (self.populations > 0)

    @property
    def sampled(self) -> np.ndarray:
        return (self.sizes > 0) & ~self.census

    @property
    def weights(self) -> np.ndarray:
        """w_h = W_h / n_h for sampled strata, 0 elsewhere."""
        w = np.zeros(len(self.populations))
        s = self.sampled
        w[s] = self.populations[s] / (self.total * self.sizes[s])
        return w

    @property
    def unreviewed_share(self) -> float:
        return float(self.populations[self.unreviewed].sum() / self.total)


def _design(populations: Sequence[int], sizes: Sequence[int]) -> _Design:
    population_array, size_array = np.asarray(populations, dtype=float), np.asarray(sizes, dtype=float)
    total = int(population_array.sum())
    if total < 1:
        raise ValueError("the week must have at least one output")
    return _Design(population_array, size_array, total)


def _parts(design: _Design, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Per row of counts: the census share known exactly, y, v; and w_M."""
    w = design.weights
    known = x[:, design.census].sum(axis=1) / design.total
    return known, x @ w, x @ (w * w), float(w.max(initial=0.0))


def _upper_shape(y: np.ndarray, v: np.ndarray, w_max: float) -> tuple[np.ndarray, np.ndarray]:
    """Beta(a, n* - a + 1) of the upper limit: a = (y + w_M)^2 / (v + w_M^2), n* = (y + w_M) / (v + w_M^2)."""
    a = (y + w_max) ** 2 / (v + w_max**2)
    return a, np.maximum((y + w_max) / (v + w_max**2) - a + 1, 1e-12)


def _lower_shape(y: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Beta(x*, n* - x* + 1) of the lower limit: x* = y^2 / v, n* = y / v (y > 0)."""
    a = y * y / v
    return a, np.maximum(y / v - a + 1, 1e-12)


def _upper_cdf(design: _Design, x: np.ndarray, threshold: float) -> np.ndarray:
    """P(Beta(a, n* - a + 1) <= threshold - known - unreviewed) per row: the upper limit is below
    the threshold exactly when this exceeds the confidence."""
    known, y, v, w_max = _parts(design, x)
    room = threshold - known - design.unreviewed_share
    if w_max == 0:  # nothing sampled: the limit is exactly known + unreviewed
        return np.where(room > 0, 1.0, 0.0)
    a, b = _upper_shape(y, v, w_max)
    return np.where(room > 0, special.betainc(a, b, np.clip(room, 0, 1)), 0.0)


def _lower_sf(design: _Design, x: np.ndarray, threshold: float) -> np.ndarray:
    """P(Beta(x*, n* - x* + 1) > threshold - known) per row: the lower limit is above the
    threshold exactly when this exceeds the confidence."""
    known, y, v, _ = _parts(design, x)
    room = threshold - known
    positive = y > 0
    a, b = _lower_shape(np.where(positive, y, 1.0), np.where(positive, v, 1.0))
    sf = 1 - special.betainc(a, b, np.clip(room, 0, 1))
    sf = np.where(positive, sf, 0.0)  # no error in the sampled strata: the lower limit is known
    return np.where(room < 0, 1.0, sf)


def _upper_limit(design: _Design, x: np.ndarray, confidence: float) -> float:
    known, y, v, w_max = _parts(design, x)
    base = float(known[0]) + design.unreviewed_share
    if w_max == 0:
        return min(1.0, base)
    a, b = _upper_shape(y, v, w_max)
    return min(1.0, base + float(special.betaincinv(a, b, confidence)[0]))


def _lower_limit(design: _Design, x: np.ndarray, confidence: float) -> float:
    known, y, v, _ = _parts(design, x)
    if y[0] <= 0:
        return float(known[0])
    a, b = _lower_shape(y, v)
    return float(known[0]) + float(special.betaincinv(a, b, 1 - confidence)[0])


def _from_counts(counts: Sequence[StratumCount]) -> tuple[_Design, np.ndarray]:
    counts = list(counts)
    if not counts:
        raise ValueError("counts must hold at least one stratum")
    names = [c.name for c in counts]
    if len(set(names)) != len(names):
        raise ValueError("stratum names must be unique")
    design = _design([c.population for c in counts], [c.sampled for c in counts])
    return design, np.array([[c.positives for c in counts]], dtype=float)


def _complement(counts: Sequence[StratumCount]) -> list[StratumCount]:
    return [StratumCount(c.name, c.population, c.sampled, c.sampled - c.positives) for c in counts]


def budget_bound(counts: Sequence[StratumCount], *, confidence: float = 0.95) -> float:
    """The upper limit U of the week's rate: "the rate is below U" with ``confidence``.

    The limit the budget verdict compares (for budgets up to one half); see the module docstring.
    A stratum with no reviewed item counts as if all its outputs were errors.
    """
    _check_one_sided(confidence)
    design, x = _from_counts(counts)
    return _upper_limit(design, x, confidence)


def rise_bound(counts: Sequence[StratumCount], *, confidence: float = 0.95) -> float:
    """The lower limit L of the week's rate: "the rate is above L" with ``confidence``.

    A stratum with no reviewed item counts as if it had no error.
    """
    _check_one_sided(confidence)
    design, x = _from_counts(counts)
    return _lower_limit(design, x, confidence)


def budget_verdict(counts: Sequence[StratumCount], max_rate: float, *, confidence: float = 0.95) -> bool:
    """True when the reviewed items show, at ``confidence``, that the week's rate is below max_rate.

    For any week whose true rate is at least max_rate, wherever its errors sit, this is True with
    probability at most 1 - confidence. Partly reviewed weeks are fine (a stratum's reviewed
    items must be a random subset of it, as the queue's key order gives); an unreviewed stratum
    is taken at its worst.
    """
    _check_probability("max_rate", max_rate)
    _check_one_sided(confidence)
    counts = list(counts)
    if max_rate > 0.5:
        return rise_verdict(_complement(counts), 1 - max_rate, confidence=confidence)
    design, x = _from_counts(counts)
    return bool(_upper_cdf(design, x, max_rate)[0] > confidence)


def rise_verdict(counts: Sequence[StratumCount], baseline_rate: float, *, confidence: float = 0.95) -> bool:
    """True when the reviewed items show, at ``confidence``, that the week's rate is above baseline_rate.

    For any week whose true rate is at most baseline_rate, wherever its errors sit, this is True
    with probability at most 1 - confidence.
    """
    _check_probability("baseline_rate", baseline_rate)
    _check_one_sided(confidence)
    counts = list(counts)
    if baseline_rate >= 0.5:
        return budget_verdict(_complement(counts), 1 - baseline_rate, confidence=confidence)
    design, x = _from_counts(counts)
    return bool(_lower_sf(design, x, baseline_rate)[0] > confidence)


def _true(verdict: str, design: _Design, x: np.ndarray, threshold: float, confidence: float) -> np.ndarray:
    if verdict == "budget":
        return _upper_cdf(design, x, threshold) > confidence
    return _lower_sf(design, x, threshold) > confidence


def verdict_chance(
    verdict: str,
    sizes: Mapping[str, int],
    populations: Mapping[str, int],
    rates: Mapping[str, float],
    *,
    threshold: float,
    confidence: float = 0.95,
) -> float:
    """The probability that ``verdict`` ("budget" or "rise") is True for a week with these strata.

    populations: N_h per stratum (its keys are the strata); sizes: n_h reviewed (missing: 0);
    rates: the week's error rate in each stratum, so stratum h holds round(p_h N_h) errors and
    its reviewed errors are hypergeometric. threshold: the budget's max_rate, or the baseline the
    rise must clear. Exact when the likely count vectors are few, else a seeded simulation of
    40,000 weeks (standard error <= 0.0025).
    """
    return _chance(verdict, sizes, populations, rates, threshold=threshold, confidence=confidence)


def _chance(verdict, sizes, populations, rates, *, threshold, confidence, simulations: int = SIMULATIONS) -> float:
    """verdict_chance, with fewer simulated weeks when a search only needs a rough answer (the
    first ``simulations`` of the same seeded stream: the rough answer is the fine one's subset)."""
    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {', '.join(VERDICTS)}, not {verdict!r}")
    _check_probability("threshold", threshold)
    _check_one_sided(confidence)
    names = list(populations)
    if not names:
        raise ValueError("populations must hold at least one stratum")
    unknown = set(sizes) - set(names)
    if unknown:
        raise ValueError(f"sizes name strata that populations lack: {', '.join(sorted(unknown))}")
    for name in names:
        if populations[name] < 0:
            raise ValueError(f"stratum {name!r}: population must be >= 0, not {populations[name]}")
        if not 0 <= sizes.get(name, 0) <= populations[name]:
            raise ValueError(f"stratum {name!r}: size must be in [0, population = {populations[name]}], "
                             f"not {sizes.get(name, 0)}")
        if populations[name] and name not in rates:
            raise ValueError(f"stratum {name!r}: no rate given")
        if populations[name]:
            _check_probability(f"rates[{name!r}]", rates[name], closed=True)
    names = [n for n in names if populations[n] > 0]
    pops = [int(populations[n]) for n in names]
    ns = [int(sizes.get(n, 0)) for n in names]
    errors = [int(round(rates[n] * populations[n])) for n in names]
    if threshold > 0.5 or (verdict == "rise" and threshold >= 0.5):  # the verdicts' complement rule
        verdict = "rise" if verdict == "budget" else "budget"
        threshold = 1 - threshold
        errors = [p - e for p, e in zip(pops, errors, strict=True)]
    design = _design(pops, ns)
    supports = [_support(p, e, n) for p, e, n in zip(pops, errors, ns, strict=True)]
    exact = _likely_vectors(supports) if simulations >= SIMULATIONS else None  # a rough answer: simulate
    if exact is not None:
        x, probability = exact
        # The mass left out (< _LEFT_OUT) could go either way: count half of it, an error below 0.002.
        chance = float(probability[_true(verdict, design, x, threshold, confidence)].sum()) + (1 - probability.sum()) / 2
    else:
        unique, inverse = _distinct(_simulate(supports, simulations))
        hits = _true(verdict, design, unique.astype(float), threshold, confidence)
        chance = float(hits[inverse].mean())
    return min(1.0, max(0.0, chance))


def _likely_vectors(supports) -> tuple[np.ndarray, np.ndarray] | None:
    """Every count vector with probability above _LIKELY and its probability, built stratum by
    stratum (a prefix below _LIKELY cannot grow, since the other factors are at most 1), or None
    when there are more than _MOST_VECTORS or they leave out more than _LEFT_OUT of the mass:
    then the caller simulates."""
    if math.prod(int((pmf > _LIKELY).sum()) for _, pmf in supports) > 1000 * _MOST_VECTORS:
        return None  # hopeless: not worth building the first strata's vectors to find out
    x = np.zeros((1, 0))
    probability = np.ones(1)
    for values, pmf in supports:
        joint = probability[:, None] * pmf[None, :]
        rows, columns = np.nonzero(joint > _LIKELY)
        if len(rows) > _MOST_VECTORS:
            return None
        x = np.column_stack([x[rows], values[columns]])
        probability = joint[rows, columns]
    if 1 - probability.sum() > _LEFT_OUT:
        return None
    return x, probability


def _support(population: int, errors: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The counts a stratum's review can show and their hypergeometric probabilities, the tails
    below _TAIL on either side dropped (log-gamma form: scipy.stats' frozen distributions cost a
    millisecond each, and sizing evaluates thousands)."""
    if size == 0 or errors == 0:
        return np.array([0.0]), np.array([1.0])
    if size == population or errors == population:
        return np.array([float(min(errors, size) if errors == population else errors)]), np.array([1.0])
    k = np.arange(max(0, size - (population - errors)), min(size, errors) + 1, dtype=float)
    log_pmf = (_log_choose(errors, k) + _log_choose(population - errors, size - k)
               - _log_choose(population, np.float64(size)))
    pmf = np.exp(log_pmf)
    cdf = np.cumsum(pmf)
    keep = (cdf >= _TAIL) & (cdf - pmf <= 1 - _TAIL)
    return k[keep], pmf[keep]


def _log_choose(n, k):
    return special.gammaln(n + 1) - special.gammaln(k + 1) - special.gammaln(n - k + 1)


_ORDERS: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}


def _sorted_uniforms(strata: int, simulations: int) -> tuple[np.ndarray, np.ndarray]:
    """The same seeded uniforms for every call (common random numbers across sizes), each
    column sorted, with the rows each sorted position came from."""
    key = (strata, simulations)
    if key not in _ORDERS:
        u = np.random.default_rng(_SEED).random((simulations, strata))
        order = np.argsort(u, axis=0)
        _ORDERS[key] = (np.take_along_axis(u, order, axis=0), order)
    return _ORDERS[key]


def _simulate(supports: list[tuple[np.ndarray, np.ndarray]], simulations: int) -> np.ndarray:
    """Simulated count vectors, each stratum drawn by the inverse CDF of its support: with the
    uniforms sorted, each value fills one run of positions, found by one small searchsorted."""
    u, order = _sorted_uniforms(len(supports), simulations)
    x = np.empty((simulations, len(supports)), dtype=np.int64)
    for h, (values, pmf) in enumerate(supports):
        cdf = np.cumsum(pmf) / pmf.sum()
        ends = np.searchsorted(u[:, h], cdf[:-1], side="right")
        runs = np.diff(np.concatenate([[0], ends, [simulations]]))
        x[order[:, h], h] = np.repeat(values.astype(np.int64), runs)
    return x


def _distinct(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of x and, per row, its index among them, by a mixed-radix key per row
    (np.unique(axis=0) sorts structured rows, twenty times slower; a small key space is counted
    with bincount, without sorting)."""
    low = x.min(axis=0)
    span = x.max(axis=0) - low + 1
    radix = np.concatenate([[1], np.cumprod(span[::-1])[:-1]])[::-1]
    keys = (x - low) @ radix
    space = int(np.prod(span.astype(float)))
    if space <= 4 * len(x):
        present = np.flatnonzero(np.bincount(keys, minlength=space))
        index = np.empty(space, dtype=np.int64)
        index[present] = np.arange(len(present))
        rows = low + (present[:, None] // radix) % span
        return rows, index[keys]
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    return x[first], inverse.ravel()
