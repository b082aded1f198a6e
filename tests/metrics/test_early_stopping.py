"""The run page's early-stopping rule, as a domain function: Wald's SPRT per stratum."""
from __future__ import annotations

import pytest

from reviewapp.metrics.early_stopping import early_stopping
from reviewapp.metrics.models import ScorecardMetric
from reviewapp.metrics.report import RunReport
from sampling import SPRT
from tests.helpers import week


@pytest.mark.django_db
def test_each_stratum_gets_the_sprt_decision_on_its_counts(project_a):
    ScorecardMetric.objects.create(project=project_a, metric="verdict:failure", threshold=0.08, guardrail=0.03)
    report = RunReport.from_json(week({"medical": (0, 60), "general": (9, 100)}))
    found = early_stopping(project_a, report)
    test = SPRT(0.03, 0.08)
    assert (found.p0, found.p1, found.clean_to_accept) == (0.03, 0.08, test.accept_after_clean)
    assert [(s.name, s.n, s.errors, s.decision) for s in found.strata] == [
        ("medical", 60, 0, test.decide(60, 0)), ("general", 100, 9, test.decide(100, 9))]
    assert [s.name for s in found.strata if s.high_risk] == ["medical"]  # general has risk weight 1


@pytest.mark.django_db
def test_the_baseline_is_the_budget_and_limits_the_test_cannot_take_give_nothing(project_a):
    line = ScorecardMetric.objects.create(project=project_a, metric="verdict:failure", threshold=0.08,
                                          guardrail=0.03, baseline=0.01)
    report = RunReport.from_json(week({"medical": (2, 60), "general": (1, 100)}))
    assert early_stopping(project_a, report).p0 == 0.01
    line.baseline = 0.09  # above the threshold
    line.save()
    assert early_stopping(project_a, report) is None
    assert early_stopping(project_a, RunReport.from_json(week({"general": (1, 100)}))) is None  # no medical label


@pytest.mark.django_db
def test_without_an_error_rate_line_there_is_no_test(project_a):
    ScorecardMetric.objects.create(project=project_a, metric="escalate", threshold=0.05)
    assert early_stopping(project_a, RunReport.from_json(week({"medical": (0, 60)}))) is None


@pytest.mark.django_db
def test_a_custom_rubric_s_failing_verdict_is_the_one_tested(project_a):
    from reviewapp.review.models import LabelSchema

    LabelSchema.objects.create(project=project_a, version=2, definition={"questions": [
        {"key": "verdict", "type": "single", "label": "Outcome", "required": True,
         "options": [{"value": "pass"}, {"value": "bad", "means": "failure"}]}]})
    ScorecardMetric.objects.create(project=project_a, metric="verdict:bad", threshold=0.08, guardrail=0.03)
    found = early_stopping(project_a, RunReport.from_json(week({"medical": (0, 60), "general": (1, 100)}, "verdict:bad")))
    assert found is not None and [(s.name, s.decision) for s in found.strata] == [
        ("medical", SPRT(0.03, 0.08).decide(60, 0)), ("general", SPRT(0.03, 0.08).decide(100, 1))]
