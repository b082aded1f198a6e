"""Jobs run after commit, in-process by default and on django-rq when REDIS_URL is set; only
reviewapp/jobs.py interprets the mode, everything else asks it."""
from __future__ import annotations

import pytest
import redis
from django.db import transaction
from django.test import RequestFactory

from reviewapp import jobs
from reviewapp.context_processors import runtime

RESULTS: list[str] = []


def remember(value: str) -> None:
    RESULTS.append(value)


def mark_in_redis(url: str, key: str, value: str) -> None:
    redis.Redis.from_url(url).set(key, value)


@pytest.mark.django_db(transaction=True)
def test_in_process_jobs_run_after_commit_only(settings):
    settings.JOBS_MODE = "inprocess"
    RESULTS.clear()
    with transaction.atomic():
        jobs.enqueue(remember, "kept")
        assert RESULTS == []
    assert RESULTS == ["kept"]
    with pytest.raises(RuntimeError), transaction.atomic():
        jobs.enqueue(remember, "rolled back")
        raise RuntimeError
    assert RESULTS == ["kept"]


@pytest.mark.django_db(transaction=True)
def test_rq_jobs_go_to_redis_and_a_worker_runs_them(settings, redis_url):
    import django_rq
    from rq import SimpleWorker

    settings.JOBS_MODE = "rq"
    settings.RQ_QUEUES = {"default": {"URL": redis_url, "DEFAULT_TIMEOUT": 60}}
    django_rq.queues.get_redis_connection.cache_clear() if hasattr(django_rq.queues.get_redis_connection, "cache_clear") else None
    queue = django_rq.get_queue("default")
    queue.empty()
    connection = redis.Redis.from_url(redis_url)
    connection.delete("spotcheck-test-job")
    with transaction.atomic():
        jobs.enqueue(mark_in_redis, redis_url, "spotcheck-test-job", "done")
        assert queue.count == 0  # not before commit
    assert queue.count == 1
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
    assert connection.get("spotcheck-test-job") == b"done"


@pytest.mark.django_db(transaction=True)
def test_an_unreachable_redis_is_a_loud_error_not_a_silent_inline_run(settings):
    settings.JOBS_MODE = "rq"
    settings.RQ_QUEUES = {"default": {"URL": "redis://127.0.0.1:1/0", "DEFAULT_TIMEOUT": 60}}
    RESULTS.clear()
    with pytest.raises(redis.exceptions.ConnectionError), transaction.atomic():
        jobs.enqueue(remember, "never inline")
    assert RESULTS == []


@pytest.mark.parametrize("mode,background", [("rq", True), ("inprocess", False)])
def test_jobs_say_whether_they_run_in_the_background(settings, mode, background):
    settings.JOBS_MODE = mode
    assert jobs.runs_in_background() is background
    assert jobs.mode() == mode
    context = runtime(RequestFactory().get("/"))
    assert context["jobs_in_background"] is background and context["jobs_mode"] == mode
