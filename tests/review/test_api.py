"""The review API: personal tokens, claim next, read, submit; the same rules as the workbench."""
from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from reviewapp.projects.models import UserToken
from reviewapp.review import actions
from reviewapp.review.models import Label
from tests.helpers import BAD, GOOD, drawn_run


def token_for(user) -> str:
    return UserToken.issue(user=user, name="test")[1]


def call(client, method, path, token, **kwargs):
    return getattr(client, method)(f"/api/v1/projects/support/review/{path}", content_type="application/json",
                                   HTTP_AUTHORIZATION=f"Bearer {token}", **kwargs)


@pytest.mark.django_db
def test_claim_read_submit_and_resend(client, project_a, alice):
    drawn_run(project_a)
    token = token_for(alice)
    claimed = call(client, "post", "next", token).json()
    assert claimed["rubric"][0]["key"] == "verdict" and claimed["my_label"] is None
    assert claimed["output"]["output"] == "Yes, within 30 days."
    again = call(client, "get", f"items/{claimed['id']}", token).json()
    assert again["id"] == claimed["id"] and again["claim_expires_at"]
    first = call(client, "post", f"items/{claimed['id']}/label", token, data={"answers": GOOD, "time_on_task_ms": 4200})
    assert first.status_code == 201 and first.json()["verdict"] == "success"
    resend = call(client, "post", f"items/{claimed['id']}/label", token, data={"answers": GOOD})
    assert resend.status_code == 200 and resend.json()["id"] == first.json()["id"]
    revised = call(client, "post", f"items/{claimed['id']}/label", token, data={"answers": BAD})
    assert revised.status_code == 200 and revised.json()["revisions"] == 2
    assert Label.objects.get().time_on_task_ms == 4200


@pytest.mark.django_db
def test_a_bad_answer_is_422_with_the_question(client, project_a, alice):
    drawn_run(project_a)
    token = token_for(alice)
    item = call(client, "post", "next", token).json()
    response = call(client, "post", f"items/{item['id']}/label", token, data={"answers": {"verdict": "meh"}})
    assert response.status_code == 422 and response.json()["detail"].startswith("Verdict:")


@pytest.mark.django_db
def test_the_api_is_blind_and_scoped(client, project_a, alice, bob, charlie):
    drawn_run(project_a, overlap_share=1.0)
    claim = actions.claim_next(user=bob, project=project_a)
    actions.submit_label(claim=claim, user=bob, data={**BAD, "notes": "BOB-SECRET"})
    item = call(client, "post", "next", token_for(alice)).json()
    assert item["id"] == claim.item_id and "BOB-SECRET" not in str(item)
    outsider = token_for(charlie)
    assert call(client, "post", "next", outsider).status_code == 404
    assert call(client, "get", f"items/{item['id']}", outsider).status_code == 404
    assert call(client, "get", f"items/{item['id']}", "spu_wrong").status_code == 401


@pytest.mark.django_db
def test_an_empty_queue_is_204(client, project_a, alice):
    assert call(client, "post", "next", token_for(alice)).status_code == 204


@pytest.mark.django_db
def test_a_revoked_token_is_refused(client, project_a, alice):
    token = token_for(alice)
    UserToken.objects.get(user=alice).revoke()
    assert call(client, "post", "next", token).status_code == 401


@pytest.mark.django_db
def test_create_user_token_prints_a_working_token(alice):
    out = io.StringIO()
    call_command("create_user_token", "alice", stdout=out, stderr=io.StringIO())
    assert UserToken.authenticate(out.getvalue().strip().splitlines()[-1]).user == alice


def test_the_review_endpoints_are_in_the_openapi_schema(client, db):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert {"/api/v1/projects/{project}/review/next", "/api/v1/projects/{project}/review/items/{item_id}",
            "/api/v1/projects/{project}/review/items/{item_id}/label"} <= set(paths)
