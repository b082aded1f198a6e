"""Keeping a run's cached metrics fresh without recomputing them on every label.

A label change stamps the run's RunMetrics.changed_at (after the label's transaction commits,
one short statement). With django-rq, the first change since the last job also queues a
recompute METRICS_DEBOUNCE seconds later, so a burst of labels costs one job; the job clears
`pending` before it reads, so a label that lands during the computation queues the next one, and
a job Redis no longer has (restarted, flushed) is queued again by the next change.
In-process (the embedded default, no worker), pages recompute stale metrics when they are read.
Either way a page shows when its numbers were computed and whether labels changed since.
"""
from __future__ import annotations

import logging
import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from reviewapp import jobs
from reviewapp.audits.models import AuditRun
from reviewapp.lib.dbrouter import lagging_reads

from .models import RunMetrics

logger = logging.getLogger("reviewapp.metrics")


def refresh(run: AuditRun) -> RunMetrics:
    """Compute the run's metrics now and store them."""
    started = timezone.now()
    row = _row(run.pk)
    RunMetrics.objects.filter(pk=row.pk).update(pending=False)
    from .compute import run_metrics  # here, not at the top: it loads scipy, which a label submit never needs

    clock = time.perf_counter()
    with lagging_reads():  # on the replica, once it has replayed every label committed before `started`
        data = run_metrics(run)
    duration = int((time.perf_counter() - clock) * 1000)
    RunMetrics.objects.filter(pk=row.pk).update(data=data, computed_at=started, duration_ms=duration)
    logger.info("metrics of %s: %d labels in %d ms", run, data["labels"], duration)
    row.refresh_from_db()
    _alert(run, row)
    return row


def _alert(run: AuditRun, row: RunMetrics) -> None:
    """A changed scorecard status or a mid-week decision: one alert, sent after the commit. The
    numbers are stored either way: an alert that cannot be worked out is logged, never a lost recompute."""
    from . import alerts  # here: it loads the scorecard's statistics, which a label submit never needs

    try:
        alerts.check(run, row.report)
    except Exception:
        logger.exception("could not work out the alerts of %s", run)


def refresh_job(run_id: int) -> None:
    run = AuditRun.objects.select_related("project").filter(pk=run_id).first()
    if run is not None:  # the run may have been deleted since
        refresh(run)


def label_changed(run_id: int) -> None:
    """Call inside the transaction that changed a label of the run."""
    transaction.on_commit(lambda: _stamp(run_id))


def _stamp(run_id: int) -> None:
    now = timezone.now()
    if not RunMetrics.objects.filter(run_id=run_id).update(changed_at=now):
        _row(run_id)
    if jobs.runs_in_background():
        try:
            request(run_id)
        except Exception:  # Redis down: the label is stored; the next change or page view asks again
            RunMetrics.objects.filter(run_id=run_id).update(pending=False)
            logger.exception("could not queue the metrics of run %s; they stay stale until asked again", run_id)


def request(run_id: int) -> bool:
    """Queue a recompute unless one is already waiting in Redis; True if this call queued it.

    The row remembers the job's id: a job that no longer exists (Redis restarted or flushed, the
    job lost with a killed worker) does not count as waiting, so the next change queues another.
    The compare-and-set on (pending, job_id) lets one caller of several concurrent ones queue it."""
    row = RunMetrics.objects.filter(run_id=run_id).values("pending", "job_id").first()
    if row is None or (row["pending"] and _waiting(row["job_id"])):
        return False
    job_id = f"metrics-{run_id}-{uuid.uuid4().hex[:12]}"
    claimed = RunMetrics.objects.filter(run_id=run_id, pending=row["pending"], job_id=row["job_id"]).update(
        pending=True, job_id=job_id, requested_at=timezone.now())
    if not claimed:
        return False
    jobs.enqueue(refresh_job, run_id, queue="default", delay=timedelta(seconds=settings.METRICS_DEBOUNCE_SECONDS),
                 job_id=job_id)
    return True


def _waiting(job_id: str) -> bool:
    """The job is in Redis (queued, scheduled or running; a finished one has cleared `pending`)."""
    import django_rq
    from rq.job import Job

    return bool(job_id) and Job.exists(job_id, connection=django_rq.get_connection("default"))


def recompute(run: AuditRun) -> None:
    """A lead asks for fresh numbers: a job with a worker, right now without one."""
    _row(run.pk)
    RunMetrics.objects.filter(run_id=run.pk).update(changed_at=timezone.now())
    if jobs.runs_in_background():
        request(run.pk)
    else:
        refresh(run)


def metrics_for(run: AuditRun) -> RunMetrics:
    """The run's metrics for a page: recomputed here when stale and there is no worker to do it."""
    row = _row(run.pk)
    if row.stale:
        if jobs.runs_in_background():
            if request(run.pk):
                row.pending = True
        else:
            row = refresh(run)
    return row


def _row(run_id: int) -> RunMetrics:
    try:
        with transaction.atomic():
            return RunMetrics.objects.get_or_create(run_id=run_id)[0]
    except IntegrityError:  # created by a concurrent request
        return RunMetrics.objects.get(run_id=run_id)
