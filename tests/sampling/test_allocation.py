"""allocate(): published allocations, and properties that must hold for any input."""
from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sampling import Stratum, allocate

HALLS = [Stratum("A", 400, expected_rate=0.9), Stratum("B", 300, expected_rate=0.8),
         Stratum("C", 100, expected_rate=0.5), Stratum("D", 200, expected_rate=0.2)]


def test_neyman_for_proportions_halls_of_residence():
    """Royal Statistical Society Higher Certificate exam (stratified sampling): 1,000 students in halls of
    400/300/100/200 with guessed walker proportions .9/.8/.5/.2, n = 100. Neyman: n_h proportional to
    N_h sqrt(p_h q_h) = 120, 120, 50, 80 (sum 370) -> 32.4, 32.4, 13.5, 21.6 -> 32, 32, 14, 22."""
    assert allocate(100, HALLS, method="neyman") == {"A": 32, "B": 32, "C": 14, "D": 22}


def test_proportional_for_the_same_halls():
    """Same exam question, proportional allocation: 40, 30, 10, 20."""
    assert allocate(100, HALLS, method="proportional") == {"A": 40, "B": 30, "C": 10, "D": 20}


def test_neyman_with_standard_deviations():
    """Exam question (strata of 500/300/200 with sigma 1/5/5, n = 10): stratum 2 gets
    10 * 1500 / 3000 = 5 (shares N_h S_h = 500, 1500, 1000)."""
    assert allocate(10, [Stratum("1", 500, sd=1), Stratum("2", 300, sd=5), Stratum("3", 200, sd=5)],
                    method="neyman") == {"1": 2, "2": 5, "3": 3}


def test_risk_weighting_scales_the_neyman_share_by_the_root_of_the_weight():
    """Weight 4 doubles a stratum's share: equal strata 100/100 with weights 4 and 1 split 2:1."""
    strata = [Stratum("medical", 1000, weight=4.0), Stratum("general", 1000, weight=1.0)]
    assert allocate(300, strata, method="risk") == {"medical": 200, "general": 100}
    assert allocate(300, strata, method="neyman") == {"medical": 150, "general": 150}


def test_a_small_stratum_is_capped_and_the_rest_reshared():
    strata = [Stratum("tiny", 5, weight=1e6), Stratum("big", 10_000)]  # its ideal share is 33
    assert allocate(100, strata) == {"tiny": 5, "big": 95}


def test_minimums_are_met_and_the_rest_follows_the_shares():
    strata = [Stratum("legal", 200, minimum=30), Stratum("general", 20_000)]
    result = allocate(100, strata, method="proportional")
    assert result == {"legal": 30, "general": 70}


def test_the_whole_population_when_it_is_smaller_than_the_total():
    assert allocate(500, [Stratum("a", 10), Stratum("b", 20)]) == {"a": 10, "b": 20}


def test_minimums_above_the_total_are_refused():
    with pytest.raises(ValueError, match="minimums add up to 60"):
        allocate(50, [Stratum("a", 100, minimum=30), Stratum("b", 100, minimum=30)])


def test_a_zero_spread_stratum_gets_only_its_minimum():
    strata = [Stratum("clean", 1000, expected_rate=0.0, minimum=10), Stratum("noisy", 1000, expected_rate=0.2)]
    assert allocate(100, strata, method="neyman") == {"clean": 10, "noisy": 90}


def test_unknown_method_and_duplicate_names_are_refused():
    with pytest.raises(ValueError, match="method"):
        allocate(10, HALLS, method="equal")
    with pytest.raises(ValueError, match="unique"):
        allocate(10, [Stratum("a", 5), Stratum("a", 5)])


strata_lists = st.lists(
    st.builds(
        Stratum,
        name=st.text(min_size=1, max_size=6),
        population=st.integers(0, 5000),
        weight=st.floats(0.1, 20),
        minimum=st.integers(0, 60),
        expected_rate=st.one_of(st.none(), st.floats(0, 1)),
    ),
    min_size=1,
    max_size=8,
    unique_by=lambda s: s.name,
)


@settings(max_examples=300, deadline=None)
@given(total=st.integers(0, 4000), strata=strata_lists,
       method=st.sampled_from(["proportional", "neyman", "risk", "floored"]))
def test_allocations_add_up_and_respect_every_bound(total, strata, method):
    target = min(total, sum(s.population for s in strata))
    floors = sum(min(s.minimum, s.population) for s in strata)
    if floors > target:
        with pytest.raises(ValueError):
            allocate(total, strata, method=method)
        return
    result = allocate(total, strata, method=method)
    assert list(result) == [s.name for s in strata]
    assert sum(result.values()) == target
    for s in strata:
        assert min(s.minimum, s.population) <= result[s.name] <= s.population


@settings(max_examples=200, deadline=None)
@given(total=st.integers(1, 3000), strata=strata_lists)
def test_without_bounds_binding_the_sizes_are_within_one_of_the_exact_shares(total, strata):
    strata = [Stratum(s.name, s.population, s.weight, 0, s.expected_rate) for s in strata]
    result = allocate(total, strata, method="proportional")
    population = sum(s.population for s in strata)
    if population == 0 or total >= population:
        return
    for s in strata:
        exact = total * s.population / population
        assert math.floor(exact) <= result[s.name] <= math.ceil(exact)


def test_floored_gives_every_stratum_at_least_its_equal_probability_share_and_risk_on_top():
    """max(N_h / N, a_h / A) shares: the bulk keeps the fraction an equal-probability sample of the
    same total would give it (what a budget claim rests on), the risky strata get their risk share."""
    strata = [Stratum("bulk", 60_000, 1), Stratum("billing", 15_000, 2), Stratum("medical", 4_000, 25),
              Stratum("legal", 3_000, 25)]
    total = 800
    population = sum(s.population for s in strata)
    floored, risk = allocate(total, strata, method="floored"), allocate(total, strata, method="risk")
    proportional = allocate(total, strata, method="proportional")
    a = {s.name: math.sqrt(s.weight) * s.population for s in strata}
    shares = {s.name: max(s.population / population, a[s.name] / sum(a.values())) for s in strata}
    for s in strata:
        assert abs(floored[s.name] - total * shares[s.name] / sum(shares.values())) <= 1
    assert risk["bulk"] < proportional["bulk"]  # what pure risk allocation does to the bulk ...
    # ... and what the floor keeps: the bulk's fraction at least its equal-probability fraction of
    # the base, every risky stratum at least its proportional share.
    assert floored["bulk"] / 60_000 >= total / sum(shares.values()) / population * 0.99
    assert floored["medical"] > proportional["medical"] and floored["legal"] > proportional["legal"]
