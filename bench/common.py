"""What the benchmarks share: a production-like environment, child processes measured for peak
RSS, and throw-away bench-* projects."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVER_ENV = {"DEBUG": "False", "SECRET_KEY": "bench-only-secret-key-not-for-production-use-0123456789",
              "SECURE_SSL_REDIRECT": "False", "ALLOWED_HOSTS": "127.0.0.1,localhost", "LOG_LEVEL": "WARNING",
              "STATIC_ROOT": str(Path(tempfile.gettempdir()) / "spotcheck-bench-static")}


def setup_django() -> dict:
    """Configure this process like production (DEBUG off) and return the environment for children."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reviewapp.settings")
    Path(SERVER_ENV["STATIC_ROOT"]).mkdir(exist_ok=True)
    env = {**os.environ, **SERVER_ENV}
    os.environ.update(SERVER_ENV)
    import django

    django.setup()
    # DEBUG is off, so pages need the collected, hashed static files, as in production.
    from django.core.management import call_command

    call_command("collectstatic", "--no-input", verbosity=0)
    return env


def run_child(args: list[str], env: dict) -> tuple[float, int, str]:
    """Run a Python command (args[0] is the interpreter); return its wall time, its own peak RSS in
    bytes (bench.peak: VmHWM, not inflated by this process's size), and its stdout."""
    from bench.peak import MARK

    started = time.perf_counter()
    proc = subprocess.Popen([args[0], "-m", "bench.peak", *args[1:]], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = (stream.decode() for stream in proc.communicate())
    elapsed = time.perf_counter() - started
    if proc.returncode:
        sys.exit(f"{' '.join(args)} failed:\n{out}\n{err}")
    peaks = [int(line.split()[1]) * 1024 for line in err.splitlines() if line.startswith(MARK)]
    if not peaks:
        sys.exit("bench.peak reported no peak RSS (it reads /proc/self/status: Linux only)")
    return elapsed, peaks[-1], out


def fresh_project(slug: str):
    from reviewapp.projects.models import ApiToken, Project

    drop_project(slug)
    project = Project.objects.create(slug=slug, name=f"Benchmark ({slug})")
    return project, ApiToken.issue(project=project, name="bench")[1]


def drop_project(slug: str) -> None:
    from django.db import connection

    from reviewapp.audits.models import AuditRun
    from reviewapp.ingest.models import Evaluation, Evaluator, Output
    from reviewapp.projects.models import Project

    for project in Project.objects.filter(slug=slug):
        AuditRun.objects.filter(project=project).delete()  # their items hold on to outputs
        with connection.cursor() as cursor:  # a raw delete: the ORM would load a million rows first
            # The judges' evaluations reference the outputs: theirs go first (by the project's evaluators).
            cursor.execute(f"DELETE FROM {Evaluation._meta.db_table} WHERE evaluator_id IN "
                           f"(SELECT id FROM {Evaluator._meta.db_table} WHERE project_id = %s)", [project.pk])
            cursor.execute(f"DELETE FROM {Output._meta.db_table} WHERE project_id = %s", [project.pk])
        project.delete()
        if connection.vendor == "postgresql":  # so that the next run does not pay for this one's dead rows
            with connection.cursor() as cursor:
                cursor.execute(f"VACUUM ANALYZE {Output._meta.db_table}")
                cursor.execute("VACUUM ANALYZE ingest_outputkey")  # the trigger freed its keys


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int) -> None:
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    sys.exit("gunicorn did not start")


def _answers(rng) -> dict:
    verdict = rng.choice(("success",) * 6 + ("partial", "failure"))
    return {"verdict": verdict, "errors": ["factual_error"] if verdict == "failure" else [],
            "harm": "near_miss" if verdict == "failure" and rng.random() < 0.3 else "none",
            "escalate": verdict == "failure" and rng.random() < 0.2,
            "corrected_output": "A corrected answer." if verdict != "success" and rng.random() < 0.5 else "",
            "notes": ""}


def labelled_run(slug: str, labels: int):
    """A fresh project with one audited week of about `labels` reviews, all done: outputs in six risk
    strata, a draw cut to that many reviews by the capacity (5 % of items double-reviewed by pairs of
    ten reviewers), and labels, revisions and gold labels stored directly (set-up, not what is measured)."""
    import random

    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.db.models import F
    from django.utils import timezone

    from bench.draw import STRATA, records
    from reviewapp.audits import actions as audit_actions
    from reviewapp.audits.models import SamplingPlan
    from reviewapp.ingest.actions import ingest
    from reviewapp.lib.weeks import IsoWeek
    from reviewapp.projects.models import Membership
    from reviewapp.review.models import GoldLabel, GoldRevision, Label, LabelRevision, LabelSchema

    project, _ = fresh_project(slug)
    ingest(project=project, records=records(labels * 5), chunk_size=10_000)
    SamplingPlan(project=project, strata=STRATA, goal="margin", margin=0.001, expected_rate=0.5, capacity=labels,
                 overlap_share=0.05, overlap_reviewers=2).save_as_new_version()
    run, _ = audit_actions.draw_audit(project=project, week=IsoWeek.parse("2026-W47"))
    User = get_user_model()
    reviewers = []
    for i in range(10):
        user, _ = User.objects.get_or_create(username=f"{slug}-{i}")
        Membership.objects.get_or_create(user=user, project=project, defaults={"role": Membership.Role.REVIEWER})
        reviewers.append(user)
    schema = LabelSchema.current(project)
    rng = random.Random(11)
    now = timezone.now()
    items = list(run.items.values_list("id", "required_reviews"))
    with transaction.atomic():
        for start in range(0, len(items), 5000):
            made, golds = [], []
            for pk, required in items[start:start + 5000]:
                first = _answers(rng)
                for k, reviewer in enumerate(rng.sample(reviewers, required)):
                    given = first if k == 0 or rng.random() < 0.85 else _answers(rng)
                    made.append(Label(item_id=pk, reviewer=reviewer, schema=schema, answers=given,
                                      verdict=given["verdict"], time_on_task_ms=rng.randint(10_000, 120_000),
                                      created_at=now, updated_at=now))
                golds.append(GoldLabel(item_id=pk, answers=first, verdict=first["verdict"],
                                       method="single" if required == 1 else "agreed", decided_at=now))
            Label.objects.bulk_create(made, batch_size=2000)
            GoldLabel.objects.bulk_create(golds, batch_size=2000)
            LabelRevision.objects.bulk_create([LabelRevision(label=label, number=1, answers=label.answers,
                                                             author_id=label.reviewer_id, created_at=now)
                                               for label in made], batch_size=2000)
            GoldRevision.objects.bulk_create([GoldRevision(gold=gold, number=1, answers=gold.answers, method=gold.method,
                                                           created_at=now) for gold in golds], batch_size=2000)
        run.items.update(status="labelled", labels_count=F("required_reviews"))  # every item has its reviews
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return project, run


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else float("nan")


def open_queue(project, outputs: int, *, margin: float, overlap_share: float = 0.0):
    """Load `outputs` into one week and draw its audit: the open queue the HTTP benchmarks work on."""
    from bench.draw import records
    from reviewapp.audits import actions as audit_actions
    from reviewapp.audits.models import SamplingPlan
    from reviewapp.ingest.actions import ingest
    from reviewapp.lib.weeks import IsoWeek

    ingest(project=project, records=records(outputs), chunk_size=10_000, prefetch=True)
    analyze()
    SamplingPlan(project=project, strata=[], goal="margin", margin=margin, expected_rate=0.5,
                 overlap_share=overlap_share, overlap_reviewers=2).save_as_new_version()
    run, _ = audit_actions.draw_audit(project=project, week=IsoWeek.parse("2026-W47"))
    analyze()
    return run


def analyze() -> None:
    """Fresh planner statistics, as autovacuum would gather soon after a bulk load or a draw."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def reviewer_tokens(project, prefix: str, n: int) -> list[str]:
    """n reviewers of the project, each with a personal API token."""
    from django.contrib.auth import get_user_model

    from reviewapp.projects.models import Membership, UserToken

    tokens = []
    for i in range(n):
        user, _ = get_user_model().objects.get_or_create(username=f"{prefix}-{i}")
        Membership.objects.get_or_create(user=user, project=project, defaults={"role": Membership.Role.REVIEWER})
        tokens.append(UserToken.issue(user=user, name=prefix)[1])
    return tokens


def start_gunicorn(env: dict, workers: int, *, timeout: int = 30,
                   app: str = "reviewapp.wsgi") -> tuple[subprocess.Popen, int]:
    """gunicorn serving the app on a free loopback port, listening when this returns (its workers
    may still be booting: bench.served.wait_for_every_worker waits for them)."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", app, "-w", str(workers),
                               "-b", f"127.0.0.1:{port}", "--log-level", "warning", "--timeout", str(timeout)],
                              cwd=ROOT, env=env)
    try:
        wait_for(port)
    except BaseException:
        server.terminate()
        raise
    return server, port


def timed_request(conn, method: str, path: str, *, body: bytes | None = None,
                  headers: dict | None = None) -> tuple[int, bytes, float]:
    """(status, body, milliseconds) of one request on a kept-alive http.client connection."""
    started = time.perf_counter()
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    data = response.read()
    return response.status, data, (time.perf_counter() - started) * 1000
