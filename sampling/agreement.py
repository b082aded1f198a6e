"""How far reviewers agree: percent agreement, Cohen's and Fleiss' kappa, Krippendorff's alpha,
and percentile-bootstrap intervals over the reviewed items.

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

Intervals resample items with replacement (the nonparametric bootstrap over units; Efron &
Tibshirani (1993) An Introduction to the Bootstrap, ch. 13, percentile interval; for alpha as
in Hayes & Krippendorff (2007) Commun. Methods Meas. 1:77-89, who resample units too). Each
statistic is written as a function of per-item sums (coincidences, contingency cells,
agreement shares), so a resample is a weight vector over items and 1000 resamples are one
matrix product. The generator is numpy's PCG64 seeded by ``seed``: the same call gives the same
interval. Resamples where the statistic is undefined (NaN) are left out of the percentiles.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Hashable, Sequence

import numpy as np

from .sizing import _check_probability

MEASUREMENT_LEVELS = ("nominal", "ordinal", "interval", "ratio")
KAPPA_WEIGHTS = (None, "linear", "quadratic")
_CHUNK = 4_000_000  # numbers held per block of bootstrap weights


@dataclass(frozen=True)
class Agreement:
    """An agreement statistic with its percentile-bootstrap interval over ``n_units`` items."""

    value: float
    lower: float
    upper: float
    n_units: int
    confidence: float


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, (float, np.floating)) and math.isnan(value))


def _categories(values: set, *, ordered: bool) -> list:
    try:
        return sorted(values)
    except TypeError:
        if ordered:
            raise ValueError("ordinal, interval and ratio data and weighted kappa need labels that can be sorted")
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


# Each statistic: per-item sums (items x k) and a finisher from summed rows (b x k) to values (b,).
Statistic = tuple[np.ndarray, Callable[[np.ndarray], np.ndarray]]


def _percent_agreement_statistic(reliability_data) -> Statistic:
    counts = _pairable(_unit_counts(reliability_data, ordered=False)[0], "percent agreement")
    m = counts.sum(axis=1)
    shares = (counts * (counts - 1)).sum(axis=1) / (m * (m - 1))
    return np.column_stack([shares, np.ones(len(counts))]), lambda s: s[:, 0] / s[:, 1]


def _kappa(p_o: np.ndarray, p_e: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.isclose(p_e, 1.0, rtol=0, atol=1e-12), np.nan, (p_o - p_e) / (1 - p_e))


def _cohens_kappa_statistic(ratings_a, ratings_b, weights, categories) -> Statistic:
    if weights not in KAPPA_WEIGHTS:
        raise ValueError(f"weights must be None, 'linear' or 'quadratic', not {weights!r}")
    ratings_a, ratings_b = list(ratings_a), list(ratings_b)
    if len(ratings_a) != len(ratings_b):
        raise ValueError(f"ratings_a and ratings_b must rate the same items: {len(ratings_a)} != {len(ratings_b)}")
    pairs = [(a, b) for a, b in zip(ratings_a, ratings_b) if not _missing(a) and not _missing(b)]
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

    def finish(sums: np.ndarray) -> np.ndarray:
        table = sums.reshape(-1, k, k) / sums.sum(axis=1)[:, None, None]
        chance = table.sum(axis=2)[:, :, None] * table.sum(axis=1)[:, None, :]
        return _kappa((table * agreement).sum(axis=(1, 2)), (chance * agreement).sum(axis=(1, 2)))

    return cells, finish


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

    def finish(s: np.ndarray) -> np.ndarray:
        proportions = s[:, :-2] / (s[:, -1:] * m)
        return _kappa(s[:, -2] / s[:, -1], (proportions**2).sum(axis=1))

    return sums, finish


def _alpha_statistic(reliability_data, level: str) -> Statistic:
    """Krippendorff (2011): coincidences o_ck = sum_u (pairs c-k in u) / (m_u - 1), n_c = sum_k o_ck,
    alpha = 1 - (n - 1) sum o_ck d_ck / sum n_c n_k d_ck with d the squared difference metric."""
    if level not in MEASUREMENT_LEVELS:
        raise ValueError(f"level must be one of {', '.join(MEASUREMENT_LEVELS)}, not {level!r}")
    counts, categories = _unit_counts(reliability_data, ordered=level != "nominal")
    counts = _pairable(counts, "Krippendorff's alpha")
    k = counts.shape[1]
    m = counts.sum(axis=1)
    coincidences = (counts[:, :, None] * counts[:, None, :] - counts[:, :, None] * np.eye(k)) / (m - 1)[:, None, None]

    def alpha(observed: np.ndarray, marginals: np.ndarray, expected: np.ndarray) -> np.ndarray:
        n = marginals.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(expected > 0, 1 - (n - 1) * observed / expected, np.nan)

    if level == "ordinal":  # the metric uses the marginals: keep the whole coincidence matrix per item
        def finish_ordinal(s: np.ndarray) -> np.ndarray:
            o = s.reshape(-1, k, k)
            marginals = o.sum(axis=2)
            midranks = np.cumsum(marginals, axis=1) - marginals / 2  # sum_{g<c} n_g + n_c / 2
            metric = (midranks[:, :, None] - midranks[:, None, :]) ** 2  # = (sum_{g=c..k} n_g - (n_c+n_k)/2)^2
            expected = np.einsum("bc,bk,bck->b", marginals, marginals, metric)
            return alpha((o * metric).sum(axis=(1, 2)), marginals, expected)

        return coincidences.reshape(len(counts), k * k), finish_ordinal

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

    def finish(s: np.ndarray) -> np.ndarray:
        marginals = s[:, 1:]
        return alpha(s[:, 0], marginals, ((marginals @ metric) * marginals).sum(axis=1))

    return per_item, finish


def _value(statistic: Statistic) -> float:
    per_item, finish = statistic
    return float(finish(per_item.sum(axis=0)[None, :])[0])


def _bootstrap(statistic: Statistic, *, confidence: float, n_boot: int, seed: int) -> Agreement:
    _check_probability("confidence", confidence)
    if n_boot < 1:
        raise ValueError(f"n_boot must be >= 1, not {n_boot}")
    per_item, finish = statistic
    units = len(per_item)
    rng = np.random.default_rng(seed)
    chunk = max(1, _CHUNK // max(units, per_item.shape[1]))
    values = []
    for start in range(0, n_boot, chunk):
        size = min(chunk, n_boot - start)
        draws = rng.integers(0, units, size=(size, units)) + units * np.arange(size)[:, None]
        weights = np.bincount(draws.ravel(), minlength=size * units).reshape(size, units)
        values.append(finish(weights @ per_item))
    values = np.concatenate(values)
    values = values[~np.isnan(values)]
    alpha = 1 - confidence
    lower, upper = np.quantile(values, [alpha / 2, 1 - alpha / 2]) if values.size else (math.nan, math.nan)
    return Agreement(_value(statistic), float(lower), float(upper), units, confidence)


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
    reliability_data: Sequence[Sequence[Hashable]], *, confidence: float = 0.95, n_boot: int = 1000, seed: int = 0
) -> Agreement:
    """percent_agreement with a percentile-bootstrap interval over items."""
    return _bootstrap(_percent_agreement_statistic(reliability_data), confidence=confidence, n_boot=n_boot, seed=seed)


def cohens_kappa_interval(
    ratings_a: Sequence[Hashable],
    ratings_b: Sequence[Hashable],
    *,
    weights: str | None = None,
    categories: Sequence[Hashable] | None = None,
    confidence: float = 0.95,
    n_boot: int = 1000,
    seed: int = 0,
) -> Agreement:
    """cohens_kappa with a percentile-bootstrap interval over the items both reviewers rated."""
    statistic = _cohens_kappa_statistic(ratings_a, ratings_b, weights, categories)
    return _bootstrap(statistic, confidence=confidence, n_boot=n_boot, seed=seed)


def fleiss_kappa_interval(
    counts: Sequence[Sequence[int]], *, confidence: float = 0.95, n_boot: int = 1000, seed: int = 0
) -> Agreement:
    """fleiss_kappa with a percentile-bootstrap interval over items (statsmodels gives no SE for it)."""
    return _bootstrap(_fleiss_kappa_statistic(counts), confidence=confidence, n_boot=n_boot, seed=seed)


def krippendorff_alpha_interval(
    reliability_data: Sequence[Sequence[Hashable]],
    *,
    level: str = "nominal",
    confidence: float = 0.95,
    n_boot: int = 1000,
    seed: int = 0,
) -> Agreement:
    """krippendorff_alpha with a percentile-bootstrap interval over the items rated two or more times."""
    return _bootstrap(_alpha_statistic(reliability_data, level), confidence=confidence, n_boot=n_boot, seed=seed)
