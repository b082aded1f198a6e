"""Keeping a run's cached metrics fresh without recomputing them on every label.

A label change stamps the run's RunMetrics.changed_at (after the label's transaction commits,
one short statement). With django-rq, the first change since the last job also queues a
recompute METRICS_DEBOUNCE seconds later, so a burst of labels costs one job; the job clears
`pending` before it reads, so a label that lands during the computation queues the next one.
In-process (the embedded default, no worker), pages recompute stale metrics when they are read.
Either way a page shows when its numbers were computed and whether labels changed since.
"""
from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from reviewapp import jobs
from reviewapp.audits.models import AuditRun

from .models import RunMetrics

logger = logging.getLogger("reviewapp.metrics")
LOST_AFTER = timedelta(minutes=10)


def refresh(run: AuditRun) -> RunMetrics:
    """Compute the run's metrics now and store them."""
    started = timezone.now()
    row = _row(run.pk)
    RunMetrics.objects.filter(pk=row.pk).update(pending=False)
    from .compute import run_metrics  # here, not at the top: it loads scipy, which a label submit never needs

    clock = time.perf_counter()
    data = run_metrics(run)
    duration = int((time.perf_counter() - clock) * 1000)
    RunMetrics.objects.filter(pk=row.pk).update(data=data, computed_at=started, duration_ms=duration)
    logger.info("metrics of %s: %d labels in %d ms", run, data["labels"], duration)
    row.refresh_from_db()
    return row


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
    if settings.JOBS_MODE == "rq":
        try:
            request(run_id)
        except Exception:  # Redis down: the label is stored; the next change or page view asks again
            RunMetrics.objects.filter(run_id=run_id).update(pending=False)
            logger.exception("could not queue the metrics of run %s; they stay stale until asked again", run_id)


def request(run_id: int) -> bool:
    """Queue a recompute unless one is already queued; True if this call queued it. A job queued
    long ago and never run (a worker killed, Redis flushed) no longer counts as queued."""
    now = timezone.now()
    lost = now - timedelta(seconds=settings.METRICS_DEBOUNCE_SECONDS) - LOST_AFTER
    waiting = RunMetrics.objects.filter(Q(pending=False) | Q(requested_at__lt=lost), run_id=run_id)
    if not waiting.update(pending=True, requested_at=now):
        return False
    jobs.enqueue(refresh_job, run_id, queue="default", delay=timedelta(seconds=settings.METRICS_DEBOUNCE_SECONDS))
    return True


def recompute(run: AuditRun) -> None:
    """A lead asks for fresh numbers: a job with a worker, right now without one."""
    _row(run.pk)
    RunMetrics.objects.filter(run_id=run.pk).update(changed_at=timezone.now())
    if settings.JOBS_MODE == "rq":
        request(run.pk)
    else:
        refresh(run)


def metrics_for(run: AuditRun) -> RunMetrics:
    """The run's metrics for a page: recomputed here when stale and there is no worker to do it."""
    row = _row(run.pk)
    if row.stale:
        if settings.JOBS_MODE == "rq":
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
