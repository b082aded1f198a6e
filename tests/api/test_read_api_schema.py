"""Schemathesis over the read API's operations (scorecard, metrics, audits, alerts) on a labelled
week: every answer matches its documented status codes and response model, whatever the generated
parameters (tests/security/test_api_fuzz.py checks every operation for 5xx on an unlabelled run)."""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from reviewapp.metrics.models import Alert, AlertAttempt
from reviewapp.projects.models import UserToken
from reviewapp.wsgi import application
from tests.helpers import BAD, GOOD, drawn_run, label_all, make_user, ranks

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application).include(
    method="GET", path_regex=r"/(scorecard|metrics|audits|alerts)")


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """The real WSGI handler closes connections after each request: that would close the test's transaction."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def token(project_a, alice, bob) -> str:
    run = drawn_run(project_a, outputs=40, overlap_share=0.5)
    rank = ranks(run)
    label_all(project_a, [alice, bob], lambda item, _: BAD if rank[item.pk] % 5 == 0 else GOOD)
    alert = Alert.objects.create(project=project_a, week="2026-W47", metric="verdict:failure", label="Error rate",
                                 state="critical", text="over budget", estimate=0.2, lower=0.1, upper=0.3)
    AlertAttempt.objects.create(alert=alert, target="ops@example.org", ok=True)
    return UserToken.issue(user=make_user("schema-lead", project_a, role="qa_lead"), name="schema")[1]


def test_the_read_operations_are_in_the_schema():
    paths = {result.ok().path for result in schema.get_all_operations()}
    assert paths == {"/api/v1/projects/{project}/scorecard", "/api/v1/projects/{project}/metrics/{week}",
                     "/api/v1/projects/{project}/audits", "/api/v1/projects/{project}/audits/{week}",
                     "/api/v1/projects/{project}/alerts"}


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_read_operations_answer_as_documented(case, token):
    case.path_parameters = (case.path_parameters or {}) | {"project": "support"}
    response = case.call(headers={"Authorization": f"Bearer {token}"})
    case.validate_response(response, checks=(not_a_server_error, status_code_conformance, response_schema_conformance))
