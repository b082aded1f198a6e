"""Sizing a plan with a judge (sampling.judge_variance_factor, size_for_margin_with_judge,
margin_with_judge): the factor against statsmodels' regression, the reduction to size_for_margin
without a judge, and by seeded simulation on a risk-allocated design (errors even, in the
over-sampled and in the under-sampled stratum) that a plan sized with the judge delivers its margin
as well as the human-only plan delivers its own, with the judge-assisted interval's coverage."""
from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

import sampling
from bench.judge import PLACEMENTS, STRATA, simulate, stratum_rates


def _judged(rng, n, rate, rho):
    y = rng.random(n) < rate
    j = np.where(y, rng.random(n) < rate + rho * (1 - rate), rng.random(n) < rate * (1 - rho))
    return y.astype(float), j.astype(float)


def test_the_names_are_exported():
    from sampling import judge

    for name in ("judge_variance_factor", "size_for_margin_with_judge", "margin_with_judge"):
        assert getattr(sampling, name) is getattr(judge, name)
        assert name in sampling.__all__


def test_the_factor_is_one_minus_r_squared_of_the_regression_of_humans_on_the_judge():
    """Where the slope is in [0, 1], SS(y - lambda j) / SS(y) is OLS's 1 - R^2 (statsmodels)."""
    rng = np.random.default_rng(3)
    y, j = _judged(rng, 600, 0.1, 0.7)
    fit = sm.OLS(y, sm.add_constant(j)).fit()
    assert 0 < fit.params[1] < 1
    assert sampling.judge_variance_factor(y, j) == pytest.approx(1 - fit.rsquared)
    assert sampling.judge_variance_factor(y, j) == pytest.approx(1 - np.corrcoef(y, j)[0, 1] ** 2)


def test_the_factor_follows_the_estimator_s_clipping_and_guards():
    rng = np.random.default_rng(4)
    y, j = _judged(rng, 400, 0.2, 0.6)
    assert sampling.judge_variance_factor(y, 1 - j) == 1.0  # a judge that points the wrong way: lambda 0
    half = 0.5 * y  # slope 2, clipped to 1: what is left is Var(y - j) = Var(y / 2)
    assert sampling.judge_variance_factor(y, half) == pytest.approx(0.25)
    assert sampling.judge_variance_factor(y[:9], j[:9]) == 1.0  # fewer than 10 items
    one = np.zeros(50)
    one[0] = 1
    assert sampling.judge_variance_factor(one, one) == 1.0  # one human positive says nothing
    with pytest.raises(ValueError, match="same length"):
        sampling.judge_variance_factor([0, 1], [0])


def test_without_a_judge_the_size_is_size_for_margin_s():
    for rate, margin in ((0.05, 0.02), (0.2, 0.04), (0.01, 0.005)):
        plain = sampling.size_for_margin(STRATA, margin, expected_rate=rate)
        none = sampling.size_for_margin_with_judge(STRATA, margin, {}, expected_rate=rate)
        ones = sampling.size_for_margin_with_judge(STRATA, margin, {s.name: 1.0 for s in STRATA}, expected_rate=rate)
        assert (none.total, none.allocation) == (ones.total, ones.allocation) == (plain.total, plain.allocation)
        assert sampling.margin_with_judge(plain.allocation, {s.name: s.population for s in STRATA}, {},
                                          expected_rate=rate) == pytest.approx(plain.achieved)


def test_bad_factors_are_named():
    with pytest.raises(ValueError, match="'bulk'"):
        sampling.size_for_margin_with_judge(STRATA, 0.02, {"bulk": -0.1})
    with pytest.raises(ValueError, match="'bulk'"):
        sampling.margin_with_judge({"bulk": 10}, {"bulk": 100}, {"bulk": float("nan")})


@pytest.mark.parametrize("rho, rate, margin", [(0.5, 0.05, 0.02), (0.7, 0.05, 0.02), (0.7, 0.2, 0.04),
                                               (0.9, 0.05, 0.02)])
def test_a_plan_sized_with_the_judge_delivers_its_margin(rho, rate, margin):
    """Factors measured on 400 past reviewed items per stratum; 200 simulated weeks per placement.
    The judge-assisted interval's mean half-width, against the margin, is no worse than the
    human-only plan's own (its normal-approximation margin is about 5-12 % optimistic for the
    Clopper-Pearson interval the pages show), and the interval keeps its coverage over the
    three placements."""
    rng = np.random.default_rng(20261206)
    factors = {s.name: sampling.judge_variance_factor(*_judged(rng, 400, p, rho))
               for s, p in zip(STRATA, stratum_rates(rate, "even"), strict=True)}
    plain = sampling.size_for_margin(STRATA, margin, expected_rate=rate)
    judged = sampling.size_for_margin_with_judge(STRATA, margin, factors, expected_rate=rate)
    assert judged.total < plain.total  # the judge saves reviews
    covered = []
    for placement in PLACEMENTS:
        with_judge = simulate(rho, rate, judged.total, placement, 200, rng)
        human = simulate(rho, rate, plain.total, placement, 200, rng)
        delivered = with_judge.judge_width.mean() / 2 / margin
        promised = human.human_width.mean() / 2 / margin
        assert delivered <= max(promised, 1.0) + 0.03, (placement, delivered, promised)
        covered.append(with_judge.judge_covered)
    assert np.concatenate(covered).mean() >= 0.93  # 600 weeks: a standard error of 0.9 points at 95 %
