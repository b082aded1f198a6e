"""The draw as a django-rq job on a real Redis, and the weekly job."""
from __future__ import annotations

from datetime import UTC, datetime
from unittest import mock

import pytest

from reviewapp import jobs
from reviewapp.audits import tasks
from reviewapp.audits.models import AuditRun, SamplingPlan
from tests.helpers import STRATA, WEEK, add_outputs


@pytest.mark.django_db(transaction=True)
def test_the_draw_job_runs_once_on_an_rq_worker(settings, redis_url, project_a):
    import django_rq
    from rq import SimpleWorker

    settings.JOBS_MODE = "rq"
    settings.RQ_QUEUES = {"default": {"URL": redis_url, "DEFAULT_TIMEOUT": 60}}
    SamplingPlan(project=project_a, strata=STRATA).save_as_new_version()
    add_outputs(project_a, {("billing", "medium"): 200})
    queue = django_rq.get_queue("default")
    queue.empty()
    for job_id in queue.failed_job_registry.get_job_ids():  # other tests' (killed workers leave some)
        queue.failed_job_registry.remove(job_id, delete_job=True)
    for _ in range(2):  # a double click, or the scheduler and a lead at once
        jobs.enqueue(tasks.draw_audit_job, project_a.pk, str(WEEK))
    assert queue.count == 2
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
    assert AuditRun.objects.filter(project=project_a).count() == 1
    assert queue.failed_job_registry.count == 0


@pytest.mark.django_db
def test_the_scheduled_job_draws_the_week_that_just_ended_once_its_grace_is_over(project_a, project_b):
    SamplingPlan(project=project_a, strata=STRATA).save_as_new_version()  # UTC, grace 6 hours
    add_outputs(project_a, {("billing", "medium"): 50})
    monday_2am = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    with mock.patch("django.utils.timezone.now", return_value=monday_2am):
        assert tasks.weekly_draw_job() == []  # W47 is in its grace period; W46 is empty
    assert not AuditRun.objects.exists()
    monday_6am = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
    with mock.patch("django.utils.timezone.now", return_value=monday_6am):
        tasks.weekly_draw_job()
        tasks.weekly_draw_job()
    runs = AuditRun.objects.all()
    assert [(r.project.slug, str(r.week)) for r in runs] == [("support", str(WEEK))]  # project_b has no plan
    assert not runs[0].drawn_early and runs[0].created_at == monday_6am and runs[0].requested_by is None


def test_the_cron_config_registers_the_weekly_draw():
    import importlib
    import sys

    from rq import cron

    cron._job_data_registry.clear()
    if "reviewapp.cron" in sys.modules:
        importlib.reload(sys.modules["reviewapp.cron"])
    else:
        importlib.import_module("reviewapp.cron")
    assert [(j["func"], j["cron"]) for j in cron._job_data_registry] == [
        (tasks.weekly_draw_job, "0 * * * *"), (tasks.retention_job, "17 3 * * *")]
