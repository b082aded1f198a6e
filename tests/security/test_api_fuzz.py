"""Schemathesis against /api/v1/openapi.json, in process (bounded examples per operation): whatever
the generated request, no API operation answers with a 5xx. Requests carry valid tokens (a
project token for ingest, a QA lead's personal token elsewhere), so they reach the handlers."""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from reviewapp.projects.models import ApiToken, UserToken
from reviewapp.wsgi import application
from tests.helpers import drawn_run, make_user

# Loaded at collection: pytest-django has configured Django by then, and the schema view reads no table.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """Schemathesis calls the real WSGI handler, which closes database connections at the end of
    each request (Django's test client switches that off): that would close the test's transaction."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def tokens(project_a):
    lead = make_user("fuzz-lead", project_a, role="qa_lead")
    drawn_run(project_a, outputs=20)
    return {"project": ApiToken.issue(project=project_a, name="fuzz")[1],
            "personal": UserToken.issue(user=lead, name="fuzz")[1]}


@pytest.mark.django_db
@pytest.mark.filterwarnings("ignore:Skipped test cases with unsupported payload media types")  # NDJSON bodies
@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_operation_answers_5xx(case, tokens):
    token = tokens["project"] if case.path.endswith(("/outputs", "/evaluations")) else tokens["personal"]
    if "project" in (case.path_parameters or {}):
        case.path_parameters["project"] = "support"
    response = case.call(headers={"Authorization": f"Bearer {token}"})
    case.validate_response(response, checks=(not_a_server_error,))
