"""Scorecard statuses: the plan's budget/rise verdicts on one week's counts, final or certain or
waiting; guardrail, change and CUSUM between complete weeks, worded better or worse."""
from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest

from reviewapp.metrics.models import ScorecardMetric
from reviewapp.metrics.report import RunReport
from reviewapp.metrics.scorecard import CERTAIN, FINAL, WAITING, configured, lines, pick_week
from sampling import (
    SPRT,
    StratumCount,
    binomial_cusum,
    budget_verdict,
    change_test,
    estimate_proportion,
    rise_verdict,
)
from tests.helpers import POPULATION, week


@dataclass
class FakeRun:
    week: str
    plan: SimpleNamespace = field(default_factory=lambda: SimpleNamespace(confidence=0.95))


def card(project, weeks: list[dict], metric: str = "verdict:failure", *, selected: str | None = None, **config):
    ScorecardMetric.objects.create(project=project, metric=metric, **config)
    runs = [(FakeRun(f"2026-W{40 + i}"), RunReport.from_json(data)) for i, data in enumerate(weeks)]
    return lines(project, runs, {"medical": 5.0, "general": 1.0}, week=selected)[0]


def counts_of(errors: dict[str, tuple[int, int]], population=POPULATION) -> list[StratumCount]:
    return [StratumCount(name, population[name], errors.get(name, (0, 0))[1], errors.get(name, (0, 0))[0])
            for name in population]


@pytest.mark.django_db
def test_a_week_shown_above_the_threshold_is_over_budget(project_a):
    now = {"medical": (30, 100), "general": (20, 100)}
    line = card(project_a, [week({"medical": (2, 100), "general": (1, 100)}), week(now)], threshold=0.05, guardrail=0.03)
    assert rise_verdict(counts_of(now), 0.05, confidence=0.95)
    assert line.status == "critical" and line.verdict == "over budget" and line.finality == FINAL
    assert line.explanation.startswith("shown to be above 5.0 %: the rate is above")


@pytest.mark.django_db
@pytest.mark.parametrize("errors, threshold", [
    ({"medical": (0, 150), "general": (1, 300)}, 0.02),
    ({"medical": (3, 150), "general": (2, 300)}, 0.02),
    ({"medical": (15, 150), "general": (30, 300)}, 0.02),
    ({"medical": (0, 60), "general": (0, 60)}, 0.05),
    ({"medical": (1, 200), "general": (0, 400)}, 0.01),
])
def test_the_budget_status_is_the_plans_budget_verdict_on_the_same_counts(project_a, errors, threshold):
    line = card(project_a, [week(errors)], threshold=threshold)
    counts = counts_of(errors)
    assert (line.status == "within") == budget_verdict(counts, threshold, confidence=0.95)
    assert (line.status == "critical") == rise_verdict(counts, threshold, confidence=0.95)
    if line.status == "within":
        assert line.verdict == "within budget (shown)"
        assert line.explanation.startswith(f"shown to be under {threshold:.1%}".replace("%", " %"))


@pytest.mark.django_db
def test_a_clean_but_small_week_is_not_shown_under_budget(project_a):
    errors = {"medical": (0, 10), "general": (0, 10)}  # no error at all, but 20 items for 10,000 outputs
    line = card(project_a, [week(errors)], threshold=0.05)
    assert not budget_verdict(counts_of(errors), 0.05, confidence=0.95)
    assert line.current.estimate.value == 0
    assert line.status == "unshown" and line.verdict == "not shown either way"
    assert line.explanation.startswith("the reviewed items cannot show it is under 5.0 %: the rate is below")


@pytest.mark.django_db
def test_the_verdicts_use_the_plans_confidence(project_a):
    ScorecardMetric.objects.create(project=project_a, metric="verdict:failure", threshold=0.03)
    errors = {"medical": (0, 60), "general": (0, 60)}
    for confidence in (0.8, 0.99):
        run = FakeRun("2026-W40", SimpleNamespace(confidence=confidence))
        line = lines(project_a, [(run, RunReport.from_json(week(errors)))], {})[0]
        assert (line.status == "within") == budget_verdict(counts_of(errors), 0.03, confidence=confidence)
        assert f"{confidence:.0%} confidence" in line.explanation
    # 0 in 120 is enough at 80 % but not at 99 %: the confidence is really the plan's.
    assert budget_verdict(counts_of(errors), 0.03, confidence=0.8)
    assert not budget_verdict(counts_of(errors), 0.03, confidence=0.99)


@pytest.mark.django_db
def test_an_in_progress_week_waits_for_the_review_unless_its_verdict_is_certain(project_a):
    before = week({"medical": (1, 100), "general": (1, 100)})
    # General (80 % of the outputs) has no final label yet: it is taken at its worst for the budget.
    waiting = week({"medical": (0, 100)}, drawn={"medical": 100, "general": 100})
    line = card(project_a, [before, waiting], threshold=0.05, guardrail=0.01)
    counts = counts_of({"medical": (0, 100)})
    assert [c.sampled for c in counts] == [100, 0]
    assert not line.current.complete and line.current.week == "2026-W41"
    assert not budget_verdict(counts, 0.05) and not rise_verdict(counts, 0.05)
    assert line.status == "unshown" and line.verdict == "not shown either way yet" and line.finality == WAITING
    assert "no final label yet in general, taken at its worst" in line.explanation
    assert line.change is None and line.signals == []  # no change, guardrail or CUSUM on a partial week

    # Enough errors in the reviewed stratum alone: over budget whatever general holds.
    bad = week({"medical": (40, 100)}, drawn={"medical": 100, "general": 100})
    ScorecardMetric.objects.all().delete()
    line = card(project_a, [before, bad], threshold=0.05)
    assert rise_verdict(counts_of({"medical": (40, 100)}), 0.05)
    assert line.status == "critical" and line.finality == CERTAIN

    # Shown under budget mid-week: the unreviewed stratum is too small to change it.
    small = {"medical": 4000, "general": 40}
    good = week({"medical": (0, 300)}, drawn={"medical": 300, "general": 10}, population=small)
    ScorecardMetric.objects.all().delete()
    line = card(project_a, [good], threshold=0.05)
    assert budget_verdict(counts_of({"medical": (0, 300)}, small), 0.05)
    assert line.status == "within" and line.finality == CERTAIN


@pytest.mark.django_db
def test_a_significant_rise_between_complete_weeks_is_worse(project_a):
    before, now = week({"medical": (0, 150), "general": (0, 150)}), week({"medical": (6, 150), "general": (5, 150)})
    line = card(project_a, [before, now], threshold=0.20, guardrail=0.15, baseline=0.01)
    change = change_test(*(estimate_proportion([StratumCount(n, POPULATION[n], 150, x) for n, x in counts],
                                               conservative=True)
                           for counts in ((("medical", 0), ("general", 0)), (("medical", 6), ("general", 5)))))
    assert line.change.p_value == pytest.approx(change.p_value) and change.p_value < 0.05
    assert line.change_word == "worse" and line.watch
    assert any(r.startswith("worse: a significant change since 2026-W40") for r in line.reasons)


@pytest.mark.django_db
def test_a_higher_is_better_rate_that_improves_is_worded_better(project_a):
    before = week({"medical": (100, 150), "general": (105, 150)}, "verdict:success", higher_is_better=True)
    now = week({"medical": (145, 150), "general": (147, 150)}, "verdict:success", higher_is_better=True)
    line = card(project_a, [before, now], "verdict:success", threshold=0.80, guardrail=0.85)
    assert line.change.difference > 0 and line.change.p_value < 0.05
    assert line.change_word == "better" and not line.watch
    assert [s.direction for s in line.signals] == ["better"]
    words = " ".join([line.verdict, line.explanation, *line.reasons]).lower()
    assert "rising" not in words and "worse" not in words
    # The verdict works on failures against 1 - threshold, worded for the success rate.
    failures = [StratumCount(c.name, c.population, c.sampled, c.sampled - c.positives)
                for c in counts_of({"medical": (145, 150), "general": (147, 150)})]
    assert budget_verdict(failures, 0.2)
    assert line.status == "within" and line.verdict == "above the minimum (shown)"
    assert line.explanation.startswith("shown to be above 80.0 %: the rate is above")


@pytest.mark.django_db
def test_a_higher_is_better_rate_that_falls_is_worded_worse(project_a):
    before = week({"medical": (145, 150), "general": (147, 150)}, "verdict:success", higher_is_better=True)
    now = week({"medical": (100, 150), "general": (110, 150)}, "verdict:success", higher_is_better=True)
    line = card(project_a, [before, now], "verdict:success", threshold=0.60, guardrail=0.85)
    assert line.change.difference < 0 and line.change_word == "worse" and line.watch
    assert any(r.startswith("worse: a significant change") for r in line.reasons)
    assert any("below the guardrail" in r for r in line.reasons)


@pytest.mark.django_db
def test_week_over_week_change_skips_weeks_still_in_progress(project_a):
    weeks = [week({"medical": (1, 100), "general": (1, 100)}),
             week({"medical": (9, 100)}, drawn={"medical": 100, "general": 100}),
             week({"medical": (2, 100), "general": (1, 100)})]
    line = card(project_a, weeks, threshold=0.10)
    assert line.current.week == "2026-W42" and line.change_since == "2026-W40"
    first_complete = weeks[0]["rates"]["verdict:failure"]["weighted"]["value"]
    third = weeks[2]["rates"]["verdict:failure"]["weighted"]["value"]
    assert line.baseline == pytest.approx((first_complete + third) / 2)  # the in-progress week is left out


@pytest.mark.django_db
def test_a_cusum_signal_in_a_high_risk_stratum_is_a_worse_signal(project_a):
    # Medical drifts up a little every week: no single week is significant, the CUSUM adds it up.
    weeks = [week({"medical": (x, 60), "general": (1, 100)}) for x in (1, 2, 2, 3, 3)]
    line = card(project_a, weeks, threshold=0.06, guardrail=0.06, baseline=0.01)
    h = SPRT(0.01, 0.06).h2
    path = binomial_cusum([1, 2, 2, 3, 3], [60] * 5, p0=0.01, p1=0.06, h=h).path
    assert path[-1] >= h
    assert line.cusum_strata == ["medical"] and line.watch
    assert "worse: CUSUM signal in medical" in line.reasons


@pytest.mark.django_db
def test_a_quiet_week_has_no_signal_and_the_baseline_defaults_to_the_first_weeks(project_a):
    weeks = [week({"medical": (1, 400), "general": (1, 400)}) for _ in range(5)]
    line = card(project_a, weeks, threshold=0.10, guardrail=0.05)
    assert line.status == "within" and line.signals == [] and not line.watch
    first = [w["rates"]["verdict:failure"]["weighted"]["value"] for w in weeks[:4]]
    assert line.baseline == pytest.approx(sum(first) / 4) and not line.baseline_set
    assert all(w.lcl is not None and w.lcl <= line.baseline <= w.ucl for w in line.weeks)


@pytest.mark.django_db
def test_one_week_is_judged_the_latest_with_a_final_label_by_default(project_a):
    weeks = [week({"medical": (1, 100), "general": (1, 100)}), week({"medical": (5, 100), "general": (2, 100)}),
             week({}, drawn={"medical": 100, "general": 100})]  # drawn, nothing labelled yet
    runs = [(FakeRun(f"2026-W{40 + i}"), RunReport.from_json(data)) for i, data in enumerate(weeks)]
    assert pick_week(runs, None).week == "2026-W41"
    assert pick_week(runs, "2026-W42").week == "2026-W41"  # nothing to show there
    assert pick_week(runs, "2026-W40").week == "2026-W40"
    line = card(project_a, weeks, threshold=0.10)
    assert [w.week for w in line.weeks] == ["2026-W40", "2026-W41"]  # no empty week
    assert line.current.week == "2026-W41"
    line = lines(project_a, runs, {}, week="2026-W40")[0]
    assert line.current.week == "2026-W40" and line.change is None


@pytest.mark.django_db
def test_small_strata_behind_a_figure_are_named_with_their_size(project_a):
    population = {"medical": 500, "general": 3000}
    line = card(project_a, [week({"medical": (1, 6), "general": (0, 200)}, population=population)], threshold=0.05)
    assert line.small == [{"name": "medical", "n": 6, "positives": 1, "share": pytest.approx(500 / 3500)}]


@pytest.mark.django_db
def test_a_project_without_a_scorecard_gets_the_default_lines_unsaved(project_a):
    rows = configured(project_a)
    assert [r.metric for r in rows][:2] == ["verdict:failure", "corrected_output"]
    assert all(r.pk is None for r in rows) and not ScorecardMetric.objects.exists()
    line = lines(project_a, [], {})[0]
    assert line.status == "nodata" and line.current is None
