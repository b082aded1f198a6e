"""Sizing for the drawn design: each goal met by the allocation itself, under the verdict rules.

Published anchors, on one stratum (where the design-based sizes must fall back to the textbook
ones): the rule of three, 598 clean items for 0.5% at 95% (Hanley & Lippman-Hand 1983, JAMA
249:1743-5); the exact one-sided binomial test of 0.5% against 1.5% at 80% power, 604 items
(Chernick & Liu 2002, Am. Stat. 56:149-155, their "nominal" n); Cochran's margin
(1977, 4.4): +/-5% at 95% and p = 0.5 takes 385 items. Cross-checks: statsmodels/scipy through
the equal-probability functions of sampling.sizing, and direct simulation of the verdicts.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sampling
from sampling import Stratum, StratumCount

BIG = 10_000_000


def risky_week(total: int = 100_000) -> list[Stratum]:
    shares = {"bulk": 0.6, "billing": 0.15, "account": 0.1, "medical": 0.08, "legal": 0.04, "security": 0.03}
    weights = {"bulk": 1, "billing": 2, "account": 3, "medical": 25, "legal": 25, "security": 25}
    return [Stratum(n, round(total * s), weights[n]) for n, s in shares.items()]


def test_one_stratum_clean_week_is_the_rule_of_three():
    assert sampling.size_for_clean_week([Stratum("all", BIG)], 0.005).total == 598
    assert sampling.size_for_clean_week([Stratum("all", BIG)], 0.01).total == 299


def test_one_stratum_rise_matches_the_exact_binomial_test():
    sized = sampling.size_for_rise([Stratum("all", BIG)], 0.005, 0.015)
    # The saw-tooth of exact power allows a few items either way of the nominal 604.
    assert abs(sized.total - sampling.sample_size_for_change(0.005, 0.015)) <= 10
    exact = sampling.power_of_sample(sized.total, 0.005, 0.015)
    assert exact.power >= 0.8 and sized.achieved == pytest.approx(exact.power, abs=0.01)


def test_one_stratum_margin_is_cochrans():
    assert sampling.size_for_margin([Stratum("all", BIG)], 0.05).total == pytest.approx(385, abs=1)
    assert sampling.size_for_margin([Stratum("all", 10_000)], 0.05).total == pytest.approx(370, abs=1)


def test_the_size_found_is_the_smallest_its_allocation_allows():
    strata = risky_week()
    for sized, check in [
        (sampling.size_for_budget(strata, 0.01), lambda a: sampling.budget_chance(a, strata, 0.01, 0.0025)),
        (sampling.size_for_rise(strata, 0.01, 0.03), lambda a: sampling.rise_power(a, strata, 0.01, 0.03)),
    ]:
        assert sized.met and sized.achieved >= sized.target
        assert check(sized.allocation) == pytest.approx(sized.achieved)
        smaller = sampling.allocate(math.floor(sized.total * 0.97), strata)
        assert check(smaller) < sized.target


def test_risk_over_sampling_costs_items_for_a_budget_claim():
    """The clean-week bound rests on the least-sampled stratum: a risk allocation starves the
    bulk, so it needs more items than a proportional one for the same claim."""
    strata = risky_week()
    risk = sampling.size_for_clean_week(strata, 0.005, method="risk").total
    proportional = sampling.size_for_clean_week(strata, 0.005, method="proportional").total
    assert proportional == pytest.approx(598, abs=2)
    assert risk > proportional


def test_the_floored_allocation_keeps_the_risk_focus_for_fewer_items():
    """docs/sampling.md's comparison: floor each stratum at its equal-probability share, risk on top."""
    strata = risky_week()
    risky = ("medical", "legal", "security")
    for size in (lambda m: sampling.size_for_clean_week(strata, 0.005, method=m),
                 lambda m: sampling.size_for_rise(strata, 0.005, 0.015, method=m)):
        floored, risk, proportional = size("floored"), size("risk"), size("proportional")
        assert proportional.total < floored.total < risk.total
        assert sum(floored.allocation[n] for n in risky) > 2 * sum(proportional.allocation[n] for n in risky)


def test_the_stated_power_is_within_three_points_of_simulated():
    """The plan's power, and the budget chance, against the verdicts run on simulated weeks."""
    strata = risky_week(40_000)
    populations = {s.name: s.population for s in strata}
    rng = np.random.default_rng(7)
    for sized, verdict, rate, threshold in [
        (sampling.size_for_rise(strata, 0.01, 0.03), sampling.rise_verdict, 0.03, 0.01),
        (sampling.size_for_budget(strata, 0.02, good_rate=0.005), sampling.budget_verdict, 0.005, 0.02),
    ]:
        hits, weeks = 0, 1500
        bad = {n: round(rate * populations[n]) for n in populations}
        draws = {n: rng.hypergeometric(bad[n], populations[n] - bad[n], sized.allocation[n], size=weeks)
                 for n in populations}
        for i in range(weeks):
            counts = [StratumCount(n, populations[n], sized.allocation[n], int(draws[n][i])) for n in populations]
            hits += verdict(counts, threshold)
        assert hits / weeks == pytest.approx(sized.achieved, abs=0.03)


def test_an_unreachable_goal_says_so():
    """100 outputs at 0.8% hold one error: even the whole week shows a rate of 1%, not under it."""
    sized = sampling.size_for_budget([Stratum("all", 100)], 0.01, good_rate=0.008)
    assert not sized.met and sized.total == 100 and sized.achieved == 0


def test_spread_rates_keeps_the_overall_rate():
    strata = [Stratum("a", 1000, expected_rate=0.01), Stratum("b", 3000, expected_rate=0.04)]
    rates = sampling.spread_rates(strata, 0.02)
    assert (rates["a"] * 1000 + rates["b"] * 3000) / 4000 == pytest.approx(0.02)
    assert rates["b"] / rates["a"] == pytest.approx(4)
    assert sampling.spread_rates([Stratum("a", 10), Stratum("b", 20)], 0.03) == {"a": 0.03, "b": 0.03}


@settings(max_examples=15, deadline=None)
@given(st.lists(st.tuples(st.integers(50, 200_000), st.sampled_from([1, 2, 5, 25])), min_size=1, max_size=6),
       st.sampled_from([0.005, 0.01, 0.05]))
def test_clean_week_size_shows_the_budget_and_one_less_does_not(strata, max_rate):
    strata = [Stratum(f"s{i}", n, w) for i, (n, w) in enumerate(strata)]
    sized = sampling.size_for_clean_week(strata, max_rate)
    populations = {s.name: s.population for s in strata}
    if not sized.met:
        assert sized.total == sum(populations.values())
        return
    assert sampling.clean_week_bound(sized.allocation, populations) < max_rate
    if sized.total > 1:
        fewer = sampling.allocate(sized.total - 1, strata)
        assert sampling.clean_week_bound(fewer, populations) >= max_rate or sized.total - 1 < sum(
            min(s.minimum, s.population) for s in strata)
