"""The discussion through the API (reviewapp/api/discussion.py): the page's rules hold there too.
Blind until you have labelled, flags updated rather than doubled, the flag list for leads only,
items not yours a 404."""
from __future__ import annotations

import orjson
import pytest

from reviewapp.projects.models import UserToken
from reviewapp.review import actions
from tests.helpers import GOOD, drawn_run


def call(client, user, method: str, path: str, body: dict | None = None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {UserToken.issue(user=user, name='t')[1]}"}
    url = f"/api/v1/projects/support/review{path}"
    if method == "GET":
        return client.get(url, **headers)
    return client.post(url, data=orjson.dumps(body or {}), content_type="application/json", **headers)


@pytest.mark.django_db
def test_comments_stay_blind_until_the_reader_has_labelled(client, double, alice, bob):
    item = double["item"]
    said = call(client, bob, "POST", f"/items/{item.pk}/comments", {"text": "BOB-SAYS-FAILURE"})
    assert said.status_code == 201 and said.json()["author"] == "bob"
    before = call(client, alice, "GET", f"/items/{item.pk}/comments").json()
    assert before == {"blind": True, "comments": []}
    actions.submit_label(claim=double["alice_claim"], user=alice, data=GOOD)
    after = call(client, alice, "GET", f"/items/{item.pk}/comments").json()
    assert after["blind"] is False and [c["text"] for c in after["comments"]] == ["BOB-SAYS-FAILURE"]


@pytest.mark.django_db
def test_a_bad_comment_or_flag_is_refused_with_the_reason(client, double, bob):
    item = double["item"]
    empty = call(client, bob, "POST", f"/items/{item.pk}/comments", {"text": "   "})
    assert empty.status_code == 422 and "needs some text" in empty.json()["detail"]
    wrong = call(client, bob, "POST", f"/items/{item.pk}/flags", {"reason": "bored"})
    assert wrong.status_code == 422 and "Unsure" in wrong.json()["detail"]


@pytest.mark.django_db
def test_flags_reach_the_leads_list_once_and_leads_resolve_them(client, double, alice, bob, lead):
    item = double["item"]
    assert call(client, bob, "POST", f"/items/{item.pk}/flags", {"reason": "unsure"}).status_code == 201
    again = call(client, bob, "POST", f"/items/{item.pk}/flags", {"reason": "policy", "text": "refund rule?"})
    assert again.status_code == 201 and again.json()["reason"] == "policy"
    assert call(client, bob, "GET", "/flags").status_code == 403  # the list is the leads'
    listed = call(client, lead, "GET", "/flags").json()
    assert [(row["item"], [(f["raised_by"], f["reason"], f["text"]) for f in row["flags"]]) for row in listed] == [
        (item.pk, [("bob", "policy", "refund rule?")])]
    assert call(client, alice, "POST", f"/items/{item.pk}/flags/resolve").status_code == 403
    assert call(client, lead, "POST", f"/items/{item.pk}/flags/resolve").json() == {"resolved": 1}
    assert call(client, lead, "GET", "/flags").json() == []


@pytest.mark.django_db
def test_an_item_the_reviewer_never_claimed_is_not_found(client, project_a, alice, bob):
    drawn_run(project_a)
    bobs = actions.claim_next(user=bob, project=project_a).item
    assert call(client, alice, "GET", f"/items/{bobs.pk}/comments").status_code == 404
    assert call(client, alice, "POST", f"/items/{bobs.pk}/comments", {"text": "hi"}).status_code == 404
