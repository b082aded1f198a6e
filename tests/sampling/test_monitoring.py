"""Change tests, p-chart, binomial CUSUM and SPRT against published examples (sources named per case)."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats import proportion as sm_proportion  # not imported by name: pytest would collect test_*

from sampling import (
    SPRT,
    Estimate,
    StratumCount,
    binomial_cusum,
    change_test,
    estimate_proportion,
    p_chart,
    proportion_interval,
)


def srs(errors: int, n: int) -> Estimate:
    """An unweighted estimate with the Wilson interval and the binomial SE sqrt(p q / n)."""
    p = errors / n
    lower, upper = proportion_interval(errors, n, method="wilson")
    return Estimate(p, math.sqrt(p * (1 - p) / n), lower, upper, float(n), 0.95, n, errors, "wilson")


class TestChange:
    @pytest.mark.parametrize(("current", "previous", "lower", "upper"), [
        ((56, 70), (48, 80), 0.0524, 0.3339), ((9, 10), (3, 10), 0.1705, 0.8090), ((6, 7), (2, 7), 0.0582, 0.8062),
        ((5, 56), (0, 29), -0.0381, 0.1926), ((0, 10), (0, 20), -0.1611, 0.2775), ((10, 10), (0, 20), 0.6791, 1.0),
    ])
    def test_newcombe_1998b_hybrid_score_interval(self, current, previous, lower, upper):
        """Newcombe, R.G. (1998b) "Interval estimation for the difference between independent proportions",
        Stat. Med. 17:873-890, Table II, method 10 (Wilson-based hybrid score); statsmodels'
        confint_proportions_2indep(method='newcomb') gives the same."""
        change = change_test(srs(*previous), srs(*current))
        assert (change.lower, change.upper) == pytest.approx((lower, upper), abs=5e-5)
        expected = sm_proportion.confint_proportions_2indep(*current, *previous, method="newcomb")
        assert (change.lower, change.upper) == pytest.approx(tuple(map(float, expected)), abs=1e-12)

    def test_the_z_test_uses_the_two_variances(self):
        """z = (p_t - p_{t-1}) / sqrt(V_t + V_{t-1}); with binomial variances this is the unpooled Wald z of
        statsmodels' test_proportions_2indep(method='wald', correction=False): 56/70 vs 48/80 -> z 2.7509."""
        change = change_test(srs(48, 80), srs(56, 70))
        reference = sm_proportion.test_proportions_2indep(56, 70, 48, 80, method="wald", correction=False)
        assert change.difference == pytest.approx(0.2)
        assert change.z == pytest.approx(reference.statistic) == pytest.approx(2.7509, abs=1e-4)
        assert change.p_value == pytest.approx(reference.pvalue)

    def test_design_based_estimates(self):
        before = estimate_proportion([StratumCount("a", 5000, 200, 4), StratumCount("b", 1000, 100, 6)])
        after = estimate_proportion([StratumCount("a", 5200, 200, 9), StratumCount("b", 900, 100, 10)])
        change = change_test(before, after)
        assert change.se == pytest.approx(math.sqrt(before.variance + after.variance))
        assert change.lower < change.difference < change.upper
        assert 0 < change.p_value < 1

    def test_two_weeks_without_errors_show_no_change_but_keep_a_width(self):
        """V = 0 in both weeks: z 0, p 1, and the interval from the Korn-Graubard bounds is not [0, 0]."""
        quiet = estimate_proportion([StratumCount("a", 10_000, 300, 0)])
        change = change_test(quiet, quiet)
        assert (change.difference, change.z, change.p_value) == (0.0, 0.0, 1.0)
        assert change.lower < 0 < change.upper

    def test_zero_variance_falls_back_to_the_pooled_two_proportion_z(self):
        """No errors at all one week, only errors the next (both V = 0): pooled p q (1/n + 1/n')."""
        none, every = srs(0, 50), srs(50, 50)
        change = change_test(none, every)
        assert change.z == pytest.approx(1 / math.sqrt(0.25 * (2 / 50)))

    def test_two_censuses_differ_exactly(self):
        first = estimate_proportion([StratumCount("a", 40, 40, 2)])
        second = estimate_proportion([StratumCount("a", 40, 40, 5)])
        change = change_test(first, second)
        assert (change.z, change.p_value) == (math.inf, 0.0)
        assert change_test(first, first).p_value == 1.0

    def test_the_confidence_levels_must_match(self):
        with pytest.raises(ValueError, match="confidence"):
            change_test(estimate_proportion([StratumCount("a", 99, 9, 1)], confidence=0.9), srs(1, 10))


# Montgomery, Introduction to Statistical Quality Control, ch. 7, orange-juice cans: 30 samples of 50 (the trial
# samples of R qcc's `orangejuice` data set, 347 nonconforming in all).
ORANGE_JUICE = [12, 15, 8, 10, 4, 7, 16, 9, 14, 10, 5, 6, 17, 12, 22, 8, 10, 5, 13, 11, 20, 18, 24, 15, 9, 12, 7, 13, 9, 6]


class TestPChart:
    def test_montgomery_orange_juice_trial_limits(self):
        """p_bar = 347/1500 = 0.2313, UCL 0.4102, LCL 0.0524 (also the NIST/SEMATECH e-Handbook 6.3.3.2 p-chart
        numbers); samples 15 (0.44) and 23 (0.48) plot above the UCL."""
        chart = p_chart(ORANGE_JUICE, [50] * 30)
        assert chart.center == pytest.approx(0.2313, abs=5e-5)
        assert chart.upper == pytest.approx((0.4102,) * 30, abs=5e-5)
        assert chart.lower == pytest.approx((0.0524,) * 30, abs=5e-5)
        assert chart.signals == (14, 22)

    def test_limits_vary_with_the_sample_size_and_are_clipped(self):
        """p_bar +/- 3 sqrt(p_bar q_bar / n_t) by hand: p_bar = 12 / 600 = 0.02; n = 100: 0.02 +/- 0.042 -> [0, 0.062]."""
        chart = p_chart([0, 2, 10], [100, 200, 300])
        spread = 3 * math.sqrt(0.02 * 0.98 / 100)
        assert chart.center == pytest.approx(0.02)
        assert (chart.lower[0], chart.upper[0]) == (0.0, pytest.approx(0.02 + spread))
        assert chart.upper[2] == pytest.approx(0.02 + 3 * math.sqrt(0.02 * 0.98 / 300))
        assert chart.out_of_control == (False, False, False)
        assert p_chart([0, 2, 10], [100, 200, 300], center=0.005).signals == (2,)

    def test_bad_series_are_refused(self):
        with pytest.raises(ValueError, match="period 1 has 7 of 5"):
            p_chart([1, 7], [5, 5])
        with pytest.raises(ValueError, match="equal-length"):
            p_chart([1, 2], [5])


class TestBinomialCusum:
    def test_a_hand_worked_path(self):
        """s = ln(q0/q1) / ln(p1 q0 / (p0 q1)) = 0.0108386 for 0.5% -> 2% (the SPRT slope, docs/metrics.md §4.1);
        weekly n = 100: increments x - 1.08386; S = 0, 0, 0, 1.9161, 2.8323: the signal (h = 2) is week 4."""
        result = binomial_cusum([0, 1, 0, 3, 2], [100] * 5, p0=0.005, p1=0.02, h=2)
        assert result.reference == pytest.approx(SPRT(0.005, 0.02).s) == pytest.approx(0.0108386, abs=1e-7)
        assert result.path == pytest.approx((0, 0, 0, 3 - 1.08386, 3 - 2 * 1.08386 + 2), abs=1e-5)
        assert result.signal == 4

    def test_no_signal_is_none(self):
        assert binomial_cusum([0, 1, 0], [100] * 3, p0=0.005, p1=0.02, h=5).signal is None

    @settings(max_examples=100, deadline=None)
    @given(weeks=st.lists(st.tuples(st.integers(0, 8), st.integers(8, 200)), min_size=1, max_size=30))
    def test_it_is_pages_cusum_of_log_likelihood_ratios(self, weeks):
        """Page (1954): W_t = max(0, W_{t-1} + log LR_t); for the binomial, log LR_t = k (x_t - s n_t), so W = k S."""
        counts, sizes = zip(*weeks, strict=True)
        p0, p1 = 0.01, 0.03
        result = binomial_cusum(counts, sizes, p0=p0, p1=p1, h=3)
        w = 0.0
        for x, n, s in zip(counts, sizes, result.path, strict=True):
            w = max(0.0, w + x * math.log(p1 / p0) + (n - x) * math.log((1 - p1) / (1 - p0)))
            assert w == pytest.approx(s * math.log(p1 * (1 - p0) / (p0 * (1 - p1))), abs=1e-9)

    def test_bad_parameters_are_named(self):
        with pytest.raises(ValueError, match="p1"):
            binomial_cusum([1], [10], p0=0.02, p1=0.01, h=3)
        with pytest.raises(ValueError, match="h must be > 0"):
            binomial_cusum([1], [10], p0=0.01, p1=0.02, h=0)


class TestSPRT:
    def test_budget_half_a_percent_against_an_alarm_at_two(self):
        """docs/metrics.md §4.1 (Wald 1947 linear boundaries): s 0.01084, h1 1.112, h2 1.978; 103 clean items accept."""
        test = SPRT(0.005, 0.02, alpha=0.05, beta=0.2)
        assert (test.s, test.h1, test.h2) == (pytest.approx(0.01084, abs=5e-6), pytest.approx(1.112, abs=5e-4),
                                              pytest.approx(1.978, abs=5e-4))
        assert test.accept_after_clean == 103
        assert (test.decide(102, 0), test.decide(103, 0)) == ("continue", "accept")
        assert test.decide(2, 2) == "reject"  # 2 >= 1.978 + 0.0217

    def test_nist_sequential_sampling_example(self):
        """NIST/SEMATECH e-Handbook 6.2 (sequential sampling plans): h1 = .939, h2 = 1.205, s = .0397. The
        handbook's inputs are reconstructed as AQL 0.01, LTPD 0.10, alpha 0.05, beta 0.10 (they reproduce all three)."""
        test = SPRT(0.01, 0.10, alpha=0.05, beta=0.10)
        assert test.h1 == pytest.approx(0.939, abs=5e-4)
        assert test.h2 == pytest.approx(1.205, abs=5e-4)
        assert test.s == pytest.approx(0.0397, abs=5e-5)

    @settings(max_examples=200, deadline=None)
    @given(n=st.integers(0, 400), errors=st.integers(0, 400))
    def test_the_decision_follows_the_linear_boundaries(self, n, errors):
        errors = min(errors, n)
        test = SPRT(0.01, 0.10, alpha=0.05, beta=0.10)
        decision = test.decide(n, errors)
        accept, reject = test.acceptance_number(n), test.rejection_number(n)
        if errors >= test.h2 + test.s * n + 1e-9:
            assert decision == "reject"
        elif errors <= -test.h1 + test.s * n - 1e-9:
            assert decision == "accept"
        else:
            assert decision == "continue"
        assert (decision == "accept") == (accept is not None and errors <= accept)
        assert (decision == "reject") == (reject is not None and errors >= reject)

    def test_small_n_gives_none_rather_than_an_error(self):
        """Issue 12: acceptance_number raised ValueError while the acceptance line -h1 + s n was below -1.
        Budget 0.5 % against 2 %: no n below 103 accepts (h1 / s = 102.6); 2 errors in 2 items already reject
        (2 >= h2 + 2 s = 1.999), 1 in 1 does not; n = 4 rejects from 3 errors (1.978 + 4 s = 2.02)."""
        test = SPRT(0.005, 0.02, alpha=0.05, beta=0.2)
        assert [test.acceptance_number(n) for n in range(6)] == [None] * 6
        assert [test.rejection_number(n) for n in range(6)] == [None, None, 2, 3, 3, 3]
        assert (test.acceptance_number(102), test.acceptance_number(103)) == (None, 0)
        with pytest.raises(ValueError, match="n must be >= 0"):
            test.acceptance_number(-1)
        with pytest.raises(ValueError, match="n must be >= 0"):
            test.rejection_number(-1)

    @settings(max_examples=300, deadline=None)
    @given(n=st.integers(0, 1500), p0=st.floats(0.001, 0.2), ratio=st.floats(1.2, 8),
           alpha=st.sampled_from([0.01, 0.05, 0.1]), beta=st.sampled_from([0.05, 0.1, 0.2]))
    def test_the_numbers_exist_for_every_n_and_match_decide(self, n, p0, ratio, alpha, beta):
        """For every n >= 0 and any plan: no exception, and the numbers are the edges of decide()'s regions
        (checked against every error count 0..n for small n, at the edges otherwise)."""
        p1 = min(0.99, p0 * ratio)
        test = SPRT(p0, p1, alpha=alpha, beta=beta)
        accept, reject = test.acceptance_number(n), test.rejection_number(n)
        assert accept is None or 0 <= accept <= n
        assert reject is None or 0 <= reject <= n
        errors = range(n + 1) if n <= 60 else sorted({0, n} | {d for x in (accept, reject) if x is not None
                                                                 for d in (x - 1, x, x + 1) if 0 <= d <= n})
        for d in errors:
            decision = test.decide(n, d)
            assert (decision == "accept") == (accept is not None and d <= accept)
            assert (decision == "reject") == (reject is not None and d >= reject)

    def test_walds_error_bounds_hold_in_simulation(self):
        """Wald (1945): the realised risks satisfy alpha' <= alpha / (1 - beta) and beta' <= beta / (1 - alpha).
        Monte Carlo, fixed seed, 2,000 audits under each hypothesis."""
        test = SPRT(0.01, 0.05, alpha=0.05, beta=0.2)
        rng = np.random.default_rng(42)

        def outcome(rate: float) -> str:
            errors = np.cumsum(rng.random(5000) < rate)
            for n in range(1, 5001):
                decision = test.decide(n, int(errors[n - 1]))
                if decision != "continue":
                    return decision
            return "continue"

        false_alarms = sum(outcome(0.01) == "reject" for _ in range(2000)) / 2000
        misses = sum(outcome(0.05) == "accept" for _ in range(2000)) / 2000
        assert false_alarms <= 0.05 / 0.8
        assert misses <= 0.2 / 0.95

    @pytest.mark.parametrize(("kwargs", "named"), [({"p0": 0.02, "p1": 0.01}, "p1"), ({"p0": 0, "p1": 0.01}, "p0"),
                                                   ({"p0": 0.01, "p1": 0.02, "alpha": 0.6, "beta": 0.5}, "alpha \\+ beta")])
    def test_bad_parameters_are_named(self, kwargs, named):
        with pytest.raises(ValueError, match=named):
            SPRT(**kwargs)
        with pytest.raises(ValueError, match="errors"):
            SPRT(0.01, 0.02).decide(5, 6)
