"""Cached metrics: a label change marks them stale; without a worker a page recomputes them; with
django-rq a burst of changes queues one delayed job on a real Redis, and a Redis outage never
costs a label."""
from __future__ import annotations

import logging

import pytest

from reviewapp.metrics import actions as metrics
from reviewapp.metrics import report
from reviewapp.metrics.models import RunMetrics
from reviewapp.review import actions
from tests.helpers import BAD, GOOD, drawn_run


def submit(project, user, data):
    claim = actions.claim_next(user=user, project=project)
    return actions.submit_label(claim=claim, user=user, data=data)


@pytest.mark.django_db(transaction=True)
def test_a_label_change_makes_cached_metrics_stale_and_a_page_recomputes_them_in_process(project_a, alice):
    run = drawn_run(project_a)
    row = metrics.metrics_for(run)
    assert not row.stale and row.data["labels"] == 0 and row.duration_ms is not None
    submit(project_a, alice, BAD)
    assert RunMetrics.objects.get(run=run).stale
    row = metrics.metrics_for(run)
    assert not row.stale and row.data["labels"] == 1
    assert row.data["rates"]["verdict:failure"]["naive"]["positives"] == 1


@pytest.mark.django_db(transaction=True)
def test_with_rq_a_burst_of_labels_queues_one_delayed_job_that_a_worker_runs(settings, redis_url, project_a, alice):
    import django_rq
    from rq import SimpleWorker

    settings.JOBS_MODE = "rq"
    settings.RQ_QUEUES = {"default": {"URL": redis_url, "DEFAULT_TIMEOUT": 60}}
    queue = django_rq.get_queue("default")
    queue.empty()
    for registry in (queue.scheduled_job_registry, queue.failed_job_registry):
        for job_id in registry.get_job_ids():
            registry.remove(job_id, delete_job=True)
    run = drawn_run(project_a)
    for data in (GOOD, BAD, GOOD):
        submit(project_a, alice, data)
    row = RunMetrics.objects.get(run=run)
    assert row.pending and row.stale
    assert queue.scheduled_job_registry.count == 1 and queue.count == 0  # one job, waiting for the debounce
    # The worker's scheduler would move it to the queue when due; run it now.
    job = queue.fetch_job(queue.scheduled_job_registry.get_job_ids()[0])
    queue.enqueue_job(job)
    queue.scheduled_job_registry.remove(job)
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
    row.refresh_from_db()
    assert not row.pending and not row.stale and row.data["labels"] == 3
    assert queue.failed_job_registry.count == 0
    submit(project_a, alice, BAD)  # a change after the job queues the next one
    assert queue.scheduled_job_registry.count == 1


@pytest.mark.django_db(transaction=True)
def test_a_redis_outage_never_costs_a_label(settings, project_a, alice, caplog):
    settings.JOBS_MODE = "rq"
    settings.RQ_QUEUES = {"default": {"URL": "redis://127.0.0.1:1/0", "DEFAULT_TIMEOUT": 60}}  # nothing listens
    run = drawn_run(project_a)
    with caplog.at_level(logging.ERROR, logger="reviewapp.metrics"):
        label = submit(project_a, alice, BAD)
    assert label.pk and run.items.filter(labels_count=1).count() == 1
    row = RunMetrics.objects.get(run=run)
    assert row.stale and not row.pending  # asked again at the next change or page view
    assert "could not queue the metrics" in caplog.text


@pytest.mark.django_db(transaction=True)  # jobs are sent when the transaction commits
def test_a_job_redis_no_longer_has_is_queued_again(settings, redis_url, project_a):
    import django_rq

    settings.JOBS_MODE = "rq"
    settings.RQ_QUEUES = {"default": {"URL": redis_url, "DEFAULT_TIMEOUT": 60}}
    run = drawn_run(project_a)
    RunMetrics.objects.create(run=run)
    assert metrics.request(run.pk) is True
    first = RunMetrics.objects.get(run=run).job_id
    assert metrics.request(run.pk) is False  # waiting in Redis: one job is enough
    django_rq.get_connection("default").flushdb()  # Redis restarted empty: the job is gone
    assert metrics.request(run.pk) is True
    assert RunMetrics.objects.get(run=run).job_id != first


@pytest.mark.django_db(transaction=True)
def test_a_recompute_that_dies_midway_leaves_the_last_numbers_and_the_next_one_catches_up(project_a, alice,
                                                                                         monkeypatch):
    from reviewapp.metrics import compute

    run = drawn_run(project_a)
    submit(project_a, alice, BAD)
    first = metrics.metrics_for(run)
    submit(project_a, alice, GOOD)

    def dies(run):
        raise MemoryError("the worker died")

    monkeypatch.setattr(compute, "run_metrics", dies)
    with pytest.raises(MemoryError):
        metrics.refresh(run)
    row = RunMetrics.objects.get(run=run)
    assert row.data == first.data and row.stale and not row.pending  # the last complete numbers; asked again
    monkeypatch.undo()
    assert metrics.metrics_for(run).data["labels"] == 2


@pytest.mark.django_db(transaction=True)
def test_numbers_cached_by_an_older_compute_are_recomputed_on_read(project_a):
    """A cache written under an older SCHEMA_VERSION (e.g. before agreement's minimum rule) is stale."""
    run = drawn_run(project_a)
    row = metrics.metrics_for(run)
    row.data = {**row.data, "schema": 1}
    row.save(update_fields=["data"])
    assert RunMetrics.objects.get(run=run).stale
    assert metrics.metrics_for(run).data["schema"] == report.SCHEMA_VERSION
