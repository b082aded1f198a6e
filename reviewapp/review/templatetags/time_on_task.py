"""Labels given too fast to have been read, counted where a lead looks at a week's reviewers:
`{% load time_on_task %}{% possibly_unread run %}` (the run's) or `{% possibly_unread run r.name %}` (one reviewer's)."""
from __future__ import annotations

from django import template
from django.db.models import Count

from reviewapp.audits.models import AuditRun

from ..models import Label

register = template.Library()


@register.simple_tag(takes_context=True)
def possibly_unread(context: template.Context, run: AuditRun, reviewer: str | None = None) -> int:
    """Labels of the run under the project's minimum time on task, read once per page for every reviewer."""
    key = f"possibly_unread:{run.pk}"
    counts = context.render_context.get(key)
    if counts is None:
        counts = dict(Label.objects.filter(item__run=run).too_fast().values("reviewer__username")
                      .annotate(n=Count("pk")).values_list("reviewer__username", "n"))
        context.render_context[key] = counts
    return counts.get(reviewer, 0) if reviewer is not None else sum(counts.values())
