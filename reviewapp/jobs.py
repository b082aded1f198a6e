"""Where background work runs: django-rq when REDIS_URL is set, otherwise in this process.

The mode is a setting (``JOBS_MODE``), never a fallback: with Redis configured, an unreachable
Redis is an error the caller sees, not a job silently run inline (label-studio's
``start_job_async_or_sync`` is the counter-example). Jobs are enqueued after the surrounding
transaction commits, so a worker never sees a row that was rolled back.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction

logger = logging.getLogger("reviewapp.jobs")


def runs_in_background() -> bool:
    """True when jobs go to a django-rq worker; False when they run in this process after the commit.

    The one reading of ``JOBS_MODE``: callers that behave differently without a worker (compute on
    read instead of queueing) ask this, never the setting."""
    return settings.JOBS_MODE == "rq"


def mode() -> str:
    """The mode's name as the setting spells it, for pages that state it."""
    return settings.JOBS_MODE


def describe_mode() -> str:
    if runs_in_background():
        return "background jobs go to django-rq (REDIS_URL is set)"
    return "background jobs run in-process, in the web or command process (REDIS_URL is not set)"


def log_mode() -> None:
    logger.info("Spotcheck: %s", describe_mode())


def enqueue(func: Callable[..., Any], *args: Any, queue: str = "default", delay: timedelta | None = None,
            job_id: str | None = None, **kwargs: Any) -> None:
    """Run ``func(*args, **kwargs)`` once the current transaction commits.

    In rq mode the job goes to the named django-rq queue, after ``delay`` if given (the worker's
    scheduler, ``rqworker --with-scheduler``, moves it to the queue then), under ``job_id`` if
    given; in in-process mode it runs synchronously right after the commit, in this process,
    without waiting.
    """
    if runs_in_background():
        import django_rq

        def send() -> None:
            target = django_rq.get_queue(queue)
            if delay:
                target.enqueue_in(delay, func, *args, job_id=job_id, **kwargs)
            else:
                target.enqueue(func, *args, job_id=job_id, **kwargs)

        transaction.on_commit(send, robust=False)
    else:
        transaction.on_commit(lambda: func(*args, **kwargs), robust=False)
