"""docker-compose.yml really starts: its commands and healthchecks, run here without docker.

The web service's own command (gunicorn) is booted with the service's own environment, as compose
resolves it for an operator who sets ALLOWED_HOSTS to the public name, and the web healthcheck's
own command is run against it: it must pass over plain HTTP on loopback although the app
redirects everything else to HTTPS. Only what names compose's other containers is replaced: the
database (the test database), Redis (the test Redis), the exports volume (a temporary folder), the
bind address (a free loopback port) and gunicorn's worker count (1: the machine is shared).

The worker and scheduler healthchecks (`manage.py jobs_alive`) are run as compose runs them, with
and without a heartbeat in Redis written through rq's own registration calls.
"""
from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError
from rq import Worker, cron_scheduler_registry
from rq.cron import CronScheduler
from rq.queue import Queue
from rq.utils import utcformat

ROOT = Path(__file__).resolve().parents[1]
PUBLIC_HOST = "spotcheck.example.com"
# What an operator exports before `docker compose up` (see the compose file's header).
OPERATOR_ENV = {"SECRET_KEY": "x" * 20 + "-compose-test-secret-with-enough-entropy-0123456789",
                "ALLOWED_HOSTS": PUBLIC_HOST}
VARIABLE = re.compile(r"\$\{(?P<name>\w+)(?:(?P<op>:-|:\?)(?P<arg>[^}]*))?\}")


def substitute(value: str, env: dict[str, str]) -> str:
    """Compose's interpolation for the forms the file uses: ${V}, ${V:-default}, ${V:?error}."""
    def one(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        if env.get(name):
            return env[name]
        if op == ":?":
            raise AssertionError(f"compose requires {name}: {arg}")
        return arg if op == ":-" else ""
    return VARIABLE.sub(one, value)


def compose() -> dict[str, Any]:
    # safe_load resolves the `<<: *app` merge keys, as compose does.
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def service(name: str) -> dict[str, Any]:
    return compose()["services"][name]


def service_env(name: str, **replacements: str) -> dict[str, str]:
    """The service's environment as compose resolves it for the operator, plus the replacements,
    over this process's environment minus the variables the settings read (none may leak in)."""
    resolved = {key: substitute(str(value), OPERATOR_ENV) for key, value in service(name)["environment"].items()}
    for key in replacements:
        assert key in resolved, f"the {name} service sets no {key}"
    read_by_settings = {"DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS", "DATA_DIR",
                        "SECURE_SSL_REDIRECT", "SECURE_COOKIES", "CSRF_TRUSTED_ORIGINS", "EXPORT_DIR"}
    base = {k: v for k, v in os.environ.items() if k not in read_by_settings}
    return {**base, **resolved, **replacements}


def healthcheck(name: str) -> list[str]:
    test = service(name)["healthcheck"]["test"]
    assert test[0] == "CMD", test
    return test[1:]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(port: int, path: str, host: str) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path, headers={"Host": host})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def database_url(tmp_path: Path) -> str:
    """The test database when it is PostgreSQL (the CI pass); a fresh SQLite file otherwise
    (/healthz only asks the database for `SELECT 1`)."""
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor != "postgresql":
        return f"sqlite:///{tmp_path / 'compose.sqlite3'}"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def web(db, tmp_path):
    """The web service's command, booted with its environment; yields the port it listens on."""
    command = service("web")["command"]
    assert command[0] == "gunicorn" and "0.0.0.0:8000" in command and "--workers" in command, command
    port = free_port()
    args = [sys.executable, "-m", "gunicorn", *command[1:]]
    args[args.index("0.0.0.0:8000")] = f"127.0.0.1:{port}"
    args[args.index("--workers") + 1] = "1"
    env = service_env("web", DATABASE_URL=database_url(tmp_path), REDIS_URL="redis://127.0.0.1:6379/15",
                      EXPORT_DIR=str(tmp_path / "exports"))
    assert env["DEBUG"] == "False" and env["SECURE_SSL_REDIRECT"] == "True"
    log = (tmp_path / "gunicorn.log").open("w+")
    process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                log.seek(0)
                pytest.fail(f"gunicorn exited with {process.returncode}:\n{log.read()}")
            try:
                get(port, "/healthz", "localhost")
                break
            except OSError:
                if time.monotonic() > deadline:
                    log.seek(0)
                    pytest.fail(f"gunicorn did not answer within 90 s:\n{log.read()}")
                time.sleep(0.3)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def test_web_answers_its_healthcheck_over_plain_http_while_redirecting_the_rest(web):
    assert get(web, "/healthz", "localhost").status == 200
    # The rest of the app goes to HTTPS, and the public name is the one allowed from outside.
    home = get(web, "/", PUBLIC_HOST)
    assert home.status == 301 and home.getheader("Location") == f"https://{PUBLIC_HOST}/"
    assert get(web, "/healthz", PUBLIC_HOST).status == 200
    # The host the old healthcheck sent (127.0.0.1) is refused when ALLOWED_HOSTS is the public name.
    assert get(web, "/healthz", "127.0.0.1").status == 400


def test_the_compose_web_healthcheck_command_passes(web):
    python, *rest = healthcheck("web")
    assert python == "python" and rest[0] == "-c"
    script = rest[1]
    assert script.count("127.0.0.1:8000") == 1 and "'Host': 'localhost'" in script
    result = subprocess.run([sys.executable, "-c", script.replace("127.0.0.1:8000", f"127.0.0.1:{web}")],
                            capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 0, result.stderr


def test_the_web_healthcheck_fails_when_nothing_listens():
    script = healthcheck("web")[2].replace("127.0.0.1:8000", f"127.0.0.1:{free_port()}")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode != 0


# --- worker and scheduler -----------------------------------------------------------------------

def run_healthcheck(name: str, redis_url: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """The service's healthcheck command, as compose runs it in the container (same host name)."""
    python, *args = healthcheck(name)
    assert python == "python" and args[0] == "manage.py", args
    env = service_env(name, DATABASE_URL=f"sqlite:///{tmp_path / 'unused.sqlite3'}", REDIS_URL=redis_url,
                      EXPORT_DIR=str(tmp_path / "exports"))
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60, check=False)


def test_compose_checks_the_worker_and_the_scheduler_with_jobs_alive():
    assert healthcheck("worker") == ["python", "manage.py", "jobs_alive", "worker"]
    assert healthcheck("scheduler") == ["python", "manage.py", "jobs_alive", "scheduler"]
    # The worker listens on the queue jobs_alive checks by default, and the scheduler runs rqcron.
    assert service("worker")["command"][:4] == ["python", "manage.py", "rqworker", "default"]
    assert service("scheduler")["command"][:3] == ["python", "manage.py", "rqcron"]


def test_the_worker_healthcheck_passes_with_a_heartbeat_and_fails_without(redis_url, tmp_path):
    connection = redis.Redis.from_url(redis_url)
    result = run_healthcheck("worker", redis_url, tmp_path)
    assert result.returncode == 1
    assert "no rq worker on queue 'default'" in result.stderr

    worker = Worker([Queue("default", connection=connection)], connection=connection)
    worker.register_birth()  # what `rqworker` does on start; its loop then keeps the heartbeat fresh
    result = run_healthcheck("worker", redis_url, tmp_path)
    assert result.returncode == 0, result.stderr
    assert worker.name in result.stdout

    worker.register_death()  # a worker that stopped
    assert run_healthcheck("worker", redis_url, tmp_path).returncode == 1


def test_the_scheduler_healthcheck_passes_with_a_heartbeat_and_fails_without(redis_url, tmp_path):
    connection = redis.Redis.from_url(redis_url)
    result = run_healthcheck("scheduler", redis_url, tmp_path)
    assert result.returncode == 1
    assert "no rqcron scheduler" in result.stderr

    scheduler = CronScheduler(connection=connection)
    scheduler.register_birth()  # what `rqcron` does on start; its loop heartbeats at least every 60 s
    result = run_healthcheck("scheduler", redis_url, tmp_path)
    assert result.returncode == 0, result.stderr
    assert scheduler.name in result.stdout

    scheduler.register_death()
    assert run_healthcheck("scheduler", redis_url, tmp_path).returncode == 1


@pytest.fixture
def rq_settings(settings, redis_url):
    settings.RQ_QUEUES = {"default": {"URL": redis_url, "DEFAULT_TIMEOUT": 300}}
    return redis.Redis.from_url(redis_url)


def test_a_stale_worker_heartbeat_is_not_alive(rq_settings):
    worker = Worker([Queue("default", connection=rq_settings)], connection=rq_settings)
    worker.register_birth()
    call_command("jobs_alive", "worker")
    rq_settings.hset(worker.key, "last_heartbeat", utcformat(datetime.now(UTC) - timedelta(hours=1)))
    with pytest.raises(CommandError, match="has sent a heartbeat to Redis recently"):
        call_command("jobs_alive", "worker")


def test_a_worker_in_another_container_does_not_vouch_for_this_one(rq_settings):
    worker = Worker([Queue("default", connection=rq_settings)], connection=rq_settings)
    worker.register_birth()
    rq_settings.hset(worker.key, "hostname", "another-container")
    with pytest.raises(CommandError, match=f"on host {socket.gethostname()}"):
        call_command("jobs_alive", "worker")
    call_command("jobs_alive", "worker", "--any-host")


def test_a_worker_on_another_queue_does_not_count(rq_settings):
    Worker([Queue("exports", connection=rq_settings)], connection=rq_settings).register_birth()
    with pytest.raises(CommandError):
        call_command("jobs_alive", "worker")


def test_a_stale_scheduler_is_not_alive(rq_settings):
    scheduler = CronScheduler(connection=rq_settings)
    scheduler.register_birth()
    call_command("jobs_alive", "scheduler")
    rq_settings.zadd(cron_scheduler_registry.get_registry_key(), {scheduler.name: time.time() - 3600})
    with pytest.raises(CommandError):
        call_command("jobs_alive", "scheduler")


def test_an_unreachable_redis_is_a_failure_in_words(settings):
    settings.RQ_QUEUES = {"default": {"URL": f"redis://127.0.0.1:{free_port()}/15", "DEFAULT_TIMEOUT": 300}}
    with pytest.raises(CommandError, match="Redis is unreachable"):
        call_command("jobs_alive", "worker")
