"""The scorecard, a week's metrics and the alerts over HTTP, for dashboards of QA leads and admins:
the very numbers the Scorecard and Metrics pages show (metrics.scorecard.for_project, the run's
stored RunReport), recomputed on read when stale and no worker does it, as the pages do; and the
alerts the Alerts page lists."""
from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from reviewapp.lib.weeks import IsoWeek
from reviewapp.metrics import actions, scorecard
from reviewapp.metrics.models import Alert
from reviewapp.metrics.report import RunReport
from reviewapp.projects.access import lead_project_for

from .auth import PERSON
from .openapi import errors
from .schemas import IsoDateTime, Week

router = Router(tags=["metrics"], auth=PERSON)

RATE = "A share from 0 to 1"


class IntervalOut(Schema):
    lower: float
    upper: float
    confidence: float | None = Field(description="The interval's confidence level (0.95 for 95 %)")


class LineOut(Schema):
    metric: str = Field(description="The rate's key, e.g. verdict:failure")
    label: str = Field(description="The rate in words, as the page names it")
    higher_is_better: bool
    threshold: float = Field(description=f"The budget (or minimum, where higher is better). {RATE}")
    guardrail: float | None = Field(description=f"The watch level. {RATE}")
    baseline: float | None = Field(description="The lead's baseline, else the mean of the first four complete weeks")
    status: str = Field(description="critical | within | unshown | nodata")
    verdict: str = Field(description="The status in words, e.g. \"over budget\" or \"within budget (shown)\"")
    finality: str = Field(description="final | certain already | waiting for the review to finish (empty: no data)")
    reason: str = Field(description="The limit behind the verdict, or what is missing")
    status_from: str = Field(description="Which estimate decided the status: judge (the judge-assisted one, on a "
                                         "complete week with a mapped judge) | reviews | empty (no data)")
    signals: list[str] = Field(description="Guardrail, change and CUSUM signals of a complete week, worded worse or better")
    estimate: float | None = Field(description=f"The design-weighted rate of the week. {RATE}")
    interval: IntervalOut | None
    n_eff: float | None = Field(description="Effective sample size (Korn-Graubard)")
    n: int | None = Field(description="Items with a final label behind the estimate")
    positives: int | None
    unweighted: float | None = Field(description="The naive rate over the reviewed items")


class ScorecardOut(Schema):
    week: str | None = Field(description="The judged week; none until a week has a final label")
    complete: bool = Field(description="Every drawn item of the week has a final label")
    progress: str | None = Field(description="The week's review progress in words")
    items_final: int
    drawn: int
    confidence: float | None = Field(description="The plan's confidence, at which the verdicts are reached")
    weeks: list[str] = Field(description="Weeks with a final label, oldest first (each can be asked for with ?week=)")
    lines: list[LineOut]
    url: str


def _line(figures: scorecard.LineFigures) -> dict[str, Any]:
    interval = None
    if figures["lower"] is not None and figures["upper"] is not None:
        interval = {"lower": figures["lower"], "upper": figures["upper"], "confidence": figures["confidence"]}
    return dict(figures) | {"interval": interval}


@router.get("/projects/{project}/scorecard", response={200: ScorecardOut, **errors(400)},
            operation_id="readScorecard", summary="Read the scorecard")
def read_scorecard(request: HttpRequest, project: str,
                   week: str | None = Query(None, description="ISO week, e.g. 2026-W47 (default: the latest with a "
                                                               "final label)", example="2026-W47")):
    """The scorecard's lines for one week, as the Scorecard page judges it: by default the latest
    week with a final label, which may still be in progress (`complete` says). A week asked for
    that has no final label is a 404."""
    target = lead_project_for(request, project, doing="read the scorecard")
    asked = None
    if week is not None:
        try:
            asked = str(IsoWeek.parse(week))
        except ValueError as exc:
            return Status(400, {"detail": f"week: {exc}"})
    card = scorecard.for_project(target, asked)
    judged = card.judged
    if asked is not None and (judged is None or judged.week != asked):
        return Status(404, {"detail": f"week {asked} has no audit with a final label"})
    return Status(200, {
        "week": judged.week if judged else None, "complete": bool(judged and judged.complete),
        "progress": judged.progress if judged else None, "items_final": judged.items if judged else 0,
        "drawn": judged.drawn if judged else 0, "confidence": judged.confidence if judged else None,
        "weeks": [str(run.week) for run, _ in card.with_data],
        "lines": [_line(scorecard.figures(line)) for line in card.lines],
        "url": f"/p/{target.slug}/scorecard/" + (f"?week={judged.week}" if judged else ""),
    })


# A week's metrics: report.py's dataclasses, field for field (tests/api/test_read_api.py checks they agree).

class EstimateOut(Schema):
    """The design-weighted rate (sampling.Estimate as stored)."""

    value: float
    se: float | None
    lower: float
    upper: float
    n_eff: float | None = Field(description="Effective sample size (Korn-Graubard)")
    confidence: float
    n: int
    positives: int
    method: str
    df: int | None
    population: int | None
    upper_one_sided: float | None = Field(description="One-sided upper bound at the same confidence")


class ProportionOut(Schema):
    """An unweighted rate, positives of n, with its Wilson interval."""

    value: float
    lower: float
    upper: float
    positives: int
    n: int


class StratumRateOut(ProportionOut):
    stratum: str


class RateOut(Schema):
    metric: str = Field(description="The rate's key, e.g. verdict:failure")
    label: str
    higher_is_better: bool
    weighted: EstimateOut | None = Field(description="None until a stratum has a final label")
    naive: ProportionOut | None
    strata: list[StratumRateOut] = Field(description="Per stratum, unweighted (one stratum is one simple random sample)")


class StratumOut(Schema):
    name: str
    population: int = Field(description="The stratum's outputs that week")
    drawn: int
    final: int = Field(description="Drawn items with a final label")
    risk_weight: float


class AlphaOut(Schema):
    value: float | None
    lower: float | None
    upper: float | None
    enough: bool = Field(description="False below the minimum rule: no interval, `note` says why")
    one_sided: bool = Field(description="No disagreement: read as \"at least lower\"")
    note: str
    min_items: int


class PairOut(Schema):
    a: str
    b: str
    n: int
    percent: float
    kappa: float | None = Field(description="Cohen's kappa")


class AgreementOut(Schema):
    question: str = Field(description="The rubric question's key")
    label: str
    level: str
    items: int
    reviewers: int
    percent: float | None
    fleiss: float | None
    alpha: AlphaOut | None = Field(description="Krippendorff's alpha; none until an item was rated by two reviewers")
    pairs: list[PairOut]


class ReviewerOut(Schema):
    name: str
    labels: int
    gold_n: int
    gold_agree: int
    median_seconds: float | None
    per_hour: float | None
    gold_rate: float | None


class JudgedStratumOut(Schema):
    name: str
    population: int
    scored: int = Field(description="The stratum's outputs the judge scored (usably, under the mapping)")
    reviewed: int
    judge_mean: float | None = Field(description="The judge's mean over the stratum; none where it was not used")
    used: bool


class JudgeAgreementOut(Schema):
    tpr: float | None
    tpr_interval: tuple[float | None, float | None]
    tnr: float | None
    tnr_interval: tuple[float | None, float | None]
    precision: float | None
    precision_interval: tuple[float | None, float | None]
    kappa: float | None
    kappa_interval: tuple[float | None, float | None]
    n: int
    n_eff: float
    counts: list[list[int]] = Field(description="[[TN, FP], [FN, TP]]: human (rows) by judge (columns)")
    shares: list[list[float]] = Field(description="The same table in design-weighted shares")


class JudgedOut(Schema):
    """A rate estimated with a mapped evaluator (docs/judge.md)."""

    metric: str
    evaluator: str
    evaluator_id: int
    estimate: EstimateOut | None = Field(description="The judge-assisted estimate over the same strata as `weighted`")
    human_n_eff: float | None
    gain: float | None = Field(description="Extra human reviews the judge is worth this week (n_eff difference)")
    used: bool = Field(description="The judge was used in at least one stratum")
    lower_one_sided: float | None
    upper_one_sided: float | None
    strata: list[JudgedStratumOut]
    fallback: dict[str, str] = Field(description="Strata estimated from reviews alone, with the reason")
    agreement: JudgeAgreementOut | None


class MetricsOut(Schema):
    week: str
    computed_at: IsoDateTime | None
    stale: bool = Field(description="Labels changed since; a recompute is queued")
    complete: bool = Field(description="Every drawn item has a final label")
    population: int
    covered_population: int = Field(description="Outputs of the strata with a final label: what the weighted rates are about")
    items: dict[str, int] = Field(description="Drawn items by review status")
    items_final: int
    drawn: int
    labels: int
    strata: list[StratumOut]
    rates: list[RateOut]
    agreement: list[AgreementOut]
    reviewers: list[ReviewerOut]
    judged: list[JudgedOut] = Field(description="Rates with a mapped evaluator: judge-assisted estimates")
    url: str


def _metrics_out(report: RunReport) -> dict[str, Any]:
    return {
        "week": report.week, "population": report.population, "covered_population": report.covered_population,
        "items": dict(report.items), "items_final": report.items_final, "drawn": report.drawn,
        "labels": report.labels, "complete": report.complete, "strata": list(report.strata),
        "rates": [{"metric": key, "label": rate.label, "higher_is_better": rate.higher_is_better,
                   "weighted": rate.weighted, "naive": rate.naive,
                   "strata": [{"stratum": name, "value": cell.value, "lower": cell.lower, "upper": cell.upper,
                               "positives": cell.positives, "n": cell.n} for name, cell in rate.strata.items()]}
                  for key, rate in report.rates.items()],
        "agreement": [{"question": key, "label": entry.label, "level": entry.level, "items": entry.items,
                       "reviewers": entry.reviewers, "percent": entry.percent, "fleiss": entry.fleiss,
                       "alpha": entry.alpha, "pairs": list(entry.pairs)} for key, entry in report.agreement.items()],
        "reviewers": list(report.reviewers),
        "judged": [{"metric": key, "evaluator": entry.evaluator, "evaluator_id": entry.evaluator_id,
                    "estimate": entry.estimate, "human_n_eff": entry.human_n_eff, "gain": entry.gain,
                    "used": entry.used, "lower_one_sided": entry.lower_one_sided,
                    "upper_one_sided": entry.upper_one_sided, "strata": list(entry.strata),
                    "fallback": dict(entry.fallback), "agreement": entry.agreement}
                   for key, entry in report.judged.items()],
    }


@router.get("/projects/{project}/metrics/{week}", response={200: MetricsOut, **errors(400, 409)},
            operation_id="readMetrics", summary="Read a week's metrics")
def read_metrics(request: HttpRequest, project: str, week: Week):
    """Every rate of the week's audit with its interval, n_eff and per-stratum rows, agreement and
    reviewers, as the week's Metrics page shows them. 404 when the week was not drawn; 409 while
    its first computation is still queued (ask again shortly)."""
    target = lead_project_for(request, project, doing="read the metrics")
    try:
        asked = IsoWeek.parse(week)
    except ValueError as exc:
        return Status(400, {"detail": f"week: {exc}"})
    run = target.audit_runs.of_week(asked).first()
    if run is None:
        return Status(404, {"detail": f"no audit drawn for {asked}"})
    row = actions.metrics_for(run)
    report = row.report
    if report is None:
        return Status(409, {"detail": f"the metrics of {asked} are being computed: ask again shortly"})
    return Status(200, _metrics_out(report) | {
        "week": str(run.week), "computed_at": row.computed_at,
        "stale": row.stale, "url": f"/p/{target.slug}/metrics/{run.week}/"})


class AlertOut(Schema):
    id: int
    week: str
    metric: str = Field(description="The rate's key; empty for a test alert")
    label: str = Field(description="The metric in words")
    state: str = Field(description="critical | worse | within-resolved | midweek-<stratum> | test (and the rules' "
                                   "other states, see the Alerts page)")
    text: str = Field(description="The alert as sent: metric, week, estimate with its interval, the rule, a link")
    estimate: float | None
    interval: IntervalOut | None
    rule: str
    is_test: bool
    created_at: IsoDateTime
    attempts: int = Field(description="Delivery attempts, over every channel (retries included)")
    delivered: int = Field(description="Attempts that succeeded")


@router.get("/projects/{project}/alerts", response={200: list[AlertOut], **errors(400)},
            operation_id="listAlerts", summary="List the alerts sent")
def list_alerts(request: HttpRequest, project: str,
                week: str | None = Query(None, description="Only this ISO week's, e.g. 2026-W47", example="2026-W47"),
                limit: int = Query(100, ge=1, le=1000, description="At most this many, newest first")):
    """Newest first, with how many delivery attempts each had and how many succeeded (the
    attempts themselves, status codes and errors, are on the Alerts page)."""
    target = lead_project_for(request, project, doing="see the alerts")
    found = Alert.objects.filter(project=target)
    if week is not None:
        try:
            found = found.filter(week=str(IsoWeek.parse(week)))
        except ValueError as exc:
            return Status(400, {"detail": f"week: {exc}"})
    found = found.annotate(n_attempts=Count("attempts"), n_delivered=Count("attempts", filter=Q(attempts__ok=True))
                           ).order_by("-created_at", "-id")  # as the Alerts page
    return Status(200, [
        {"id": a.pk, "week": a.week, "metric": a.metric, "label": a.label, "state": a.state, "text": a.text,
         "estimate": a.estimate, "rule": a.rule, "is_test": a.is_test, "created_at": a.created_at,
         "interval": {"lower": a.lower, "upper": a.upper, "confidence": None}
         if a.lower is not None and a.upper is not None else None,
         "attempts": a.n_attempts, "delivered": a.n_delivered}
        for a in found[:limit]])
