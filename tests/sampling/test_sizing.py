"""Sample sizes against published worked examples (sources named per case)."""
from __future__ import annotations

import math

import pytest
from scipy import stats
from statsmodels.stats.proportion import binom_test_reject_interval, proportion_confint

from sampling import (
    margin_of_sample,
    power_of_sample,
    sample_size_for_budget,
    sample_size_for_change,
    sample_size_for_margin,
)


class TestMargin:
    def test_cochran_385_for_5_percent_at_95(self):
        """Cochran (1977) Sampling Techniques ch. 4: p = 0.5, e = 0.05, 95% -> n0 = 384.16 -> 385."""
        assert sample_size_for_margin(0.05) == 385

    def test_cochran_370_with_the_finite_population_correction(self):
        """Cochran (1977) eq. 4.2 with N = 10,000 -> 369.98 -> 370 (Krejcie & Morgan 1970 table: 370)."""
        assert sample_size_for_margin(0.05, population=10_000) == 370

    @pytest.mark.parametrize(("population", "krejcie_morgan"), [(100, 80), (1000, 278), (5000, 357), (100_000, 383)])
    def test_krejcie_morgan_table_values(self, population, krejcie_morgan):
        """Krejcie & Morgan (1970) EPM 30:607-610, Table 1 (their chi-square 3.841 = 1.96^2; they round
        to nearest, we round up, so ours is the table value or one more)."""
        assert sample_size_for_margin(0.05, population=population) in (krejcie_morgan, krejcie_morgan + 1)

    def test_it_never_exceeds_the_population(self):
        assert sample_size_for_margin(0.001, population=50) == 50

    def test_a_smaller_expected_rate_needs_fewer_items(self):
        """n0 = z^2 p(1-p)/e^2: p = 0.1, e = 0.03 -> 384.1 -> 385 (1.96^2 * 0.09 / 0.0009 = 384.15)."""
        assert sample_size_for_margin(0.03, expected_rate=0.1) == 385

    def test_margin_of_sample_inverts_the_size(self):
        assert margin_of_sample(385) <= 0.05 < margin_of_sample(384)
        assert margin_of_sample(370, population=10_000) <= 0.05 < margin_of_sample(369, population=10_000)

    @pytest.mark.parametrize("bad", [{"margin": 0}, {"margin": 1.2}, {"margin": 0.05, "confidence": 1},
                                     {"margin": 0.05, "expected_rate": 0}, {"margin": 0.05, "population": 0}])
    def test_bad_arguments_are_named(self, bad):
        with pytest.raises(ValueError):
            sample_size_for_margin(**bad)


class TestBudget:
    @pytest.mark.parametrize(("rate", "errors", "n"), [(0.01, 0, 299), (0.01, 1, 473), (0.01, 2, 628),
                                                       (0.005, 0, 598), (0.005, 1, 947), (0.005, 2, 1258)])
    def test_published_acceptance_sample_sizes(self, rate, errors, n):
        """Hanley & Lippman-Hand (1983) JAMA 249:1743-5 (rule of three, c = 0); the c = 1, 2 values are the
        exact binomial plans of Schilling & Neubauer (2009) Acceptance Sampling in Quality Control (LTPD
        tables), as listed in docs/sampling.md §2.1."""
        assert sample_size_for_budget(rate, allowed_errors=errors) == n

    def test_the_95_95_and_90_90_rules(self):
        """Jovanovic & Levy (1997) Am. Stat. 51:137-139: 95% confidence of <= 5% -> 59; 90/90 -> 22."""
        assert sample_size_for_budget(0.05) == 59
        assert sample_size_for_budget(0.10, confidence=0.90) == 22

    def test_zero_failures_matches_the_closed_form(self):
        for rate in (0.002, 0.01, 0.03, 0.2):
            assert sample_size_for_budget(rate) == math.ceil(math.log(0.05) / math.log(1 - rate))

    @pytest.mark.parametrize(("rate", "errors"), [(0.01, 0), (0.005, 2), (0.02, 5)])
    def test_it_agrees_with_the_clopper_pearson_upper_bound(self, rate, errors):
        """Cross-check with statsmodels: at n the one-sided CP upper bound is <= the budget, at n - 1 it is not."""
        n = sample_size_for_budget(rate, allowed_errors=errors)
        upper = lambda m: proportion_confint(errors, m, alpha=0.05, method="beta", alternative="larger")[1]  # noqa: E731
        assert upper(n) <= rate < upper(n - 1)

    def test_a_finite_population_needs_fewer(self):
        """Hypergeometric: with N = 10,000 and 50 errors breaking a 0.5% budget, fewer than 598 suffice."""
        n = sample_size_for_budget(0.005, population=10_000)
        assert n < 598
        assert stats.hypergeom.cdf(0, 10_000, 50, n) <= 0.05 < stats.hypergeom.cdf(0, 10_000, 50, n - 1)

    def test_allowed_errors_that_already_break_the_budget_are_refused(self):
        with pytest.raises(ValueError, match="already break the budget"):
            sample_size_for_budget(0.01, allowed_errors=5, population=100)


class TestChange:
    def test_the_published_exact_size_for_half_to_one_and_a_half_percent(self):
        """docs/sampling.md §2.1 (exact binomial, Chernick & Liu 2002): 0.5% -> 1.5%, alpha .05, power .8 -> 604,
        alarm at >= 7 errors."""
        assert sample_size_for_change(0.005, 0.015) == 604
        assert power_of_sample(604, 0.005, 0.015).critical_count == 7

    def test_the_stable_size_never_dips_below_the_power_again(self):
        n = sample_size_for_change(0.005, 0.015, stable=True)
        assert n >= 604
        assert all(power_of_sample(m, 0.005, 0.015).power >= 0.8 for m in range(n, n + 150))
        assert power_of_sample(n - 1, 0.005, 0.015).power < 0.8

    def test_the_rule_of_thumb_sample_is_a_trip_wire(self):
        """docs/sampling.md §2.1: 100 items at a 0.5% budget alarm at >= 3 errors; power 0.32 at 2%, 0.88 at 5%."""
        at_2 = power_of_sample(100, 0.005, 0.02)
        assert at_2.critical_count == 3
        assert at_2.power == pytest.approx(0.32, abs=0.005)
        assert power_of_sample(100, 0.005, 0.05).power == pytest.approx(0.88, abs=0.005)
        assert at_2.false_alarm_rate <= 0.05

    @pytest.mark.parametrize("n", [50, 100, 600, 2000])
    def test_the_critical_count_matches_statsmodels(self, n):
        """binom_test_reject_interval's upper value is the first count of the rejection region (its docstring:
        "the interval includes the end points"); e.g. n = 600: reject at >= 11, P(X >= 11 | 1%) = 0.042."""
        _, first_rejected = binom_test_reject_interval(0.01, n, alpha=0.05, alternative="larger")
        assert power_of_sample(n, 0.01, 0.03).critical_count == first_rejected

    def test_a_rise_must_be_a_rise(self):
        with pytest.raises(ValueError, match="must be above"):
            sample_size_for_change(0.02, 0.01)
