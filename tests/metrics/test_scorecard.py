"""Scorecard statuses from weekly estimates: critical, rising (guardrail, change test, CUSUM), within."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from reviewapp.metrics.compute import _estimate, _wilson
from reviewapp.metrics.models import ScorecardMetric
from reviewapp.metrics.scorecard import configured, lines
from sampling import SPRT, StratumCount, binomial_cusum, change_test, estimate_proportion

POPULATION = {"medical": 2000, "general": 8000}


@dataclass
class FakeRun:
    week: str


def week(errors: dict[str, tuple[int, int]], metric: str = "verdict:failure") -> dict:
    """Metrics data of one week: errors = {stratum: (positives, reviewed)}."""
    counts = [StratumCount(name, POPULATION[name], n, x) for name, (x, n) in errors.items()]
    return {"rates": {metric: {"label": "Error rate", "higher_is_better": False,
                               "weighted": _estimate(estimate_proportion(counts)),
                               "naive": _wilson(sum(x for x, _ in errors.values()), sum(n for _, n in errors.values())),
                               "strata": {name: _wilson(x, n) for name, (x, n) in errors.items()}}}}


def card(project, weeks: list[dict], **config):
    ScorecardMetric.objects.create(project=project, metric="verdict:failure", **config)
    runs = [(FakeRun(f"2026-W{40 + i}"), data) for i, data in enumerate(weeks)]
    return lines(project, runs, {"medical": 5.0, "general": 1.0})[0]


@pytest.mark.django_db
def test_a_week_whose_whole_interval_is_over_the_threshold_is_critical(project_a):
    line = card(project_a, [week({"medical": (2, 100), "general": (1, 100)}),
                            week({"medical": (30, 100), "general": (20, 100)})], threshold=0.05, guardrail=0.03)
    assert line.current.estimate["lower"] > 0.05
    assert line.status == "critical"


@pytest.mark.django_db
def test_a_significant_rise_under_the_threshold_is_rising(project_a):
    before, now = week({"medical": (0, 150), "general": (0, 150)}), week({"medical": (6, 150), "general": (5, 150)})
    line = card(project_a, [before, now], threshold=0.20, guardrail=0.15, baseline=0.01)
    change = change_test(*(estimate_proportion([StratumCount(n, POPULATION[n], 150, x) for n, x in counts])
                           for counts in ((("medical", 0), ("general", 0)), (("medical", 6), ("general", 5)))))
    assert line.change.p_value == pytest.approx(change.p_value) and change.p_value < 0.05
    assert line.status == "rising" and any("significant change" in r for r in line.reasons)


@pytest.mark.django_db
def test_a_cusum_signal_in_a_high_risk_stratum_is_rising(project_a):
    # Medical drifts up a little every week: no single week is significant, the CUSUM adds it up.
    weeks = [week({"medical": (x, 60), "general": (1, 100)}) for x in (1, 2, 2, 3, 3)]
    line = card(project_a, weeks, threshold=0.06, guardrail=0.06, baseline=0.01)
    h = SPRT(0.01, 0.06).h2
    path = binomial_cusum([1, 2, 2, 3, 3], [60] * 5, p0=0.01, p1=0.06, h=h).path
    assert path[-1] >= h
    assert line.cusum_strata == ["medical"] and line.status == "rising"


@pytest.mark.django_db
def test_a_quiet_week_is_within_and_the_baseline_defaults_to_the_first_weeks(project_a):
    weeks = [week({"medical": (1, 100), "general": (1, 100)}) for _ in range(5)]
    line = card(project_a, weeks, threshold=0.10, guardrail=0.05)
    assert line.status == "within" and line.reasons == []
    first = [w["rates"]["verdict:failure"]["weighted"]["value"] for w in weeks[:4]]
    assert line.baseline == pytest.approx(sum(first) / 4) and not line.baseline_set
    assert all(w.lcl is not None and w.lcl <= line.baseline <= w.ucl for w in line.weeks)


@pytest.mark.django_db
def test_a_project_without_a_scorecard_gets_the_default_lines_unsaved(project_a):
    rows = configured(project_a)
    assert [r.metric for r in rows][:2] == ["verdict:failure", "corrected_output"]
    assert all(r.pk is None for r in rows) and not ScorecardMetric.objects.exists()
    line = lines(project_a, [], {})[0]
    assert line.status == "no data" and line.current is None
