"""The plan calculator: sizes follow the goal, minimums, capacity; words say what they mean."""
from __future__ import annotations

import pytest

import sampling
from reviewapp.audits import planning
from reviewapp.audits.models import SamplingPlan
from tests.audits.conftest import STRATA

POPULATIONS = {"medical": 600, "high-risk": 180, "billing": 1700, "other": 2900}


def plan(**kwargs) -> SamplingPlan:
    return SamplingPlan(strata=STRATA, **kwargs)


def test_a_tighter_budget_needs_more_items():
    loose = planning.figures(plan(goal="budget", max_rate=0.02), POPULATIONS)
    tight = planning.figures(plan(goal="budget", max_rate=0.005), POPULATIONS)
    assert loose.size < tight.size
    assert tight.required == sampling.sample_size_for_budget(0.005, population=5380)


def test_each_goal_uses_its_own_formula():
    assert planning.figures(plan(goal="margin", margin=0.02, expected_rate=0.1), POPULATIONS).required == \
        sampling.sample_size_for_margin(0.02, expected_rate=0.1, population=5380)
    assert planning.figures(plan(goal="change", baseline_rate=0.01, alert_rate=0.04), POPULATIONS).required == \
        sampling.sample_size_for_change(0.01, 0.04, population=5380)


def test_risk_weights_raise_the_sampling_fraction_of_risky_strata():
    fig = planning.figures(plan(goal="budget", max_rate=0.01), POPULATIONS)
    fractions = {s.name: s.probability for s in fig.strata}
    assert fractions["medical"] > fractions["billing"] > fractions["other"]
    assert sum(s.size for s in fig.strata) == fig.size


def test_the_capacity_cap_binds_and_its_cost_is_shown():
    uncapped = planning.figures(plan(goal="budget", max_rate=0.005), POPULATIONS)
    capped = planning.figures(plan(goal="budget", max_rate=0.005, capacity=240, overlap_share=0.2), POPULATIONS)
    assert capped.capped and capped.size == 200  # 240 reviews / 1.2 reviews per item
    assert capped.reviews <= 240
    assert capped.margin > uncapped.margin and capped.margin_uncapped == pytest.approx(uncapped.margin)
    words = planning.plain_words(plan(goal="budget", max_rate=0.005, capacity=240), capped)
    assert any("capacity cap cuts the sample from 564 to 200" in line for line in words)


def test_the_plain_words_name_the_odds_of_noticing_a_rise():
    """A 4% budget on 10,000 outputs needs 74 items; the sentence gives their odds of catching 0.5% -> 2%."""
    p = SamplingPlan(strata=[], goal="budget", max_rate=0.04, baseline_rate=0.005, alert_rate=0.02)
    fig = planning.figures(p, {"other": 10_000})
    assert fig.size == 74
    odds = planning.times_in(sampling.power_of_sample(74, 0.005, 0.02).power)
    assert f"With 74 items you will notice a rise from 0.50% to 2.00% {odds}" in " ".join(planning.plain_words(p, fig))


@pytest.mark.parametrize(("power", "words"), [(0.32, "about 1 time in 3"), (0.88, "about 9 times in 10"),
                                              (0.5, "about 1 time in 2"), (0.03, "about 3 times in 100")])
def test_odds_in_words(power, words):
    assert planning.times_in(power) == words


def test_an_empty_week_sizes_nothing():
    fig = planning.figures(plan(), {})
    assert fig.size == 0 and fig.detection is None
    assert "no outputs" in planning.plain_words(plan(), fig)[0]
