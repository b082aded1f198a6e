"""The shared decision rule: budget_verdict, rise_verdict, their limits and verdict_chance.

Published cases: on a simple random sample the limits are Clopper-Pearson's (Newcombe 1998,
Stat. Med. 17:857-872, Table I: 81/263 -> 0.2527-0.3676 at 95% two-sided, i.e. the one-sided
97.5% limits) and a clean sample follows the rule of three (Hanley & Lippman-Hand 1983, JAMA
249:1743-5: 598 clean items show a rate below 0.5% at 95%, 597 do not). Cross-checks: scipy's
beta and gamma quantiles; Fay & Feuer's gamma limit (1997, Stat. Med. 16:791-801), which the
beta form must never exceed. Design claims are checked by seeded simulation on risk-allocated
designs with the errors in the bulk, in the risky strata, and spread.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import sampling
from sampling import StratumCount
from sampling import verdicts as V


def one(n, x, population=10_000_000):
    return [StratumCount("all", population, n, x)]


# --- published cases on one stratum -------------------------------------------------------------

def test_one_stratum_gives_clopper_pearson_newcombe_table_1():
    assert sampling.budget_bound(one(263, 81), confidence=0.975) == pytest.approx(0.3676, abs=5e-5)
    assert sampling.rise_bound(one(263, 81), confidence=0.975) == pytest.approx(0.2527, abs=5e-5)


@pytest.mark.parametrize(("n", "x"), [(1, 0), (20, 0), (100, 3), (598, 0), (1000, 17), (50, 49)])
def test_one_stratum_limits_equal_scipy_beta_quantiles(n, x):
    assert sampling.budget_bound(one(n, x)) == pytest.approx(stats.beta.ppf(0.95, x + 1, n - x) if x < n else 1.0)
    expected_lower = stats.beta.ppf(0.05, x, n - x + 1) if x > 0 else 0.0
    assert sampling.rise_bound(one(n, x)) == pytest.approx(expected_lower, abs=1e-12)


def test_rule_of_three_598_clean_items_show_half_a_percent_597_do_not():
    assert sampling.budget_verdict(one(598, 0), 0.005)
    assert not sampling.budget_verdict(one(597, 0), 0.005)


def test_one_stratum_rise_verdict_is_the_exact_binomial_test():
    """CP lower > p0 exactly when P(X >= x | n, p0) < alpha (the duality of the exact test)."""
    for x in range(0, 15):
        p_value = stats.binom.sf(x - 1, 300, 0.01)
        assert sampling.rise_verdict(one(300, x), 0.01) == (p_value < 0.05)


# --- stratified limits ---------------------------------------------------------------------------

STRATA = [StratumCount("bulk", 60_000, 240, 2), StratumCount("billing", 15_000, 90, 1),
          StratumCount("medical", 4_000, 80, 3), StratumCount("legal", 3_000, 60, 0)]


def fay_feuer_upper(counts, confidence=0.95):
    """Fay & Feuer's gamma limit, written out independently."""
    total = sum(c.population for c in counts)
    w = np.array([c.population / (total * c.sampled) for c in counts])
    x = np.array([c.positives for c in counts])
    y, v, wm = x @ w, x @ w**2, w.max()
    return stats.gamma.ppf(confidence, (y + wm) ** 2 / (v + wm**2), scale=(v + wm**2) / (y + wm))


def test_stratified_upper_limit_never_exceeds_fay_feuer_and_is_close_for_rare_rates():
    ours, gamma = sampling.budget_bound(STRATA), fay_feuer_upper(STRATA)
    assert ours <= gamma
    assert ours == pytest.approx(gamma, rel=0.02)


def test_a_clean_week_shows_only_what_its_least_sampled_stratum_can():
    counts = [StratumCount(c.name, c.population, c.sampled, 0) for c in STRATA]
    total = sum(c.population for c in counts)
    n_star = min(c.sampled * total / c.population for c in counts)
    assert sampling.budget_bound(counts) == pytest.approx(1 - 0.05 ** (1 / n_star))


def test_census_strata_are_known_exactly_and_unreviewed_ones_taken_at_their_worst():
    census = [StratumCount("a", 100, 100, 7), StratumCount("b", 100, 100, 0)]
    assert sampling.budget_bound(census) == pytest.approx(0.035)
    assert sampling.rise_bound(census) == pytest.approx(0.035)
    unreviewed = [StratumCount("a", 900, 300, 0), StratumCount("b", 100, 0, 0)]
    assert sampling.budget_bound(unreviewed) > 0.1  # b's 10% share might be all errors
    assert not sampling.budget_verdict(unreviewed, 0.1)
    assert sampling.rise_bound(unreviewed) == 0.0


def test_more_errors_never_help_the_budget_and_always_help_the_rise():
    base = [StratumCount("bulk", 50_000, 300, 1), StratumCount("risky", 5_000, 150, 1)]
    for h in range(2):
        more = list(base)
        more[h] = StratumCount(base[h].name, base[h].population, base[h].sampled, base[h].positives + 1)
        assert sampling.budget_bound(more) > sampling.budget_bound(base)
        assert sampling.rise_bound(more) > sampling.rise_bound(base)


def test_verdicts_agree_with_their_limits():
    for max_rate in (0.01, 0.02, 0.05, 0.2):
        assert sampling.budget_verdict(STRATA, max_rate) == (sampling.budget_bound(STRATA) < max_rate)
        assert sampling.rise_verdict(STRATA, max_rate / 10) == (sampling.rise_bound(STRATA) > max_rate / 10)


def test_thresholds_above_one_half_are_judged_on_the_complement():
    counts = [StratumCount("a", 5_000, 200, 180), StratumCount("b", 500, 100, 95)]
    flipped = [StratumCount(c.name, c.population, c.sampled, c.sampled - c.positives) for c in counts]
    for t in (0.6, 0.8, 0.85, 0.9):
        assert sampling.budget_verdict(counts, t) == sampling.rise_verdict(flipped, 1 - t)
        assert sampling.rise_verdict(counts, t) == sampling.budget_verdict(flipped, 1 - t)


def test_bad_input_names_the_field():
    with pytest.raises(ValueError, match="max_rate"):
        sampling.budget_verdict(STRATA, 1.5)
    with pytest.raises(ValueError, match="confidence"):
        sampling.rise_verdict(STRATA, 0.01, confidence=0.3)
    with pytest.raises(ValueError, match="verdict"):
        sampling.verdict_chance("maybe", {}, {"a": 1}, {"a": 0.1}, threshold=0.1)
    with pytest.raises(ValueError, match="'b': no rate"):
        sampling.verdict_chance("budget", {"a": 1}, {"a": 10, "b": 10}, {"a": 0.1}, threshold=0.2)
    with pytest.raises(ValueError, match="'a': size"):
        sampling.verdict_chance("budget", {"a": 11}, {"a": 10}, {"a": 0.1}, threshold=0.2)


# --- verdict_chance: exact sum and simulation agree, and both match the verdicts ------------------

POPULATIONS = {"bulk": 60_000, "billing": 15_000, "account": 10_000, "medical": 8_000, "legal": 4_000, "security": 3_000}
SIZES = {"bulk": 240, "billing": 90, "account": 80, "medical": 96, "legal": 80, "security": 60}  # risky at 5x the bulk


def simulate_verdicts(verdict, sizes, populations, rates, threshold, weeks, seed):
    """The verdict functions themselves, on hypergeometric weeks: independent of verdict_chance."""
    rng = np.random.default_rng(seed)
    function = sampling.budget_verdict if verdict == "budget" else sampling.rise_verdict
    names = list(populations)
    bad = {n: round(rates[n] * populations[n]) for n in names}
    draws = {n: rng.hypergeometric(bad[n], populations[n] - bad[n], sizes[n], size=weeks) for n in names}
    hits = sum(function([StratumCount(n, populations[n], sizes[n], int(draws[n][i])) for n in names], threshold)
               for i in range(weeks))
    return hits / weeks


@pytest.mark.parametrize(("verdict", "rate", "threshold"), [("budget", 0.002, 0.01), ("rise", 0.03, 0.01)])
def test_verdict_chance_matches_the_verdicts_applied_to_simulated_weeks(verdict, rate, threshold):
    rates = {n: rate for n in POPULATIONS}
    chance = sampling.verdict_chance(verdict, SIZES, POPULATIONS, rates, threshold=threshold)
    assert 0.2 < chance < 0.95
    assert simulate_verdicts(verdict, SIZES, POPULATIONS, rates, threshold, 3000, seed=5) == pytest.approx(chance, abs=0.03)


def test_exact_sum_and_simulation_agree_within_a_hundredth(monkeypatch):
    cases = [("budget", 0.002, 0.01), ("rise", 0.002, 0.0005), ("budget", 0.001, 0.005)]
    for verdict, rate, threshold in cases:
        rates = {n: rate for n in POPULATIONS}
        exact = V._likely_vectors([V._support(POPULATIONS[n], round(rate * POPULATIONS[n]), SIZES[n]) for n in POPULATIONS])
        assert exact is not None
        summed = sampling.verdict_chance(verdict, SIZES, POPULATIONS, rates, threshold=threshold)
        monkeypatch.setattr(V, "_MOST_VECTORS", -1)
        simulated = sampling.verdict_chance(verdict, SIZES, POPULATIONS, rates, threshold=threshold)
        monkeypatch.undo()
        assert simulated == pytest.approx(summed, abs=0.01)


def test_verdict_chance_is_seeded():
    rates = {n: 0.04 for n in POPULATIONS}
    first = sampling.verdict_chance("rise", SIZES, POPULATIONS, rates, threshold=0.02)
    assert sampling.verdict_chance("rise", SIZES, POPULATIONS, rates, threshold=0.02) == first


# --- the guarantees on risk-allocated designs, errors anywhere -----------------------------------

def placements(populations, sizes, rate):
    """Errors of a week at ``rate``: all in the bulk, all in the most over-sampled strata, spread,
    and all in the smallest stratum (where it can hold them)."""
    total = sum(populations.values())
    names = list(populations)
    fraction = {n: sizes[n] / populations[n] for n in names}
    bulk = min(names, key=lambda n: fraction[n])
    risky = [n for n in names if fraction[n] >= max(fraction.values()) * 0.99]
    found = {"spread": {n: rate for n in names}}
    if rate * total <= populations[bulk]:
        found["bulk"] = {n: (rate * total / populations[bulk] if n == bulk else 0.0) for n in names}
    risky_total = sum(populations[n] for n in risky)
    if rate * total <= risky_total:
        found["risky"] = {n: (rate * total / risky_total if n in risky else 0.0) for n in names}
    return found


DESIGNS = {
    "six strata, risky at 5x": (POPULATIONS, SIZES),
    "five strata, capped at 50": ({"bulk": 7_000, "a": 1_500, "b": 800, "c": 400, "d": 300},
                                  {"bulk": 20, "a": 12, "b": 9, "c": 5, "d": 4}),
    "mid-week: bulk barely reviewed": ({"bulk": 9_000, "x": 500, "y": 500}, {"bulk": 15, "x": 60, "y": 60}),
    "seven strata, large week": ({"bulk": 700_000, "a": 100_000, "b": 80_000, "c": 50_000, "d": 40_000,
                                  "e": 20_000, "f": 10_000}, {"bulk": 350, "a": 80, "b": 70, "c": 55, "d": 45,
                                                              "e": 50, "f": 25}),
}


@pytest.mark.parametrize("design", DESIGNS)
@pytest.mark.parametrize("rate", [0.005, 0.02, 0.1])
@pytest.mark.parametrize("verdict", ["budget", "rise"])
def test_a_week_at_the_threshold_gets_the_verdict_at_most_five_percent_of_the_time(design, rate, verdict):
    """budget: a week at the budget is certified under it; rise: a week at the baseline raises a
    false alarm. Either at most 5% of the time (5.5% allowed), wherever the errors sit."""
    populations, sizes = DESIGNS[design]
    for where, rates in placements(populations, sizes, rate).items():
        true = sum(round(rates[n] * populations[n]) for n in populations) / sum(populations.values())
        chance = sampling.verdict_chance(verdict, sizes, populations, rates, threshold=true)
        assert chance <= 0.055, (where, chance)


def test_the_false_certification_rate_is_checked_independently_on_the_hardest_placement():
    """Errors all in the barely reviewed bulk: the verdict functions on 4,000 simulated weeks."""
    populations, sizes = DESIGNS["mid-week: bulk barely reviewed"]
    rates = placements(populations, sizes, 0.02)["bulk"]
    true = round(rates["bulk"] * populations["bulk"]) / sum(populations.values())
    assert simulate_verdicts("budget", sizes, populations, rates, true, 4000, seed=11) <= 0.055


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 50_000), st.floats(0.001, 0.3), st.floats(0.0, 1.0)), min_size=1, max_size=5),
       st.floats(0.001, 0.4))
def test_limits_bracket_the_estimate(strata, rate):
    counts = []
    for i, (population, fraction, share) in enumerate(strata):
        n = max(1, min(population, round(population * fraction)))
        counts.append(StratumCount(f"s{i}", population, n, min(n, round(n * share * rate * 3))))
    estimate = sampling.estimate_proportion(counts).value
    assert sampling.rise_bound(counts) <= estimate + 1e-12
    assert sampling.budget_bound(counts) >= estimate - 1e-12
