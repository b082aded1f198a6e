"""The judge in the product: the scorecard and week pages show the judge-assisted estimate beside the
human-only one with what the judge is worth; a complete week's status comes from it, a week in
progress keeps the reviews-alone rule; the plan page sizes with the judge as sampling does."""
from __future__ import annotations

import csv
import html
import io
from datetime import UTC, datetime
from unittest import mock

import pytest
from django.urls import reverse

import sampling
from reviewapp.audits import planning
from reviewapp.audits.actions import populations, previous_week
from reviewapp.audits.models import SamplingPlan
from reviewapp.ingest.models import Evaluator
from reviewapp.metrics import judge_sizing
from reviewapp.metrics.actions import refresh
from reviewapp.metrics.catalogue import rates
from reviewapp.metrics.models import ScorecardMetric
from reviewapp.metrics.report import JudgedRate, JudgedStratumRow, RunReport, WeightedEstimate
from reviewapp.metrics.scorecard import FINAL, judge_verdict, lines, verdict
from reviewapp.review.models import LabelSchema
from sampling import StratumCount
from tests.helpers import POPULATION, make_user, week
from tests.metrics.test_judging import judge_says_fail, judged_week, mapping
from tests.metrics.test_scorecard import FakeRun

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)  # the week after tests.helpers.WEEK: the plan page sizes for it


@pytest.fixture
def lead(project_a):
    return make_user("lead", project_a, role="qa_lead")


def mapped_week(project, reviewer, *, evaluator_name: str | None = None):
    run = judged_week(project, reviewer)
    mapping(project)
    if evaluator_name is not None:
        Evaluator.objects.filter(project=project).update(name=evaluator_name)
    refresh(run)
    return run


# The scorecard and week pages

@pytest.mark.django_db
def test_the_scorecard_shows_the_judge_assisted_estimate_and_its_gain_for_the_mapped_rate_only(client, project_a,
                                                                                              alice, lead):
    run = mapped_week(project_a, alice)
    judged = RunReport.from_json(run.metrics.data).judged["verdict:failure"]
    assert judged.used and judged.gain and judged.gain >= 1
    client.force_login(lead)
    page = client.get(reverse("reviewapp:scorecard", args=["support"])).content.decode()
    e = judged.estimate
    assert f"With groundedness-judge v3: <strong>{e.value * 100:.2f} %</strong>" in page
    assert f"[{e.lower * 100:.2f} %, {e.upper * 100:.2f} %]" in page
    assert f"groundedness-judge v3 is worth {round(judged.gain)} extra reviews this week." in page
    assert page.count("With groundedness-judge v3") == 1  # the default scorecard's other lines have no judge
    assert page.count('class="judged') == 1
    assert "Judge used in " + ", ".join(row.name for row in judged.strata if row.used) in page


@pytest.mark.django_db
def test_the_week_page_shows_it_beside_the_rate_and_no_other(client, project_a, alice, lead):
    run = mapped_week(project_a, alice)
    judged = RunReport.from_json(run.metrics.data).judged["verdict:failure"]
    client.force_login(lead)
    page = client.get(reverse("reviewapp:run-metrics", args=["support", run.iso_year, run.iso_week])).content.decode()
    assert page.count('class="judged') == 1
    assert f"groundedness-judge v3 is worth {round(judged.gain)} extra reviews this week." in page
    row = next(line for line in page.split("<tr>") if 'class="judged' in line)
    assert row.startswith("<td>Error rate (failure)</td>")


@pytest.mark.django_db
def test_the_evaluator_name_is_escaped(client, project_a, alice, lead):
    run = mapped_week(project_a, alice, evaluator_name="<b>j</b>")
    client.force_login(lead)
    for url in (reverse("reviewapp:scorecard", args=["support"]),
                reverse("reviewapp:run-metrics", args=["support", run.iso_year, run.iso_week])):
        page = client.get(url).content.decode()
        assert "<b>j</b>" not in page
        assert "&lt;b&gt;j&lt;/b&gt; v3 is worth" in page


@pytest.mark.django_db
def test_a_judge_not_used_says_why(client, project_a, alice, lead):
    run = judged_week(project_a, alice, skip=lambda external_id: int(external_id[1:]) % 10 == 3)
    mapping(project_a)
    refresh(run)
    judged = RunReport.from_json(run.metrics.data).judged["verdict:failure"]
    assert not judged.used
    client.force_login(lead)
    page = html.unescape(client.get(reverse("reviewapp:scorecard", args=["support"])).content.decode())
    assert "groundedness-judge v3 was not used this week" in page
    for name, reason in judged.fallback.items():
        assert f"{name}: {reason}" in page
    assert "extra review" not in page
    assert "status from the reviews alone (the judge was not used in any stratum this week)" in page


# The status

def judged_json(low: float, high: float, *, used: bool = True, evaluator: str = "groundedness-judge v3") -> dict:
    estimate = WeightedEstimate((low + high) / 2, 0.01, low, high, 900.0, 0.95, 300, 9, "clopper-pearson", 200, 10000,
                                high)
    return JudgedRate("verdict:failure", 1, evaluator, estimate, 300.0, low, high,
                      tuple(JudgedStratumRow(name, n, n, 30, 0.1 if used else None, used)
                            for name, n in POPULATION.items()), {}, None).to_json()


def line_for(project, data: dict, metric="verdict:failure", **config):
    ScorecardMetric.objects.create(project=project, metric=metric, **config)
    return lines(project, [(FakeRun("2026-W47"), RunReport.from_json(data))], {"medical": 5.0, "general": 1.0})[0]


ERRORS = {"medical": (2, 40), "general": (2, 40)}  # 80 reviews of 10,000 outputs: the reviews alone show little


def counts(errors=ERRORS) -> list[StratumCount]:
    return [StratumCount(name, POPULATION[name], n, x) for name, (x, n) in errors.items()]


@pytest.mark.django_db
@pytest.mark.parametrize("low, high, expected", [(0.01, 0.03, "within"), (0.06, 0.09, "critical"),
                                                 (0.03, 0.07, "unshown")])
def test_a_complete_week_is_decided_by_the_judge_assisted_bounds(project_a, low, high, expected):
    assert verdict(counts(), 0.05, higher_is_better=False, confidence=0.95)[0] == "unshown"
    line = line_for(project_a, week(ERRORS) | {"judged": {"verdict:failure": judged_json(low, high)}}, threshold=0.05)
    assert line.status == expected and line.finality == FINAL
    assert line.status_from == "judge"
    assert line.status_source == "status from the judge-assisted estimate (groundedness-judge v3)"
    if expected == "within":
        assert line.explanation == "shown to be under 5.0 %: the rate is below 3.0 % with 95% confidence"
    if expected == "critical":
        assert line.explanation == "shown to be above 5.0 %: the rate is above 6.0 % with 95% confidence"


@pytest.mark.django_db
def test_mid_week_the_reviews_alone_decide(project_a):
    data = week(ERRORS, drawn={"medical": 60, "general": 60}) | {"judged": {"verdict:failure": judged_json(0.01, 0.03)}}
    line = line_for(project_a, data, threshold=0.05)
    assert line.status == "unshown" and line.status_from == "reviews"
    assert line.status_source.startswith("status from the reviews alone (mid-week")


@pytest.mark.django_db
def test_a_stratum_without_final_labels_leaves_the_status_to_the_reviews(project_a):
    errors = {"medical": (2, 40)}
    data = week(errors, drawn={"medical": 40, "general": 0}) | {"judged": {"verdict:failure": judged_json(0.01, 0.03)}}
    data["strata"][1]["drawn"] = 0
    line = line_for(project_a, data, threshold=0.05)
    assert line.status_from == "reviews"
    assert line.status_source == "status from the reviews alone (no final label in general)"


@pytest.mark.django_db
def test_where_higher_is_better_the_judge_rule_is_mirrored(project_a):
    good = {"medical": (36, 40), "general": (37, 40)}
    data = week(good, "verdict:success", higher_is_better=True)
    data["judged"] = {"verdict:success": judged_json(0.80, 0.88) | {"rate": "verdict:success"}}
    line = line_for(project_a, data, "verdict:success", threshold=0.75)
    assert line.status == "within" and line.verdict == "above the minimum (shown)" and line.status_from == "judge"
    assert line.explanation == "shown to be above 75.0 %: the rate is above 80.0 % with 95% confidence"
    judged = JudgedRate.from_json(judged_json(0.60, 0.70))
    assert judge_verdict(judged, 0.75, higher_is_better=True)[0] == "critical"
    assert judge_verdict(judged, 0.65, higher_is_better=True)[0] == "unshown"


@pytest.mark.django_db
def test_a_week_with_no_judge_says_the_reviews_decided(project_a):
    line = line_for(project_a, week(ERRORS), threshold=0.05)
    assert line.status_from == "reviews" and line.status_source == "status from the reviews alone"


@pytest.mark.django_db
def test_the_csv_and_the_api_say_which_estimate_decided(client, project_a, alice, lead):
    mapped_week(project_a, alice)
    client.force_login(lead)
    rows = list(csv.DictReader(io.StringIO(
        client.get(reverse("reviewapp:scorecard", args=["support"]), {"_export": "csv"}).content.decode())))
    by_metric = {row["metric"]: row["status_from"] for row in rows}
    assert by_metric["verdict:failure"] == "judge"  # the week is complete and the judge was used
    assert {value for key, value in by_metric.items() if key != "verdict:failure"} == {"reviews"}


# The plan page

def sizing_plan(project):
    plan = SamplingPlan.current(project)
    plan.goal, plan.expected_rate, plan.margin = "margin", 0.2, 0.05
    return plan


def expected_sizing(project, plan) -> tuple[int, int, float, int, list[float] | None, dict[str, float]]:
    """What sampling says, computed here from the same reviewed items the page should use."""
    counts_ = populations(project, plan, previous_week(plan, NOW))
    fig = planning.figures(plan, planning.what_if_populations(plan, counts_, sum(counts_.values())))
    rate = rates(LabelSchema.current(project).rubric)["verdict:failure"]
    human, judge = {}, {}
    for run in project.audit_runs.all():
        for item in run.items.filter(gold__isnull=False).select_related("output", "gold"):
            human.setdefault(item.stratum, []).append(float(rate.test(item.gold.answers)))
            judge.setdefault(item.stratum, []).append(float(judge_says_fail(item.output.external_id)))
    factors = {name: sampling.judge_variance_factor(human[name], judge[name]) for name in human}
    strata = planning.plan_strata(plan, fig.populations)
    common = {"expected_rate": planning.planning_rate(plan), "confidence": plan.confidence}
    alone = sampling.size_for_margin(strata, fig.margin, method=plan.allocation_method, **common).total
    judged = sampling.size_for_margin_with_judge(strata, fig.margin, factors, method=plan.allocation_method,
                                                 **common).total
    capped = None
    if fig.capped:
        capped = [fig.margin, sampling.margin_with_judge(fig.allocation, fig.populations, factors, **common)]
    return alone, judged, fig.margin, sum(map(len, human.values())), capped, factors


@pytest.mark.django_db
def test_judge_sizing_is_sampling_s_on_past_reviewed_items(project_a, alice):
    mapped_week(project_a, alice)
    plan = sizing_plan(project_a)
    alone, judged, margin, items, _, factors = expected_sizing(project_a, plan)
    counts_ = populations(project_a, plan, previous_week(plan, NOW))
    fig = planning.figures(plan, counts_)
    [sizing] = judge_sizing.plan_sizings(project_a, plan, fig)
    assert (sizing.human_total, sizing.judge_total, sizing.items, sizing.weeks) == (alone, judged, items, 1)
    assert sizing.judge_total < sizing.human_total  # a judge this good saves reviews
    # The draw keys come from the project's random secret, so which items a stratum holds varies between
    # runs: a stratum that drew too few failures to measure the judge on says 1 (nothing), as sampling does.
    assert sizing.factors == pytest.approx(factors)
    assert min(sizing.factors.values()) < 1
    assert sizing.sentences[0] == (f"With groundedness-judge v3 (measured on {items} reviewed items of the last week) "
                                   f"you need {judged} reviewed items instead of {alone} for "
                                   f"±{judge_sizing._pct(margin)}.")


@pytest.mark.django_db
def test_the_plan_page_sizes_with_the_judge_and_prices_the_cap(client, project_a, alice, lead):
    mapped_week(project_a, alice)
    plan = sizing_plan(project_a)
    plan.capacity = 60
    plan.save()
    alone, judged, margin, items, capped, _ = expected_sizing(project_a, plan)
    assert capped is not None and capped[1] < capped[0]
    client.force_login(lead)
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        page = html.unescape(client.get(reverse("reviewapp:plan-edit", args=["support"])).content.decode())
    assert (f"With groundedness-judge v3 (measured on {items} reviewed items of the last week) you need {judged} "
            f"reviewed items instead of {alone} for ±{judge_sizing._pct(margin)}.") in page
    assert (f"The cap leaves ±{judge_sizing._pct(capped[0])} from the reviews alone, "
            f"±{judge_sizing._pct(capped[1])} with groundedness-judge v3.") in page


@pytest.mark.django_db
def test_the_plan_page_says_nothing_without_a_mapping_and_why_with_too_few_items(client, project_a, alice, lead):
    judged_week(project_a, alice)
    client.force_login(lead)
    url = reverse("reviewapp:plan-edit", args=["support"])
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        assert "With a judge" not in client.get(url).content.decode()
    mapping(project_a)
    Evaluator.objects.filter(project=project_a).first().evaluations.all().delete()
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        page = client.get(url).content.decode()
    assert ("groundedness-judge v3 (Error rate (failure)): only 0 reviewed items with its value in the last 4 weeks, "
            "too few to size with it.") in page



@pytest.mark.django_db
def test_a_plan_at_a_rare_rate_says_why_the_judge_does_not_help(project_a, alice):
    mapped_week(project_a, alice)
    plan = sizing_plan(project_a)
    plan.expected_rate = 0.01  # 1 %: no stratum of this plan expects 5 errors
    fig = planning.figures(plan, populations(project_a, plan, previous_week(plan, NOW)))
    [sizing] = judge_sizing.plan_sizings(project_a, plan, fig)
    assert sizing.judge_total == sizing.human_total
    assert "too few errors (or non-errors) per stratum" in sizing.sentences[0]
