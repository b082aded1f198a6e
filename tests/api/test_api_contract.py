"""The API's contract with generated clients, walked from its own OpenAPI document so that a new
operation cannot escape it: a missing or wrong token is a 401 on every operation (never the CSRF
403 a browser session gets), every operation declares its error answers with their schema, operation
ids are short and pinned, dates are `format: date-time`, request bodies name their models, and the
rubric's answers have a JSON Schema per version."""
from __future__ import annotations

import json
import re

import jsonschema
import orjson
import pytest
from django.test import Client

from reviewapp.api.api import api
from reviewapp.projects.models import ApiToken, UserToken
from reviewapp.review import actions
from reviewapp.review.models import LabelSchema
from tests.helpers import BAD, CORRECTED, GOOD, drawn_run, make_user

# Renaming one breaks every generated client: change them only with a new API version.
OPERATION_IDS = {
    ("POST", "/api/v1/projects/{project}/outputs"): "ingestOutputs",
    ("POST", "/api/v1/projects/{project}/evaluations"): "ingestEvaluations",
    ("POST", "/api/v1/projects/{project}/review/next"): "claimNextItem",
    ("GET", "/api/v1/projects/{project}/review/items/{item_id}"): "readItem",
    ("POST", "/api/v1/projects/{project}/review/items/{item_id}/label"): "submitLabel",
    ("GET", "/api/v1/projects/{project}/rubric"): "readRubric",
    ("GET", "/api/v1/projects/{project}/rubric/{version}"): "readRubricVersion",
    ("GET", "/api/v1/projects/{project}/review/items/{item_id}/comments"): "readComments",
    ("POST", "/api/v1/projects/{project}/review/items/{item_id}/comments"): "addComment",
    ("POST", "/api/v1/projects/{project}/review/items/{item_id}/flags"): "flagItem",
    ("GET", "/api/v1/projects/{project}/review/flags"): "listFlaggedItems",
    ("POST", "/api/v1/projects/{project}/review/items/{item_id}/flags/resolve"): "resolveFlags",
    ("POST", "/api/v1/projects/{project}/exports"): "createExport",
    ("GET", "/api/v1/projects/{project}/exports/{version}"): "readExport",
    ("GET", "/api/v1/projects/{project}/exports/{version}/files/{name}"): "downloadExportFile",
    ("POST", "/api/v1/projects/{project}/audits"): "drawWeek",
    ("GET", "/api/v1/projects/{project}/audits"): "listAudits",
    ("GET", "/api/v1/projects/{project}/audits/{week}"): "readAudit",
    ("GET", "/api/v1/projects/{project}/scorecard"): "readScorecard",
    ("GET", "/api/v1/projects/{project}/metrics/{week}"): "readMetrics",
    ("GET", "/api/v1/projects/{project}/alerts"): "listAlerts",
}
OPERATION_ID = re.compile(r"^[a-z][A-Za-z0-9]{2,40}$")
ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}
SCHEMA = json.loads(json.dumps(api.get_openapi_schema()))  # as served: status codes are strings


def operations() -> list[tuple[str, str]]:
    return sorted((method.upper(), path) for path, ops in SCHEMA["paths"].items() for method in ops)


def operation(method: str, path: str) -> dict:
    return SCHEMA["paths"][path][method.lower()]


def test_operation_ids_are_short_unique_and_pinned():
    found = {(method, path): operation(method, path)["operationId"] for method, path in operations()}
    assert found == OPERATION_IDS  # a new operation is added here, with the id its clients will call
    assert all(OPERATION_ID.match(op_id) for op_id in found.values()), found
    assert len(set(found.values())) == len(found)


def test_model_names_are_short():
    names = list(SCHEMA["components"]["schemas"])
    assert "CanonicalRecord" in names and "EvaluationRecord" in names
    assert [n for n in names if not re.match(r"^[A-Z][A-Za-z0-9]{2,30}$", n)] == []


@pytest.mark.parametrize(("method", "path"), operations())
def test_every_operation_declares_its_errors_with_their_schema(method, path):
    responses = operation(method, path)["responses"]
    for status in ("401", "403", "404"):
        assert status in responses, (method, path, status)
    for status, answer in responses.items():
        if int(status) >= 400:
            schema = answer["content"]["application/json"]["schema"]
            assert schema == ERROR_REF or schema["$ref"] in ("#/components/schemas/IngestOut",
                                                             "#/components/schemas/RefusedOut"), (path, status)


def test_request_bodies_name_their_models_and_formats():
    outputs = operation("POST", "/api/v1/projects/{project}/outputs")["requestBody"]["content"]
    evaluations = operation("POST", "/api/v1/projects/{project}/evaluations")["requestBody"]["content"]
    assert set(outputs) == {"application/json", "application/x-ndjson", "text/csv"}
    assert set(evaluations) == {"application/json", "application/x-ndjson"}
    assert outputs["application/json"]["schema"]["items"] == {"$ref": "#/components/schemas/CanonicalRecord"}
    assert evaluations["application/json"]["schema"]["items"] == {"$ref": "#/components/schemas/EvaluationRecord"}
    for content in (outputs, evaluations):
        assert "CanonicalRecord" in content["application/x-ndjson"]["schema"]["description"] or \
            "EvaluationRecord" in content["application/x-ndjson"]["schema"]["description"]
    # Every $ref resolves: a generator refuses a dangling one.
    text = orjson.dumps(SCHEMA).decode()
    for name in set(re.findall(r'"#/components/schemas/([^"]+)"', text)):
        assert name in SCHEMA["components"]["schemas"], name


def test_the_label_body_points_to_the_rubric_schema():
    answers = SCHEMA["components"]["schemas"]["LabelIn"]["properties"]["answers"]
    assert answers["type"] == "object" and answers.get("additionalProperties", True) is not False
    assert "/rubric" in answers["description"]


def _date_fields(schema, path=""):
    """(where, property schema) of every property that holds a date or a time, by its name."""
    if isinstance(schema, dict):
        for name, prop in (schema.get("properties") or {}).items():
            if name.endswith("_at") or name in ("week_start", "as_of", "drawable_from"):
                yield f"{path}.{name}", prop
        for key, value in schema.items():
            yield from _date_fields(value, f"{path}.{key}")
    elif isinstance(schema, list):
        for value in schema:
            yield from _date_fields(value, path)


def test_dates_are_typed():
    found = dict(_date_fields(SCHEMA["components"]["schemas"]))
    assert len(found) >= 10
    for where, prop in found.items():
        formats = {prop.get("format")} | {p.get("format") for p in prop.get("anyOf", [])}
        if where.endswith("_start"):
            assert "date" in formats, where
        else:
            assert "date-time" in formats, where


@pytest.fixture
def world(project_a, alice):
    drawn_run(project_a, outputs=20)
    claim = actions.claim_next(user=alice, project=project_a)
    lead = make_user("contract-lead", project_a, role="qa_lead")
    return {"item": claim.item_id, "alice": alice, "lead": lead,
            "reviewer token": UserToken.issue(user=alice, name="a")[1],
            "lead token": UserToken.issue(user=lead, name="l")[1],
            "project token": ApiToken.issue(project=project_a, name="p")[1]}


def url_of(path: str, world) -> str:
    return (path.replace("{project}", "support").replace("{item_id}", str(world["item"]))
            .replace("{version}", "1").replace("{name}", "jsonl").replace("{week}", "2026-W47"))


def call(client: Client, method: str, path: str, world, authorization: str | None = None):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    if method == "GET":
        return client.get(url_of(path, world), **headers)
    return client.post(url_of(path, world), data=b"{}", content_type="application/json", **headers)


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path"), operations())
def test_a_missing_or_wrong_token_is_401_everywhere(method, path, world):
    """As a script sees it: a real client enforcing CSRF, with no session, or with a logged-in
    session beside a wrong token (the token decides; the session is not tried)."""
    anonymous = Client(enforce_csrf_checks=True)
    logged_in = Client(enforce_csrf_checks=True)
    logged_in.force_login(world["lead"])
    for client, authorization in [
        (anonymous, None),
        (anonymous, "Bearer spu_not-a-token"),
        (anonymous, "Bearer spc_not-a-token"),
        (anonymous, "Basic YWxpY2U6c2VjcmV0"),
        # A real token of the wrong kind: a person's on ingest, the project's ingest token elsewhere.
        (anonymous, "Bearer " + world["lead token" if path.endswith(("/outputs", "/evaluations")) else "project token"]),
        (logged_in, "Bearer spu_not-a-token"),
    ]:
        response = call(client, method, path, world, authorization)
        assert response.status_code == 401, (method, path, authorization, response.status_code, response.content)
        assert response["WWW-Authenticate"] == "Bearer"
        assert response.json()["detail"]
        assert "401" in operation(method, path)["responses"]


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path"), operations())
def test_every_status_a_caller_meets_is_declared(method, path, world):
    """A reviewer, a lead and another project's ingest token: whatever the answer, it is documented."""
    declared = {int(s) for s in operation(method, path)["responses"]}
    ingest = path.endswith(("/outputs", "/evaluations"))
    tokens = [world["project token"]] if ingest else [world["reviewer token"], world["lead token"]]
    for token in tokens:
        status = call(Client(), method, path, world, f"Bearer {token}").status_code
        assert status in declared, (method, path, status, sorted(declared))


@pytest.mark.django_db
def test_a_browser_session_still_needs_its_csrf_token(world):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world["alice"])
    url = "/api/v1/projects/support/review/next"
    refused = browser.post(url)
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    browser.get("/")  # the pages set the CSRF cookie
    token = browser.cookies["csrftoken"].value
    assert browser.post(url, HTTP_X_CSRFTOKEN=token).status_code == 200  # alice's claim, as the item page holds it
    assert browser.get(f"/api/v1/projects/support/review/items/{world['item']}").status_code == 200  # GET: no CSRF


@pytest.mark.django_db
def test_the_rubric_is_served_with_its_answers_schema(client, world, project_a):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {world['reviewer token']}"}
    current = client.get("/api/v1/projects/support/rubric", **auth).json()
    assert current["version"] == 1 and current["current"] is True
    schema = current["answers_schema"]
    jsonschema.Draft202012Validator.check_schema(schema)
    for good in (GOOD, BAD, CORRECTED):
        jsonschema.validate(good, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"verdict": "great", "harm": "none"}, schema)
    item = client.get(f"/api/v1/projects/support/review/items/{world['item']}", **auth).json()
    assert item["rubric_version"] == 1
    assert client.get("/api/v1/projects/support/rubric/1", **auth).json()["answers_schema"] == schema

    questions = [q for q in LabelSchema.current(project_a).definition["questions"] if q["key"] != "notes"]
    LabelSchema.objects.create(project=project_a, version=2, definition={"questions": questions})
    assert client.get("/api/v1/projects/support/rubric", **auth).json()["version"] == 2
    older = client.get("/api/v1/projects/support/rubric/1", **auth).json()
    assert older["current"] is False and "notes" in older["answers_schema"]["properties"]
    assert client.get("/api/v1/projects/support/rubric/9", **auth).status_code == 404
    outsider = UserToken.issue(user=make_user("rubric-outsider"), name="o")[1]
    assert client.get("/api/v1/projects/support/rubric", HTTP_AUTHORIZATION=f"Bearer {outsider}").status_code == 404
