"""The database connection drops in the middle of a label submit: the reviewer gets a 503 that
says nothing was stored, resubmits, and exactly one label exists. On PostgreSQL, for real: the
server ends the backend (pg_terminate_backend) just as the label is inserted."""
from __future__ import annotations

import psycopg
import pytest
from django.db import connection

from reviewapp.projects.models import UserToken
from reviewapp.review import actions
from reviewapp.review.models import Claim, Label
from tests.helpers import GOOD, drawn_run


def kill_on(statement: str):
    """An execute wrapper that has the server end this connection when `statement` is sent."""
    fired = []

    def wrapper(execute, sql, params, many, context):
        if statement in sql and not fired:
            fired.append(sql)
            pid = context["connection"].connection.info.backend_pid
            params_ = context["connection"].get_connection_params()
            with psycopg.connect(**{k: v for k, v in params_.items() if k != "cursor_factory"}, autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", [pid])
        return execute(sql, params, many, context)

    return wrapper, fired


@pytest.mark.django_db(transaction=True)
def test_a_dropped_connection_during_submit_loses_nothing_and_a_resubmit_stores_one_label(postgres, client,
                                                                                          project_a, alice):
    drawn_run(project_a)
    claim = actions.claim_next(user=alice, project=project_a)
    token = UserToken.issue(user=alice, name="t")[1]
    url = f"/api/v1/projects/support/review/items/{claim.item_id}/label"
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    wrapper, fired = kill_on('INSERT INTO "review_label"')
    with connection.execute_wrapper(wrapper):
        response = client.post(url, {"answers": GOOD}, content_type="application/json", **headers)
    assert fired and response.status_code == 503
    assert "nothing of it was stored" in response.json()["detail"] and response["Retry-After"]
    assert Label.objects.count() == 0 and Claim.objects.get(pk=claim.pk).status == "active"
    again = client.post(url, {"answers": GOOD}, content_type="application/json", **headers)
    assert again.status_code == 201
    resent = client.post(url, {"answers": GOOD}, content_type="application/json", **headers)
    assert resent.status_code == 200 and Label.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_web_form_gets_a_plain_503_page(postgres, client, project_a, alice):
    drawn_run(project_a)
    claim = actions.claim_next(user=alice, project=project_a)
    client.force_login(alice)
    wrapper, fired = kill_on('INSERT INTO "review_label"')
    with connection.execute_wrapper(wrapper):
        response = client.post(f"/p/support/review/items/{claim.item_id}/submit", {"verdict": "success", "harm": "none"})
    assert fired and response.status_code == 503 and b"Please try again" in response.content
    assert Label.objects.count() == 0
