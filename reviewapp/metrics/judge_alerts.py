"""The judge drift alert: a complete week where a mapped evaluator's agreement with the reviewers
fell (judge_certification.drift), sent through the project's channels like every alert.

Called by alerts.check once a run's report is stored. One alert per (evaluator, week): the key
(project, week, metric "judge:<evaluator id>", state "judge-drift") is get_or_create'd, so a
recompute that finds the same fall sends nothing new."""
from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from reviewapp.audits.models import AuditRun

from .catalogue import NAMES
from .judge_certification import Week, drift, figure, weeks_of
from .models import Alert, RunMetrics
from .report import RunReport

DRIFT = "judge-drift"


def metric_key(evaluator_id: int) -> str:
    return f"judge:{evaluator_id}"


def drift_alerts(run: AuditRun, report: RunReport) -> list[Alert]:
    """The run's drift alerts, created (not yet sent); none for a week still open."""
    if not report.complete or not report.judged:
        return []
    project, week = run.project, str(run.week)
    earlier = list(AuditRun.objects.filter(project=project, week_start__lt=run.week_start).order_by("-week_start"))
    stored = {row.run_id: row.report for row in RunMetrics.objects.filter(run__in=earlier)}
    history = [(r, cached) for r in earlier if (cached := stored.get(r.pk)) is not None]
    created = []
    for rate, judged in sorted(report.judged.items()):
        if judged.agreement is None:
            continue
        before = weeks_of(judged.evaluator_id, rate, history)
        found = drift(Week(run, report, judged.agreement), before)
        if found is None or not found.signal:
            continue
        a = judged.agreement
        url = settings.SITE_URL.rstrip("/") + reverse("reviewapp:judge-certification",
                                                      args=[project.slug, judged.evaluator_id])
        label = f"judge {judged.evaluator} as {NAMES.get(rate, rate)}"[:200]
        text = (f"{project.name}: {label}, week {week}: agreement with the reviewers fell "
                f"({', '.join(found.fell)}). Kappa {figure(a.kappa, a.kappa_interval)}, "
                f"TPR {figure(a.tpr, a.tpr_interval)} over {a.n} reviewed items. Rule: {found.rule}. {url}")
        alert, new = Alert.objects.get_or_create(
            project=project, week=week, metric=metric_key(judged.evaluator_id), state=DRIFT, is_test=False,
            defaults={"label": label, "estimate": a.kappa, "lower": a.kappa_interval[0], "upper": a.kappa_interval[1],
                      "rule": found.rule, "text": text})
        if new:
            created.append(alert)
    return created

