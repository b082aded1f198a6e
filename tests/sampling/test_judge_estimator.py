"""The judge-assisted estimate (sampling.estimate_with_judge) and the judge's agreement figures
(sampling.judge_agreement): a hand-computed case, cross-checks against ppi_py, sklearn and
statsmodels, the guards, and seeded Monte Carlo coverage on stratified, risk-allocated weeks."""
from __future__ import annotations

import math

import numpy as np
import pytest

import sampling
from bench.judge import PLACEMENTS, simulate
from sampling import JudgedStratum, StratumCount, estimate_proportion, estimate_with_judge, judge_agreement


def test_the_names_are_exported():
    from sampling import judge

    for name in ("JudgedStratum", "JudgeAgreement", "estimate_with_judge", "judge_agreement"):
        assert getattr(sampling, name) is getattr(judge, name)
        assert name in sampling.__all__


def test_worked_example_by_hand():
    """N = 1000, ten reviews: humans 1110000000, judge 1101000000, the judge flags 25 % of the week.

    Sum (y - 0.3)(j - 0.3) = 2 - 10 * 0.09 = 1.1 and Sum (j - 0.3)^2 = 2.1, so lambda = 11/21;
    the estimate is 11/21 * 0.25 + (0.3 - 11/21 * 0.3) = 23/84 = 0.27381 (the human-only 0.3, pulled
    down because the sample over-represents what the judge flags). Residual sum of squares
    2.1 - 1.1^2 / 2.1 = 32/21, so V = (1 - 10/1000) * (32/21) / (10 - 2) / 10 = 0.018857, against
    the human-only (1 - 0.01) * 2.1 / 9 / 10 = 0.0231: a gain of 1.225.
    """
    stratum = JudgedStratum("all", 1000, 0.25, [1, 1, 1, 0, 0, 0, 0, 0, 0, 0], [1, 1, 0, 1, 0, 0, 0, 0, 0, 0])
    estimate = estimate_with_judge([stratum])
    human = estimate_proportion([StratumCount("all", 1000, 10, 3)])
    assert estimate.value == pytest.approx(23 / 84)
    assert estimate.variance == pytest.approx(0.99 * 32 / 21 / 8 / 10)
    assert human.variance == pytest.approx(0.99 * 2.1 / 9 / 10)
    assert estimate.n == 10 and estimate.positives == 3 and estimate.population == 1000
    assert estimate.lower < estimate.value < estimate.upper
    assert estimate.upper - estimate.lower < human.upper - human.lower
    assert estimate.n_eff > human.n_eff


def _population(rng, size, rate, rho, score=False):
    y = rng.random(size) < rate
    j = np.where(y, rng.random(size) < rate + rho * (1 - rate), rng.random(size) < rate * (1 - rho)).astype(float)
    if score:
        j = np.clip(0.7 * j + 0.3 * rng.random(size), 0, 1)
    return y.astype(float), j


@pytest.mark.parametrize("rate, rho, score", [(0.3, 0.7, False), (0.3, 0.7, True), (0.1, 0.5, False),
                                               (0.5, 0.9, True)])
def test_one_large_stratum_matches_ppi_plus_plus(rate, rho, score):
    """One stratum of a million outputs: ppi_py's PPI++ interval (lam=None), with the judge's
    values over the whole population as its unlabeled predictions, to within 1e-3."""
    ppi_py = pytest.importorskip("ppi_py")
    rng = np.random.default_rng(17)
    y, j = _population(rng, 1_000_000, rate, rho, score)
    pick = rng.choice(y.size, 5000, replace=False)
    estimate = estimate_with_judge([JudgedStratum("all", y.size, float(j.mean()), y[pick], j[pick])])
    low, high = ppi_py.ppi_mean_ci(y[pick], j[pick], j, alpha=0.05, lam=None)
    point = ppi_py.ppi_mean_pointestimate(y[pick], j[pick], j, lam=None)
    assert estimate.value == pytest.approx(float(np.ravel(point)[0]), abs=1e-3)
    assert estimate.lower == pytest.approx(float(np.ravel(low)[0]), abs=1e-3)
    assert estimate.upper == pytest.approx(float(np.ravel(high)[0]), abs=1e-3)


def test_an_uninformative_judge_gives_the_human_only_estimate():
    rng = np.random.default_rng(3)
    human = (rng.random(200) < 0.1).astype(float)
    flat = JudgedStratum("a", 5000, 0.4, human, np.full(200, 0.4))  # no spread: lambda cannot be tuned
    estimate = estimate_with_judge([flat])
    reference = estimate_proportion([StratumCount("a", 5000, 200, int(human.sum()))])
    assert (estimate.value, estimate.lower, estimate.upper, estimate.n_eff) == pytest.approx(
        (reference.value, reference.lower, reference.upper, reference.n_eff))


def test_few_reviews_in_a_stratum_use_the_human_labels_alone():
    small = JudgedStratum("small", 400, 0.5, [1, 0, 1, 0, 1, 0, 0, 0, 1], [1, 0, 1, 0, 1, 0, 0, 0, 1])
    estimate = estimate_with_judge([small])  # 9 reviews < MIN_TUNING_REVIEWS: lambda = 0
    reference = estimate_proportion([StratumCount("small", 400, 9, 4)])
    assert estimate.value == pytest.approx(4 / 9)
    assert (estimate.lower, estimate.upper) == pytest.approx((reference.lower, reference.upper))


def test_a_judge_perfect_on_the_sample_still_gives_an_honest_interval():
    labels = [1] * 10 + [0] * 40
    estimate = estimate_with_judge([JudgedStratum("a", 10_000, 0.2, labels, labels)])
    human = estimate_proportion([StratumCount("a", 10_000, 50, 10)])
    assert estimate.se > 0 and estimate.upper - estimate.lower > 0.05
    # the residual floor (1/2) caps the gain at the human sum of squares (8) over 1/2, times (n-1)/(n-2)
    assert estimate.n_eff <= human.n_eff * 8 / 0.5 * 49 / 48 + 1e-9
    assert estimate.lower < 0.2 < estimate.upper


def test_a_stratum_without_outputs_weighs_nothing():
    rng = np.random.default_rng(5)
    y, j = _population(rng, 400, 0.2, 0.7)
    alone = estimate_with_judge([JudgedStratum("a", 2000, 0.21, y[:40], j[:40])])
    with_empty = estimate_with_judge([JudgedStratum("a", 2000, 0.21, y[:40], j[:40]), JudgedStratum("b", 0, 0.0, [], [])])
    assert (with_empty.value, with_empty.lower, with_empty.upper) == (alone.value, alone.lower, alone.upper)


def test_a_census_has_no_sampling_error():
    estimate = estimate_with_judge([JudgedStratum("a", 3, 1 / 3, [1, 0, 0], [1, 0, 0])])
    assert estimate.value == pytest.approx(1 / 3) and estimate.lower == estimate.upper == estimate.value


@pytest.mark.parametrize("make, words", [
    (lambda: JudgedStratum("a", 10, 0.5, [1, 0], [1]), "same length"),
    (lambda: JudgedStratum("a", 10, 0.5, [1, 2], [1, 0]), "human must be a number in [0, 1]"),
    (lambda: JudgedStratum("a", 10, 0.5, [1, 0], [1, -0.1]), "judge must be a number in [0, 1]"),
    (lambda: JudgedStratum("a", 10, 1.5, [1, 0], [1, 0]), "population_judge_mean"),
    (lambda: JudgedStratum("a", 1, 0.5, [1, 0], [1, 0]), "exceed its population"),
    (lambda: JudgedStratum("a", -1, 0.5, [], []), "population must be"),
    (lambda: estimate_with_judge([JudgedStratum("a", 0, 0.5, [], [])]), "no outputs"),
    (lambda: estimate_with_judge([]), "at least one stratum"),
    (lambda: estimate_with_judge([JudgedStratum("a", 10, 0.5, [], [])]), "no items were reviewed"),
    (lambda: estimate_with_judge([JudgedStratum("a", 10, 0.5, [1], [1])] * 2), "unique"),
    (lambda: estimate_with_judge([JudgedStratum("a", 10, 0.5, [1], [1])], confidence=1.5), "confidence"),
    (lambda: judge_agreement([1, 0], [1]), "same length"),
    (lambda: judge_agreement([1, 2], [1, 0]), "human must be 0 or 1"),
    (lambda: judge_agreement([1, 0], [1, 0], weights=[1, 0]), "weight must be a number > 0"),
    (lambda: judge_agreement([], []), "at least one item"),
])
def test_bad_input_is_named(make, words):
    with pytest.raises(ValueError, match=__import__("re").escape(words)):
        make()


def test_agreement_unweighted_matches_sklearn_and_statsmodels():
    metrics = pytest.importorskip("sklearn.metrics")
    from statsmodels.stats.inter_rater import cohens_kappa

    rng = np.random.default_rng(11)
    human = (rng.random(400) < 0.15).astype(int)
    judge = np.where(rng.random(400) < 0.8, human, rng.random(400) < 0.2).astype(int)
    found = judge_agreement(human.tolist(), judge.tolist())
    tn, fp, fn, tp = metrics.confusion_matrix(human, judge).ravel()
    assert found.sensitivity == pytest.approx(metrics.recall_score(human, judge)) == pytest.approx(tp / (tp + fn))
    assert found.specificity == pytest.approx(metrics.recall_score(human, judge, pos_label=0))
    assert found.specificity == pytest.approx(tn / (tn + fp))
    assert found.precision == pytest.approx(metrics.precision_score(human, judge))
    assert found.kappa == pytest.approx(metrics.cohen_kappa_score(human, judge))
    table = cohens_kappa(np.array([[tn, fp], [fn, tp]]))
    assert found.kappa_interval == pytest.approx((table.kappa_low, table.kappa_upp))
    assert found.n == 400 and found.n_eff == pytest.approx(400)
    # Wilson on the counts: statsmodels' proportion_confint
    from statsmodels.stats.proportion import proportion_confint

    assert found.sensitivity_interval == pytest.approx(proportion_confint(tp, tp + fn, method="wilson"))
    assert found.precision_interval == pytest.approx(proportion_confint(tp, tp + fp, method="wilson"))
    assert (found.tpr, found.tnr, found.ppv) == (found.sensitivity, found.specificity, found.precision)


def test_agreement_weights_are_design_weights():
    """Whole-number weights give the figures of the sample with each item repeated, and a wider
    interval than that repeated sample would (the Kish effective size is smaller)."""
    human = [1, 1, 1, 0, 0, 0, 0, 1, 0, 0]
    judge = [1, 0, 1, 0, 1, 0, 0, 1, 0, 0]
    weights = [1, 3, 1, 2, 1, 1, 4, 2, 1, 1]
    weighted = judge_agreement(human, judge, weights=weights)
    repeated = judge_agreement(*(np.repeat(v, weights).tolist() for v in (human, judge)))
    for name in ("sensitivity", "specificity", "precision", "kappa"):
        assert getattr(weighted, name) == pytest.approx(getattr(repeated, name))
    assert weighted.n == 10 and weighted.n_eff < 10
    low, high = weighted.sensitivity_interval
    assert high - low > repeated.sensitivity_interval[1] - repeated.sensitivity_interval[0]


def test_agreement_without_positives_is_not_a_number():
    found = judge_agreement([0, 0, 0], [0, 1, 0])
    assert math.isnan(found.sensitivity) and all(math.isnan(v) for v in found.sensitivity_interval)
    assert found.specificity == pytest.approx(2 / 3)


# Seeded Monte Carlo. Weeks of four strata (bench/judge.py: N = 6000, 2500, 1000, 500 with risk
# weights 1, 3, 2, 8, so the risky stratum is sampled up to ten times as densely as the bulk),
# the errors spread evenly or four times denser in the over- or the under-sampled stratum. Each
# (rho, rate, reviews) cell runs WEEKS weeks for each placement. Coverage is pooled over the 16
# cells of a rho: 16 * 3 * WEEKS = 4800 weeks, so a coverage of 95 % is measured to +-0.3 points
# (1 sd) and the 94 % bound sits three sd below it.
WEEKS = 100
RATES = (0.005, 0.02, 0.05, 0.2)
REVIEWS = (30, 100, 300, 700)


@pytest.fixture(scope="module")
def simulated():
    rng = np.random.default_rng(20261217)
    found = {}
    for rho in (0.0, 0.5, 0.7, 0.9):
        for rate in RATES:
            for reviews in REVIEWS:
                found[rho, rate, reviews] = [simulate(rho, rate, reviews, p, WEEKS, rng) for p in PLACEMENTS]
    return found


def _pooled(simulated, rho, field, cells=None):
    return np.concatenate([getattr(run, field) for key, runs in simulated.items() if key[0] == rho
                           and (cells is None or key[1:] in cells) for run in runs])


@pytest.mark.parametrize("rho", [0.0, 0.5, 0.7, 0.9])
def test_coverage_of_the_95_percent_interval(simulated, rho):
    assert _pooled(simulated, rho, "judge_covered").mean() >= 0.94


def test_an_uninformative_judge_costs_at_most_three_percent_of_width(simulated):
    ratio = _pooled(simulated, 0.0, "judge_width").mean() / _pooled(simulated, 0.0, "human_width").mean()
    assert ratio <= 1.03


def test_a_judge_with_rho_07_narrows_the_interval_by_a_fifth(simulated):
    """Where the judge has something to work with: 300 or more reviews and a rate of 2 % or more
    (with 30 reviews or a 0.5 % rate most strata show fewer than 2 errors, and lambda stays 0; the
    full table is bench/judge.py's). The ideal is sqrt(1 - 0.7^2) = 0.71."""
    cells = {(rate, reviews) for rate in (0.02, 0.05, 0.2) for reviews in (300, 700)}
    judge = _pooled(simulated, 0.7, "judge_width", cells).mean()
    human = _pooled(simulated, 0.7, "human_width", cells).mean()
    assert judge / human <= 0.8
