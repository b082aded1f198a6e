"""Shared fixtures, and the rule for services: outside CI a test whose service cannot be
reached is skipped with the reason; with CI=true it fails instead, so CI can never pass by
skipping what it was meant to prove."""
from __future__ import annotations

import os

import pytest

from tests.helpers import make_user

IN_CI = os.environ.get("CI", "").lower() == "true"


def _test_redis_url() -> str:
    """TEST_REDIS_URL, else database 15 of REDIS_URL's server (tests empty it: never the app's own)."""
    if os.environ.get("TEST_REDIS_URL"):
        return os.environ["TEST_REDIS_URL"]
    from urllib.parse import urlsplit, urlunsplit

    base = urlsplit(os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0")
    return urlunsplit((base.scheme, base.netloc, "/15", "", ""))


TEST_REDIS_URL = _test_redis_url()


def unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"CI=true and {reason}")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def jobs_in_process(settings):
    """Jobs run in-process in every test, whatever REDIS_URL says; tests of the django-rq path set
    JOBS_MODE = "rq" themselves, on the real Redis (redis_url)."""
    settings.JOBS_MODE = "inprocess"


@pytest.fixture(autouse=True)
def export_dir(settings, tmp_path):
    """Snapshots go to a temporary folder, never into ./data."""
    settings.EXPORT_DIR = tmp_path / "exports"
    return settings.EXPORT_DIR


@pytest.fixture
def redis_url() -> str:
    import redis

    try:
        # Empty: jobs, registries and executions another test left (a killed worker's, say) would
        # otherwise surface in this one.
        redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=2).flushdb()
    except redis.RedisError as exc:
        unavailable(f"Redis at {TEST_REDIS_URL} is unreachable ({exc})")
    return TEST_REDIS_URL


@pytest.fixture
def postgres(db):
    """For tests of PostgreSQL-only paths; the CI pass with DATABASE_URL=postgres://… runs them."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the configured database is SQLite; this runs in the PostgreSQL pass (DATABASE_URL=postgres://…)")
    return connection


@pytest.fixture
def project_a(db):
    from reviewapp.projects.models import Project

    return Project.objects.create(slug="support", name="Support assistant")


@pytest.fixture
def bob(project_a):
    """A second reviewer of project A."""
    return make_user("bob", project_a)


@pytest.fixture
def lead(project_a):
    return make_user("lead", project_a, role="qa_lead")


@pytest.fixture
def project_b(db):
    from reviewapp.projects.models import Project

    return Project.objects.create(slug="claims", name="Claims triage")


@pytest.fixture
def token_a(project_a) -> str:
    from reviewapp.projects.models import ApiToken

    return ApiToken.issue(project=project_a, name="test")[1]


@pytest.fixture
def token_b(project_b) -> str:
    from reviewapp.projects.models import ApiToken

    return ApiToken.issue(project=project_b, name="test")[1]


@pytest.fixture
def alice(project_a):
    """A reviewer of project A."""
    return make_user("alice", project_a)


@pytest.fixture
def charlie(project_b):
    """A reviewer of project B only: an outsider to A."""
    return make_user("charlie", project_b)


@pytest.fixture(autouse=True)
def fresh_packing_caches():
    """A rolled-back test takes its compression dictionaries with it: no process cache may outlive it."""
    from reviewapp.ingest import packing

    packing.forget_cached()
    yield
    packing.forget_cached()
