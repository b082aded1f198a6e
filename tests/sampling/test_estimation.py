"""Rates, intervals and budget bounds against published values (sources named per case)."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.weightstats import DescrStatsW

from sampling import (
    Estimate,
    StratumCount,
    estimate_proportion,
    estimate_upper_bound,
    proportion_interval,
    sample_size_for_budget,
    upper_bound,
)

# Newcombe, R.G. (1998) "Two-sided confidence intervals for the single proportion: comparison of seven
# methods", Stat. Med. 17:857-872, Table I (methods 3 = Wilson score, 5 = Clopper-Pearson exact), to 4 dp.
NEWCOMBE_TABLE_I = [
    (81, 263, "wilson", 0.2553, 0.3662),
    (15, 148, "wilson", 0.0624, 0.1605),
    (0, 20, "wilson", 0.0, 0.1611),
    (1, 29, "wilson", 0.0061, 0.1718),
    (81, 263, "clopper-pearson", 0.2527, 0.3676),
    (15, 148, "clopper-pearson", 0.0578, 0.1617),
    (0, 20, "clopper-pearson", 0.0, 0.1684),
    (1, 29, "clopper-pearson", 0.0009, 0.1776),
]


class TestProportionInterval:
    @pytest.mark.parametrize(("count", "nobs", "method", "lower", "upper"), NEWCOMBE_TABLE_I)
    def test_newcombe_1998_table_1(self, count, nobs, method, lower, upper):
        """Newcombe (1998a) Table I. Tolerance: half a unit in the 4th decimal (15/148 CP upper is 0.161650)."""
        low, high = proportion_interval(count, nobs, method=method)
        assert low == pytest.approx(lower, abs=6e-5)
        assert high == pytest.approx(upper, abs=6e-5)

    def test_statsmodels_run_values(self):
        """docs/metrics.md §2.1 (statsmodels 0.15 run): 3/100 -> Wilson (0.01025, 0.08452), CP (0.00623, 0.08518)."""
        assert proportion_interval(3, 100) == pytest.approx((0.01025, 0.08452), abs=5e-6)
        assert proportion_interval(3, 100, method="clopper-pearson") == pytest.approx((0.00623, 0.08518), abs=5e-6)

    @pytest.mark.parametrize(("count", "nobs"), [(0, 20), (1, 29), (15, 148), (29, 29)])
    def test_jeffreys_is_the_beta_half_interval_with_brown_cai_dasgupta_ends(self, count, nobs):
        """Brown, Cai & DasGupta (2001) Stat. Sci. 16:101-133, 4.1.2: Beta(x + 1/2, n - x + 1/2) quantiles,
        lower bound 0 at x = 0 and upper bound 1 at x = n (statsmodels 0.15 leaves these ends open)."""
        low, high = proportion_interval(count, nobs, method="jeffreys")
        beta = stats.beta(count + 0.5, nobs - count + 0.5)
        assert low == (0.0 if count == 0 else pytest.approx(beta.ppf(0.025)))
        assert high == (1.0 if count == nobs else pytest.approx(beta.ppf(0.975)))

    def test_effective_counts_may_be_fractional(self):
        """Korn-Graubard intervals need non-integer counts: they match statsmodels' call directly."""
        assert proportion_interval(2.7, 83.4) == pytest.approx(proportion_confint(2.7, 83.4, method="wilson"))

    @pytest.mark.parametrize(("args", "kwargs", "named"), [
        ((3, 100), {"method": "wald"}, "method"), ((3, 100), {"method": "normal"}, "method"),
        ((101, 100), {}, "count"), ((1, 0), {}, "nobs"), ((3, 100), {"confidence": 1.0}, "confidence"),
    ])
    def test_bad_arguments_are_named(self, args, kwargs, named):
        """Wald is refused outright (Newcombe 1998a; docs/metrics.md §2.1)."""
        with pytest.raises(ValueError, match=named):
            proportion_interval(*args, **kwargs)


class TestUpperBound:
    def test_rule_of_three_at_half_a_percent(self):
        """Hanley & Lippman-Hand (1983) JAMA 249:1743-5; docs/sampling.md §2.1: 598 clean items show < 0.5% at 95%."""
        assert upper_bound(0, 598) <= 0.005 < upper_bound(0, 597)
        assert upper_bound(0, 598) == pytest.approx(0.004997, abs=1e-6)

    @pytest.mark.parametrize("n", [1, 20, 299, 598])
    def test_zero_errors_has_the_closed_form(self, n):
        """Clopper-Pearson with no errors: 1 - alpha^(1/n) (Jovanovic & Levy 1997, Am. Stat. 51:137-139)."""
        assert upper_bound(0, n) == pytest.approx(1 - 0.05 ** (1 / n))

    @pytest.mark.parametrize(("count", "nobs"), [(0, 598), (3, 100), (12, 600), (50, 50)])
    def test_it_is_the_beta_quantile_and_statsmodels_larger(self, count, nobs):
        """docs/metrics.md §2.1: scipy Beta^-1(0.95; c + 1, n - c), 1 at c = n; statsmodels calls this
        one-sided bound alternative='larger' and returns (0, U)."""
        expected = 1.0 if count == nobs else stats.beta.ppf(0.95, count + 1, nobs - count)
        assert upper_bound(count, nobs) == pytest.approx(expected)
        sm_low, sm_high = proportion_confint(count, nobs, alpha=0.05, method="beta", alternative="larger")
        assert sm_low == 0 and upper_bound(count, nobs) == pytest.approx(sm_high)

    @pytest.mark.parametrize(("errors", "n"), [(0, 598), (1, 947), (2, 1258)])
    def test_it_agrees_with_the_budget_sample_sizes(self, errors, n):
        """docs/sampling.md §2.1 (0.5% budget): c = 0, 1, 2 need 598, 947, 1258 items; one fewer is not enough."""
        assert sample_size_for_budget(0.005, allowed_errors=errors) == n
        assert upper_bound(errors, n) <= 0.005 < upper_bound(errors, n - 1)

    @pytest.mark.parametrize("method", ["wilson", "jeffreys"])
    def test_one_sided_bounds_are_clopper_pearson_whatever_the_method(self, method):
        """Issue 12 (was: Wilson's one-sided bound, the upper end of the two-sided 90% Wilson interval). ``method``
        is deprecated: it warns and the bound is the exact one, Beta^-1(0.95; 4, 97) for 3/100."""
        with pytest.warns(DeprecationWarning, match="always Clopper-Pearson"):
            bound = upper_bound(3, 100, method=method)
        assert bound == pytest.approx(stats.beta.ppf(0.95, 4, 97)) == upper_bound(3, 100)
        assert bound > proportion_confint(3, 100, 0.10, method)[1]

    @pytest.mark.parametrize("n", [20, 50, 100, 598])
    def test_only_the_exact_bound_keeps_its_level_at_zero_errors(self, n):
        """Exact coverage P(p <= U(X)), X ~ Bin(n, p), for a true rate just above a method's bound at zero errors,
        where every sample without an error misses it: 1 - (1 - U(0))^n. The score and Jeffreys one-sided bounds
        (the upper ends of statsmodels' two-sided 90 % intervals) cover 92-93 % and 85 % there; Clopper-Pearson,
        1 - 0.05^(1/n) at zero errors (Jovanovic & Levy 1997, Am. Stat. 51:137-139), covers 95 % exactly."""
        def coverage(bounds, p):
            x = np.arange(n + 1)
            return stats.binom.pmf(x, n, p)[np.asarray(bounds) >= p].sum()

        for method, low, high in [("wilson", 0.915, 0.935), ("jeffreys", 0.84, 0.86)]:
            theirs = [proportion_confint(x, n, 0.10, method)[1] if x < n else 1.0 for x in range(n + 1)]
            assert low < coverage(theirs, theirs[0] * (1 + 1e-9)) < high
        ours = [upper_bound(x, n) for x in range(n + 1)]
        assert ours[0] == pytest.approx(1 - 0.05 ** (1 / n))
        for p in np.linspace(0.2 / n, min(1.0, 10 / n), 200):
            assert coverage(ours, p) >= 0.95 - 1e-9

    def test_a_one_sided_bound_needs_more_than_even_odds(self):
        with pytest.raises(ValueError, match="confidence"):
            upper_bound(0, 100, confidence=0.5)


def _counts(*strata):
    return [StratumCount(str(i), *s) for i, s in enumerate(strata)]


class TestStratifiedEstimate:
    def test_scheaffer_mendenhall_ott_stratified_proportion(self):
        """Scheaffer, Mendenhall, Ott & Gerow, Elementary Survey Sampling, ch. 5 (stratified estimation of a
        proportion; the town A / town B / rural households example, N_h = 155, 62, 93, n_h = 20, 8, 12,
        16, 2, 6 positives): p = 0.60, bound on the error 2 sqrt(V) = 0.13. Written out:
        p = (155 .8 + 62 .25 + 93 .5) / 310 = 186 / 310 = 0.6;
        V = sum (N_h / N)^2 (1 - n_h / N_h) p_h q_h / (n_h - 1)."""
        estimate = estimate_proportion([StratumCount("town A", 155, 20, 16), StratumCount("town B", 62, 8, 2),
                                        StratumCount("rural", 93, 12, 6)])
        by_hand = sum((N / 310) ** 2 * (1 - n / N) * p * (1 - p) / (n - 1)
                      for N, n, p in [(155, 20, 0.8), (62, 8, 0.25), (93, 12, 0.5)])
        assert estimate.value == pytest.approx(0.60)
        assert estimate.variance == pytest.approx(by_hand)
        assert 2 * estimate.se == pytest.approx(0.13, abs=0.005)
        assert (estimate.n, estimate.positives, estimate.population) == (40, 24, 310)
        assert estimate.lower < 0.6 < estimate.upper

    def test_one_stratum_is_simple_random_sampling_with_the_fpc(self):
        """Cochran (1977) 3.4: v(p) = (1 - f) p q / (n - 1). KG: n_eff = min(n, p q / v), n* = n_eff (z/t_{n-1})^2,
        then Clopper-Pearson on (p n*, n*), which is wider than plain CP on 12/200 only by the t adjustment."""
        estimate = estimate_proportion([StratumCount("all", 2000, 200, 12)])
        p, f = 12 / 200, 200 / 2000
        assert estimate.value == pytest.approx(p)
        assert estimate.variance == pytest.approx((1 - f) * p * (1 - p) / 199)
        assert estimate.n_eff == pytest.approx(min(200, 199 / (1 - f)))
        assert estimate.df == 199
        n_star = estimate.n_eff * (stats.norm.isf(0.025) / stats.t.isf(0.025, 199)) ** 2
        expected = proportion_confint(p * n_star, n_star, alpha=0.05, method="beta")
        assert (estimate.lower, estimate.upper) == pytest.approx(expected)

    def test_proportional_allocation_is_self_weighting(self):
        """Cochran (1977) 5.3: with n_h / N_h constant, p_st equals the unweighted share of positives."""
        counts = _counts((1000, 50, 3), (400, 20, 5), (200, 10, 0))
        assert estimate_proportion(counts).value == pytest.approx(8 / 80)

    def test_it_is_the_hajek_weighted_mean(self):
        """docs/metrics.md §2 and §2.1: p_st is the Hajek mean with weights N_h / n_h. Cross-check the point estimate
        (only: its SE treats weights as frequencies) with statsmodels' DescrStatsW."""
        strata = [(5000, 60, 2), (800, 40, 5), (120, 30, 9)]
        y = np.concatenate([[1] * x + [0] * (n - x) for _, n, x in strata])
        w = np.concatenate([[N / n] * n for N, n, _ in strata])
        assert estimate_proportion(_counts(*strata)).value == pytest.approx(DescrStatsW(y, weights=w).mean)

    def test_a_census_has_no_sampling_error(self):
        """Cochran (1977) 5.3: a stratum with f_h = 1 adds no variance; all strata censused: the interval is [p, p]."""
        estimate = estimate_proportion(_counts((40, 40, 3), (10, 10, 1)))
        assert (estimate.value, estimate.se) == (pytest.approx(0.08), 0.0)
        assert estimate.lower == estimate.upper == estimate.value == estimate.upper_one_sided
        assert estimate.is_census and estimate.n_eff == 50
        partial = estimate_proportion(_counts((40, 40, 3), (1000, 100, 10)))
        assert partial.variance == pytest.approx((1000 / 1040) ** 2 * 0.9 * 0.1 * 0.9 / 99)

    def test_zero_errors_still_bound_the_rate(self):
        """docs/metrics.md §2.1: p = 0 makes V = 0, so n_eff falls back to Kish's (sum w)^2 / sum w^2 and
        the upper bound stays positive (Korn & Graubard 1998)."""
        estimate = estimate_proportion(_counts((8000, 100, 0), (2000, 100, 0)))
        kish = 10_000**2 / (8000**2 / 100 + 2000**2 / 100)
        assert (estimate.value, estimate.se, estimate.lower) == (0.0, 0.0, 0.0)
        assert estimate.n_eff == pytest.approx(kish)
        assert 0 < estimate.upper_one_sided < estimate.upper < 0.05
        n_star = kish * (stats.norm.isf(0.05) / stats.t.isf(0.05, 198)) ** 2
        assert estimate.upper_one_sided == pytest.approx(1 - 0.05 ** (1 / n_star))

    def test_a_single_reviewed_item_takes_the_worst_case_variance(self):
        """Documented choice: n_h = 1 (not a census) contributes W_h^2 (1 - f_h) / 4."""
        estimate = estimate_proportion(_counts((100, 1, 0), (100, 50, 5)))
        expected = 0.25 * (1 - 1 / 100) * 0.25 + 0.25 * 0.5 * 0.1 * 0.9 / 49
        assert estimate.variance == pytest.approx(expected)

    def test_the_one_sided_bound_follows_the_confidence(self):
        estimate = estimate_proportion(_counts((5000, 300, 3)))
        assert estimate.value < estimate.upper_one_sided < estimate.upper
        assert estimate_upper_bound(estimate) == estimate.upper_one_sided
        assert estimate_upper_bound(estimate, confidence=0.99) > estimate.upper_one_sided

    def test_a_stratum_without_reviewed_items_cannot_be_estimated(self):
        with pytest.raises(ValueError, match="'medical': no items were reviewed"):
            estimate_proportion([StratumCount("medical", 50, 0, 0), StratumCount("general", 500, 50, 1)])

    @pytest.mark.parametrize(("args", "named"), [(("x", 0, 0, 0), "'x': population"), (("x", 10, 11, 0), "'x': sampled"),
                                                 (("x", 10, 5, 6), "'x': positives"), (("x", 10, 5, -1), "'x': positives")])
    def test_stratum_counts_are_checked(self, args, named):
        with pytest.raises(ValueError, match=named):
            StratumCount(*args)

    def test_bad_arguments_are_named(self):
        with pytest.raises(ValueError, match="unique"):
            estimate_proportion([StratumCount("a", 10, 5, 1), StratumCount("a", 10, 5, 1)])
        with pytest.raises(ValueError, match="method"):
            estimate_proportion(_counts((10, 5, 1)), method="normal")
        with pytest.raises(ValueError, match="at least one"):
            estimate_proportion([])

    @settings(max_examples=200, deadline=None)
    @given(strata=st.lists(st.tuples(st.integers(2, 5000), st.floats(0.001, 1), st.floats(0, 1)), min_size=1, max_size=6),
           method=st.sampled_from(["clopper-pearson", "wilson", "jeffreys"]))
    def test_the_interval_holds_the_estimate(self, strata, method):
        counts = []
        for i, (population, share, rate) in enumerate(strata):
            n = max(1, round(share * population))
            counts.append(StratumCount(str(i), population, n, round(rate * n)))
        estimate = estimate_proportion(counts, method=method)
        assert 0 <= estimate.lower <= estimate.value <= estimate.upper <= 1
        # Issue 12: the one-sided bound is Clopper-Pearson whatever the method, so it sits inside the exact
        # two-sided interval but may exceed a narrower Wilson or Jeffreys upper end (one item, no error: 0.95
        # against Wilson's 0.79).
        exact = estimate if method == "clopper-pearson" else estimate_proportion(counts)
        assert estimate.upper_one_sided == exact.upper_one_sided
        assert estimate.value <= estimate.upper_one_sided <= exact.upper
        assert 0 < estimate.n_eff <= estimate.n


@pytest.mark.parametrize(("method", "rates"), [("clopper-pearson", (0.02, 0.08, 0.3)),
                                                ("clopper-pearson", (0.005, 0.01, 0.05)),
                                                ("wilson", (0.005, 0.01, 0.05))])
def test_korn_graubard_coverage_on_a_simulated_stratified_design(method, rates):
    """Monte Carlo (fixed seed, 2,000 samples): disproportionate stratified SRSWOR from finite strata of 5000, 2000
    and 500 with 100, 60, 40 items. Korn & Graubard (1998) and Dean & Pagano (2015) report coverage at or above
    nominal for the CP version, including rare rates where whole strata show no errors; Wald would not."""
    rng = np.random.default_rng(20260101)
    populations, sizes = (5000, 2000, 500), (100, 60, 40)
    bad = [round(N * p) for N, p in zip(populations, rates, strict=True)]
    truth = sum(bad) / sum(populations)
    two_sided = one_sided = 0
    reps = 2000
    for _ in range(reps):
        found = [rng.hypergeometric(K, N - K, n) for N, K, n in zip(populations, bad, sizes, strict=True)]
        estimate = estimate_proportion(_counts(*zip(populations, sizes, found, strict=True)), method=method)
        two_sided += estimate.lower <= truth <= estimate.upper
        one_sided += truth <= estimate.upper_one_sided
    assert two_sided / reps >= 0.93
    assert one_sided / reps >= 0.93


def test_an_estimate_can_be_built_by_hand():
    """The fields the other modules rely on, with defaults for the design details. Issue 12: the one-sided bound is
    Clopper-Pearson even though the two-sided interval is Wilson's (it used to be the Wilson bound)."""
    estimate = Estimate(0.1, 0.02, 0.07, 0.14, 200.0, 0.95, 200, 20, "wilson")
    assert (estimate.df, estimate.population, estimate.is_census) == (None, None, False)
    assert estimate.variance == pytest.approx(0.0004)
    assert math.isclose(estimate.upper_one_sided, upper_bound(20, 200))
    assert math.isclose(estimate.upper_one_sided, stats.beta.ppf(0.95, 21, 180))


@pytest.mark.parametrize("method", ["wilson", "jeffreys", "clopper-pearson"])
def test_the_estimates_one_sided_bound_is_exact_whatever_its_method(method):
    """Zero errors in one stratum (V = 0, so Kish's n_eff = n = 100; df = 99): the bound is
    1 - 0.05^(1/n*) with n* = n (z_0.95 / t_0.95,99)^2, the Clopper-Pearson bound on the effective counts."""
    estimate = estimate_proportion(_counts((10_000, 100, 0)), method=method)
    n_star = 100 * (stats.norm.isf(0.05) / stats.t.isf(0.05, 99)) ** 2
    assert estimate.upper_one_sided == pytest.approx(1 - 0.05 ** (1 / n_star))


def test_conservative_takes_kishs_n_eff_when_the_variance_credits_more():
    """A heavy stratum with few reviewed items and no positive adds nothing to V (pitfall 7)."""
    counts = _counts((9000, 4, 0), (300, 100, 5), (200, 100, 2))
    # Issue 12: conservative=True is now the default; the textbook estimator must be asked for.
    textbook, conservative = estimate_proportion(counts, conservative=False), estimate_proportion(counts)
    kish = 9500**2 / (9000**2 / 4 + 300**2 / 100 + 200**2 / 100)
    assert (conservative.value, conservative.se) == (textbook.value, textbook.se)
    assert textbook.n_eff == 204 and conservative.n_eff == pytest.approx(kish) and kish < 5
    assert conservative.lower <= textbook.lower and conservative.upper > 3 * textbook.upper


def test_conservative_restores_coverage_where_a_heavy_stratum_has_few_items():
    """Monte Carlo (fixed seed, 2,000 samples): 9,000 outputs at 5 % reviewed 4 times, two strata of 300 and 200 at
    1 % reviewed 100 times each (a week whose big stratum has barely started). The textbook Korn-Graubard interval
    covers the true rate far less often than 95 %; with Kish's n_eff as a floor it covers it."""
    rng = np.random.default_rng(20261126)
    populations, sizes, bad = (9000, 300, 200), (4, 100, 100), (450, 3, 2)
    truth = sum(bad) / sum(populations)
    covered = {False: 0, True: 0}
    reps = 2000
    for _ in range(reps):
        found = [rng.hypergeometric(K, N - K, n) for N, K, n in zip(populations, bad, sizes, strict=True)]
        for conservative in covered:
            counts = _counts(*zip(populations, sizes, found, strict=True))
            estimate = estimate_proportion(counts, conservative=conservative)
            covered[conservative] += estimate.lower <= truth <= estimate.upper
    assert covered[False] / reps < 0.5
    assert covered[True] / reps >= 0.95
