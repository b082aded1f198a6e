"""The plan calculator: sizes follow the goal on the drawn design; every sentence is the library's answer.

Every goal is judged on the plan's own (risk) allocation under the scorecard's verdict rules
(sampling.design, sampling.verdicts). The property test below draws random plans and caps and
recomputes each number of each sentence from sampling/ directly.
"""
from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sampling
from reviewapp.audits import planning
from reviewapp.audits.models import SamplingPlan
from tests.helpers import STRATA

POPULATIONS = {"medical": 600, "high-risk": 180, "billing": 1700, "other": 2900}


def plan(**kwargs) -> SamplingPlan:
    return SamplingPlan(strata=STRATA, **kwargs)


def library_strata(p: SamplingPlan, populations: dict[str, int]) -> list[sampling.Stratum]:
    """The plan's strata, rebuilt independently of planning.plan_strata."""
    rules = {r["name"]: r for r in p.strata}
    names = list(rules) + ["other"]
    return [sampling.Stratum(n, populations.get(n, 0), float(rules.get(n, {}).get("weight", 1.0)),
                             rules.get(n, {}).get("minimum", 0), expected_rate=planning.planning_rate(p))
            for n in names]


def test_a_tighter_budget_needs_more_items():
    loose = planning.figures(plan(goal="budget", max_rate=0.02), POPULATIONS)
    tight = planning.figures(plan(goal="budget", max_rate=0.005), POPULATIONS)
    assert loose.size < tight.size
    strata = library_strata(plan(), POPULATIONS)
    assert tight.required == sampling.size_for_budget(strata, 0.005, good_rate=0.005 / 4, chance=0.8,
                                                      method="floored").total


def test_each_goal_is_sized_on_the_allocation_that_is_drawn():
    p = plan(goal="margin", margin=0.02, expected_rate=0.1)
    assert planning.figures(p, POPULATIONS).required == \
        sampling.size_for_margin(library_strata(p, POPULATIONS), 0.02, expected_rate=0.1, method="floored").total
    p = plan(goal="change", baseline_rate=0.01, alert_rate=0.04)
    fig = planning.figures(p, POPULATIONS)
    assert fig.required == sampling.size_for_rise(library_strata(p, POPULATIONS), 0.01, 0.04, method="floored").total
    assert fig.detection.power >= 0.8


def test_the_risk_allocation_needs_more_than_an_equal_probability_sample_for_a_budget():
    """What the old page promised: 598 clean items (equal probability). The drawn design needs more."""
    fig = planning.figures(plan(goal="budget", max_rate=0.005), POPULATIONS)
    assert fig.clean_needed > sampling.sample_size_for_budget(0.005, population=5380)


def test_new_plans_allocate_on_an_equal_probability_floor():
    assert SamplingPlan().allocation_method == "floored"


@pytest.mark.parametrize("method", ["risk", "floored"])
def test_risk_weights_raise_the_sampling_fraction_of_risky_strata(method):
    fig = planning.figures(plan(goal="budget", max_rate=0.01, allocation_method=method), POPULATIONS)
    fractions = {s.name: s.probability for s in fig.strata}
    assert fractions["medical"] > fractions["billing"] > fractions["other"]
    assert sum(s.size for s in fig.strata) == fig.size


def test_a_capped_budget_says_what_a_clean_week_shows_and_what_it_would_take():
    p = plan(goal="budget", max_rate=0.005, capacity=60, overlap_share=0.2)
    fig = planning.figures(p, POPULATIONS)
    assert fig.capped and fig.size == 50  # 60 reviews / 1.2 reviews per item
    words = " ".join(planning.plain_words(p, fig))
    bound = sampling.clean_week_bound(fig.allocation, POPULATIONS)
    assert bound > 0.05
    assert (f"With 50 items, a clean week (no error found) shows only that the rate is below {planning._pct(bound)}; "
            f"to show it is below 0.50% you need {fig.clean_needed} items.") in words
    assert "below 0.50% with 95% confidence" not in words  # the old, false promise
    assert f"drops from {fig.chance_uncapped:.0%} to {fig.chance:.0%}" in words


def test_the_capacity_cap_binds_and_its_cost_is_shown_for_a_margin():
    uncapped = planning.figures(plan(goal="margin", margin=0.01, expected_rate=0.05), POPULATIONS)
    p = plan(goal="margin", margin=0.01, expected_rate=0.05, capacity=240, overlap_share=0.2)
    capped = planning.figures(p, POPULATIONS)
    assert capped.capped and capped.size == 200 and capped.reviews <= 240
    assert capped.margin > uncapped.margin and capped.margin_uncapped == pytest.approx(uncapped.margin)
    assert any(f"capacity cap cuts the sample from {uncapped.size} to 200" in line
               for line in planning.plain_words(p, capped))


@pytest.mark.parametrize(("power", "words"), [(0.32, "about 1 time in 3"), (0.88, "about 9 times in 10"),
                                              (0.5, "about 1 time in 2"), (0.03, "about 3 times in 100")])
def test_odds_in_words(power, words):
    assert planning.times_in(power) == words


def test_an_empty_week_sizes_nothing():
    fig = planning.figures(plan(), {})
    assert fig.size == 0 and fig.detection is None
    assert "no outputs" in planning.plain_words(plan(), fig)[0]


RATES = st.sampled_from([0.002, 0.005, 0.01, 0.02, 0.05])


@st.composite
def plans(draw):
    goal = draw(st.sampled_from(["budget", "change", "margin"]))
    baseline = draw(RATES)
    strata = [{"name": n, "match": {"category": [n]}, "weight": draw(st.sampled_from([1, 2, 5, 25])),
               "minimum": draw(st.sampled_from([0, 0, 5]))} for n in ("medical", "billing", "legal")]
    capacity = draw(st.one_of(st.none(), st.integers(30, 3000)))
    return dict(  # a dict, not the model: Hypothesis prints its examples, and a plan's repr needs a project
        strata=strata, goal=goal, max_rate=draw(RATES), margin=draw(st.sampled_from([0.01, 0.02, 0.05])),
        expected_rate=draw(RATES), baseline_rate=baseline, alert_rate=baseline * draw(st.sampled_from([2, 3, 4])),
        good_rate=draw(st.one_of(st.none(), st.sampled_from([0.0005, 0.001]))), power=draw(st.sampled_from([0.8, 0.9])),
        confidence=draw(st.sampled_from([0.9, 0.95])), capacity=capacity, overlap_share=0.2, overlap_reviewers=2,
        allocation_method=draw(st.sampled_from(["risk", "neyman", "proportional"])))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans(), st.fixed_dictionaries({"medical": st.integers(0, 3000), "billing": st.integers(0, 30000),
                                       "legal": st.integers(0, 500), "other": st.integers(1, 200_000)}))
def test_every_number_in_the_sentences_is_the_librarys_answer(kwargs, populations):
    p = SamplingPlan(**kwargs)
    if p.good_rate is not None and p.good_rate >= p.max_rate:
        p.good_rate = None
    fig = planning.figures(p, populations)
    words = " ".join(planning.plain_words(p, fig))
    strata = library_strata(p, populations)
    total = sum(populations.values())
    required = {"budget": lambda: sampling.size_for_budget(
                    strata, p.max_rate, good_rate=p.good_rate if p.good_rate is not None else p.max_rate / 4,
                    chance=p.power, confidence=p.confidence, method=p.allocation_method),
                "change": lambda: sampling.size_for_rise(strata, p.baseline_rate, p.alert_rate, power=p.power,
                                                         confidence=p.confidence, method=p.allocation_method),
                "margin": lambda: sampling.size_for_margin(strata, p.margin, expected_rate=p.expected_rate,
                                                           confidence=p.confidence, method=p.allocation_method)}[p.goal]()
    assert fig.required == required.total
    allocation = sampling.allocate(fig.size, strata, method=p.allocation_method)
    assert fig.allocation == allocation
    assert words.startswith(f"{fig.size} of {total:,} outputs will be reviewed")
    if fig.capped:
        assert fig.size < min(required.total, total) and fig.reviews <= p.capacity or fig.problems
    if not fig.size:
        return
    pct = planning._pct
    power = sampling.rise_power(allocation, strata, p.baseline_rate, p.alert_rate, confidence=p.confidence)
    assert (f"If the rate rises from {pct(p.baseline_rate)} to {pct(p.alert_rate)} (errors spread evenly), the audit "
            f"shows a rise {planning.times_in(power)} ({power:.0%} chance)") in words
    margin = sampling.margin_of_allocation(allocation, populations, expected_rate=planning.planning_rate(p),
                                           confidence=p.confidence)
    if margin == float("inf"):
        assert "Some stratum gets no items" in words
    else:
        assert f"within ±{pct(margin)} ({p.confidence:.0%} confidence)" in words
    if p.goal == "budget":
        good = p.good_rate if p.good_rate is not None else p.max_rate / 4
        chance = sampling.budget_chance(allocation, strata, p.max_rate, good, confidence=p.confidence)
        assert (f"If the week's error rate is {pct(good)} or less (errors spread evenly over the strata), the audit "
                f"shows it is under the {pct(p.max_rate)} budget {planning.times_in(chance)} ({chance:.0%} chance)."
                ) in words
        bound = sampling.clean_week_bound(allocation, populations, confidence=p.confidence)
        assert f"a clean week (no error found) shows{' only that' if bound >= p.max_rate else ''} the rate is below " \
               f"{pct(bound)}" in words
        if bound >= p.max_rate:
            needed = sampling.size_for_clean_week(strata, p.max_rate, confidence=p.confidence,
                                                  method=p.allocation_method).total
            assert f"you need {needed} items" in words
    for number in re.findall(r"(\d+)% chance", words):
        assert 0 <= int(number) <= 100
