"""Faults with real rq worker processes and a real Redis (PostgreSQL + Redis, as in production):

- two workers on one Redis: each job runs once, the draw is not duplicated;
- a worker killed (SIGKILL) in the middle of an export: no snapshot is half-written, and running
  the job again writes the same bytes as a clean build;
- Redis stopped while reviewers label and outputs are ingested: both keep working; a job asked for
  meanwhile fails loudly; once Redis is back the next change queues the metrics job and it runs.
"""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings as django_settings
from django.db import connection

from reviewapp import jobs
from reviewapp.audits import tasks as audit_tasks
from reviewapp.audits.models import AuditRun, SamplingPlan
from reviewapp.exports import actions as exports
from reviewapp.exports.models import Snapshot
from reviewapp.ingest.models import Output
from reviewapp.metrics.models import RunMetrics
from reviewapp.review import actions
from reviewapp.review.models import Label
from tests.helpers import BAD, GOOD, STRATA, WEEK, add_outputs, drawn_run

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def worker(redis_url: str, *, burst: bool = True, export_dir: Path | None = None) -> subprocess.Popen:
    """`manage.py rqworker` on the test database, as the compose `worker` service runs it."""
    env = {**os.environ, "DATABASE_URL": database_url(), "REDIS_URL": redis_url, "LOG_LEVEL": "WARNING",
           "EXPORT_DIR": str(export_dir or django_settings.EXPORT_DIR), "METRICS_DEBOUNCE_SECONDS": "0"}
    args = [sys.executable, "manage.py", "rqworker", "default", *(["--burst"] if burst else [])]
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def kill_tree(pid: int) -> None:
    """SIGKILL a process and all its descendants, as a container's death does: rq's work horse
    starts its own session, so killing the worker's process group would miss it."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo += children.get(current, [])
    for member in tree:
        with contextlib.suppress(ProcessLookupError):
            os.kill(member, signal.SIGKILL)


@pytest.fixture
def rq(settings, redis_url):
    import django_rq

    settings.JOBS_MODE = "rq"
    settings.RQ_QUEUES = {"default": {"URL": redis_url, "DEFAULT_TIMEOUT": 300}}
    queue = django_rq.get_queue("default")
    queue.empty()
    for registry in (queue.failed_job_registry, queue.finished_job_registry, queue.scheduled_job_registry):
        for job_id in registry.get_job_ids():
            registry.remove(job_id, delete_job=True)
    return queue


@pytest.mark.django_db(transaction=True)
def test_two_workers_run_each_job_once_and_draw_the_week_once(postgres, rq, redis_url, project_a):
    SamplingPlan(project=project_a, strata=STRATA).save_as_new_version()
    add_outputs(project_a, {("billing", "medium"): 300, ("medical", "high"): 100})
    redis.Redis.from_url(redis_url).delete("spotcheck-test-runs")
    for _ in range(4):  # the scheduler, a lead's click and two retries, all at once
        jobs.enqueue(audit_tasks.draw_audit_job, project_a.pk, str(WEEK))
    for i in range(20):
        jobs.enqueue(record_run, redis_url, i)
    workers = [worker(redis_url), worker(redis_url)]
    outputs = [w.communicate(timeout=120)[0].decode() for w in workers]
    assert all(w.returncode == 0 for w in workers), outputs
    assert AuditRun.objects.filter(project=project_a).count() == 1
    runs = [int(x) for x in redis.Redis.from_url(redis_url).lrange("spotcheck-test-runs", 0, -1)]
    assert sorted(runs) == list(range(20))  # every job once, none twice
    assert rq.failed_job_registry.count == 0


def record_run(redis_url: str, i: int) -> None:
    """A job that leaves a trace of each run: run twice, it would show twice."""
    redis.Redis.from_url(redis_url).rpush("spotcheck-test-runs", i)


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_export_leaves_no_snapshot_and_the_retry_writes_the_same_bytes(
        postgres, rq, redis_url, project_a, alice):
    drawn_run(project_a, outputs=3000, margin=0.01)
    while (claim := actions.claim_next(user=alice, project=project_a)) is not None:
        actions.submit_label(claim=claim, user=alice, data=GOOD)
    snapshot = exports.create(project=project_a, filters={}, formats=["jsonl", "csv", "hf", "inspect", "promptfoo",
                                                                      "langfuse", "langsmith"], user=alice)
    process = worker(redis_url, burst=False)
    try:
        deadline = time.monotonic() + 60
        while Snapshot.objects.get(pk=snapshot.pk).status != "running":
            assert time.monotonic() < deadline, "the worker never started the export"
            time.sleep(0.01)
        time.sleep(0.15)  # into the build
        kill_tree(process.pid)  # the container dies: worker and work horse
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    snapshot.refresh_from_db()
    assert snapshot.status == "running" and snapshot.manifest is None, "the build finished before the kill"
    assert not snapshot.directory.exists()  # nothing half-written in place
    assert list(snapshot.directory.parent.glob("*.partial-*"))  # only the dead attempt's scratch folder
    # rq's abandoned-job handling, or a lead, runs it again: the same snapshot, built cleanly.
    rebuilt = exports.build(snapshot)
    clean = exports.build(exports.create(project=project_a, filters={}, formats=["jsonl"], queue=False))
    assert rebuilt.status == "done" and (rebuilt.directory / "manifest.json").exists()
    assert rebuilt.manifest["files"]["jsonl/evalset.jsonl"] == clean.manifest["files"]["jsonl/evalset.jsonl"]


@pytest.fixture
def own_redis(tmp_path):
    """A Redis server of this test's own, to stop and start."""
    from bench.common import free_port

    port = free_port()
    args = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", str(tmp_path)]

    def start() -> subprocess.Popen:
        process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                redis.Redis(port=port).ping()
                return process
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    state = {"process": start(), "url": f"redis://127.0.0.1:{port}/0"}

    def stop() -> None:
        state["process"].terminate()
        state["process"].wait(timeout=10)

    state["start"], state["stop"] = (lambda: state.update(process=start())), stop
    yield state
    if state["process"].poll() is None:
        stop()


@pytest.mark.django_db(transaction=True)
def test_labels_and_ingest_go_on_while_redis_is_down_and_metrics_catch_up_after(
        postgres, settings, own_redis, client, project_a, token_a, alice, lead):
    import django_rq
    from rq import SimpleWorker

    settings.JOBS_MODE = "rq"
    settings.METRICS_DEBOUNCE_SECONDS = 0
    settings.RQ_QUEUES = {"default": {"URL": own_redis["url"], "DEFAULT_TIMEOUT": 60}}
    run = drawn_run(project_a, outputs=60)
    labels = 0

    def label(data) -> None:
        nonlocal labels
        actions.submit_label(claim=actions.claim_next(user=alice, project=project_a), user=alice, data=data)
        labels += 1

    label(GOOD)
    own_redis["stop"]()
    for data in (BAD, GOOD, BAD):
        label(data)  # no error for the reviewer
    body = b"\n".join(b'{"external_id": "down-%d", "occurred_at": "2026-11-12T10:00:00Z", "input": "q", "output": "a"}'
                      % i for i in range(50))
    ingested = client.post("/api/v1/projects/support/outputs", data=body, content_type="application/x-ndjson",
                           HTTP_AUTHORIZATION=f"Bearer {token_a}")
    assert ingested.status_code == 200 and ingested.json()["created"] == 50
    client.force_login(lead)  # a lead asks for a draw of W46 (ready: its outputs came in above): a clear error,
    # not a silent inline run
    refused = client.post("/p/support/audits/draw", {"week": "2026-W46"})
    assert refused.status_code == 503 and b"nothing was queued" in refused.content
    assert Label.objects.count() == labels == 4 and Output.objects.filter(external_id__startswith="down-").count() == 50

    own_redis["start"]()  # a fresh, empty Redis: the recompute queued before the outage is gone
    label(GOOD)  # the next change finds its job gone and queues it again
    queue = django_rq.get_queue("default")
    for job_id in queue.scheduled_job_registry.get_job_ids():  # due now (debounce 0): move it to the queue
        queue.enqueue_job(queue.fetch_job(job_id))
        queue.scheduled_job_registry.remove(job_id)
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
    metrics = RunMetrics.objects.get(run=run)
    assert not metrics.stale and metrics.data["labels"] == labels == 5
    assert metrics.data["rates"]["verdict:failure"]["naive"]["positives"] == 2


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_draw_leaves_no_run_and_the_retry_draws_it_whole(postgres, rq, redis_url, project_a):
    SamplingPlan(project=project_a, strata=STRATA).save_as_new_version()
    add_outputs(project_a, {("billing", "medium"): 300, ("medical", "high"): 100})
    # The database holds the draw inside its transaction, right after the items are inserted: a
    # statement trigger that sleeps gives the test its moment to kill the worker there.
    with connection.cursor() as cursor:
        cursor.execute("CREATE FUNCTION spotcheck_test_stall() RETURNS trigger LANGUAGE plpgsql AS "
                       "$$ BEGIN PERFORM pg_sleep(4); RETURN NULL; END $$")
        cursor.execute("CREATE TRIGGER spotcheck_test_stall AFTER INSERT ON audits_audititem "
                       "FOR EACH STATEMENT EXECUTE FUNCTION spotcheck_test_stall()")
    try:
        jobs.enqueue(audit_tasks.draw_audit_job, project_a.pk, str(WEEK))
        process = worker(redis_url, burst=False)
        try:
            deadline = time.monotonic() + 60
            while not _stalled():
                assert time.monotonic() < deadline, "the draw never reached its items"
                time.sleep(0.05)
            kill_tree(process.pid)
            process.wait(timeout=30)
        finally:
            if process.poll() is None:
                kill_tree(process.pid)
        deadline = time.monotonic() + 30
        while _stalled():  # the orphaned backend wakes up, finds its client gone and rolls back
            assert time.monotonic() < deadline
            time.sleep(0.1)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER spotcheck_test_stall ON audits_audititem")
            cursor.execute("DROP FUNCTION spotcheck_test_stall()")
    assert not AuditRun.objects.filter(project=project_a).exists()  # no partial run
    rerun = audit_tasks.draw_audit_job(project_a.pk, str(WEEK))  # the job again: the week drawn whole
    run = AuditRun.objects.get(pk=rerun)
    assert run.items.count() == run.size > 0 and run.reviews_needed >= run.size


def _stalled() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'INSERT INTO \"audits_audititem\"%%' "
                       "AND pid <> pg_backend_pid()")
        return cursor.fetchone()[0] > 0
