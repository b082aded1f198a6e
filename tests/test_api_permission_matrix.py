"""Every API operation, for every caller, generated from the OpenAPI schema: a new endpoint cannot
escape it. No token: 401. A token of another project, or a person outside the project: 403 or
404, never data. A reviewer on a lead-only endpoint (exports, audits, flags, the scorecard, metrics,
alerts): 403. A QA lead of the project, an admin of it, and a superuser who is no member (acting as
admin everywhere): through the door (whatever the operation then says about the request itself)."""
from __future__ import annotations

import orjson
import pytest

from reviewapp.api.api import api
from reviewapp.exports import actions as exports
from reviewapp.exports.models import Snapshot
from reviewapp.projects.models import ApiToken, UserToken
from reviewapp.review import actions
from tests.helpers import drawn_run, make_user, record

LEAD_ONLY = ("/exports", "/audits", "/review/flags", "/flags/resolve", "/scorecard", "/metrics", "/alerts")


def operations() -> list[tuple[str, str]]:
    schema = api.get_openapi_schema()
    return sorted((method.upper(), path) for path, ops in schema["paths"].items() for method in ops)


def test_the_matrix_covers_every_operation():
    assert len(operations()) >= 7


@pytest.fixture
def world(project_a, project_b, alice, charlie):
    drawn_run(project_a)
    claim = actions.claim_next(user=alice, project=project_a)
    lead = make_user("api-lead", project_a, role="qa_lead")
    admin = make_user("api-admin", project_a, role="admin")
    superuser = make_user("api-root")  # a member of no project
    superuser.is_superuser = True
    superuser.save()
    snapshot = exports.build(Snapshot.create_next(project=project_a, formats=["jsonl"]))  # empty: create refuses it
    return {"item": claim.item_id, "version": snapshot.version,
            "project token A": ApiToken.issue(project=project_a, name="a")[1],
            "project token B": ApiToken.issue(project=project_b, name="b")[1],
            "reviewer": UserToken.issue(user=alice, name="a")[1],
            "lead": UserToken.issue(user=lead, name="l")[1],
            "admin": UserToken.issue(user=admin, name="ad")[1],
            "superuser": UserToken.issue(user=superuser, name="su")[1],
            "outsider": UserToken.issue(user=charlie, name="c")[1]}


def request(client, method: str, path: str, world, token: str | None):
    url = (path.replace("{project}", "support").replace("{item_id}", str(world["item"]))
           .replace("{version}", str(world["version"])).replace("{name}", "jsonl").replace("{week}", "2026-W47"))
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    if path.endswith("/outputs"):
        body = orjson.dumps([record("matrix-1")])
    elif path.endswith("/audits"):  # a valid body: the door is what is tested, not the schema
        body = orjson.dumps({"week": "2026-W47", "early": True})
    elif path.endswith("/comments"):
        body = orjson.dumps({"text": "A question about this item."})
    elif path.endswith("/flags"):
        body = orjson.dumps({"reason": "unsure"})
    else:
        body = orjson.dumps({"answers": {}})
    if method == "GET":
        return client.get(url, **headers)
    return client.post(url, data=body, content_type="application/json", **headers)


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path"), operations())
def test_every_operation_checks_its_caller(client, world, method, path):
    ingest = path.endswith(("/outputs", "/evaluations"))
    own = world["project token A"] if ingest else world["lead"]
    for who, token, allowed in [
        ("nobody", None, {401}),
        ("another project's token", world["project token B"] if ingest else world["outsider"], {401, 403, 404}),
        ("a person's token on ingest" if ingest else "the project's ingest token",
         world["lead"] if ingest else world["project token A"], {401}),
        ("the project's reviewer", None if ingest else world["reviewer"],
         {403} if any(p in path for p in LEAD_ONLY) else None),
    ]:
        if token is None and who != "nobody":
            continue
        status = request(client, method, path, world, token).status_code
        if allowed is None:  # a reviewer on a reviewer's endpoint: let in
            assert status not in (401, 403), (method, path, who, status)
        else:
            assert status in allowed, (method, path, who, status)
    for who in ["lead"] if ingest else ["lead", "admin", "superuser"]:
        status = request(client, method, path, world, own if who == "lead" else world[who]).status_code
        assert status not in (401, 403, 404) or (status == 404 and "{item_id}" in path), (method, path, who, status)
