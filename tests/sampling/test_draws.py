"""draw(): reproducible SRSWOR within strata, order-independent, with n_h / N_h inclusion probabilities."""
from __future__ import annotations

import random
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from sampling import draw, draw_key

UNITS = {"medical": [f"m{i}" for i in range(40)], "general": [f"g{i}" for i in range(200)]}


def test_the_same_seed_gives_the_same_sample():
    assert draw(UNITS, {"medical": 5, "general": 10}, seed=7) == draw(UNITS, {"medical": 5, "general": 10}, seed=7)


def test_the_key_is_the_top_60_bits_of_the_md5_of_secret_seed_and_unit():
    """Pinned: md5('s3cret:2026:out-1') = 83904d32b8af0012d96cd90c4b51a909 (PostgreSQL's md5() agrees)."""
    assert draw_key("out-1", seed=2026, secret="s3cret") == 0x83904d32b8af001


def test_a_known_sample_stays_known():
    """Pinned ids: a change to the keying would silently change every audit, so it must show up here."""
    sample = draw({"s": [f"u{i}" for i in range(20)]}, {"s": 3}, seed=2026)
    assert [d.unit for d in sample] == ["u3", "u14", "u18"]


def test_another_seed_gives_another_sample():
    a = {d.unit for d in draw(UNITS, {"general": 20}, seed=1)}
    b = {d.unit for d in draw(UNITS, {"general": 20}, seed=2)}
    assert a != b


def test_the_secret_changes_the_sample():
    a = {d.unit for d in draw(UNITS, {"general": 20}, seed=1)}
    b = {d.unit for d in draw(UNITS, {"general": 20}, seed=1, secret="project-secret")}
    assert a != b


def test_inclusion_probability_is_n_over_N_and_a_small_stratum_is_taken_whole():
    sample = draw(UNITS, {"medical": 50, "general": 10}, seed=3)
    by_stratum = Counter(d.stratum for d in sample)
    assert by_stratum == {"medical": 40, "general": 10}
    assert {d.inclusion_probability for d in sample if d.stratum == "medical"} == {1.0}
    assert {d.inclusion_probability for d in sample if d.stratum == "general"} == {10 / 200}
    assert all(d.weight == 1 / d.inclusion_probability for d in sample)


def test_an_empty_stratum_or_allocation_draws_nothing():
    assert draw({"a": [], "b": ["x"]}, {"a": 3}, seed=1) == []


def test_keys_spread_evenly():
    """A chi-square goodness-of-fit over 20 bins of 20,000 keys (P > 0.001 expected unless keys are skewed)."""
    keys = [draw_key(f"id-{i}", seed=1, secret="k") for i in range(20_000)]
    assert all(0 <= k < 2**60 for k in keys)
    counts = Counter(k * 20 // 2**60 for k in keys)
    assert stats.chisquare([counts[b] for b in range(20)]).pvalue > 0.001


@settings(max_examples=100, deadline=None)
@given(
    units=st.lists(st.text(min_size=1, max_size=8), min_size=0, max_size=60, unique=True),
    n=st.integers(0, 80),
    seed=st.integers(0, 10**6),
    shuffle_seed=st.integers(0, 1000),
)
def test_order_does_not_matter_and_sizes_are_exact(units, n, seed, shuffle_seed):
    shuffled = list(units)
    random.Random(shuffle_seed).shuffle(shuffled)
    a = draw({"s": units}, {"s": n}, seed=seed)
    b = draw({"s": shuffled}, {"s": n}, seed=seed)
    assert a == b
    assert len(a) == min(n, len(units))
    assert len({d.unit for d in a}) == len(a)
    assert all(d.unit in set(units) for d in a)


def test_empirical_inclusion_frequencies_match_n_over_N():
    """Over 4,000 seeds each of 30 units is drawn with probability 6/30 = 0.2; the counts must fit a
    binomial(4000, 0.2) per unit (chi-square over units, P > 0.001)."""
    units = [f"unit-{i}" for i in range(30)]
    seeds = 4000
    counts = Counter(d.unit for seed in range(seeds) for d in draw({"s": units}, {"s": 6}, seed=seed))
    observed = [counts[u] for u in units]
    assert sum(observed) == 6 * seeds
    assert stats.chisquare(observed).pvalue > 0.001
    assert all(abs(c / seeds - 0.2) < 0.035 for c in observed)


def test_pairs_are_drawn_together_as_often_as_srswor_says():
    """Under SRSWOR P(i and j both drawn) = n(n-1) / (N(N-1)) = 2/45 for n = 3, N = 10."""
    units = [f"u{i}" for i in range(10)]
    seeds = 6000
    together = sum(1 for seed in range(seeds) if {"u0", "u1"} <= {d.unit for d in draw({"s": units}, {"s": 3}, seed=seed)})
    expected = seeds * 3 * 2 / (10 * 9)
    assert abs(together - expected) < 4 * (expected * (1 - 2 / 45)) ** 0.5
