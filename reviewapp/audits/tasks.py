"""Jobs (django-rq or in-process): thin wrappers that take ids and call actions."""
from __future__ import annotations

import logging

from django.contrib.auth import get_user_model

from reviewapp.projects.models import Project

from . import actions
from .models import SamplingPlan
from .weeks import IsoWeek

logger = logging.getLogger("reviewapp.audits")


def draw_audit_job(project_id: int, week: str, requested_by_id: int | None = None) -> int:
    """Draw one project's audit of one week; safe to run twice (the second finds the run)."""
    project = Project.objects.get(pk=project_id)
    user = get_user_model().objects.filter(pk=requested_by_id).first() if requested_by_id else None
    run, _ = actions.draw_audit(project=project, week=IsoWeek.parse(week), requested_by=user)
    return run.pk


def weekly_draw_job() -> list[int]:
    """The scheduler's Monday job: every project with a plan gets its audit of the week just ended."""
    runs = []
    for project in Project.objects.filter(sampling_plans__isnull=False).distinct():
        week = actions.previous_week(SamplingPlan.current(project))
        try:
            runs.append(draw_audit_job(project.pk, str(week)))
        except Exception:  # one project's failure must not stop the others; it is logged loudly
            logger.exception("weekly draw failed for project %s, week %s", project.slug, week)
    return runs
