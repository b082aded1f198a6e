"""The QA lead's numbers: the scorecard with its trends, a run's full metrics, the scorecard's settings."""
from __future__ import annotations

from django.contrib import messages
from django.forms import modelformset_factory
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

import sampling
from reviewapp.audits.models import AuditRun
from reviewapp.lib.charts import trend_chart
from reviewapp.projects.access import lead_project_for
from reviewapp.review.models import LabelSchema

from . import actions, scorecard
from .catalogue import rates
from .forms import ScorecardLineForm, ScorecardLines
from .models import ScorecardMetric


def _runs_with_metrics(project) -> tuple[list, list]:
    runs = list(AuditRun.objects.filter(project=project).select_related("plan").order_by("week_start"))
    rows = [actions.metrics_for(run) for run in runs]
    return runs, rows


@require_GET
def scorecard_page(request: HttpRequest, slug: str) -> HttpResponse:
    """One week judged (?week=2026-W47, default the latest with a final label); every number is that week's."""
    project = lead_project_for(request, slug)
    runs, rows = _runs_with_metrics(project)
    with_data = [(run, row.data) for run, row in zip(runs, rows) if scorecard.has_labels(row.data)]
    judged = scorecard.pick_week(with_data, request.GET.get("week"))
    risk = {s["name"]: s["risk_weight"] for _, data in with_data for s in data["strata"]}
    lines = scorecard.lines(project, with_data, risk, week=judged.week if judged else None)
    return render(request, "metrics/scorecard.html", {
        "project": project, "can_lead": True, "lines": lines, "charts": [_trend(line) for line in lines],
        "judged": judged, "other_weeks": [str(run.week) for run, _ in with_data if not judged or str(run.week) != judged.week],
        "small_stratum": scorecard.SMALL_STRATUM, "configured": ScorecardMetric.objects.filter(project=project).exists(),
        "breakdown": [(line, [line.current.strata.get(name) if line.current else None for name in judged.strata])
                      for line in lines] if judged else [],
        "runs": [(run, row, scorecard.review_state(row.data)) for run, row in zip(runs, rows)],
    })


def _trend(line) -> str:
    """The line's weeks with a figure, each point and the band with a hover value."""
    weeks = [w for w in line.weeks if w.estimate]
    return trend_chart(
        [w.week for w in weeks], [w.estimate["value"] for w in weeks], [w.estimate["lower"] for w in weeks],
        [w.estimate["upper"] for w in weeks], title=line.label, threshold=line.threshold, guardrail=line.guardrail,
        lcl=[w.lcl for w in weeks], ucl=[w.ucl for w in weeks], items=[w.items for w in weeks],
        notes=["" if w.complete else f"in progress: {w.items} of {w.drawn} items" for w in weeks],
        selected=next((i for i, w in enumerate(weeks) if w is line.current), None))


@require_GET
def run_metrics(request: HttpRequest, slug: str, year: int, week: int) -> HttpResponse:
    project = lead_project_for(request, slug)
    run = get_object_or_404(AuditRun, project=project, iso_year=year, iso_week=week)
    row = actions.metrics_for(run)
    data = row.data or {}
    return render(request, "metrics/run.html", {
        "project": project, "can_lead": True, "run": run, "row": row, "data": data,
        "rates": list((data.get("rates") or {}).items()), "agreement": list((data.get("agreement") or {}).items()),
        "sprt": _early_stop(project, data),
    })


def _early_stop(project, data: dict) -> list[dict]:
    """Wald's SPRT per high-risk stratum on the error rate, budget = the baseline or guardrail,
    alarm = the threshold of the scorecard's error-rate line: may this stratum's audit stop early?"""
    config = next((c for c in scorecard.configured(project) if c.metric == "verdict:failure"), None)
    entry = (data.get("rates") or {}).get("verdict:failure")
    if config is None or not entry or "strata" not in entry:
        return []
    p1 = config.threshold
    p0 = config.baseline if config.baseline is not None else (config.guardrail or p1 / 2)
    if not 0 < p0 < p1 < 1:
        return []
    test = sampling.SPRT(p0, p1)
    found = []
    for stratum in data["strata"]:
        counts = entry["strata"].get(stratum["name"])
        if stratum["risk_weight"] > 1 and counts:
            found.append({"name": stratum["name"], "n": counts["n"], "errors": counts["positives"], "p0": p0, "p1": p1,
                          "decision": test.decide(counts["n"], counts["positives"]),
                          "clean_to_accept": test.accept_after_clean})
    return found


@require_POST
def recompute(request: HttpRequest, slug: str, year: int, week: int) -> HttpResponse:
    project = lead_project_for(request, slug)
    run = get_object_or_404(AuditRun, project=project, iso_year=year, iso_week=week)
    actions.recompute(run)
    messages.info(request, f"The metrics of {run.week} are being recomputed.")
    return redirect("reviewapp:run-metrics", project.slug, year, week)


@require_GET
def run_status(request: HttpRequest, slug: str, year: int, week: int) -> HttpResponse:
    """Polled by the run page while a recompute is queued: reloads the page once it is done."""
    project = lead_project_for(request, slug)
    run = get_object_or_404(AuditRun, project=project, iso_year=year, iso_week=week)
    row = actions.metrics_for(run)
    response = render(request, "metrics/_status.html", {"project": project, "run": run, "row": row})
    if not row.stale and request.GET.get("since") != (row.computed_at.isoformat() if row.computed_at else ""):
        response["HX-Refresh"] = "true"
    return response


@require_http_methods(["GET", "POST"])
def scorecard_settings(request: HttpRequest, slug: str) -> HttpResponse:
    project = lead_project_for(request, slug)
    choices = [(key, rate.label) for key, rate in rates(LabelSchema.current(project).rubric).items()]
    FormSet = modelformset_factory(ScorecardMetric, form=ScorecardLineForm, formset=ScorecardLines,
                                   extra=2, max_num=scorecard.MAX_LINES, validate_max=True, can_delete=True)
    queryset = ScorecardMetric.objects.filter(project=project)
    initial = [] if queryset.exists() else [
        {"metric": c.metric, "threshold": c.threshold, "guardrail": c.guardrail} for c in scorecard.configured(project)]
    formset = FormSet(request.POST or None, queryset=queryset, initial=initial,
                      form_kwargs={"choices": choices, "project": project})
    if not queryset.exists():
        formset.extra = len(initial) + 1
    if request.method == "POST" and formset.is_valid():
        formset.save()
        messages.success(request, "Scorecard saved.")
        return redirect("reviewapp:scorecard", project.slug)
    return render(request, "metrics/settings.html", {"project": project, "can_lead": True, "formset": formset})
