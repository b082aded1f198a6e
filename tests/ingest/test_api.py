"""POST /api/v1/projects/{project}/outputs: idempotency, errors, scoping, all-or-nothing."""
from __future__ import annotations

import orjson
import pytest

from reviewapp.ingest.models import Output
from tests.helpers import record

URL = "/api/v1/projects/{}/outputs"


def post(client, token, body, *, project="support", content_type="application/json", query=""):
    data = body if isinstance(body, (bytes, str)) else orjson.dumps(body)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.post(URL.format(project) + query, data=data, content_type=content_type, **headers)


def ndjson(*records) -> bytes:
    return b"\n".join(orjson.dumps(r) for r in records) + b"\n"


@pytest.mark.django_db
class TestAccepted:
    def test_it_stores_a_json_array(self, client, token_a, project_a):
        response = post(client, token_a, [record("a"), record("b")])
        assert response.status_code == 200
        assert response.json() == {"received": 2, "created": 2, "already_present": 0, "rejected": 0,
                                   "stored": True, "errors": [], "errors_truncated": False,
                                   "evaluations": {"created": 0, "already_present": 0}}
        stored = Output.objects.get(project=project_a, external_id="a")
        assert stored.input == [{"role": "user", "content": "Can I get a refund?"}]
        assert stored.output == "Yes, within 30 days."
        assert stored.category == "billing" and stored.risk_tier == "low"
        assert stored.occurred_at.isoformat() == "2026-11-20T10:00:00+00:00"
        assert stored.raw is None

    def test_it_stores_ndjson(self, client, token_a):
        response = post(client, token_a, ndjson(record("a"), record("b"), record("c")), content_type="application/x-ndjson")
        assert response.status_code == 200
        assert response.json()["created"] == 3

    def test_resending_never_duplicates(self, client, token_a, project_a):
        post(client, token_a, [record("a"), record("b")])
        response = post(client, token_a, [record("a", output="changed"), record("b"), record("c")])
        body = response.json()
        assert (body["created"], body["already_present"]) == (1, 2)
        assert Output.objects.filter(project=project_a).count() == 3
        assert Output.objects.get(project=project_a, external_id="a").output == "Yes, within 30 days."

    def test_the_same_id_twice_in_one_batch_is_stored_once(self, client, token_a, project_a):
        body = post(client, token_a, [record("a", output="first"), record("a", output="second")]).json()
        assert (body["created"], body["already_present"]) == (1, 1)
        assert Output.objects.get(project=project_a, external_id="a").output == "first"

    def test_the_same_external_id_may_exist_in_two_projects(self, client, token_a, token_b):
        assert post(client, token_a, [record("a")]).json()["created"] == 1
        assert post(client, token_b, [record("a")], project="claims").json()["created"] == 1

    def test_it_maps_openai_chat_logs(self, client, token_a, project_a):
        log = {
            "request": {"model": "gpt-4o", "messages": [{"role": "developer", "content": "You are a returns assistant."},
                                                        {"role": "user", "content": "Can I return opened headphones?"}],
                        "metadata": {"category": "returns"}},
            "response": {"id": "chatcmpl-123", "object": "chat.completion", "created": 1755684000,
                         "model": "gpt-4o-2024-08-06",
                         "choices": [{"index": 0, "message": {"role": "assistant", "content": "Yes, within 30 days."},
                                      "finish_reason": "stop"}],
                         "usage": {"prompt_tokens": 20, "completion_tokens": 7, "total_tokens": 27}},
        }
        response = post(client, token_a, ndjson(log), query="?format=openai-chat")
        assert response.status_code == 200, response.json()
        stored = Output.objects.get(project=project_a, external_id="chatcmpl-123")
        assert stored.input[0] == {"role": "system", "content": "You are a returns assistant."}
        assert stored.output == "Yes, within 30 days."
        assert (stored.model, stored.model_version, stored.category) == ("gpt-4o", "gpt-4o-2024-08-06", "returns")
        assert stored.raw == log


@pytest.mark.django_db
class TestRejected:
    @pytest.mark.parametrize(
        ("bad", "field", "reason"),
        [
            ({"external_id": None}, "external_id", "Input should be a valid string"),
            ({"external_id": ""}, "external_id", "String should have at least 1 character"),
            ({"occurred_at": "last tuesday"}, "occurred_at", "Input should be a valid datetime"),
            ({"input": 42}, "input", "must be a string or a list of chat messages"),
            ({"input": [{"content": "hi"}]}, "input", "message 0 needs a non-empty string 'role'"),
            ({"output": ["not", "text"]}, "output", "Input should be a valid string"),
            ({"kind": "poem"}, "kind", "Input should be 'llm_response', 'agent_action' or 'classifier_decision'"),
            ({"risk_score": 7}, "risk_score", "Input should be less than or equal to 1"),
            ({"context": "a passage"}, "context", "Input should be a valid list"),
            ({"metadata": [1, 2]}, "metadata", "Input should be a valid dictionary"),
            ({"categroy": "billing"}, "categroy", "unknown field (custom data goes under metadata)"),
            ({"output": "nul \u0000 byte"}, "output", "must not contain NUL characters"),
            ({"metadata": {"k": "nul \u0000"}}, "metadata", "must not contain NUL characters (\\u0000)"),
        ],
    )
    def test_a_malformed_record_is_rejected_with_its_field_and_reason(self, client, token_a, project_a, bad, field, reason):
        response = post(client, token_a, [record("good"), {**record("bad"), **bad}])
        assert response.status_code == 207
        body = response.json()
        assert (body["created"], body["rejected"]) == (1, 1)
        error = body["errors"][0]
        assert error["index"] == 1 and error["field"] == field
        assert error["reason"].startswith(reason)
        assert list(Output.objects.filter(project=project_a).values_list("external_id", flat=True)) == ["good"]

    def test_a_missing_required_field_is_named(self, client, token_a):
        bad = record("x")
        del bad["occurred_at"]
        error = post(client, token_a, [bad]).json()["errors"][0]
        assert (error["field"], error["reason"]) == ("occurred_at", "is required")

    def test_ndjson_errors_name_the_line(self, client, token_a):
        body = ndjson(record("a")) + b'{"external_id": "broken",\n' + ndjson(record("b"))
        response = post(client, token_a, body, content_type="application/x-ndjson")
        assert response.status_code == 207
        errors = response.json()["errors"]
        assert errors[0]["line"] == 2 and errors[0]["field"] == "record" and errors[0]["reason"].startswith("invalid JSON")

    def test_a_record_that_is_not_an_object_is_rejected(self, client, token_a):
        error = post(client, token_a, [record("a"), [1, 2]]).json()["errors"][0]
        assert error == {"index": 1, "line": None, "field": "record", "reason": "must be a JSON object, not list", "external_id": None}

    def test_every_record_bad_is_422(self, client, token_a, project_a):
        response = post(client, token_a, [record("a", input=1)])
        assert response.status_code == 422
        assert not Output.objects.exists()

    def test_a_body_that_is_not_json_is_400(self, client, token_a):
        response = post(client, token_a, b"[not json")
        assert response.status_code == 400
        assert response.json()["detail"].startswith("body is not valid JSON")

    def test_deep_nesting_is_rejected_cleanly(self, client, token_a):
        response = post(client, token_a, b"[" + b"[" * 2000 + b"]" * 2000 + b"]")
        assert response.status_code == 400
        assert "JSON" in response.json()["detail"]

    def test_an_unknown_format_is_400(self, client, token_a):
        response = post(client, token_a, [record("a")], query="?format=xml")
        assert response.status_code == 400
        assert "format" in response.json()["detail"]


@pytest.mark.django_db
class TestAllOrNothing:
    def test_atomic_stores_nothing_when_one_record_is_bad(self, client, token_a, project_a):
        response = post(client, token_a, [record("a"), record("b", input=None)], query="?atomic=true")
        assert response.status_code == 422
        body = response.json()
        assert body["stored"] is False and body["created"] == 0 and body["rejected"] == 1
        assert body["errors"][0]["field"] == "input"
        assert not Output.objects.filter(project=project_a).exists()

    def test_atomic_stores_everything_when_all_are_good(self, client, token_a, project_a):
        response = post(client, token_a, [record("a"), record("b")], query="?atomic=true")
        assert response.status_code == 200
        assert Output.objects.filter(project=project_a).count() == 2


@pytest.mark.django_db
class TestAccess:
    def test_no_token_is_401(self, client, project_a):
        response = post(client, None, [record()])
        assert response.status_code == 401
        assert response.json() == {"detail": "missing, invalid or revoked API token"}

    def test_a_wrong_token_is_401(self, client, project_a):
        assert post(client, "spc_not-a-real-token", [record()]).status_code == 401

    def test_a_revoked_token_is_401(self, client, project_a, token_a):
        from reviewapp.projects.models import ApiToken

        ApiToken.objects.get(project=project_a).revoke()
        assert post(client, token_a, [record()]).status_code == 401

    def test_a_token_for_project_b_cannot_write_to_project_a(self, client, project_a, token_b):
        response = post(client, token_b, [record()], project="support")
        assert response.status_code == 403
        assert "not valid for project" in response.json()["detail"]
        assert not Output.objects.exists()

    def test_an_unknown_project_is_404(self, client, token_a):
        response = post(client, token_a, [record()], project="nope")
        assert response.status_code == 404
        assert response.json() == {"detail": "no project 'nope'"}

    def test_tokens_are_stored_hashed(self, project_a, token_a):
        from reviewapp.projects.models import ApiToken

        stored = ApiToken.objects.get(project=project_a)
        assert token_a not in (stored.token_hash, stored.prefix) and len(stored.token_hash) == 64


@pytest.mark.django_db
class TestLimits:
    def test_an_oversized_body_is_413(self, client, token_a, settings):
        settings.INGEST_MAX_BODY_BYTES = 1000
        response = post(client, token_a, [record(str(i)) for i in range(50)])
        assert response.status_code == 413
        assert "limit is 1000" in response.json()["detail"]

    def test_too_many_records_is_413(self, client, token_a, settings):
        settings.INGEST_MAX_RECORDS_PER_REQUEST = 3
        response = post(client, token_a, ndjson(*[record(str(i)) for i in range(5)]), content_type="application/x-ndjson")
        assert response.status_code == 413

    def test_an_oversized_record_is_rejected_by_line(self, client, token_a, settings):
        settings.INGEST_MAX_RECORD_BYTES = 500
        body = ndjson(record("small"), record("big", output="x" * 1000))
        errors = post(client, token_a, body, content_type="application/x-ndjson").json()["errors"]
        assert errors[0]["line"] == 2 and "limit is 500" in errors[0]["reason"]


def test_the_openapi_schema_is_served(client, db):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    operation = schema["paths"]["/api/v1/projects/{project}/outputs"]["post"]
    assert {"200", "207", "401", "403", "404", "413", "422"} <= set(operation["responses"])
    items = operation["requestBody"]["content"]["application/json"]["schema"]["items"]
    assert items == {"$ref": "#/components/schemas/CanonicalRecord"}  # a named model for generated clients
    assert "external_id" in schema["components"]["schemas"]["CanonicalRecord"]["properties"]
