"""Jobs (django-rq or in-process): thin wrappers that take ids and call actions."""
from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django.utils import timezone

from reviewapp.lib.weeks import IsoWeek
from reviewapp.projects.models import Project

from . import actions, lifecycle
from .models import SamplingPlan

logger = logging.getLogger("reviewapp.audits")


def draw_audit_job(project_id: int, week: str, requested_by_id: int | None = None, early: bool = False) -> int:
    """Draw one project's audit of one week; safe to run twice (the second finds the run).

    The view checked the week before queueing it; a week only moves on (open, in grace, ready),
    so the check made here again passes too."""
    project = Project.objects.get(pk=project_id)
    user = get_user_model().objects.filter(pk=requested_by_id).first() if requested_by_id else None
    run, _ = actions.draw_audit(project=project, week=IsoWeek.parse(week), requested_by=user, early=early)
    return run.pk


def weekly_draw_job() -> list[int]:
    """The scheduler's job, run every hour: each planned project gets its audit of the latest week
    whose grace period for late arrivals is over, unless that week is drawn already or empty.

    Hourly, because a week ends at midnight in the plan's time zone and is due `grace_hours`
    later: one fixed weekly time would come too early for some zones (before the grace is over)
    and a week late for others. A week stays due for seven days, so a scheduler that was down
    for a few hours catches up at its next run. Never draws early. Returns the new runs' ids."""
    runs = []
    now = timezone.now()
    for project in Project.objects.filter(sampling_plans__isnull=False).distinct():
        plan = SamplingPlan.current(project)
        if plan is None:  # deleted since the query above
            continue
        week = lifecycle.latest_due_week(plan, now)
        try:
            status = lifecycle.week_status(project, week, plan=plan, now=now)
            if status.state == lifecycle.State.EMPTY:
                logger.info("scheduled draw of %s %s skipped: %s", project.slug, week, status.message)
                continue
            if status.state != lifecycle.State.READY:
                continue  # drawn already (the usual case, every hour but one)
            run, created = actions.draw_audit(project=project, week=week)  # its own now: the frame closes at the draw
            if created:
                runs.append(run.pk)
        except Exception:  # one project's failure must not stop the others; it is logged loudly
            logger.exception("scheduled draw failed for project %s, week %s", project.slug, week)
    return runs


def retention_job() -> int:
    """The scheduler's daily job: partitions for the weeks ahead (PostgreSQL), then each project's
    retention (audits.retention). Safe to run twice: a second run finds nothing left to retire."""
    from reviewapp.ingest import partitions

    from . import retention

    created = partitions.ensure_partitions()
    if created:
        logger.info("created partitions ahead: %s", ", ".join(created))
    return len(retention.retire())
