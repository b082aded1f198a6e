"""The QA lead's numbers: the scorecard with its trends, a run's full metrics, the scorecard's settings."""
from __future__ import annotations

from django.contrib import messages
from django.forms import modelformset_factory
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from reviewapp.lib.charts import trend_chart
from reviewapp.lib.dbrouter import lagging_reads
from reviewapp.lib.http import AuthenticatedHttpRequest
from reviewapp.lib.tables import export_response
from reviewapp.projects.access import lead_project_for
from reviewapp.review.models import LabelSchema

from . import actions, scorecard
from .catalogue import rates
from .forms import ScorecardLineForm, ScorecardLines
from .models import ScorecardMetric
from .tables import RatesTable, ScorecardTable


@require_GET
@lagging_reads(max_wait=0.2)  # past weeks, read from the replica when it is this close (lib/dbrouter.py)
def scorecard_page(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """One week judged (?week=2026-W47, default the latest with a final label); every number is that week's.
    ?_export=csv: the judged week's lines as CSV."""
    project = lead_project_for(request, slug)
    card = scorecard.for_project(project, request.GET.get("week"))
    if response := export_response(request, ScorecardTable.of(card), f"scorecard-{project.slug}-"
                                   f"{card.judged.week if card.judged else 'none'}"):
        return response
    judged, lines = card.judged, card.lines
    return render(request, "metrics/scorecard.html", {
        "project": project, "can_lead": True, "lines": lines, "charts": [_trend(line) for line in lines],
        "judged": judged, "other_weeks": card.other_weeks,
        "small_stratum": scorecard.SMALL_STRATUM, "configured": ScorecardMetric.objects.filter(project=project).exists(),
        "breakdown": [(line, [line.current.strata.get(name) if line.current else None for name in judged.strata])
                      for line in lines] if judged else [],
        "runs": [(run, row, report, scorecard.review_state(report)) for run, row, report in card.runs],
    })


def _trend(line) -> str:
    """The line's weeks with a figure, each point and the band with a hover value."""
    weeks = [(w, w.estimate) for w in line.weeks if w.estimate is not None]
    return trend_chart(
        [w.week for w, _ in weeks], [e.value for _, e in weeks], [e.lower for _, e in weeks],
        [e.upper for _, e in weeks], title=line.label, threshold=line.threshold, guardrail=line.guardrail,
        lcl=[w.lcl for w, _ in weeks], ucl=[w.ucl for w, _ in weeks], items=[w.items for w, _ in weeks],
        notes=["" if w.complete else f"in progress: {w.items} of {w.drawn} items" for w, _ in weeks],
        selected=next((i for i, (w, _) in enumerate(weeks) if w is line.current), None))


@require_GET
def run_metrics(request: AuthenticatedHttpRequest, slug: str, year: int, week: int) -> HttpResponse:
    project = lead_project_for(request, slug)
    run = get_object_or_404(project.audit_runs.of_week((year, week)))
    row = actions.metrics_for(run)
    report = row.report
    if report is not None and (response := export_response(request, RatesTable.of(report, str(run.week)),
                                                            f"metrics-{project.slug}-{run.week}")):
        return response
    # The progress and stopping verdicts come from the template's {% audit_progress run %}.
    return render(request, "metrics/run.html", {
        "project": project, "can_lead": True, "run": run, "row": row, "report": report,
    })


@require_POST
def recompute(request: AuthenticatedHttpRequest, slug: str, year: int, week: int) -> HttpResponse:
    project = lead_project_for(request, slug)
    run = get_object_or_404(project.audit_runs.of_week((year, week)))
    actions.recompute(run)
    messages.info(request, f"The metrics of {run.week} are being recomputed.")
    return redirect("reviewapp:run-metrics", project.slug, year, week)


@require_GET
def run_status(request: AuthenticatedHttpRequest, slug: str, year: int, week: int) -> HttpResponse:
    """Polled by the run page while a recompute is queued: reloads the page once it is done."""
    project = lead_project_for(request, slug)
    run = get_object_or_404(project.audit_runs.of_week((year, week)))
    row = actions.metrics_for(run)
    response = render(request, "metrics/_status.html", {"project": project, "run": run, "row": row})
    if not row.stale and request.GET.get("since") != (row.computed_at.isoformat() if row.computed_at else ""):
        response["HX-Refresh"] = "true"
    return response


@require_http_methods(["GET", "POST"])
def scorecard_settings(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
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
