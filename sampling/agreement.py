"""How far reviewers agree: percent agreement, Cohen's and Fleiss' kappa, Krippendorff's alpha,
and bootstrap intervals (BCa) over the reviewed items.

Reliability data has one row per reviewer and one column per item (unit); None or NaN marks an
item the reviewer did not rate. Labels are any hashable values for nominal data, numbers for
interval and ratio data, and orderable values for ordinal data and weighted kappa.

* Percent agreement: the mean over items with two or more ratings of the share of agreeing
  rater pairs, sum_j n_j (n_j - 1) / (m (m - 1)) (Fleiss 1971, the P_i of his kappa).
* Cohen's kappa (Cohen 1960, EPM 20:37-46): (p_o - p_e) / (1 - p_e) for two reviewers;
  weighted (Cohen 1968, Psych. Bull. 70:213-220) with linear or quadratic agreement weights over
  the ordered categories (as R irr's kappa2 and statsmodels' ``cohens_kappa``).
* Fleiss' kappa (Fleiss 1971, Psych. Bull. 76:378-382): items x categories counts, the same
  number of ratings for every item.
* Krippendorff's alpha = 1 - D_o / D_e from the coincidence matrix, any number of reviewers,
  missing ratings, and nominal, ordinal, interval or ratio metrics (Krippendorff, K. (2011)
  "Computing Krippendorff's Alpha-Reliability", Annenberg School, U. Pennsylvania). Computed
  here, so the product does not depend on the ``krippendorff`` package (the tests compare).

Kappa depends on prevalence (two tables with p_o = 0.60 give kappa 0.13 and 0.26), so show
percent agreement next to it. When chance agreement is already perfect (everyone used one
category) kappa and alpha are 0/0: they return NaN rather than a made-up 0 or 1.

Intervals resample items with replacement (the nonparametric bootstrap over units; for alpha as
in Hayes & Krippendorff (2007) Commun. Methods Meas. 1:77-89, who resample units too). Each
statistic is written as 1 - D_o / D_e, observed over chance disagreement, both functions of
per-item sums (coincidences, contingency cells, agreement shares), so a resample is a weight
vector over items and 1000 resamples are one matrix product. The generator is numpy's PCG64
seeded by ``seed``: the same call gives the same interval. Resamples where the statistic is
undefined (NaN) are left out.

Why not the percentile interval: with a rare label (5-10 % of ratings) and 50-100 items, kappa's
bootstrap distribution is skewed and biased, and the percentile interval covered 82-92 % of the
time in simulation (worse still counting samples with no disagreement, where every resample is 1
and it reported [1, 1]). The interval is therefore the bias-corrected and accelerated one (BCa;
Efron, B. (1987) "Better bootstrap confidence intervals", JASA 82:171-185; Efron & Tibshirani
(1993) An Introduction to the Bootstrap, ch. 14): the percentiles Phi(z0 + (z0 + z_q) / (1 -
a (z0 + z_q))) of the resampled values, with the bias correction z0 = Phi^-1(share of resamples
below the estimate, ties counted half) and the acceleration a = sum u^3 / (6 (sum u^2)^1.5) from
the jackknife over items, u_i = mean_j theta_(j) - theta_(i). It is what
``scipy.stats.bootstrap(method='BCa')`` computes (the tests compare on the same resamples), and
covered 96-99 % in the same simulation (tests/sampling/test_agreement.py).

Two rules keep the interval from saying more than the sample does:

* Too few items. Below ``MIN_AGREEMENT_ITEMS`` (30) items rated twice or more, the interval is not
  given (lower and upper NaN, ``enough`` False, ``note`` says so): at 20-30 items even common labels
  gave BCa coverage of only 93-94 %. For kappa and alpha, fewer than ``MIN_MINORITY_RATINGS`` (5)
  ratings away from the most common label count as too few as well: with 1-4 such ratings the
  statistic hinges on one or two items (its jackknife and bootstrap say nothing reliable) and
  BCa covered 61-90 % at 30-50 items and a 5 % label; with 5 or more it covered 96 % or more.
* No disagreement. When every item shows full agreement, every resample does too and the
  bootstrap is degenerate. The interval is then one-sided (``one_sided`` True): [L, 1] with L a
  lower bound at ``confidence``. Percent agreement: the share of fully agreed items is at most the
  mean agreement, so L = (1 - confidence)^(1/n), the Clopper-Pearson bound for n agreed items of n
  (Clopper & Pearson 1934, Biometrika 26:404-413). Kappa and alpha, 1 - D_o / D_e: D_o is at most
  d_max (m_max / m_min) P(an item shows disagreement), with d_max the largest disagreement one
  item can carry (1 for nominal data; the largest metric distance between observed values
  otherwise) and m the ratings per item, so U = d_max (m_max / m_min) (1 - (a/2)^(1/n)) bounds
  it; D_e is bounded below by the a/2 quantile of its bootstrap values; L = 1 - U / that, at
  least -1 (no kappa, nor alpha in large samples, is below -1). Conservative by construction
  (Bonferroni over the two bounds, every unseen disagreement at the largest distance).
"""
from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from scipy.special import ndtr, ndtri

from .sizing import _check_probability

MEASUREMENT_LEVELS = ("nominal", "ordinal", "interval", "ratio")
KAPPA_WEIGHTS = (None, "linear", "quadratic")
MIN_AGREEMENT_ITEMS = 30  # items rated by two or more reviewers, below which no interval is given
MIN_MINORITY_RATINGS = 5  # kappa and alpha: ratings away from the most common label, likewise
_CHUNK = 4_000_000  # numbers held per block of bootstrap weights


@dataclass(frozen=True)
class Agreement:
    """An agreement statistic over ``n_units`` items with its BCa bootstrap interval.

    enough: False when the sample is below the minimum rule; lower and upper are then NaN and
    ``note`` says why ("too few overlap items (12 of at least 30)"). one_sided: no disagreement
    in the sample; [lower, 1] is a one-sided bound at ``confidence`` ("at least lower"), never
    [1, 1]. See the module docstring for both rules.
    """

    value: float
    lower: float
    upper: float
    n_units: int
    confidence: float
    enough: bool = True
    one_sided: bool = False
    note: str = ""


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, (float, np.floating)) and math.isnan(value))


def _categories(values: set, *, ordered: bool) -> list:
    try:
        return sorted(values)
    except TypeError:
        if ordered:
            raise ValueError(
                "ordinal, interval and ratio data and weighted kappa need labels that can be sorted"
            ) from None
        return sorted(values, key=repr)


def _unit_counts(reliability_data: Sequence[Sequence[Hashable]], *, ordered: bool) -> tuple[np.ndarray, list]:
    """Items x categories counts of the ratings, and the sorted categories."""
    rows = [list(row) for row in reliability_data]
    if not rows:
        raise ValueError("reliability_data must have at least one row (one per reviewer)")
    if len({len(row) for row in rows}) != 1:
        raise ValueError("reliability_data rows (reviewers) must all have one entry per item")
    values = {v for row in rows for v in row if not _missing(v)}
    categories = _categories(values, ordered=ordered)
    index = {c: i for i, c in enumerate(categories)}
    counts = np.zeros((len(rows[0]), len(categories)))
    for row in rows:
        for unit, v in enumerate(row):
            if not _missing(v):
                counts[unit, index[v]] += 1
    return counts, categories


def _pairable(counts: np.ndarray, what: str) -> np.ndarray:
    """The items rated two or more times: only they hold information on agreement."""
    counts = counts[counts.sum(axis=1) >= 2]
    if not len(counts):
        raise ValueError(f"{what} needs at least one item rated by two or more reviewers")
    return counts


Parts = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class Statistic:
    """A statistic 1 - D_o / D_e as per-item sums (items x k) and ``parts``, from summed rows (b x k)
    to the observed and chance disagreements D_o, D_e (b,); D_e = 0 marks it undefined.

    d_max, spread: the largest disagreement one item adds to D_o and m_max / m_min (ratings per
    item), for the bound when nothing disagrees. minority: ratings away from the most common
    label (None: the rule does not apply, as for percent agreement, whose D_e is 1).
    """

    per_item: np.ndarray
    parts: Parts
    d_max: float = 1.0
    spread: float = 1.0
    minority: int | None = None

    def values(self, sums: np.ndarray) -> np.ndarray:
        return _ratio(*self.parts(sums))


def _ratio(observed: np.ndarray, expected: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(expected > 0, 1 - observed / expected, np.nan)


def _minority(counts: np.ndarray) -> int:
    """Ratings away from the most common label, from items x categories counts."""
    totals = counts.sum(axis=0)
    return int(round(totals.sum() - totals.max())) if totals.size else 0


def _spread(m: np.ndarray) -> float:
    return float(m.max() / m.min())


def _percent_agreement_statistic(reliability_data) -> Statistic:
    counts = _pairable(_unit_counts(reliability_data, ordered=False)[0], "percent agreement")
    m = counts.sum(axis=1)
    shares = (counts * (counts - 1)).sum(axis=1) / (m * (m - 1))

    def parts(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return 1 - s[:, 0] / s[:, 1], np.ones(len(s))

    return Statistic(np.column_stack([shares, np.ones(len(counts))]), parts)


def _chance(expected: np.ndarray) -> np.ndarray:
    """Kappa's chance disagreement 1 - p_e, 0 (undefined) when p_e is 1 up to rounding."""
    return np.where(np.isclose(expected, 0.0, rtol=0, atol=1e-12), 0.0, expected)


def _cohens_kappa_statistic(ratings_a, ratings_b, weights, categories) -> Statistic:
    if weights not in KAPPA_WEIGHTS:
        raise ValueError(f"weights must be None, 'linear' or 'quadratic', not {weights!r}")
    ratings_a, ratings_b = list(ratings_a), list(ratings_b)
    if len(ratings_a) != len(ratings_b):
        raise ValueError(f"ratings_a and ratings_b must rate the same items: {len(ratings_a)} != {len(ratings_b)}")
    pairs = [(a, b) for a, b in zip(ratings_a, ratings_b, strict=True) if not _missing(a) and not _missing(b)]
    if not pairs:
        raise ValueError("Cohen's kappa needs at least one item rated by both reviewers")
    seen = {v for pair in pairs for v in pair}
    if categories is None:
        categories = _categories(seen, ordered=weights is not None)
    else:
        categories = list(categories)
        if len(set(categories)) != len(categories):
            raise ValueError("categories must not repeat")
        if not seen <= set(categories):
            raise ValueError(f"categories must hold every label; missing {sorted(map(repr, seen - set(categories)))}")
    k = len(categories)
    index = {c: i for i, c in enumerate(categories)}
    cells = np.zeros((len(pairs), k * k))
    cells[np.arange(len(pairs)), [index[a] * k + index[b] for a, b in pairs]] = 1
    distance = np.abs(np.subtract.outer(np.arange(k), np.arange(k))) / max(k - 1, 1)
    agreement = {None: distance == 0, "linear": 1 - distance, "quadratic": 1 - distance**2}[weights]
    disagreement = 1.0 - agreement  # kappa = (p_o - p_e) / (1 - p_e) = 1 - (1 - p_o) / (1 - p_e)

    def parts(sums: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        table = sums.reshape(-1, k, k) / sums.sum(axis=1)[:, None, None]
        chance = table.sum(axis=2)[:, :, None] * table.sum(axis=1)[:, None, :]
        return (table * disagreement).sum(axis=(1, 2)), _chance((chance * disagreement).sum(axis=(1, 2)))

    ratings = np.zeros(k)
    for a, b in pairs:
        ratings[index[a]] += 1
        ratings[index[b]] += 1
    return Statistic(cells, parts, minority=_minority(ratings[None, :]))


def _fleiss_kappa_statistic(counts) -> Statistic:
    table = np.asarray(counts, dtype=float)
    if table.ndim != 2 or not table.size:
        raise ValueError("counts must be a non-empty items x categories table")
    if (table < 0).any() or (table != np.round(table)).any():
        raise ValueError("counts must be non-negative whole numbers")
    per_item = table.sum(axis=1)
    m = per_item[0]
    if m < 2:
        raise ValueError(f"Fleiss' kappa needs two or more ratings per item, not {m:g}")
    uneven = np.nonzero(per_item != m)[0]
    if uneven.size:
        raise ValueError(
            f"Fleiss' kappa needs the same number of ratings for every item: item 0 has {m:g}, item "
            f"{uneven[0]} has {per_item[uneven[0]]:g} (use krippendorff_alpha for missing ratings)"
        )
    shares = ((table * (table - 1)).sum(axis=1)) / (m * (m - 1))
    sums = np.column_stack([table, shares, np.ones(len(table))])

    def parts(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        proportions = s[:, :-2] / (s[:, -1:] * m)
        return 1 - s[:, -2] / s[:, -1], _chance(1 - (proportions**2).sum(axis=1))

    return Statistic(sums, parts, minority=_minority(table))


def _alpha_statistic(reliability_data, level: str) -> Statistic:
    """Krippendorff (2011): coincidences o_ck = sum_u (pairs c-k in u) / (m_u - 1), n_c = sum_k o_ck,
    alpha = 1 - (n - 1) sum o_ck d_ck / sum n_c n_k d_ck with d the squared difference metric,
    i.e. 1 - D_o / D_e with D_o = sum o_ck d_ck / n and D_e = sum n_c n_k d_ck / (n (n - 1))."""
    if level not in MEASUREMENT_LEVELS:
        raise ValueError(f"level must be one of {', '.join(MEASUREMENT_LEVELS)}, not {level!r}")
    counts, categories = _unit_counts(reliability_data, ordered=level != "nominal")
    counts = _pairable(counts, "Krippendorff's alpha")
    k = counts.shape[1]
    m = counts.sum(axis=1)
    coincidences = (counts[:, :, None] * counts[:, None, :] - counts[:, :, None] * np.eye(k)) / (m - 1)[:, None, None]
    spread, minority = _spread(m), _minority(counts)

    def alpha(observed: np.ndarray, marginals: np.ndarray, expected: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n = marginals.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            return observed / n, np.where(expected > 0, expected / (n * (n - 1)), 0.0)

    def ordinal_metric(marginals: np.ndarray) -> np.ndarray:
        midranks = np.cumsum(marginals, axis=1) - marginals / 2  # sum_{g<c} n_g + n_c / 2
        return (midranks[:, :, None] - midranks[:, None, :]) ** 2  # = (sum_{g=c..k} n_g - (n_c+n_k)/2)^2

    if level == "ordinal":  # the metric uses the marginals: keep the whole coincidence matrix per item
        def parts_ordinal(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            o = s.reshape(-1, k, k)
            marginals = o.sum(axis=2)
            metric = ordinal_metric(marginals)
            expected = np.einsum("bc,bk,bck->b", marginals, marginals, metric)
            return alpha((o * metric).sum(axis=(1, 2)), marginals, expected)

        d_max = float(ordinal_metric(counts.sum(axis=0)[None, :]).max())  # at the observed marginals
        return Statistic(coincidences.reshape(len(counts), k * k), parts_ordinal, d_max=d_max, spread=spread,
                         minority=minority)

    if level == "nominal":
        metric = 1.0 - np.eye(k)
    else:
        try:
            values = np.array(categories, dtype=float)
        except (TypeError, ValueError):
            raise ValueError(f"{level} data must be numbers") from None
        if level == "interval":
            metric = np.subtract.outer(values, values) ** 2
        else:
            if (values < 0).any():
                raise ValueError("ratio data must be >= 0")
            with np.errstate(divide="ignore", invalid="ignore"):
                metric = np.nan_to_num((np.subtract.outer(values, values) / np.add.outer(values, values)) ** 2)
    # A fixed metric: each item needs only its disagreement sum_ck o_ck d_ck and its marginals n_c.
    per_item = np.column_stack([(coincidences * metric).sum(axis=(1, 2)), counts])

    def parts(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        marginals = s[:, 1:]
        return alpha(s[:, 0], marginals, ((marginals @ metric) * marginals).sum(axis=1))

    d_max = float(metric.max()) if metric.size else 1.0
    return Statistic(per_item, parts, d_max=d_max, spread=spread, minority=minority)


def _value(statistic: Statistic) -> float:
    return float(statistic.values(statistic.per_item.sum(axis=0)[None, :])[0])


def _check_interval(confidence: float, n_boot: int, min_items: int) -> None:
    _check_probability("confidence", confidence)
    if n_boot < 1:
        raise ValueError(f"n_boot must be >= 1, not {n_boot}")
    if min_items < 2:
        raise ValueError(f"min_items must be >= 2, not {min_items}")


def _resample(statistic: Statistic, *, n_boot: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """D_o and D_e of ``n_boot`` resamples of the items (numpy PCG64 seeded ``seed``): each block of
    resamples is a weight matrix (times each item was drawn) times the per-item sums."""
    per_item = statistic.per_item
    units = len(per_item)
    rng = np.random.default_rng(seed)
    chunk = max(1, _CHUNK // max(units, per_item.shape[1]))
    observed, expected = [], []
    for start in range(0, n_boot, chunk):
        size = min(chunk, n_boot - start)
        draws = rng.integers(0, units, size=(size, units)) + units * np.arange(size)[:, None]
        weights = np.bincount(draws.ravel(), minlength=size * units).reshape(size, units)
        d_o, d_e = statistic.parts(weights @ per_item)
        observed.append(d_o)
        expected.append(d_e)
    return np.concatenate(observed), np.concatenate(expected)


def _jackknife(statistic: Statistic) -> np.ndarray:
    """The statistic with each item left out in turn: the total minus that item's row."""
    per_item = statistic.per_item
    return statistic.values(per_item.sum(axis=0)[None, :] - per_item)


def _bca(replicates: np.ndarray, value: float, jackknife: np.ndarray, confidence: float) -> tuple[float, float]:
    """Efron (1987) BCa ends from the resampled values, as scipy.stats.bootstrap(method='BCa').

    Undefined (NaN) resamples and jackknife values are left out. The bias correction counts ties
    with the estimate as half (a discrete statistic often equals it); if every resample lies on one
    side it is taken as 1/(2B) from that side instead of an infinite z0 (scipy returns NaN there).
    """
    replicates = replicates[~np.isnan(replicates)]
    if math.isnan(value) or not replicates.size:
        return math.nan, math.nan
    b = replicates.size
    below = (np.count_nonzero(replicates < value) + np.count_nonzero(replicates <= value)) / (2 * b)
    z0 = ndtri(min(max(below, 0.5 / b), 1 - 0.5 / b))
    jackknife = jackknife[~np.isnan(jackknife)]
    u = jackknife.mean() - jackknife if jackknife.size else np.zeros(1)
    spread = float((u**2).sum())
    acceleration = float((u**3).sum()) / (6 * spread**1.5) if spread > 0 else 0.0
    z = ndtri(np.array([(1 - confidence) / 2, (1 + confidence) / 2]))
    levels = ndtr(z0 + (z0 + z) / (1 - acceleration * (z0 + z)))
    lower, upper = np.quantile(replicates, levels)
    return float(lower), float(upper)


def _no_disagreement_bound(statistic: Statistic, expected: np.ndarray, units: int, confidence: float) -> float:
    """The one-sided lower bound when every item agrees (module docstring, "No disagreement")."""
    alpha = 1 - confidence
    if statistic.minority is None:  # percent agreement: D_e = 1, Clopper-Pearson on n of n agreed
        return alpha ** (1 / units)
    observed = statistic.d_max * statistic.spread * (1 - (alpha / 2) ** (1 / units))
    expected = expected[~np.isnan(expected)]
    chance = float(np.quantile(expected, alpha / 2)) if expected.size else 0.0
    if chance <= 0:
        return -1.0
    return min(1.0, max(-1.0, 1 - observed / chance))


def _interval(statistic: Statistic, *, confidence: float, n_boot: int, seed: int, min_items: int) -> Agreement:
    _check_interval(confidence, n_boot, min_items)
    value = _value(statistic)
    units = len(statistic.per_item)
    result = Agreement(value, math.nan, math.nan, units, confidence)
    if units < min_items:
        return replace(result, enough=False, note=f"too few overlap items ({units} of at least {min_items})")
    if statistic.minority is not None and statistic.minority < MIN_MINORITY_RATINGS:
        return replace(result, enough=False, note=(
            f"too few ratings away from the most common label ({statistic.minority} of at least "
            f"{MIN_MINORITY_RATINGS})"))
    if math.isnan(value):
        return replace(result, note="undefined: chance agreement is perfect")
    observed, expected = _resample(statistic, n_boot=n_boot, seed=seed)
    total_observed = statistic.parts(statistic.per_item.sum(axis=0)[None, :])[0][0]
    if total_observed <= 0:  # no item shows any disagreement: every resample is 1
        lower = _no_disagreement_bound(statistic, expected, units, confidence)
        return replace(result, lower=lower, upper=1.0, one_sided=True,
                       note=f"no disagreement: one-sided lower bound at {confidence:.0%}")
    lower, upper = _bca(_ratio(observed, expected), value, _jackknife(statistic), confidence)
    return replace(result, lower=lower, upper=upper)


def percent_agreement(reliability_data: Sequence[Sequence[Hashable]]) -> float:
    """Share of agreeing reviewer pairs, averaged over items rated two or more times (reviewers x items)."""
    return _value(_percent_agreement_statistic(reliability_data))


def cohens_kappa(
    ratings_a: Sequence[Hashable],
    ratings_b: Sequence[Hashable],
    *,
    weights: str | None = None,
    categories: Sequence[Hashable] | None = None,
) -> float:
    """Cohen's kappa of two reviewers' labels for the same items (items missing either label are dropped).

    weights: None, or "linear" / "quadratic" agreement weights 1 - |i - j| / (k - 1) and
    1 - ((i - j) / (k - 1))^2 over the positions i, j of the labels on the ordered scale
    ``categories``; by default the sorted labels that occur (as R irr's kappa2), so give the
    full scale when some of its labels are unused. NaN when chance agreement is 1.
    Wikipedia "Cohen's kappa" example: 20/5/10/15 of 50 -> p_o 0.7, p_e 0.5, kappa 0.4.
    """
    return _value(_cohens_kappa_statistic(ratings_a, ratings_b, weights, categories))


def fleiss_kappa(counts: Sequence[Sequence[int]]) -> float:
    """Fleiss' kappa from an items x categories table of rating counts (equal ratings per item).

    Wikipedia "Fleiss' kappa" example (10 items, 5 categories, 14 raters) -> 0.210.
    """
    return _value(_fleiss_kappa_statistic(counts))


def krippendorff_alpha(reliability_data: Sequence[Sequence[Hashable]], *, level: str = "nominal") -> float:
    """Krippendorff's alpha (reviewers x items, None or NaN for missing) at the given level of measurement.

    Krippendorff (2011), the 4 observers x 12 units example: nominal 0.743, ordinal 0.815,
    interval 0.849, ratio 0.797. NaN when every pairable rating is the same value (D_e = 0).
    """
    return _value(_alpha_statistic(reliability_data, level))


def percent_agreement_interval(
    reliability_data: Sequence[Sequence[Hashable]],
    *,
    confidence: float = 0.95,
    n_boot: int = 1000,
    seed: int = 0,
    min_items: int = MIN_AGREEMENT_ITEMS,
) -> Agreement:
    """percent_agreement with its interval over the items rated two or more times.

    The interval is the BCa bootstrap over items at ``confidence`` from ``n_boot`` resamples
    (seeded by ``seed``). Below ``min_items`` items (default MIN_AGREEMENT_ITEMS, 30) there is
    none: ``enough`` is False and ``note`` says "too few overlap items (n of at least 30)".
    With no disagreement at all it is the one-sided [lower, 1] (``one_sided``). Why: module docstring.
    """
    statistic = _percent_agreement_statistic(reliability_data)
    return _interval(statistic, confidence=confidence, n_boot=n_boot, seed=seed, min_items=min_items)


def cohens_kappa_interval(
    ratings_a: Sequence[Hashable],
    ratings_b: Sequence[Hashable],
    *,
    weights: str | None = None,
    categories: Sequence[Hashable] | None = None,
    confidence: float = 0.95,
    n_boot: int = 1000,
    seed: int = 0,
    min_items: int = MIN_AGREEMENT_ITEMS,
) -> Agreement:
    """cohens_kappa with its interval over the items both reviewers rated.

    The interval is the BCa bootstrap over items at ``confidence`` from ``n_boot`` resamples
    (seeded by ``seed``). Below ``min_items`` items (default MIN_AGREEMENT_ITEMS, 30) there is
    none: ``enough`` is False and ``note`` says "too few overlap items (n of at least 30)". The
    same when fewer than MIN_MINORITY_RATINGS (5) ratings are away from the most common label.
    With no disagreement at all it is the one-sided [lower, 1] (``one_sided``). Why: module docstring.
    """
    statistic = _cohens_kappa_statistic(ratings_a, ratings_b, weights, categories)
    return _interval(statistic, confidence=confidence, n_boot=n_boot, seed=seed, min_items=min_items)


def fleiss_kappa_interval(
    counts: Sequence[Sequence[int]],
    *,
    confidence: float = 0.95,
    n_boot: int = 1000,
    seed: int = 0,
    min_items: int = MIN_AGREEMENT_ITEMS,
) -> Agreement:
    """fleiss_kappa with its interval over items (statsmodels gives no SE for it).

    The interval is the BCa bootstrap over items at ``confidence`` from ``n_boot`` resamples
    (seeded by ``seed``). Below ``min_items`` items (default MIN_AGREEMENT_ITEMS, 30) there is
    none: ``enough`` is False and ``note`` says "too few overlap items (n of at least 30)". The
    same when fewer than MIN_MINORITY_RATINGS (5) ratings are away from the most common label.
    With no disagreement at all it is the one-sided [lower, 1] (``one_sided``). Why: module docstring.
    """
    statistic = _fleiss_kappa_statistic(counts)
    return _interval(statistic, confidence=confidence, n_boot=n_boot, seed=seed, min_items=min_items)


def krippendorff_alpha_interval(
    reliability_data: Sequence[Sequence[Hashable]],
    *,
    level: str = "nominal",
    confidence: float = 0.95,
    n_boot: int = 1000,
    seed: int = 0,
    min_items: int = MIN_AGREEMENT_ITEMS,
) -> Agreement:
    """krippendorff_alpha with its interval over the items rated two or more times.

    The interval is the BCa bootstrap over items at ``confidence`` from ``n_boot`` resamples
    (seeded by ``seed``). Below ``min_items`` items (default MIN_AGREEMENT_ITEMS, 30) there is
    none: ``enough`` is False and ``note`` says "too few overlap items (n of at least 30)". The
    same when fewer than MIN_MINORITY_RATINGS (5) ratings are away from the most common label.
    With no disagreement at all it is the one-sided [lower, 1] (``one_sided``). Why: module docstring.
    """
    statistic = _alpha_statistic(reliability_data, level)
    return _interval(statistic, confidence=confidence, n_boot=n_boot, seed=seed, min_items=min_items)
