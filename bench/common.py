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
    """Run a command; return its wall time, its peak RSS in bytes, and its stdout."""
    started = time.perf_counter()
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = proc.stdout.read().decode()
    err = proc.stderr.read().decode()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - started
    if proc.returncode:
        sys.exit(f"{' '.join(args)} failed:\n{out}\n{err}")
    return elapsed, usage.ru_maxrss * 1024, out


def fresh_project(slug: str):
    from reviewapp.projects.models import ApiToken, Project

    drop_project(slug)
    project = Project.objects.create(slug=slug, name=f"Benchmark ({slug})")
    return project, ApiToken.issue(project=project, name="bench")[1]


def drop_project(slug: str) -> None:
    from django.db import connection

    from reviewapp.audits.models import AuditRun
    from reviewapp.ingest.models import Output
    from reviewapp.projects.models import Project

    for project in Project.objects.filter(slug=slug):
        AuditRun.objects.filter(project=project).delete()  # their items hold on to outputs
        with connection.cursor() as cursor:  # a raw delete: the ORM would load a million rows first
            cursor.execute(f"DELETE FROM {Output._meta.db_table} WHERE project_id = %s", [project.pk])
        project.delete()
        if connection.vendor == "postgresql":  # so that the next run does not pay for this one's dead rows
            with connection.cursor() as cursor:
                cursor.execute(f"VACUUM ANALYZE {Output._meta.db_table}")


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
