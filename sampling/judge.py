"""Judge-assisted error rates: a human probability sample made more precise by a judge's scores on
every output of the week, and the judge's own agreement with the humans.

The estimator is the survey regression (difference) estimator with the judge's value as auxiliary
variable (Cochran, W.G. (1977) Sampling Techniques, 3rd ed., §7.1-7.3; Särndal, Swensson &
Wretman (1992) Model Assisted Survey Sampling, §6.3-6.5), which the ML literature calls
prediction-powered inference with power tuning (PPI++: Angelopoulos, Duchi & Zrnic (2023)
arXiv:2311.01453; stratified: Fisch et al. (2024) arXiv:2406.04291). Per stratum h, with N_h
outputs, the judge's mean m_h over all of them, and n_h reviewed items (human label y_i, judge
value j_i):

    p_h(lambda) = lambda m_h + mean_i (y_i - lambda j_i),
    V_h(lambda) = (1 - f_h) S^2(y - lambda j) / n_h,   f_h = n_h / N_h,
    lambda_h = Cov(y, j) / S^2(j) on the reviewed items (the regression slope), clipped to [0, 1],
    p = sum_h W_h p_h,   V = sum_h W_h^2 V_h,   W_h = N_h / N.

m_h is known exactly (the judge scored every output), so it adds no variance; lambda = 0 is the
human-only estimate and lambda = 1 the plain difference estimator. The slope's denominator is the
sample's variance of j even for a 0/1 judge whose variance over the week is known: the known one
ties lambda to the sample's judge mean and biased the estimate by a fifth of its standard error at
100-140 reviews per stratum (ppi_py uses it; hence small differences from ppi_mean_ci at a few
hundred reviews, docs/judge.md).

The interval is the package's Korn-Graubard interval (sampling/estimation.py) on effective counts,
n_eff = min(p (1 - p) / V, n g, n_Kish g) with g = V_human / V the variance gain over the
human-only estimate on the same items: Clopper-Pearson (never below 0, never zero-width) with the
t adjustment, or, once a stratum is tuned and both effective counts reach ``NORMAL_COUNTS`` (40),
the t interval p +- t_df sqrt(p (1 - p) / n_eff), which is PPI++'s.

Guards, each where intervals of this kind break (tests/sampling/test_judge_estimator.py measures
coverage with and without the judge):

1. lambda = 0 is always a candidate: a stratum uses its tuned lambda only when the estimated
   variance with it, times (t_df / z)^2 for its degrees of freedom (guard 3), is below the
   human-only variance times (t_{n_h - 1} / z)^2. So V <= V_human stratum by stratum, and with no
   stratum tuned the result is exactly estimate_proportion's on the same items.
2. Few reviews: a stratum with fewer than ``MIN_TUNING_REVIEWS`` (10) reviewed items, or whose
   reviewed items show fewer than ``MIN_TUNING_MINORITY`` (2) human positives or negatives (sum of
   y, or of 1 - y, for scores), uses lambda = 0. Its covariance would rest on one or two items.
3. Tuning costs degrees of freedom: S^2(y - lambda j) divides the residual sum of squares by
   n_h - 2, and its degrees of freedom are 2 n m2^2 / (m4 - m2^2) (at most n_h - 2), about twice
   the judge-human disagreements; the strata's are combined by Satterthwaite (1946) for the t
   adjustment.
4. A judge perfect on the sample: the residual sum of squares is floored at ``RESIDUAL_FLOOR``
   (1/2, half of one full disagreement unseen in the sample; a Wilson-type pseudo-count). Without
   it a judge that happened to agree on all n_h items would give V_h = 0 and a zero-width interval;
   with it the gain of a stratum is at most about its human sum of squares times 2.
5. The Kish floor: n_eff is also at most the Kish effective sample size times the gain
   (estimate_proportion's ``conservative`` rule) and at most n times the gain; where the
   human-only variance is 0 (no positive anywhere, or a census) the gain is 1.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from .design import DesignSize, _margin_size
from .estimation import Estimate, _effective_bounds, proportion_interval
from .sizing import _check_probability, margin_of_allocation
from .types import Stratum

MIN_TUNING_REVIEWS = 10  # reviewed items in a stratum below which lambda = 0
MIN_TUNING_MINORITY = 2  # human positives (and negatives) below which lambda = 0
RESIDUAL_FLOOR = 0.5  # least residual sum of squares credited to a tuned stratum
PLAN_MINORITY = 5  # expected human positives (negatives) a plan needs in a stratum to count on its judge
MIN_VARIANCE_FACTOR = 0.05  # the most a plan credits a judge with: a twentyfold variance gain
NORMAL_COUNTS = 40  # effective positives and negatives from which the interval is value +- t se
_METHOD = "clopper-pearson"  # estimate_proportion's default, so both intervals read alike


def _unit_values(name: str, field: str, values: Sequence[float]) -> np.ndarray:
    array = np.asarray(values, dtype=float).reshape(-1)
    if not np.all(np.isfinite(array)) or np.any(array < 0) or np.any(array > 1):
        raise ValueError(f"stratum {name!r}: every value of {field} must be a number in [0, 1]")
    return array


@dataclass(frozen=True)
class JudgedStratum:
    """One stratum of the week with a judge that scored all of its outputs.

    population: N_h, the stratum's outputs this week. population_judge_mean: the judge's mean over
    all N_h of them. human: the reviewed items' labels (0/1, or a score in [0, 1]). judge: the
    judge's values for those same items, in the same order. The judge must have been fixed before
    the sample was drawn (docs/judge.md).
    """

    name: str
    population: int
    population_judge_mean: float
    human: Sequence[float]
    judge: Sequence[float]

    def __post_init__(self) -> None:
        if isinstance(self.population, bool) or int(self.population) != self.population or self.population < 0:
            raise ValueError(f"stratum {self.name!r}: population must be a whole number >= 0, not {self.population}")
        mean = self.population_judge_mean
        if not (isinstance(mean, int | float) and math.isfinite(mean) and 0 <= mean <= 1):
            raise ValueError(f"stratum {self.name!r}: population_judge_mean must be in [0, 1], not {mean!r}")
        if len(self.human) != len(self.judge):
            raise ValueError(
                f"stratum {self.name!r}: human and judge must have the same length, not {len(self.human)} "
                f"and {len(self.judge)}"
            )
        if len(self.human) > self.population:
            raise ValueError(
                f"stratum {self.name!r}: {len(self.human)} reviewed items exceed its population {self.population}"
            )
        _unit_values(self.name, "human", self.human)
        _unit_values(self.name, "judge", self.judge)

    @property
    def sampled(self) -> int:
        return len(self.human)


@dataclass(frozen=True)
class _Part:
    """One stratum's contribution: estimates and variances without and with the judge."""

    weight: float
    n: int
    human_value: float
    human_variance: float
    value: float
    variance: float
    lam: float
    df: float  # degrees of freedom of the variance used (Satterthwaite's input)


def _stratum(weight: float, s: JudgedStratum) -> _Part:
    y = _unit_values(s.name, "human", s.human)
    j = _unit_values(s.name, "judge", s.judge)
    n, population = len(y), s.population
    human_value = float(y.mean())
    if n == population:  # a census: no sampling error, the judge adds nothing
        return _Part(weight, n, human_value, 0.0, human_value, 0.0, 0.0, 0.0)
    fpc = 1 - n / population
    if n == 1:  # as estimate_proportion: one item says nothing about the spread, take p q = 1/4
        human_variance = weight**2 * fpc * 0.25
        return _Part(weight, n, human_value, human_variance, human_value, human_variance, 0.0, 1.0)
    ss_y = float(((y - human_value) ** 2).sum())
    human_variance = weight**2 * fpc * ss_y / (n - 1) / n
    keep = _Part(weight, n, human_value, human_variance, human_value, human_variance, 0.0, n - 1.0)
    if n < MIN_TUNING_REVIEWS or min(y.sum(), n - y.sum()) < MIN_TUNING_MINORITY:
        return keep
    j_centred = j - j.mean()
    judge_variance = float((j_centred**2).sum()) / (n - 1)
    if judge_variance <= 0:
        return keep
    covariance = float(((y - human_value) * j_centred).sum()) / (n - 1)
    lam = min(1.0, max(0.0, covariance / judge_variance))
    if lam == 0:
        return keep
    residual = y - lam * j
    centred = residual - residual.mean()
    ss_e = max(float((centred**2).sum()), RESIDUAL_FLOOR)
    variance = weight**2 * fpc * ss_e / (n - 2) / n
    # Few disagreements carry the residual variance: its degrees of freedom are 2 n m2^2 / (m4 - m2^2)
    # (the variance of a sample variance), about twice the number of disagreements, not n - 2.
    m2, m4 = ss_e / n, float((centred**4).sum()) / n
    df = n - 2.0 if m4 <= m2**2 else min(n - 2.0, max(1.0, 2 * n * m2**2 / (m4 - m2**2)))
    # Tune only if it pays once its t quantile is counted (the human-only variance has n - 1 df).
    if variance * _t_factor(df) >= human_variance * _t_factor(n - 1.0):
        return keep
    value = lam * s.population_judge_mean + float(residual.mean())
    return _Part(weight, n, human_value, human_variance, value, variance, lam, df)


def _t_factor(df: float) -> float:
    """(t_{0.975, df} / z_{0.975})^2: how much a variance on df degrees of freedom widens the interval."""
    return float((stats.t.isf(0.025, df) / stats.norm.isf(0.025)) ** 2)


def _satterthwaite(parts: list[_Part]) -> int | None:
    """Degrees of freedom of V = sum_h V_h (Satterthwaite 1946), rounded down; None for a census.

    Untuned strata count n_h - 1 (estimate_proportion's df); tuned ones their residual df. When
    no stratum is tuned this is at least estimate_proportion's sum_h (n_h - 1), so the judge never
    widens the interval through its df.
    """
    if not any(p.lam > 0 for p in parts):
        total = sum(p.n - 1 for p in parts if p.df > 0)
        return total if total > 0 else None
    variance = sum(p.variance for p in parts)
    denominator = sum(p.variance**2 / p.df for p in parts if p.variance > 0 and p.df > 0)
    if variance <= 0 or denominator <= 0:
        return None
    return max(1, math.floor(variance**2 / denominator))


def estimate_with_judge(strata: Sequence[JudgedStratum], *, confidence: float = 0.95) -> Estimate:
    """The design-weighted, power-tuned difference estimate of a rate and its interval.

    Returns the package's ``Estimate`` (as estimate_proportion): ``value`` the judge-assisted rate
    (clipped to [0, 1]), ``se`` its standard error, ``lower``/``upper`` the Clopper-Pearson
    Korn-Graubard interval at ``confidence``, ``n`` the reviewed items, ``positives`` the human
    positives among them (rounded sum of the labels), ``df`` the t adjustment's degrees of freedom,
    ``population`` N. ``n_eff``: the number of human reviews a human-only estimate would need for
    the same variance, in estimate_proportion's units (its n_eff on the same items times the
    variance gain V_human / V); judge.n_eff - human.n_eff is what the judge is worth.

    Guards (module docstring and docs/judge.md): lambda = 0 whenever it is not estimated to help,
    and below 10 reviews or 2 human positives (negatives) in a stratum; n_h - 2 degrees of freedom
    for a tuned stratum; a floor of 1/2 on its residual sum of squares (a judge perfect on the
    sample); the Kish floor on n_eff. Every stratum needs at least one reviewed item (ValueError),
    as in estimate_proportion; a stratum with population 0 (no outputs this week) is left out.
    """
    strata = list(strata)
    _check_probability("confidence", confidence)
    if not strata:
        raise ValueError("strata must hold at least one stratum")
    for s in strata:
        if not isinstance(s, JudgedStratum):
            raise ValueError(f"strata must be JudgedStratum values, not {type(s).__name__}")
    names = [s.name for s in strata]
    if len(set(names)) != len(names):
        raise ValueError("stratum names must be unique")
    strata = [s for s in strata if s.population > 0]  # a stratum with no outputs this week weighs nothing
    if not strata:
        raise ValueError("strata hold no outputs (every population is 0)")
    for s in strata:
        if s.sampled == 0:
            raise ValueError(
                f"stratum {s.name!r}: no items were reviewed of its {s.population}, so its rate cannot be estimated"
            )
    total = sum(s.population for s in strata)
    parts = [_stratum(s.population / total, s) for s in strata]
    n = sum(p.n for p in parts)
    positives = int(round(sum(float(np.sum(np.asarray(s.human, dtype=float))) for s in strata)))
    value = min(1.0, max(0.0, sum(p.weight * p.value for p in parts)))
    variance = sum(p.variance for p in parts)
    human_variance = sum(p.human_variance for p in parts)
    df = _satterthwaite(parts)
    if n == total:
        return Estimate(value, 0.0, value, value, float(n), confidence, n, positives, _METHOD, df, total)
    kish = min(float(n), total**2 / sum(s.population**2 / s.sampled for s in strata))
    gain = human_variance / variance if variance > 0 and human_variance > 0 else 1.0
    if 0 < value < 1 and variance > 0:
        n_eff = min(value * (1 - value) / variance, float(n) * gain, kish * gain)
    else:
        n_eff = kish * gain
    se = math.sqrt(variance)
    tuned = any(p.lam > 0 for p in parts)
    if tuned and min(value, 1 - value) * n_eff >= NORMAL_COUNTS:  # the t interval: PPI++'s, to within 1/n*
        quantile = stats.t.isf((1 - confidence) / 2, df) if df else stats.norm.isf((1 - confidence) / 2)
        half = float(quantile) * math.sqrt(value * (1 - value) / n_eff)  # se, or more where n_eff is floored
        lower, upper = max(0.0, value - half), min(1.0, value + half)
    else:
        lower, upper = _effective_bounds(value, n_eff, df, 1 - confidence, _METHOD)
    return Estimate(value, se, lower, upper, n_eff, confidence, n, positives, _METHOD, df, total)


@dataclass(frozen=True)
class JudgeAgreement:
    """How well a binary judge agrees with the human labels on the probability sample.

    Each figure is design-weighted (weights 1/pi, e.g. N_h / n_h) and comes with its two-sided
    interval at ``confidence``; a figure with no item to stand on (no human positive for the
    sensitivity, no human negative for the specificity, no judge positive for the precision, or
    chance agreement already 1 for kappa) is NaN with a NaN interval. ``n``: the reviewed items;
    ``n_eff``: their Kish effective size (Σw)² / Σw².

    sensitivity (TPR): weighted share of human positives the judge flags; specificity (TNR): of
    human negatives the judge passes; precision (PPV): of judge positives the humans confirm;
    kappa: Cohen's kappa of the weighted 2 x 2 table.
    """

    sensitivity: float
    sensitivity_interval: tuple[float, float]
    specificity: float
    specificity_interval: tuple[float, float]
    precision: float
    precision_interval: tuple[float, float]
    kappa: float
    kappa_interval: tuple[float, float]
    n: int
    n_eff: float
    confidence: float

    @property
    def tpr(self) -> float:
        return self.sensitivity

    @property
    def tnr(self) -> float:
        return self.specificity

    @property
    def ppv(self) -> float:
        return self.precision


_NAN_INTERVAL = (math.nan, math.nan)


def _binary(field: str, values: Sequence[int]) -> np.ndarray:
    array = np.asarray(values, dtype=float).reshape(-1)
    if not np.all((array == 0) | (array == 1)):
        raise ValueError(f"every value of {field} must be 0 or 1")
    return array


def _weighted_share(hit: np.ndarray, among: np.ndarray, w: np.ndarray, confidence: float) -> tuple[
    float, tuple[float, float]
]:
    """Weighted share of ``hit`` among ``among``; Wilson on its Kish effective counts."""
    wa = w[among]
    if wa.size == 0:
        return math.nan, _NAN_INTERVAL
    share = float(wa[hit[among]].sum() / wa.sum())
    n_eff = float(wa.sum() ** 2 / (wa**2).sum())
    low, high = proportion_interval(share * n_eff, n_eff, confidence=confidence, method="wilson")
    return share, (min(low, share), max(high, share))


def judge_agreement(
    human: Sequence[int], judge: Sequence[int], *, weights: Sequence[float] | None = None,
    confidence: float = 0.95,
) -> JudgeAgreement:
    """Design-weighted sensitivity, specificity, precision and Cohen's kappa of a judge vs humans.

    ``human`` and ``judge``: 0/1 labels of the same reviewed items in the same order (1 = the
    failure the rate counts). ``weights``: each item's design weight 1/pi (default 1: an
    unweighted sample). The weighted shares are Hájek ratios; their intervals are Wilson's on the
    Kish effective counts of the items they are about (as sampling/agreement.py and
    estimate_proportion's conservative rule do). Kappa's interval is the delta method: the
    large-sample variance of Fleiss, Cohen & Everitt (1969) (statsmodels' ``cohens_kappa``) of the
    weighted table scaled to the Kish effective size, kappa +- z se, clipped to [-1, 1].
    Unweighted, the figures are sklearn's ``recall_score``, ``precision_score`` and
    ``cohen_kappa_score`` (tests/sampling/test_judge_estimator.py).
    """
    _check_probability("confidence", confidence)
    y = _binary("human", human)
    j = _binary("judge", judge)
    if y.size != j.size:
        raise ValueError(f"human and judge must have the same length, not {y.size} and {j.size}")
    if y.size == 0:
        raise ValueError("human and judge must hold at least one item")
    if weights is None:
        w = np.ones_like(y)
    else:
        w = np.asarray(weights, dtype=float).reshape(-1)
        if w.size != y.size:
            raise ValueError(f"weights must have the same length as human ({y.size}), not {w.size}")
        if not np.all(np.isfinite(w)) or np.any(w <= 0):
            raise ValueError("every weight must be a number > 0")
    yb, jb = y == 1, j == 1
    sensitivity = _weighted_share(jb, yb, w, confidence)
    specificity = _weighted_share(~jb, ~yb, w, confidence)
    precision = _weighted_share(yb, jb, w, confidence)
    n_eff = float(w.sum() ** 2 / (w**2).sum())
    kappa, kappa_interval = _kappa(yb, jb, w, n_eff, confidence)
    return JudgeAgreement(
        sensitivity[0], sensitivity[1], specificity[0], specificity[1], precision[0], precision[1],
        kappa, kappa_interval, int(y.size), n_eff, confidence,
    )


def _kappa(yb: np.ndarray, jb: np.ndarray, w: np.ndarray, n_eff: float, confidence: float) -> tuple[
    float, tuple[float, float]
]:
    """Cohen's kappa of the weighted 2 x 2 table; delta-method interval on n_eff items."""
    table = np.array([[w[~yb & ~jb].sum(), w[~yb & jb].sum()], [w[yb & ~jb].sum(), w[yb & jb].sum()]])
    share = table / table.sum()
    observed = share[0, 0] + share[1, 1]
    chance = float(share.sum(1) @ share.sum(0))
    if chance >= 1:
        return math.nan, _NAN_INTERVAL
    kappa = float((observed - chance) / (1 - chance))
    # Fleiss, Cohen & Everitt (1969) Psych. Bull. 72:323-327, the variance under kappa != 0.
    rows, cols = share.sum(1), share.sum(0)
    a = sum(share[i, i] * (1 - (rows[i] + cols[i]) * (1 - kappa)) ** 2 for i in range(2))
    b = (1 - kappa) ** 2 * sum(share[i, k] * (cols[i] + rows[k]) ** 2 for i in range(2) for k in range(2) if i != k)
    c = (kappa - chance * (1 - kappa)) ** 2
    variance = max(0.0, (a + b - c) / ((1 - chance) ** 2 * n_eff))
    half = float(stats.norm.isf((1 - confidence) / 2)) * math.sqrt(variance)
    return kappa, (max(-1.0, kappa - half), min(1.0, kappa + half))


def judge_variance_factor(human: Sequence[float], judge: Sequence[float]) -> float:
    """The share of the human labels' variance a judge leaves unexplained on reviewed items like these.

    SS(y - lambda j) / SS(y), lambda the slope clipped to [0, 1] as the estimator clips it: 1 - rho^2
    for a judge with correlation rho whose slope is in range, never above 1. Fewer than
    MIN_TUNING_REVIEWS items, or fewer than MIN_TUNING_MINORITY human positives (negatives), say
    nothing: 1. A planning figure (size_for_margin_with_judge adds what a week's size costs on top);
    the week's estimate tunes lambda again on its own items.
    """
    y = _unit_values("past", "human", human)
    j = _unit_values("past", "judge", judge)
    if y.size != j.size:
        raise ValueError(f"human and judge must have the same length, not {y.size} and {j.size}")
    n = y.size
    if n < MIN_TUNING_REVIEWS or min(y.sum(), n - y.sum()) < MIN_TUNING_MINORITY:
        return 1.0
    y_centred, j_centred = y - y.mean(), j - j.mean()
    ss_y, ss_j = float((y_centred**2).sum()), float((j_centred**2).sum())
    if ss_y <= 0 or ss_j <= 0:
        return 1.0
    lam = min(1.0, max(0.0, float((y_centred * j_centred).sum()) / ss_j))
    return min(1.0, float(((y_centred - lam * j_centred) ** 2).sum()) / ss_y)


def _tuned_factors(sizes: Mapping[str, int], variance_factors: Mapping[str, float],
                   expected_rate: float) -> dict[str, float]:
    """Each stratum's planned V / V_human at these sizes, with what the estimator's guards cost there.

    A stratum is credited with the judge only when it expects at least PLAN_MINORITY human
    positives (negatives): with fewer, guard 2 (two observed) often leaves lambda at 0. Then, as the
    estimator: the residual floor (guard 4) on n p q of expected sum of squares, n - 2 degrees of
    freedom against n - 1, and the t quantile of the residual's degrees of freedom (guard 3), taken
    as 4 n p q V / V_human, against the human-only one's. Clipped to [MIN_VARIANCE_FACTOR, 1].
    Without these a plan at rho = 0.9 delivered intervals half as wide again as promised; with them
    a plan delivers its margin as the human-only plan does, or better (tests/sampling/test_judge_sizing.py).
    """
    found = {}
    q = min(expected_rate, 1 - expected_rate)
    for name, n in sizes.items():
        measured = float(variance_factors.get(name, 1.0))
        if n < MIN_TUNING_REVIEWS or q * n < PLAN_MINORITY or measured >= 1:
            found[name] = 1.0
            continue
        spread = n * expected_rate * (1 - expected_rate)
        base = max(measured, RESIDUAL_FLOOR / spread) * (n - 1) / (n - 2)
        df = min(n - 2.0, max(1.0, 4 * base * spread))
        found[name] = min(1.0, max(MIN_VARIANCE_FACTOR, base * _t_factor(df) / _t_factor(n - 1.0)))
    return found


def _check_factors(variance_factors: Mapping[str, float]) -> None:
    for name, factor in variance_factors.items():
        if isinstance(factor, bool) or not (isinstance(factor, int | float) and math.isfinite(factor) and factor >= 0):
            raise ValueError(f"variance factor of {name!r} must be a number >= 0, not {factor!r}")


def size_for_margin_with_judge(
    strata: Sequence[Stratum], margin: float, variance_factors: Mapping[str, float], *,
    expected_rate: float = 0.5, confidence: float = 0.95, method: str = "risk",
) -> DesignSize:
    """Smallest total whose allocation, estimated with the judge, is within +/- margin at expected_rate.

    sampling.size_for_margin with each stratum's variance scaled by its factor (judge_variance_factor
    on past reviewed items; a stratum absent from ``variance_factors`` has none: 1), plus what the
    estimator's guards cost at the stratum's planned size (_tuned_factors): below
    MIN_TUNING_REVIEWS items or PLAN_MINORITY expected positives (negatives) a stratum gets no
    judge. No judge is credited with more than a twentyfold gain. With every factor 1 the answer
    is size_for_margin's.
    """
    _check_factors(variance_factors)
    return _margin_size(strata, margin, expected_rate=expected_rate, confidence=confidence, method=method,
                        factors=lambda sizes: _tuned_factors(sizes, variance_factors, expected_rate))


def margin_with_judge(
    sizes: Mapping[str, int], populations: Mapping[str, int], variance_factors: Mapping[str, float], *,
    expected_rate: float = 0.5, confidence: float = 0.95,
) -> float:
    """The +/- margin an allocation buys with the judge (size_for_margin_with_judge's rule): the cap's cost."""
    _check_factors(variance_factors)
    return margin_of_allocation(dict(sizes), dict(populations), expected_rate=expected_rate, confidence=confidence,
                                variance_factors=_tuned_factors(sizes, variance_factors, expected_rate))
