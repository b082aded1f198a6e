"""OpenAI logs keep what matters (issue 18, item 6): a refusal is flagged, the request's tools and
the output's tool calls are fields of the output, and Responses API logs are read beside Chat
Completions ones, through the HTTP door and the CLI."""
from __future__ import annotations

import json

import orjson
import pytest
from django.core.management import call_command

from reviewapp.ingest.formats import RecordError, openai_chat_to_canonical, openai_responses_to_canonical
from reviewapp.ingest.models import Output

TOOLS = [{"type": "function", "function": {"name": "refund", "parameters": {"type": "object", "properties": {
    "order": {"type": "string"}}}}}]
CALL = {"id": "call_1", "type": "function", "function": {"name": "refund", "arguments": "{\"order\": \"A7\"}"}}


def chat_log(message: dict, **request) -> dict:
    return {"request": {"model": "gpt-4o", "messages": [{"role": "developer", "content": "Be brief."},
                                                         {"role": "user", "content": "Refund A7"}], **request},
            "response": {"id": "chatcmpl-1", "created": 1764000000, "model": "gpt-4o-2024-08-06",
                         "choices": [{"index": 0, "message": {"role": "assistant", **message},
                                      "finish_reason": "tool_calls"}]}}


def responses_log(output: list, **request) -> dict:
    return {"request": {"model": "gpt-4.1", "instructions": "Be brief.", **request},
            "response": {"id": "resp_1", "created_at": 1764000000, "model": "gpt-4.1-2025-04-14",
                         "status": "completed", "output": output, "usage": {"input_tokens": 12}}}


def test_chat_tools_and_tool_calls_are_fields():
    record = openai_chat_to_canonical(chat_log({"content": None, "tool_calls": [CALL]}, tools=TOOLS))
    assert record["tools"] == TOOLS and record["tool_calls"] == [CALL] and record["refusal"] is False
    assert record["kind"] == "agent_action" and "refund(" in record["output"]
    assert record["input"][0]["role"] == "system"


def test_a_chat_refusal_is_flagged_and_its_text_is_the_output():
    record = openai_chat_to_canonical(chat_log({"content": None, "refusal": "I can't help with that."}))
    assert record["refusal"] is True and record["output"] == "I can't help with that."
    answered = openai_chat_to_canonical(chat_log({"content": "Done.", "refusal": None}))
    assert answered["refusal"] is False


def test_a_responses_log_maps_text_calls_tools_and_conversation():
    log = responses_log(
        [{"type": "reasoning", "id": "rs_1", "summary": []},
         {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "refund", "arguments": "{\"order\": \"A7\"}"},
         {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Refund started."}]}],
        tools=TOOLS,
        input=[{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Refund A7"}]},
               {"type": "function_call", "call_id": "call_0", "name": "lookup", "arguments": "{}"},
               {"type": "function_call_output", "call_id": "call_0", "output": "order A7: paid"}])
    record = openai_responses_to_canonical(log)
    assert record["external_id"] == "resp_1" and record["model_version"] == "gpt-4.1-2025-04-14"
    assert [m["role"] for m in record["input"]] == ["system", "user", "assistant", "tool"]
    assert record["input"][2]["tool_calls"][0]["function"]["name"] == "lookup"
    assert record["input"][3] == {"role": "tool", "tool_call_id": "call_0", "content": "order A7: paid"}
    assert record["tool_calls"] == [CALL] and record["tools"] == TOOLS and record["refusal"] is False
    assert record["output"].startswith("Refund started.") and record["kind"] == "agent_action"
    assert record["metadata"]["usage"] == {"input_tokens": 12}


def test_a_responses_refusal_is_flagged():
    record = openai_responses_to_canonical(responses_log(
        [{"type": "message", "role": "assistant", "content": [{"type": "refusal", "refusal": "I can't."}]}],
        input="Do something bad"))
    assert record["refusal"] is True and record["output"] == "I can't."
    assert record["input"] == [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Do something bad"}]


@pytest.mark.parametrize("log, field", [
    ({"request": {"input": "x"}, "response": {"id": "r", "created_at": 1, "output": []}}, "response.output"),
    ({"request": {"input": []}, "response": {"id": "r", "created_at": 1, "output": [{"type": "message"}]}},
     "request.input"),
    ({"request": {"input": "x"}, "response": {"id": "r", "output": [{"type": "message", "content": []}]}},
     "response.created_at"),
])
def test_a_bad_responses_log_names_its_field(log, field):
    with pytest.raises(RecordError) as caught:
        openai_responses_to_canonical(log)
    assert caught.value.problems[0][0] == field


@pytest.mark.django_db
def test_the_http_door_stores_the_fields(client, token_a, project_a):
    body = b"\n".join(orjson.dumps(log) for log in (
        chat_log({"content": None, "tool_calls": [CALL]}, tools=TOOLS),
        responses_log([{"type": "message", "role": "assistant", "content": [{"type": "refusal", "refusal": "No."}]}],
                      input="hi")))
    chat = client.post("/api/v1/projects/support/outputs?format=openai-chat", body.split(b"\n")[0],
                       content_type="application/x-ndjson", HTTP_AUTHORIZATION=f"Bearer {token_a}")
    responses = client.post("/api/v1/projects/support/outputs?format=openai-responses", body.split(b"\n")[1],
                            content_type="application/x-ndjson", HTTP_AUTHORIZATION=f"Bearer {token_a}")
    assert chat.status_code == responses.status_code == 200, (chat.content, responses.content)
    called = Output.objects.get(project=project_a, external_id="chatcmpl-1")
    assert called.tools == TOOLS and called.tool_calls == [CALL] and not called.refusal
    refused = Output.objects.get(project=project_a, external_id="resp_1")
    assert refused.refusal and refused.output == "No." and refused.tools == []


@pytest.mark.django_db
def test_the_cli_reads_responses_logs_and_canonical_records_carry_the_fields(tmp_path, project_a):
    path = tmp_path / "responses.jsonl"
    path.write_bytes(orjson.dumps(responses_log(
        [{"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Hi."}]}], input="hi")))
    call_command("ingest", str(path), "--project", "support", "--format", "openai-responses", "--no-progress")
    assert Output.objects.get(project=project_a, external_id="resp_1").output == "Hi."
    canonical = tmp_path / "canonical.jsonl"
    canonical.write_text(json.dumps({"external_id": "c1", "occurred_at": "2026-11-16T10:00:00Z", "input": "x",
                                     "output": "y", "tools": TOOLS, "tool_calls": [CALL], "refusal": True}))
    call_command("ingest", str(canonical), "--project", "support", "--no-progress")
    stored = Output.objects.get(project=project_a, external_id="c1")
    assert stored.tools == TOOLS and stored.tool_calls == [CALL] and stored.refusal


def test_a_tool_call_without_a_function_name_is_named():
    from reviewapp.ingest.records import validate_record

    with pytest.raises(RecordError) as caught:
        validate_record({"external_id": "c", "occurred_at": "2026-11-16T10:00:00Z", "input": "x", "output": "y",
                         "tool_calls": [{"id": "1", "type": "function", "function": {}}]})
    assert caught.value.problems[0][0] == "tool_calls"


@pytest.mark.django_db
def test_the_output_page_flags_a_refusal_and_lists_the_tools_escaped(client, project_a):
    from reviewapp.ingest.actions import ingest
    from reviewapp.ingest.formats import SourceRecord
    from tests.helpers import make_user

    tools = [{"type": "function", "function": {"name": "<b>refund</b>", "description": "<i>money back</i>"}}]
    ingest(project=project_a, records=[SourceRecord(1, data={
        "external_id": "r1", "occurred_at": "2026-11-16T10:00:00Z", "input": "x", "output": "I can't.",
        "refusal": True, "tools": tools})])
    client.force_login(make_user("lead", project_a, role="qa_lead"))
    output = Output.objects.get(project=project_a, external_id="r1")
    page = client.get(f"/p/support/outputs/{output.pk}/").content.decode()
    assert ">refusal</span>" in page and "&lt;b&gt;refund&lt;/b&gt;" in page and "<b>refund" not in page
