"""The scorecard: a handful of rates, judged one week at a time against the lead's limits.

One week is judged, named on the page, and every number on the page is that week's: by default
the latest run with a final label, else the week the lead picks. A week is *complete* when every
drawn item has a final label; until then it is *in progress*, and the page says how far.

Status (`_judge`), from the rule the plan page promises (sampling.budget_verdict and
sampling.rise_verdict at the run's plan confidence) on the week's counts per stratum: each
stratum's population, its items with a final label and the positives among them; a stratum with
no final label yet counts as not reviewed (sampled 0), which both verdicts allow for, so a
verdict reached mid-week cannot be overturned by the rest of the review. For a rate where higher
is worse, with threshold t (the budget):

- critical, "over budget": rise_verdict(counts, t): the reviewed items show the rate is above t;
- within, "within budget (shown)": budget_verdict(counts, t): they show it is below t;
- unshown, "not shown either way yet": neither; the reason gives the limit that falls short
  (budget_bound / rise_bound, the limits the verdicts compare).

Where higher is better (Full success), the same on failures (sampled - positives) against 1 - t,
worded for the rate itself ("shown to be above 75 %"). A complete week's status is "final"; an
in-progress week's is "certain already" when a verdict is reached, else "waiting for the review
to finish".

With a judge (a JudgeMapping on the rate, report.judged): a *complete* week whose judge-assisted
estimate used the judge in some stratum, with final labels in every stratum with outputs, is
judged on that estimate's one-sided bounds at the plan's confidence (`judge_verdict`: critical
when the lower bound is above t, within when the upper bound is below it; on 1 - t where higher
is better), and the line says so ("status from the judge-assisted estimate (groundedness-judge
v3)"). A week *in progress* keeps the rule above on the reviews alone: it takes the strata with
no final label yet at their worst, which keeps a mid-week verdict safe whatever the rest of the
review finds, while the judge-assisted estimate covers only the reviewed strata. So do a budget
of 0 or 1 and a week where the judge was used nowhere (`judge_decides` gives the reason, shown
after "status from the reviews alone"). `Line.status_from` is "judge" or "reviews" (CSV, API).

Secondary signals, worded "worse" or "better" in the rate's own direction (never "rising"), only
for a complete week and only against complete weeks:
- the estimate is on the wrong side of the guardrail (worse);
- a significant change since the previous complete week (sampling.change_test, p < 0.05);
- a binomial CUSUM of a high-risk stratum (risk weight > 1) signals this week (worse: the CUSUM
  runs from the baseline towards the threshold, over the complete weeks up to this one).
A worse signal marks the line "watch"; it never overrides the verdict.

The default baseline is the mean of the first four complete weeks. Control limits are a p-chart
around the baseline on each week's effective sample size (Korn-Graubard n_eff), drawn for
reading, not used for the status (docs/metrics.md §4.1). A stratum's figure based on fewer than
SMALL_STRATUM final items says so ("based on 6 items").
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypedDict

import sampling
from reviewapp.audits.models import AuditRun
from reviewapp.review.models import LabelSchema

from . import actions
from .catalogue import NAMES, default_scorecard
from .models import RunMetrics, ScorecardMetric
from .report import JudgedRate, Proportion, RateReport, RunReport, StratumRow, WeightedEstimate

SIGNIFICANCE = 0.05
BASELINE_WEEKS = 4
MAX_LINES = 8
SMALL_STRATUM = 30  # a stratum's figure on fewer final items than this carries "based on n items"
FINAL, CERTAIN, WAITING = "final", "certain already", "waiting for the review to finish"

RunsWithReports = Sequence[tuple[Any, RunReport]]  # (run, its report), oldest week first


def review_state(report: RunReport | None) -> str:
    if report is None or not report.has_labels:
        return "not started"
    return "complete" if report.complete else "in progress"


def default_week(runs: RunsWithReports) -> str | None:
    """The latest week with a final label."""
    return next((str(run.week) for run, report in reversed(runs) if report.has_labels), None)


def stratum_counts(report: RunReport, rate: RateReport) -> list[sampling.StratumCount]:
    """The week's counts for one rate, every stratum with outputs: one with no final label yet is
    not reviewed (sampled 0), which the verdicts take at its worst."""
    found = []
    for s in report.strata:
        if s.population <= 0:
            continue
        cell = rate.strata.get(s.name)
        found.append(sampling.StratumCount(s.name, s.population, cell.n if cell else 0,
                                           cell.positives if cell else 0))
    return found


@dataclass(frozen=True)
class Judged:
    """The week the page judges, for its headline."""

    week: str
    run: Any
    report: RunReport

    @property
    def complete(self) -> bool:
        return self.report.complete

    @property
    def items(self) -> int:
        return self.report.items_final

    @property
    def drawn(self) -> int:
        return self.report.drawn

    @property
    def coverage(self) -> float | None:
        return self.report.covered_share

    @property
    def progress(self) -> str:
        """"in progress: 114 of 289 items, 52% of outputs covered", or "review complete: 289 items"."""
        if self.complete:
            return f"review complete: {self.items} items"
        return f"in progress: {self.items} of {self.drawn} items, {self.coverage or 0:.0%} of outputs covered"

    @property
    def strata(self) -> list[str]:
        return [s.name for s, _ in self.stratum_rows]

    @property
    def stratum_rows(self) -> list[tuple[StratumRow, float]]:
        """The week's strata with outputs, each with its share of the outputs."""
        total = self.report.population or 1
        return [(s, s.population / total) for s in self.report.strata if s.population > 0]

    @property
    def confidence(self) -> float:
        return self.run.plan.confidence


def pick_week(runs: RunsWithReports, requested: str | None) -> Judged | None:
    """The requested week if it has a final label, else the latest that has one."""
    by_name = {str(run.week): (run, report) for run, report in runs if report.has_labels}
    name = requested if requested in by_name else default_week(runs)
    return Judged(name, *by_name[name]) if name else None


@dataclass
class Week:
    week: str
    estimate: WeightedEstimate | None
    naive: Proportion | None
    strata: Mapping[str, Proportion]
    lcl: float | None = None
    ucl: float | None = None
    complete: bool = False
    items: int = 0  # items with a final label
    drawn: int = 0
    coverage: float | None = None  # share of the week's outputs in strata with a final label
    confidence: float = 0.95  # the run's plan confidence, for the verdicts
    counts: list[sampling.StratumCount] = field(default_factory=list)
    shares: dict[str, float] = field(default_factory=dict)  # stratum -> share of the week's outputs
    judged: JudgedRate | None = None  # the judge-assisted figures, where an evaluator is mapped to the rate


class SmallStratum(TypedDict):
    """A stratum behind the weighted figure on fewer than SMALL_STRATUM final items."""

    name: str
    n: int
    positives: int
    share: float | None


@dataclass
class Signal:
    direction: str  # "worse" or "better", in the rate's own direction
    text: str


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
    selected: int | None = None  # index in weeks of the judged week
    status: str = "nodata"  # css key: critical, within, unshown, nodata
    verdict: str = "no data"  # the status in words
    explanation: str = ""  # the limit behind the verdict, or what is missing
    finality: str = ""  # FINAL, CERTAIN or WAITING
    signals: list[Signal] = field(default_factory=list)
    change: Any = None
    change_since: str | None = None
    cusum_strata: list[str] = field(default_factory=list)
    small: list[SmallStratum] = field(default_factory=list)  # small strata behind the weighted figure
    status_from: str = ""  # "judge" or "reviews": which estimate decided the status ("" : no data)
    status_source: str = ""  # the same in words, for the page

    @property
    def current(self) -> Week | None:
        """The judged week, if this rate has a figure in it."""
        if self.selected is None:
            return None
        week = self.weeks[self.selected]
        return week if week.estimate else None

    @property
    def watch(self) -> bool:
        return any(s.direction == "worse" for s in self.signals)

    @property
    def change_word(self) -> str | None:
        return change_direction(self)

    @property
    def reasons(self) -> list[str]:
        return [f"{s.direction}: {s.text}" for s in self.signals]


@dataclass(frozen=True)
class Scorecard:
    """A project's scorecard as the page, its CSV and the API show it: one code path, one set of numbers."""

    judged: Judged | None
    lines: list[Line]
    runs: list[tuple[Any, RunMetrics, RunReport | None]]  # every run, oldest week first, with its metrics
    with_data: RunsWithReports  # the runs with a final label, with their reports

    @property
    def other_weeks(self) -> list[str]:
        return [str(run.week) for run, _ in self.with_data if not self.judged or str(run.week) != self.judged.week]


def for_project(project, week: str | None = None) -> Scorecard:
    """The scorecard judging `week` (default, or when it has no final label: the latest week that has one).
    Stale metrics are recomputed on the way (actions.metrics_for) where no worker does it."""
    found = list(AuditRun.objects.filter(project=project).select_related("plan").order_by("week_start"))
    rows = [actions.metrics_for(run) for run in found]
    runs = [(run, row, row.report) for run, row in zip(found, rows, strict=True)]
    with_data = [(run, report) for run, _, report in runs if report is not None and report.has_labels]
    judged = pick_week(with_data, week)
    risk = {s.name: s.risk_weight for _, report in with_data for s in report.strata}
    return Scorecard(judged, lines(project, with_data, risk, week=judged.week if judged else None), runs, with_data)


class LineFigures(TypedDict):
    """A line's judged week in plain values: what the API returns and the CSV lists (rates as shares, 0 to 1)."""

    metric: str
    label: str
    higher_is_better: bool
    threshold: float
    guardrail: float | None
    baseline: float | None
    status: str  # critical, within, unshown, nodata
    verdict: str  # the status in words
    finality: str
    reason: str
    status_from: str  # "judge" (the judge-assisted estimate decided), "reviews", or "" (no data)
    signals: list[str]
    estimate: float | None
    lower: float | None
    upper: float | None
    confidence: float | None
    n_eff: float | None
    n: int | None
    positives: int | None
    unweighted: float | None


def figures(line: Line) -> LineFigures:
    week = line.current
    e = week.estimate if week else None
    return LineFigures(
        metric=line.metric, label=line.label, higher_is_better=line.higher_is_better, threshold=line.threshold,
        guardrail=line.guardrail, baseline=line.baseline, status=line.status, verdict=line.verdict,
        finality=line.finality, reason=line.explanation, status_from=line.status_from, signals=line.reasons,
        estimate=e.value if e else None, lower=e.lower if e else None, upper=e.upper if e else None,
        confidence=e.confidence if e else None, n_eff=e.n_eff if e else None, n=e.n if e else None,
        positives=e.positives if e else None, unweighted=week.naive.value if week and week.naive else None)


def configured(project) -> list[ScorecardMetric]:
    """The lead's lines, or the default scorecard (unsaved) until they set one."""
    rows = list(ScorecardMetric.objects.filter(project=project))
    if rows:
        return rows
    return [ScorecardMetric(project=project, metric=m, position=i, threshold=t, guardrail=g)
            for i, (m, t, g) in enumerate(default_scorecard(LabelSchema.current(project).rubric))]


def lines(project, runs: RunsWithReports, risk: dict[str, float], *, week: str | None = None) -> list[Line]:
    """runs: (run, its report) in week order, oldest first; risk: stratum -> weight;
    week: the week to judge (default: the latest with a final label)."""
    runs = [(run, report) for run, report in runs if report.has_labels]
    names = [str(run.week) for run, _ in runs]
    week = week if week in names else default_week(runs)
    selected = names.index(week) if week is not None else None
    found = []
    for config in configured(project):
        weeks = [_week(run, report, config.metric) for run, report in runs]
        known = [report.rates[config.metric] for _, report in runs if config.metric in report.rates]
        label = known[0].label if known else NAMES.get(config.metric, config.metric)
        higher_is_better = any(rate.higher_is_better for rate in known)
        line = Line(config.metric, label, higher_is_better, config.threshold, config.guardrail, config.baseline,
                    config.baseline is not None, weeks, selected)
        if line.baseline is None:
            first = [w.estimate.value for w in weeks if w.estimate and w.complete][:BASELINE_WEEKS]
            line.baseline = sum(first) / len(first) if first else None
        _control_limits(line)
        _judge(line, risk)
        found.append(line)
    return found


def _week(run, report: RunReport, metric: str) -> Week:
    rate = report.rates.get(metric)
    return Week(
        str(run.week), rate.weighted if rate else None, rate.naive if rate else None, rate.strata if rate else {},
        complete=report.complete, items=report.items_final, drawn=report.drawn,
        coverage=report.covered_share, confidence=run.plan.confidence,
        counts=stratum_counts(report, rate) if rate and rate.weighted else [],
        shares={s.name: s.population / report.population for s in report.strata if report.population},
        judged=report.judged.get(metric) if rate and rate.weighted else None)


def _control_limits(line: Line) -> None:
    known = [(w, w.estimate) for w in line.weeks if w.estimate and w.estimate.n_eff]
    if not known or line.baseline is None or not 0 < line.baseline < 1:
        return
    sizes = [max(1.0, e.n_eff or 0.0) for _, e in known]
    chart = sampling.p_chart([min(s, e.value * s) for (_, e), s in zip(known, sizes, strict=True)], sizes, center=line.baseline)
    for (week, _), lcl, ucl in zip(known, chart.lower, chart.upper, strict=True):
        week.lcl, week.ucl = lcl, ucl


def _pct(value: float) -> str:
    """A rate in words: one decimal, two for small rates (0.35 %, not 0.3 %)."""
    return f"{value * 100:.{2 if value < 0.01 else 1}f} %"


def _complement(counts: Sequence[sampling.StratumCount]) -> list[sampling.StratumCount]:
    return [sampling.StratumCount(c.name, c.population, c.sampled, c.sampled - c.positives) for c in counts]


def _upper_limit(counts, threshold: float, confidence: float) -> float:
    """The upper limit budget_verdict compares with `threshold` (it works on the complement above one half)."""
    if threshold > 0.5:
        return 1 - sampling.rise_bound(_complement(counts), confidence=confidence)
    return sampling.budget_bound(counts, confidence=confidence)


def _lower_limit(counts, threshold: float, confidence: float) -> float:
    """The lower limit rise_verdict compares with `threshold`."""
    if threshold >= 0.5:
        return 1 - sampling.budget_bound(_complement(counts), confidence=confidence)
    return sampling.rise_bound(counts, confidence=confidence)


def verdict(counts: Sequence[sampling.StratumCount], threshold: float, *, higher_is_better: bool,
            confidence: float) -> tuple[str, float, float]:
    """("critical" | "within" | "unshown", lower, upper) for the rate against its threshold, on the
    "bad" side: the rate itself where higher is worse, the failures (1 - rate) where higher is
    better. lower / upper are the limits the verdicts compared, on that side."""
    bad = _complement(counts) if higher_is_better else list(counts)
    limit = 1 - threshold if higher_is_better else threshold
    if limit <= 0:  # no errors allowed: never shown under, over as soon as one is seen
        over, under = any(c.positives for c in bad), False
    elif limit >= 1:
        over, under = False, True
    else:
        over = sampling.rise_verdict(bad, limit, confidence=confidence)
        under = not over and sampling.budget_verdict(bad, limit, confidence=confidence)
    lower = _lower_limit(bad, min(max(limit, 1e-9), 1 - 1e-9), confidence)
    upper = _upper_limit(bad, min(max(limit, 1e-9), 1 - 1e-9), confidence)
    return ("critical" if over else "within" if under else "unshown"), lower, upper


def judge_verdict(judged: JudgedRate, threshold: float, *, higher_is_better: bool) -> tuple[str, float, float] | None:
    """verdict()'s answer from the judge-assisted estimate's one-sided bounds (at the plan's
    confidence), on the same "bad" side: critical when the lower bound of the bad rate is above its
    limit, within when the upper bound is below it. None when there are no bounds."""
    low, high = judged.lower_one_sided, judged.upper_one_sided
    if low is None or high is None:
        return None
    lower, upper, limit = (1 - high, 1 - low, 1 - threshold) if higher_is_better else (low, high, threshold)
    return ("critical" if lower > limit else "within" if upper < limit else "unshown"), lower, upper


def judge_decides(week: Week, threshold: float) -> tuple[bool, str]:
    """(whether the judge-assisted estimate decides the week's status, why not in words).

    Only on a complete week, where every stratum with outputs has final labels (the human rule
    takes a stratum without any at its worst; the judge-assisted estimate leaves it out), where
    the judge was used in some stratum, and for a budget strictly between 0 and 1."""
    judged = week.judged
    if judged is None:
        return False, ""
    if not week.complete:
        return False, "mid-week the judge-assisted estimate covers only the reviewed strata"
    if not judged.used or judged.lower_one_sided is None or judged.upper_one_sided is None:
        return False, "the judge was not used in any stratum this week"
    if not 0 < threshold < 1:
        return False, "no estimate shows a rate of exactly 0 or 1"
    covered = {row.name for row in judged.strata}
    missing = [c.name for c in week.counts if c.sampled == 0 or c.name not in covered]
    if missing:
        return False, f"no final label in {', '.join(missing)}"
    return True, ""


def _judge(line: Line, risk: dict[str, float]) -> None:
    week = line.current
    if week is None:
        return
    decides, why_not = judge_decides(week, line.threshold)
    by_judge = judge_verdict(week.judged, line.threshold, higher_is_better=line.higher_is_better) \
        if decides and week.judged else None
    if by_judge is not None and week.judged is not None:
        state, lower, upper = by_judge
        line.status_from, line.status_source = "judge", f"status from the judge-assisted estimate ({week.judged.evaluator})"
        shown_by = "the judge-assisted estimate"
    else:
        state, lower, upper = verdict(week.counts, line.threshold, higher_is_better=line.higher_is_better,
                                      confidence=week.confidence)
        line.status_from = "reviews"
        line.status_source = "status from the reviews alone" + (f" ({why_not})" if why_not else "")
        shown_by = "the reviewed items"
    line.status = state
    undecided = "not shown either way yet" if not week.complete else "not shown either way"
    cannot = "cannot yet show" if not week.complete else "cannot show"
    confidence = f"{week.confidence:.0%} confidence"
    t = _pct(line.threshold)
    if line.higher_is_better:  # limits on failures: the rate is above 1 - upper, below 1 - lower
        floor, ceiling = 1 - upper, 1 - lower
        line.verdict = {"critical": "under the minimum", "within": "above the minimum (shown)",
                        "unshown": undecided}[state]
        line.explanation = {
            "critical": f"shown to be below {t}: the rate is below {_pct(ceiling)} with {confidence}",
            "within": f"shown to be above {t}: the rate is above {_pct(floor)} with {confidence}",
            "unshown": f"{shown_by} {cannot} it is above {t}: the rate is above {_pct(floor)} "
                       f"with {confidence}"}[state]
    else:
        line.verdict = {"critical": "over budget", "within": "within budget (shown)", "unshown": undecided}[state]
        line.explanation = {
            "critical": f"shown to be above {t}: the rate is above {_pct(lower)} with {confidence}",
            "within": f"shown to be under {t}: the rate is below {_pct(upper)} with {confidence}",
            "unshown": f"{shown_by} {cannot} it is under {t}: the rate is below {_pct(upper)} "
                       f"with {confidence}"}[state]
    unreviewed = [c.name for c in week.counts if c.sampled == 0]
    if state == "unshown" and unreviewed and line.status_from == "reviews":
        line.explanation += (f"; no final label yet in {', '.join(unreviewed)}, taken at "
                             + ("its" if len(unreviewed) == 1 else "their") + " worst")
    line.finality = FINAL if week.complete else CERTAIN if state != "unshown" else WAITING
    line.small = [SmallStratum(name=name, n=cell.n, positives=cell.positives, share=week.shares.get(name))
                  for name, cell in week.strata.items() if cell.n < SMALL_STRATUM and cell.positives > 0]
    if week.complete:
        _signals(line, risk)


def _signals(line: Line, risk: dict[str, float]) -> None:
    """Guardrail, week-over-week change and CUSUM, on complete weeks only."""
    upto = line.weeks[: (line.selected or 0) + 1]
    complete = [(w, w.estimate) for w in upto if w.estimate is not None and w.complete]
    current = complete[-1][1]
    sign = -1 if line.higher_is_better else 1  # "worse" as "higher"
    if line.guardrail is not None and sign * (current.value - line.guardrail) > 0:
        side = "below" if line.higher_is_better else "above"
        line.signals.append(Signal("worse", f"{_pct(current.value)} is {side} the guardrail {_pct(line.guardrail)}"))
    if len(complete) >= 2:
        previous, before = complete[-2]
        line.change, line.change_since = sampling.change_test(before.to_estimate(), current.to_estimate()), previous.week
        if line.change.p_value < SIGNIFICANCE and line.change.difference != 0:
            direction = "worse" if sign * line.change.difference > 0 else "better"
            line.signals.append(Signal(direction, f"a significant change since {previous.week} "
                                                  f"({line.change.difference * 100:+.2f} pts, p = {line.change.p_value:.3f})"))
    line.cusum_strata = _cusum_signals(line, [w for w, _ in complete], risk)
    if line.cusum_strata:
        line.signals.append(Signal("worse", "CUSUM signal in " + ", ".join(line.cusum_strata)))


def change_direction(line: Line) -> str | None:
    """"worse", "better" or "no clear change" for the week-over-week change, in the rate's own direction."""
    if line.change is None:
        return None
    if line.change.p_value >= SIGNIFICANCE or line.change.difference == 0:
        return "no clear change"
    return "worse" if (line.change.difference > 0) != line.higher_is_better else "better"


def _cusum_signals(line: Line, weeks: list[Week], risk: dict[str, float]) -> list[str]:
    """High-risk strata whose weekly binomial CUSUM (unweighted: one stratum is one SRS) signals
    in the last of `weeks` (the complete weeks up to the judged one)."""
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
        series = [w.strata.get(name) for w in weeks]
        if not series or series[-1] is None:
            continue  # nothing from this stratum this week
        counts = [s for s in series if s]
        x = [(s.n - s.positives) if line.higher_is_better else s.positives for s in counts]
        result = sampling.binomial_cusum(x, [s.n for s in counts], p0=p0, p1=p1, h=h)
        if result.path[-1] >= h:
            signals.append(name)
    return signals
