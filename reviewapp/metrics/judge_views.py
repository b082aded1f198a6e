"""The judges pages: every evaluator with its mapping (leads map, members look), and one evaluator's
certification against the reviewers (judge_certification.py has the rules)."""
from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET, require_http_methods

from reviewapp.audits.models import AuditRun
from reviewapp.ingest.models import Evaluation, Evaluator
from reviewapp.lib.charts import trend_chart
from reviewapp.lib.http import AuthenticatedHttpRequest
from reviewapp.projects.access import is_lead, lead_project_for, project_for
from reviewapp.review.models import LabelSchema

from . import actions, judge_actions
from . import judge_certification as cert
from .catalogue import rates
from .judge_forms import JudgeMappingForm
from .models import JudgeMapping
from .report import JudgeAgreementReport

SEEN_LABELS = 50  # the distinct labels offered per evaluator


@dataclass
class EvaluatorRow:
    evaluator: Evaluator
    evaluations: int
    mappings: list[JudgeMapping]
    form: JudgeMappingForm | None


def _seen_labels(evaluator: Evaluator) -> list[str]:
    """The evaluator's distinct labels, at most SEEN_LABELS (one small query)."""
    return list(Evaluation.objects.filter(evaluator=evaluator).exclude(label="").order_by("label")
                .values_list("label", flat=True).distinct()[:SEEN_LABELS])


def _form(evaluator: Evaluator, choices: list[tuple[str, str]], mappings: list[JudgeMapping], data=None) -> JudgeMappingForm:
    current = mappings[0] if mappings else None
    seen = sorted(set(_seen_labels(evaluator)) | {label for m in mappings for label in m.labels})
    initial = {"rate": current.rate, "reading": current.reading, "labels": current.labels,
               "threshold": current.threshold} if current else {"threshold": 0.5}
    return JudgeMappingForm(data, rates=choices, seen=seen, initial=initial, prefix=f"e{evaluator.pk}")


@require_http_methods(["GET", "POST"])
def judges(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """GET: every evaluator of the project (members may look). POST (leads): map one, or remove a mapping."""
    project = project_for(request, slug)
    lead = is_lead(project, request.user)
    choices = [(key, f"{rate.label} ({key})") for key, rate in rates(LabelSchema.current(project).rubric).items()]
    bound: tuple[int, JudgeMappingForm] | None = None
    if request.method == "POST":
        project = lead_project_for(request, slug, doing="map evaluators to rates")
        if request.POST.get("action") == "remove":
            raw = request.POST.get("mapping", "")
            try:
                removed = judge_actions.unmap_judge(project=project, mapping_id=int(raw) if raw.isdigit() else 0)
                messages.success(request, f"{removed.evaluator} no longer reads {removed.rate}.")
            except judge_actions.MappingRefused as refused:
                messages.error(request, str(refused).capitalize())
            return redirect("reviewapp:judges", project.slug)
        raw = request.POST.get("evaluator", "")
        evaluator = get_object_or_404(Evaluator, project=project, pk=int(raw) if raw.isdigit() else 0)
        mappings = list(JudgeMapping.objects.filter(project=project, evaluator=evaluator))
        form = _form(evaluator, choices, mappings, request.POST)
        if form.is_valid():
            try:
                done = judge_actions.map_judge(
                    project=project, evaluator=evaluator, rate=form.cleaned_data["rate"],
                    reading=form.cleaned_data["reading"], labels=form.yes_labels(),
                    threshold=form.cleaned_data.get("threshold"), user=request.user)
            except judge_actions.MappingRefused as refused:
                form.add_error(refused.field if refused.field in form.fields else None, refused.message)
            else:
                note = f" (it replaces {done.replaced})" if done.replaced else ""
                messages.success(request, f"{evaluator} now reads {done.mapping.rate}{note}; the metrics are recomputed.")
                return redirect("reviewapp:judges", project.slug)
        bound = (evaluator.pk, form)
    evaluators = list(Evaluator.objects.filter(project=project).annotate(n=Count("evaluations")).order_by("name", "version"))
    by_evaluator: dict[int, list[JudgeMapping]] = {}
    for mapping in JudgeMapping.objects.of_project(project):
        by_evaluator.setdefault(mapping.evaluator_id, []).append(mapping)
    rows = []
    for evaluator in evaluators:
        mappings = by_evaluator.get(evaluator.pk, [])
        shown: JudgeMappingForm | None = None
        if lead:
            shown = bound[1] if bound and bound[0] == evaluator.pk else _form(evaluator, choices, mappings)
        rows.append(EvaluatorRow(evaluator, evaluator.n, mappings, shown))
    return render(request, "metrics/judges.html", {"project": project, "can_lead": lead, "rows": rows})


def figures(a: JudgeAgreementReport | None) -> dict[str, str] | None:
    """An agreement's figures as the page prints them: "0.91 [0.84, 0.95]"."""
    if a is None:
        return None
    return {"tpr": cert.figure(a.tpr, a.tpr_interval), "tnr": cert.figure(a.tnr, a.tnr_interval),
            "precision": cert.figure(a.precision, a.precision_interval),
            "kappa": cert.figure(a.kappa, a.kappa_interval), "n": str(a.n), "n_eff": f"{a.n_eff:.0f}"}


@dataclass
class WeekRow:
    week: cert.Week
    drift: cert.Drift | None

    @property
    def a(self) -> JudgeAgreementReport | None:
        return self.week.agreement

    @property
    def figures(self) -> dict[str, str] | None:
        return figures(self.a)

    @property
    def strata(self) -> list[tuple[str, dict[str, str] | None]]:
        return [(name, figures(cell)) for name, cell in sorted(self.a.strata.items())] if self.a else []

    @property
    def confusion(self) -> list[tuple[str, int, int, str, str]] | None:
        """Rows human no / yes: counts judge no, yes; weighted shares judge no, yes."""
        if self.a is None:
            return None
        return [(name, self.a.counts[i][0], self.a.counts[i][1], f"{self.a.shares[i][0]:.1%}",
                 f"{self.a.shares[i][1]:.1%}") for i, name in enumerate(("no", "yes"))]


@require_GET
def certification(request: AuthenticatedHttpRequest, slug: str, evaluator_id: int) -> HttpResponse:
    """One evaluator: weekly agreement (newest first), the selected week in detail (?week=2026-W47),
    the pooled verdict and the drift signal. ?rate= picks one of several mapped rates."""
    project = lead_project_for(request, slug, doing="see a judge's certification")
    evaluator = get_object_or_404(Evaluator, project=project, pk=evaluator_id)
    mappings = list(JudgeMapping.objects.filter(project=project, evaluator=evaluator))
    mapping = next((m for m in mappings if m.rate == request.GET.get("rate")), mappings[0] if mappings else None)
    runs = list(AuditRun.objects.filter(project=project).select_related("plan").order_by("-week_start"))
    reports = [(run, actions.metrics_for(run).report) for run in runs]
    with_reports = [(run, report) for run, report in reports if report is not None]
    rate = mapping.rate if mapping else next(
        (key for _, report in with_reports for key, j in report.judged.items() if j.evaluator_id == evaluator.pk), "")
    weeks = cert.weeks_of(evaluator.pk, rate, with_reports)
    rows = [WeekRow(w, cert.drift(w, weeks[i + 1:])) for i, w in enumerate(weeks)]
    selected = next((r for r in rows if r.week.week == request.GET.get("week")), rows[0] if rows else None)
    verdict = cert.verdict(evaluator, mapping, weeks)
    disagreements = cert.disagreements(mapping, selected.week.run, selected.week.report) \
        if mapping is not None and selected is not None and mapping.rate == rate else []
    return render(request, "metrics/judge_certification.html", {
        "project": project, "can_lead": True, "evaluator": evaluator, "mapping": mapping, "mappings": mappings,
        "rate": rate, "rows": rows, "selected": selected, "verdict": verdict, "charts": _charts(rows),
        "disagreements": disagreements, "agree_at": cert.AGREE_AT, "pooled_weeks": cert.POOLED_WEEKS,
        "drift_weeks": cert.DRIFT_WEEKS, "drift_min_weeks": cert.DRIFT_MIN_WEEKS, "limit": cert.DISAGREEMENTS_SHOWN,
        "verdict_figures": figures(verdict.agreement),
    })


def _charts(rows: list[WeekRow]) -> list[SafeString]:
    """TPR, TNR and kappa by week, oldest first, each with its interval band (kappa below 0 is drawn at 0)."""
    shown = [r for r in reversed(rows) if r.a is not None]
    weeks = [r.week.week for r in shown]
    charts = []
    for name, title, bar in (("tpr", "TPR (judge says yes when reviewers do)", cert.AGREE_AT),
                             ("tnr", "TNR (judge says no when reviewers do)", cert.AGREE_AT),
                             ("kappa", "Cohen's kappa", None)):
        values = [_clip(getattr(r.a, name)) for r in shown]
        lower = [_clip(getattr(r.a, f"{name}_interval")[0]) for r in shown]
        upper = [_clip(getattr(r.a, f"{name}_interval")[1]) for r in shown]
        charts.append(trend_chart(weeks, values, lower, upper, title=title, threshold=bar,
                                  items=[r.a.n if r.a else None for r in shown],
                                  notes=["" if r.week.complete else "week in progress" for r in shown]))
    return charts


def _clip(value: float | None) -> float | None:
    return None if value is None else min(1.0, max(0.0, value))
