"""`{% audit_progress run %}`: a run's progress and stratum verdicts on any page that shows a run.

The run page (audits) and the reviewer's queue (review) come before metrics in the stage order, so
their views cannot import it; their templates load this tag by name, and the tag does the reading.
"""
from __future__ import annotations

from typing import Any

from django import template

from reviewapp.projects.access import is_lead

from ..progress import run_progress

register = template.Library()


@register.inclusion_tag("metrics/_progress.html", takes_context=True)
def audit_progress(context: template.Context, run) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    return {"run": run, "project": run.project, "progress": run_progress(run),
            "can_close": bool(user and is_lead(run.project, user)),
            "next": request.get_full_path() if request else "", "csrf_token": context.get("csrf_token")}
