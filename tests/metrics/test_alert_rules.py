"""The error-rate line's alert rules: mid-week sequential_rise per stratum, week close rise_verdict."""
from __future__ import annotations

import pytest

from reviewapp.metrics.alert_rules import (
    MIDWEEK_RISK,
    WEEK_CLOSE_CONFIDENCE,
    midweek_alerts,
    week_close_alert,
)
from reviewapp.metrics.models import ScorecardMetric
from reviewapp.metrics.report import RunReport
from sampling import StratumCount, rise_verdict, sequential_rise
from tests.helpers import POPULATION, week


def boundary(stratum: str, n: int) -> int:
    """The fewest errors among n reviewed items of the stratum that alert, with both strata watched."""
    counts = [StratumCount(name, POPULATION[name], n if name == stratum else 0, 0) for name in POPULATION]
    found = sequential_rise(counts, 0.01, 0.03, alpha=MIDWEEK_RISK)
    return next(s.boundary for s in found.strata if s.name == stratum)


@pytest.fixture
def error_line(project_a):
    return ScorecardMetric.objects.create(project=project_a, metric="verdict:failure", threshold=0.03,
                                          guardrail=0.02, baseline=0.01)


@pytest.mark.django_db
def test_a_stratum_at_its_boundary_alerts_mid_week_with_the_rule_in_words(project_a, error_line):
    errors = boundary("medical", 60)
    report = RunReport.from_json(week({"medical": (errors, 60), "general": (1, 50)},
                                      drawn={"medical": 100, "general": 200}))
    [alert] = midweek_alerts(project_a, report)
    assert (alert.metric, alert.stratum, alert.n, alert.errors, alert.boundary) == (
        "verdict:failure", "medical", 60, errors, errors)
    assert (alert.baseline, alert.alert_rate, alert.strata) == (0.01, 0.03, 2)
    assert alert.rule == (
        f"medical: {errors} errors in 60 reviewed items; Wald's sequential test (baseline 1 %, alert rate 3 %, "
        "2.5 % false-alarm risk a week split over 2 strata) already shows the rate above the baseline")
    below = RunReport.from_json(week({"medical": (errors - 1, 60), "general": (1, 50)},
                                     drawn={"medical": 100, "general": 200}))
    assert midweek_alerts(project_a, below) == []


@pytest.mark.django_db
def test_a_drawn_stratum_not_reviewed_yet_still_takes_its_share_of_the_risk(project_a, error_line):
    errors = boundary("medical", 60)  # computed with both strata watched
    report = RunReport.from_json(week({"medical": (errors, 60)}, drawn={"medical": 100, "general": 200}))
    [alert] = midweek_alerts(project_a, report)
    assert alert.strata == 2 and alert.errors == errors
    alone = RunReport.from_json(week({"medical": (errors, 60)}, drawn={"medical": 100}))
    assert [a.strata for a in midweek_alerts(project_a, alone)] == [1]  # general drew nothing: not watched


@pytest.mark.django_db
def test_several_strata_alert_strongest_first(project_a, error_line):
    report = RunReport.from_json(week({"medical": (boundary("medical", 60), 60),
                                       "general": (boundary("general", 150) + 3, 150)},
                                      drawn={"medical": 100, "general": 200}))
    assert [a.stratum for a in midweek_alerts(project_a, report)] == ["general", "medical"]


@pytest.mark.django_db
def test_no_error_rate_line_the_test_can_take_no_alert(project_a, error_line):
    report = RunReport.from_json(week({"medical": (30, 60), "general": (40, 100)}))
    error_line.baseline = 0.05  # above the threshold: early stopping's sequential_test refuses it
    error_line.save()
    assert midweek_alerts(project_a, report) == [] and week_close_alert(project_a, report) is None
    error_line.delete()
    ScorecardMetric.objects.create(project=project_a, metric="escalate", threshold=0.05)
    assert midweek_alerts(project_a, report) == [] and week_close_alert(project_a, report) is None


@pytest.mark.django_db
def test_week_close_uses_rise_verdict_on_the_final_counts(project_a, error_line):
    report = RunReport.from_json(week({"medical": (6, 100), "general": (5, 200)}))
    assert report.complete
    counts = [StratumCount("medical", 2000, 100, 6), StratumCount("general", 8000, 200, 5)]
    assert rise_verdict(counts, 0.01, confidence=WEEK_CLOSE_CONFIDENCE)
    alert = week_close_alert(project_a, report)
    assert alert is not None and (alert.metric, alert.n, alert.errors, alert.baseline) == (
        "verdict:failure", 300, 11, 0.01)
    assert 0.01 < alert.lower < alert.estimate and alert.confidence == WEEK_CLOSE_CONFIDENCE
    assert alert.rule.startswith("the week's final counts: 11 errors in 300 reviewed items, an estimated ")
    assert alert.rule.endswith("so above the baseline of 1 %")
    calm = RunReport.from_json(week({"medical": (1, 100), "general": (2, 200)}))
    assert week_close_alert(project_a, calm) is None
    open_week = RunReport.from_json(week({"medical": (6, 100), "general": (5, 200)},
                                         drawn={"medical": 100, "general": 250}))
    assert week_close_alert(project_a, open_week) is None  # items still open: the week has not closed
