from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_tables2 import RequestConfig

from reviewapp import jobs
from reviewapp.lib.charts import line_chart
from reviewapp.lib.http import AuthenticatedHttpRequest
from reviewapp.lib.tables import KnownCountPaginator, export_response, exporting
from reviewapp.lib.weeks import IsoWeek
from reviewapp.projects.access import is_lead, lead_project_for, project_for

from . import actions, lifecycle, planning, tasks
from .filters import AuditItemFilter
from .forms import DrawForm, SamplingPlanForm
from .models import DrawnOutput, SamplingPlan
from .tables import AuditItemTable


def _calculator_week(project, plan) -> IsoWeek:
    """The week the calculator sizes for: the last complete one, which is what the next draw will see."""
    return actions.previous_week(plan)


def _figures_context(project, plan, volume: int | None = None) -> dict:
    """The figures for a week of `volume` outputs (default: the last complete week's own count),
    split over the strata as that week's were; and what each stratum row caught of that week."""
    week = _calculator_week(project, plan)
    counts = actions.planning_populations(project, plan, week)
    last = sum(counts.values())
    volume = last if volume is None else volume
    fig = planning.figures(plan, planning.what_if_populations(plan, counts, volume))
    chart = line_chart(fig.power_curve, title=f"Chance to show a rise above {fig.detection.baseline:.2%}, with {fig.size} items",
                       x_label="true error rate (errors spread evenly)", y_label="chance; dashed: alert rate",
                       marker=plan.alert_rate) if fig.power_curve and fig.detection else ""
    rows = planning.row_counts(plan, counts)
    return {"plan": plan, "fig": fig, "words": planning.plain_words(plan, fig), "week": week, "power_chart": chart,
            "last_total": last, "volume": volume, "what_if": volume != last, "row_counts": rows,
            "caught": {r.name: r.outputs for r in rows}}


def _strata_rows(form: SamplingPlanForm, caught: dict[str, int] | None) -> list[tuple[dict, int | None]]:
    """The editor's rows, each with what it caught last week when the figures are for these rows."""
    return [(row, caught.get(row["name"]) if caught is not None else None) for row in form.rows or []]


@require_http_methods(["GET", "POST"])
def plan_edit(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    project = lead_project_for(request, slug)
    current = SamplingPlan.current(project) or SamplingPlan.default_for(project)
    week = _calculator_week(project, current)  # before the form writes what was typed onto the plan
    form = SamplingPlanForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        plan = form.save(commit=False)
        plan.project = project
        plan.save_as_new_version(user=request.user)
        messages.success(request, f"Saved as plan version {plan.version}. The next draw uses it; earlier runs keep theirs.")
        return redirect("reviewapp:plan-edit", project.slug)
    context: dict = {"project": project, "form": form, "versions": project.sampling_plans.all()[:20]}
    if request.method == "GET":
        context |= _figures_context(project, current)
        form.fields["weekly_volume"].initial = context["last_total"]
    else:
        context |= {"errors": form.messages(), "week": week}
    context["strata_rows"] = _strata_rows(form, context.get("caught"))
    return render(request, "audits/plan_edit.html", context)


@require_POST
def plan_preview(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """htmx: the calculator's figures for the form as it stands, unsaved, at the weekly volume typed."""
    project = lead_project_for(request, slug)
    form = SamplingPlanForm(request.POST, instance=SamplingPlan(project=project))
    if not form.is_valid():
        return render(request, "audits/_figures.html", {"errors": form.messages()})
    plan = form.save(commit=False)
    context = _figures_context(project, plan, form.cleaned_data.get("weekly_volume"))
    context |= {"from_rows": form.uses_rows(), "strata_json": plan.strata}
    return render(request, "audits/_figures.html", context)


@require_GET
def run_list(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    project = project_for(request, slug)
    plan = SamplingPlan.current(project)
    runs = {(r.iso_year, r.iso_week): r for r in project.audit_runs.select_related("plan")[:52]}
    weeks = []
    if plan:
        now = timezone.now()
        this_week = IsoWeek.containing(now, plan.time_zone)
        for back in range(0, 6):
            week = this_week.shift(-back)
            status = lifecycle.week_status(project, week, plan=plan, now=now, run=runs.get((week.year, week.week)))
            weeks.append({"week": week, "status": status, "run": status.run,
                          "late": lifecycle.late_arrivals(status.run) if status.run else 0})
    context = {"project": project, "plan": plan, "weeks": weeks, "can_draw": is_lead(project, request.user)}
    return render(request, "audits/run_list.html", context)


@require_POST
def run_draw(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """Check the week now, so the lead hears why not at once; the draw itself runs as a job."""
    project = lead_project_for(request, slug)
    back = redirect("reviewapp:run-list", project.slug)
    form = DrawForm(request.POST)
    if not form.is_valid():
        # An ErrorList yields its messages as text (typed as text or ValidationError).
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return back
    week, early = form.cleaned_data["week"], form.cleaned_data["early"]
    try:
        status = lifecycle.week_status(project, week)
        lifecycle.check_drawable(status, early=early)
    except lifecycle.NoPlan:
        messages.error(request, "Save a sampling plan first.")
        return back
    except lifecycle.DrawRefused as refused:
        hint = " To draw it anyway, tick the confirmation." if refused.status.early_only else ""
        messages.error(request, f"{refused}{hint}")
        return back
    if status.run:
        messages.info(request, status.message)
        return back
    jobs.enqueue(tasks.draw_audit_job, project.pk, str(week), request.user.pk, early)
    messages.info(request, f"Drawing the audit of {week}{' early' if status.early_only else ''}"
                  + ("…" if jobs.describe_mode().startswith("background jobs go") else "."))
    return back


@require_GET
def run_detail(request: AuthenticatedHttpRequest, slug: str, year: int, week: int) -> HttpResponse:
    project = project_for(request, slug)
    run = get_object_or_404(project.audit_runs.of_week((year, week)).select_related("plan"))
    rows = AuditItemTable.rows(run.items.all(), paged=not exporting(request))
    items = AuditItemFilter(request.GET, queryset=rows, run=run)
    table = AuditItemTable(items.qs, project=project)
    filtered = any(request.GET.get(name) for name in items.filters)
    RequestConfig(request, paginate={"per_page": 50, "paginator_class": KnownCountPaginator,
                                     "count": None if filtered else run.size}).configure(table)
    if response := export_response(request, table, f"audit-{run.week}"):
        return response
    strata = [{"name": name, "population": run.populations.get(name, 0), "size": n,
               "probability": n / run.populations[name] if run.populations.get(name) else 0}
              for name, n in run.allocation.items()]
    return render(request, "audits/run_detail.html", {"project": project, "run": run, "table": table, "strata": strata,
                                                      "filter": items, "late": lifecycle.late_arrivals(run)})


@require_GET
def drawn_output_detail(request: AuthenticatedHttpRequest, slug: str, output_id: int) -> HttpResponse:
    """A drawn output as the draw froze it: what its reviewers judged, still there after retention."""
    project = project_for(request, slug)
    output = get_object_or_404(DrawnOutput, project=project, pk=output_id)
    return render(request, "reviewapp/output_detail.html", {"project": project, "output": output, "drawn": True})
