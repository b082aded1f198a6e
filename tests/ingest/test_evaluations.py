"""Judge scores in: inside the canonical record, through POST /evaluations, from Langfuse and
LangSmith exports, and through `manage.py ingest_evaluations`."""
from __future__ import annotations

import io

import orjson
import pytest
from django.core.management import CommandError, call_command

from reviewapp.ingest.models import Evaluation, Evaluator
from tests.helpers import record

OUTPUTS = "/api/v1/projects/{}/outputs"
EVALUATIONS = "/api/v1/projects/{}/evaluations"


def post(client, url, token, body, *, project="support", content_type="application/x-ndjson", query=""):
    data = body if isinstance(body, (bytes, str)) else orjson.dumps(body)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.post(url.format(project) + query, data=data, content_type=content_type, **headers)


def ndjson(*items) -> bytes:
    return b"\n".join(orjson.dumps(i) for i in items) + b"\n"


def stored(project) -> dict[tuple[str, str, str], tuple[float | None, str]]:
    """(output, evaluator, version) -> (value, label) of every stored evaluation."""
    return {(e.output.external_id, e.evaluator.name, e.evaluator.version): (e.value, e.label)
            for e in Evaluation.objects.filter(output__project=project).select_related("output", "evaluator")}


@pytest.fixture
def outputs(client, token_a):
    """Outputs a, b and c in project A (ingested without evaluations)."""
    response = post(client, OUTPUTS, token_a, ndjson(record("a"), record("b"), record("c")))
    assert response.status_code == 200


@pytest.mark.django_db
class TestInsideTheRecord:
    def test_evaluations_are_stored_with_their_output(self, client, token_a, project_a):
        evaluations = [{"name": "groundedness", "version": 2, "value": 0.8, "metric": "failure"},
                       {"name": "policy", "label": "pass"}]
        response = post(client, OUTPUTS, token_a, ndjson(record("a", evaluations=evaluations)))
        assert response.status_code == 200, response.json()
        assert stored(project_a) == {("a", "groundedness", "2"): (0.8, ""), ("a", "policy", ""): (None, "pass")}
        assert Evaluation.objects.get(evaluator__name="groundedness").metric == "failure"

    def test_resending_keeps_the_first_and_never_duplicates(self, client, token_a, project_a):
        post(client, OUTPUTS, token_a, ndjson(record("a", evaluations=[{"name": "judge", "value": 1}])))
        post(client, OUTPUTS, token_a, ndjson(record("a", evaluations=[{"name": "judge", "value": 0}])))
        assert stored(project_a) == {("a", "judge", ""): (1.0, "")}
        assert Evaluator.objects.filter(project=project_a).count() == 1

    def test_the_ingest_report_counts_them(self, project_a):
        from reviewapp.ingest.actions import ingest
        from reviewapp.ingest.formats import SourceRecord

        def send():
            return ingest(project=project_a, records=[SourceRecord(1, data=record("a", evaluations=[
                {"name": "judge", "value": 1}]))]).as_dict()["evaluations"]

        assert send() == {"created": 1, "already_present": 0}
        assert send() == {"created": 0, "already_present": 1}

    @pytest.mark.parametrize(("evaluations", "field", "reason"), [
        ([{"name": "judge", "value": "high"}], "evaluations[0].value", "valid number"),
        ([{"value": 1}], "evaluations[0].name", "is required"),
        ([{"name": "judge"}], "evaluations[0]", "needs a value, a label, or both"),
        ([{"name": "judge", "value": 1}, {"name": "judge", "label": "x"}], "evaluations", "repeats 'judge'"),
    ])
    def test_a_bad_evaluation_rejects_its_record_by_line_and_field(self, client, token_a, project_a,
                                                                   evaluations, field, reason):
        body = ndjson(record("good"), record("bad", evaluations=evaluations))
        response = post(client, OUTPUTS, token_a, body)
        assert response.status_code == 207
        [error] = response.json()["errors"]
        assert (error["line"], error["field"], error["external_id"]) == (2, field, "bad")
        assert reason in error["reason"]
        assert not Evaluation.objects.exists()


@pytest.mark.django_db
@pytest.mark.usefixtures("outputs")
class TestEndpoint:
    def test_it_stores_ndjson_and_a_second_send_is_already_present(self, client, token_a, project_a):
        body = ndjson({"external_id": "a", "name": "judge", "value": 0.9},
                      {"external_id": "b", "name": "judge", "label": "fail"})
        first = post(client, EVALUATIONS, token_a, body)
        assert first.status_code == 200
        assert first.json() == {"received": 2, "created": 2, "already_present": 0, "rejected": 0, "stored": True,
                                "errors": [], "errors_truncated": False, "evaluations": None}
        again = post(client, EVALUATIONS, token_a, ndjson({"external_id": "a", "name": "judge", "value": 0.1}))
        assert (again.status_code, again.json()["created"], again.json()["already_present"]) == (200, 0, 1)
        assert stored(project_a) == {("a", "judge", ""): (0.9, ""), ("b", "judge", ""): (None, "fail")}

    def test_it_takes_a_json_array(self, client, token_a, project_a):
        response = post(client, EVALUATIONS, token_a, [{"external_id": "c", "name": "judge", "value": True}],
                        content_type="application/json")
        assert response.status_code == 200
        assert stored(project_a) == {("c", "judge", ""): (1.0, "")}

    def test_an_unknown_external_id_is_a_rejection_of_its_line(self, client, token_a, project_a):
        body = ndjson({"external_id": "a", "name": "judge", "value": 1},
                      {"external_id": "nope", "name": "judge", "value": 1})
        response = post(client, EVALUATIONS, token_a, body)
        assert response.status_code == 207
        assert response.json()["errors"] == [{"line": 2, "index": None, "field": "external_id",
                                               "reason": "no output 'nope' in this project", "external_id": "nope"}]
        assert set(stored(project_a)) == {("a", "judge", "")}

    def test_atomic_stores_nothing_if_one_is_rejected(self, client, token_a, project_a):
        body = ndjson({"external_id": "a", "name": "judge", "value": 1},
                      {"external_id": "nope", "name": "judge", "value": 1})
        response = post(client, EVALUATIONS, token_a, body, query="?atomic=true")
        assert response.status_code == 422
        assert response.json()["stored"] is False and response.json()["created"] == 0
        assert not Evaluation.objects.exists()

    def test_a_bad_line_is_named(self, client, token_a):
        response = post(client, EVALUATIONS, token_a, b'{"external_id": "a", "value": 1}\nnot json\n')
        assert response.status_code == 422
        assert [(e["line"], e["field"]) for e in response.json()["errors"]] == [(1, "name"), (2, "record")]

    def test_the_door_checks_the_token(self, client, token_a, token_b, project_b):
        body = ndjson({"external_id": "a", "name": "judge", "value": 1})
        assert post(client, EVALUATIONS, None, body).status_code == 401
        assert post(client, EVALUATIONS, token_b, body).status_code == 403
        assert post(client, EVALUATIONS, token_a, body, project="nowhere").status_code == 404
        assert not Evaluation.objects.exists()

    def test_an_unreadable_body_is_a_400(self, client, token_a):
        response = post(client, EVALUATIONS, token_a, b"[1, 2", content_type="application/json")
        assert response.status_code == 400
        assert "not valid JSON" in response.json()["detail"]


def langfuse_score(**overrides) -> dict:
    score = {"id": "s-1", "traceId": "a", "observationId": None, "name": "correctness", "value": 0.75,
             "stringValue": None, "dataType": "NUMERIC", "source": "EVAL", "comment": "ok", "configId": None,
             "timestamp": "2026-11-20T10:00:00Z", "metadata": {}}
    score.update(overrides)
    return score


@pytest.mark.django_db
@pytest.mark.usefixtures("outputs")
class TestLangfuse:
    def test_numeric_boolean_and_categorical_scores(self, client, token_a, project_a):
        body = ndjson(
            langfuse_score(metadata={"version": "v3"}),
            langfuse_score(id="s-2", name="helpful", dataType="BOOLEAN", value=1, stringValue="True"),
            langfuse_score(id="s-3", name="tone", dataType="CATEGORICAL", value=0, stringValue="polite"),
            langfuse_score(id="s-4", name="grade", dataType="CATEGORICAL", value=2, stringValue="B", configId="cfg"),
            langfuse_score(id="s-5", traceId="a", observationId="b", name="obs-level"),
        )
        response = post(client, EVALUATIONS, token_a, body, query="?format=langfuse")
        assert response.status_code == 200, response.json()
        assert stored(project_a) == {
            ("a", "correctness", "v3"): (0.75, ""),
            ("a", "helpful", ""): (1.0, "True"),
            ("a", "tone", ""): (None, "polite"),  # no config: Langfuse's 0 means nothing
            ("a", "grade", ""): (2.0, "B"),
            ("b", "obs-level", ""): (0.75, ""),  # the observation, not the trace
        }

    def test_text_and_correction_scores_are_rejected_with_their_line(self, client, token_a, project_a):
        body = ndjson(langfuse_score(),
                      langfuse_score(id="s-2", name="note", dataType="TEXT", value=None, stringValue="fine"),
                      langfuse_score(id="s-3", name="output", dataType="CORRECTION", stringValue="Better."))
        response = post(client, EVALUATIONS, token_a, body, query="?format=langfuse")
        assert response.status_code == 207
        errors = response.json()["errors"]
        assert [(e["line"], e["field"], e["external_id"]) for e in errors] == [(2, "dataType", "a"),
                                                                              (3, "dataType", "a")]
        assert "TEXT scores are free text" in errors[0]["reason"]
        assert set(stored(project_a)) == {("a", "correctness", "")}

    def test_a_session_score_names_no_output(self, client, token_a):
        body = ndjson(langfuse_score(traceId=None, sessionId="sess-1"))
        response = post(client, EVALUATIONS, token_a, body, query="?format=langfuse")
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "traceId"

    def test_the_v2_scores_page_is_read_whole(self, client, token_a, project_a):
        page = {"data": [langfuse_score(), langfuse_score(id="s-2", traceId="nope")],
                "meta": {"page": 1, "limit": 50, "totalItems": 2, "totalPages": 1}}
        response = post(client, EVALUATIONS, token_a, page, content_type="application/json", query="?format=langfuse")
        assert response.status_code == 207
        assert [(e["index"], e["field"]) for e in response.json()["errors"]] == [(1, "external_id")]
        assert set(stored(project_a)) == {("a", "correctness", "")}


def feedback(**overrides) -> dict:
    item = {"id": "f-1", "run_id": "a", "trace_id": "t-a", "key": "correctness", "score": 0.5, "value": None,
            "comment": None, "correction": None, "feedback_source": {"type": "model", "metadata": {}}}
    item.update(overrides)
    return item


@pytest.mark.django_db
@pytest.mark.usefixtures("outputs")
class TestLangSmith:
    def test_scores_and_labels(self, client, token_a, project_a):
        body = [feedback(feedback_source={"type": "model", "metadata": {"version": "2"}}),
                feedback(id="f-2", key="helpful", score=True),
                feedback(id="f-3", key="verdict", score=None, value="fail"),
                feedback(id="f-4", run_id="b", key="verdict", score=0, value="fail")]
        response = post(client, EVALUATIONS, token_a, body, content_type="application/json", query="?format=langsmith")
        assert response.status_code == 200, response.json()
        assert stored(project_a) == {("a", "correctness", "2"): (0.5, ""), ("a", "helpful", ""): (1.0, ""),
                                     ("a", "verdict", ""): (None, "fail"), ("b", "verdict", ""): (0.0, "fail")}

    def test_feedback_without_a_score_or_a_label_is_rejected(self, client, token_a):
        body = ndjson(feedback(),
                      feedback(id="f-2", key="fix", score=None, correction={"output": "Better."}),
                      feedback(id="f-3", run_id=None))
        response = post(client, EVALUATIONS, token_a, body, query="?format=langsmith")
        assert response.status_code == 207
        assert [(e["line"], e["field"]) for e in response.json()["errors"]] == [(2, "score"), (3, "run_id")]


def command(path, *args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("ingest_evaluations", str(path), "--project", "support", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
@pytest.mark.usefixtures("outputs")
class TestCommand:
    def test_it_ingests_jsonl_and_is_idempotent(self, tmp_path, project_a):
        path = tmp_path / "scores.jsonl"
        path.write_bytes(ndjson({"external_id": "a", "name": "judge", "value": 1},
                                {"external_id": "nope", "name": "judge", "value": 1}))
        out, err = command(path)
        assert "received 2, created 1, already present 0, rejected 1" in out
        assert "line 2 (nope): external_id: no output 'nope' in this project" in err
        out, _ = command(path)
        assert "created 0, already present 1, rejected 1" in out
        assert set(stored(project_a)) == {("a", "judge", "")}

    def test_it_reads_a_langfuse_page_and_names_indexes(self, tmp_path, project_a):
        path = tmp_path / "scores.json"
        path.write_bytes(orjson.dumps({"data": [langfuse_score(), langfuse_score(dataType="TEXT")], "meta": {}}))
        out, err = command(path, "--format", "langfuse")
        assert "created 1, already present 0, rejected 1" in out
        assert "index 1 (a): dataType: TEXT scores are free text" in err

    def test_atomic_stores_nothing(self, tmp_path):
        path = tmp_path / "feedback.jsonl"
        path.write_bytes(ndjson(feedback(), feedback(id="f-2", run_id="nope")))
        with pytest.raises(CommandError, match="1 evaluation.s. rejected; nothing was stored"):
            command(path, "--format", "langsmith", "--atomic")
        assert not Evaluation.objects.exists()

    def test_an_unknown_project_is_refused(self, tmp_path):
        with pytest.raises(CommandError, match="no project 'nowhere'"):
            call_command("ingest_evaluations", str(tmp_path / "x.jsonl"), "--project", "nowhere")


@pytest.mark.django_db
def test_a_nul_in_an_external_id_is_named_not_a_server_error(client, project_a):
    """Found by the API fuzz test on PostgreSQL: the id reached the output look-up and PostgreSQL refused it."""
    from reviewapp.ingest.evaluations import validate_evaluation
    from reviewapp.ingest.records import RecordError

    with pytest.raises(RecordError) as caught:
        validate_evaluation({"external_id": "a\x00b", "name": "judge", "value": 0.5})
    assert caught.value.problems == [("external_id", "must not contain NUL characters")]
