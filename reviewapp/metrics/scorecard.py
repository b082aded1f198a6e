"""The scorecard: a handful of rates, week by week, judged against the lead's limits.

Status of a rate where higher is worse (mirrored where higher is better):
- critical: the current week's interval lies above the threshold (its lower bound is over it);
- rising: not critical, but the point estimate is above the guardrail, or the rise since last
  week is significant (design-based z test, sampling.change_test, p < 0.05), or a binomial CUSUM
  of a high-risk stratum signals this week (sampling.binomial_cusum from the baseline to the
  threshold, with the SPRT's rejection boundary h2 as its decision interval);
- within: otherwise. Weeks with no final label yet have no status.
Control limits are a p-chart around the baseline on each week's effective sample size (Korn-
Graubard n_eff), drawn for reading, not used for the status (STATISTICS.md 3.9).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sampling

from .catalogue import DEFAULT_SCORECARD, NAMES
from .models import ScorecardMetric

SIGNIFICANCE = 0.05
BASELINE_WEEKS = 4
MAX_LINES = 8


@dataclass
class Week:
    week: str
    estimate: dict[str, Any] | None
    naive: dict[str, Any] | None
    strata: dict[str, dict[str, Any]]
    lcl: float | None = None
    ucl: float | None = None


@dataclass
class Line:
    metric: str
    label: str
    higher_is_better: bool
    threshold: float
    guardrail: float | None
    baseline: float | None
    baseline_set: bool
    weeks: list[Week]
    status: str = "no data"
    reasons: list[str] = field(default_factory=list)
    change: Any = None
    cusum_strata: list[str] = field(default_factory=list)

    @property
    def current(self) -> Week | None:
        return next((w for w in reversed(self.weeks) if w.estimate), None)


def configured(project) -> list[ScorecardMetric]:
    """The lead's lines, or the default scorecard (unsaved) until they set one."""
    rows = list(ScorecardMetric.objects.filter(project=project))
    if rows:
        return rows
    return [ScorecardMetric(project=project, metric=m, position=i, threshold=t, guardrail=g)
            for i, (m, t, g) in enumerate(DEFAULT_SCORECARD)]


def lines(project, runs_with_data: list[tuple[Any, dict]], risk: dict[str, float]) -> list[Line]:
    """runs_with_data: (run, metrics data) in week order, oldest first; risk: stratum -> weight."""
    found = []
    for config in configured(project):
        weeks = []
        for run, data in runs_with_data:
            entry = (data.get("rates") or {}).get(config.metric) or {}
            weeks.append(Week(str(run.week), entry.get("weighted"), entry.get("naive"), entry.get("strata") or {}))
        label = next((d["rates"][config.metric]["label"] for _, d in runs_with_data if config.metric in d.get("rates", {})),
                     NAMES.get(config.metric, config.metric))
        higher_is_better = any(d["rates"][config.metric].get("higher_is_better") for _, d in runs_with_data
                               if config.metric in d.get("rates", {}))
        line = Line(config.metric, label, higher_is_better, config.threshold, config.guardrail, config.baseline,
                    config.baseline is not None, weeks)
        if line.baseline is None:
            first = [w.estimate["value"] for w in weeks if w.estimate][:BASELINE_WEEKS]
            line.baseline = sum(first) / len(first) if first else None
        _control_limits(line)
        _judge(line, risk)
        found.append(line)
    return found


def _estimate(data: dict[str, Any]) -> sampling.Estimate:
    names = sampling.Estimate.__dataclass_fields__
    return sampling.Estimate(**{k: v for k, v in data.items() if k in names})


def _control_limits(line: Line) -> None:
    known = [w for w in line.weeks if w.estimate and w.estimate.get("n_eff")]
    if not known or line.baseline is None or not 0 < line.baseline < 1:
        return
    sizes = [max(1.0, w.estimate["n_eff"]) for w in known]
    chart = sampling.p_chart([min(s, w.estimate["value"] * s) for w, s in zip(known, sizes)], sizes, center=line.baseline)
    for week, lcl, ucl in zip(known, chart.lower, chart.upper):
        week.lcl, week.ucl = lcl, ucl


def _judge(line: Line, risk: dict[str, float]) -> None:
    weeks = [w for w in line.weeks if w.estimate]
    if not weeks:
        return
    current = weeks[-1].estimate
    sign = -1 if line.higher_is_better else 1  # compare "worse" as "higher"
    worse_bound = current["upper"] if line.higher_is_better else current["lower"]
    if sign * (worse_bound - line.threshold) > 0:
        line.status = "critical"
        line.reasons.append("the whole interval is on the wrong side of the threshold")
        return
    line.status = "within"
    if line.guardrail is not None and sign * (current["value"] - line.guardrail) > 0:
        line.reasons.append("the estimate crossed the guardrail")
    if len(weeks) >= 2:
        line.change = sampling.change_test(_estimate(weeks[-2].estimate), _estimate(current))
        if line.change.p_value < SIGNIFICANCE and sign * line.change.difference > 0:
            line.reasons.append(f"a significant change since {weeks[-2].week} (p = {line.change.p_value:.3f})")
    line.cusum_strata = _cusum_signals(line, risk)
    if line.cusum_strata:
        line.reasons.append("CUSUM signal in " + ", ".join(line.cusum_strata))
    if line.reasons:
        line.status = "rising"


def _cusum_signals(line: Line, risk: dict[str, float]) -> list[str]:
    """High-risk strata whose weekly binomial CUSUM (unweighted: one stratum is one SRS) signals now."""
    if line.baseline is None:
        return []
    p0, p1 = line.baseline, line.threshold
    if line.higher_is_better:
        p0, p1 = 1 - p0, 1 - p1
    if not 0 < p0 < p1 < 1:
        return []
    h = sampling.SPRT(p0, p1).h2
    high = [name for name, weight in risk.items() if weight > 1]
    signals = []
    for name in high:
        series = [w.strata.get(name) for w in line.weeks]
        if not series or series[-1] is None:
            continue  # nothing from this stratum this week
        counts = [s for s in series if s]
        x = [(s["n"] - s["positives"]) if line.higher_is_better else s["positives"] for s in counts]
        result = sampling.binomial_cusum(x, [s["n"] for s in counts], p0=p0, p1=p1, h=h)
        if result.path[-1] >= h:
            signals.append(name)
    return signals
