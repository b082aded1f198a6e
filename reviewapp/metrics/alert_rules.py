"""When the error-rate line may alert: mid-week by a sequential rule, at the week's close by rise_verdict.

The debounced recompute looks at a run after every label, so an alert rule that asks "does the
interval cross now?" at every look fires on noise (bench.alerts measures how often). Mid-week the
rule is sampling.sequential_rise: Wald's SPRT per stratum, for sampling without replacement, of the
line's baseline p0 against its threshold p1 (the same p0 and p1 as the run page's early stopping:
early_stopping.sequential_test), with MIDWEEK_RISK split over the strata the week drew from. At the
week's close (every drawn item has a final label) the rule is sampling.rise_verdict on the final
counts at WEEK_CLOSE_CONFIDENCE. The two risks add up to 5 %: the chance that an in-control week
(every stratum at or below the baseline) raises any alert, mid-week or at its close, however often
it is looked at, is at most 5 % (docs/metrics.md, "Alerts and their false-alarm rate").

These functions only say whether a rule fires and in what words; sending, and sending once per
(week, metric, state), is the alerts module's job.
"""
from __future__ import annotations

from dataclasses import dataclass

import sampling

from .early_stopping import sequential_test
from .report import RunReport
from .scorecard import stratum_counts

MIDWEEK_RISK = 0.025  # the week's chance of a false mid-week alert, split over its strata
WEEK_CLOSE_CONFIDENCE = 0.975  # rise_verdict's confidence at the week's close: 2.5 % more


def _percent(value: float) -> str:
    """0.01 -> "1 %", 0.025 -> "2.5 %", 0.005 -> "0.5 %"."""
    return f"{value * 100:.3g} %"


@dataclass(frozen=True)
class MidweekAlert:
    """A stratum whose reviewed items already show its rate above the baseline, and the rule in words."""

    metric: str
    week: str
    stratum: str
    n: int  # reviewed items with a final label in the stratum
    errors: int
    boundary: int  # the fewest errors among n that alert
    baseline: float
    alert_rate: float
    risk: float  # the week's false-alarm risk, split over `strata`
    strata: int
    rule: str


@dataclass(frozen=True)
class WeekCloseAlert:
    """The closed week's rate shown above the baseline: the estimate, its lower limit, the rule in words."""

    metric: str
    week: str
    estimate: float
    lower: float  # rise_bound at `confidence`: the rate is above this
    baseline: float
    confidence: float
    n: int
    errors: int
    rule: str


def _watched(report: RunReport, metric: str) -> list[sampling.StratumCount]:
    """The counts of every stratum the week drew from (fixed by the draw, so K is fixed before the week)."""
    rate = report.rates.get(metric)
    if rate is None:
        return []
    drawn = {s.name for s in report.strata if s.drawn > 0}
    return [c for c in stratum_counts(report, rate) if c.name in drawn]


def midweek_alerts(project, report: RunReport) -> list[MidweekAlert]:
    """The strata whose sequential test already decides "above the baseline", strongest first; none
    without an error-rate line the test can take (early_stopping.sequential_test) or before a label."""
    test = sequential_test(project)
    if test is None or not report.has_labels:
        return []
    counts = _watched(report, test.metric)
    if not counts:
        return []
    found = sampling.sequential_rise(counts, test.p0, test.p1, alpha=MIDWEEK_RISK)
    decided = sorted((s for s in found.strata if s.decided), key=lambda s: (-s.log_ratio, s.name))
    rule = (f"Wald's sequential test (baseline {_percent(test.p0)}, alert rate {_percent(test.p1)}, "
            f"{_percent(MIDWEEK_RISK)} false-alarm risk a week split over {found.tested} "
            f"{'stratum' if found.tested == 1 else 'strata'}) already shows the rate above the baseline")
    return [MidweekAlert(test.metric, report.week, s.name, s.n, s.errors, s.boundary or 0, test.p0, test.p1,
                         MIDWEEK_RISK, found.tested,
                         f"{s.name}: {s.errors} {'error' if s.errors == 1 else 'errors'} in {s.n} reviewed "
                         f"{'item' if s.n == 1 else 'items'}; {rule}")
            for s in decided]


def week_close_alert(project, report: RunReport) -> WeekCloseAlert | None:
    """The closed week's rate shown above the baseline by rise_verdict on its final counts; None while
    items are open, without an error-rate line the test can take, or when the rate is not shown above."""
    test = sequential_test(project)
    if test is None or not report.complete:
        return None
    rate = report.rates.get(test.metric)
    if rate is None or rate.weighted is None:
        return None
    counts = stratum_counts(report, rate)
    if not sampling.rise_verdict(counts, test.p0, confidence=WEEK_CLOSE_CONFIDENCE):
        return None
    lower = sampling.rise_bound(counts, confidence=WEEK_CLOSE_CONFIDENCE)
    n, errors = sum(c.sampled for c in counts), sum(c.positives for c in counts)
    rule = (f"the week's final counts: {errors} errors in {n} reviewed items, an estimated "
            f"{_percent(rate.weighted.value)}; at {_percent(WEEK_CLOSE_CONFIDENCE)} confidence the rate is above "
            f"{_percent(lower)}, so above the baseline of {_percent(test.p0)}")
    return WeekCloseAlert(test.metric, report.week, rate.weighted.value, lower, test.p0, WEEK_CLOSE_CONFIDENCE,
                          n, errors, rule)
