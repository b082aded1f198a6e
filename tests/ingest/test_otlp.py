"""POST /otlp/v1/traces: OpenTelemetry GenAI spans become outputs (docs/ingest.md, OpenTelemetry).

Requests are built with the OTLP proto classes, as OTLP/JSON, gzipped; the last tests send spans
with the real opentelemetry-sdk and OTLPSpanExporter to a live server on loopback.
"""
from __future__ import annotations

import gzip
import json

import orjson
import pytest
from google.rpc.status_pb2 import Status
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, InstrumentationScope, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

from reviewapp.ingest.models import Evaluation, Output
from reviewapp.ingest.otel import records_from_request

URL = "/otlp/v1/traces"
TRACE = "5b8efff798038103d269b633813fc60c"
START = 1_795_000_000_000_000_000  # 2026-11-18T11:06:40Z
CHAT = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": "gpt-4o",
    "gen_ai.response.model": "gpt-4o-2024-08-06",
    "gen_ai.response.id": "chatcmpl-123",
    "gen_ai.response.finish_reasons": ["stop"],
    "gen_ai.usage.input_tokens": 100,
    "gen_ai.usage.output_tokens": 180,
    "gen_ai.system_instructions": json.dumps([{"type": "text", "content": "You are a weather bot."}]),
    "gen_ai.input.messages": json.dumps([{"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]}]),
    "gen_ai.output.messages": json.dumps([{"role": "assistant", "parts": [{"type": "text", "content": "Rainy, 57°F"}],
                                           "finish_reason": "stop"}]),
}


def any_value(value) -> AnyValue:
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    if isinstance(value, float):
        return AnyValue(double_value=value)
    if isinstance(value, list):
        return AnyValue(array_value=ArrayValue(values=[any_value(v) for v in value]))
    return AnyValue(string_value=value)


def kvs(attrs: dict) -> list[KeyValue]:
    return [KeyValue(key=key, value=any_value(value)) for key, value in attrs.items()]


def span(number: int, attrs: dict, *, events=(), name="chat gpt-4o") -> Span:
    return Span(trace_id=bytes.fromhex(TRACE), span_id=number.to_bytes(8, "big"), name=name,
                start_time_unix_nano=START, end_time_unix_nano=START + 1_500_000_000, attributes=kvs(attrs),
                events=[Span.Event(name=event, time_unix_nano=START, attributes=kvs(a)) for event, a in events])


def request(*spans: Span) -> ExportTraceServiceRequest:
    return ExportTraceServiceRequest(resource_spans=[ResourceSpans(
        resource=Resource(attributes=kvs({"service.name": "weather-bot"})),
        scope_spans=[ScopeSpans(scope=InstrumentationScope(name="tests"), spans=list(spans))],
    )])


def post(client, token, body, *, content_type="application/x-protobuf", **headers):
    if isinstance(body, ExportTraceServiceRequest):
        body = body.SerializeToString()
    if token:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client.post(URL, data=body, content_type=content_type, **headers)


def reply(response) -> ExportTraceServiceResponse:
    return ExportTraceServiceResponse.FromString(response.content)


def counts(response) -> dict[str, int]:
    names = ("Spans", "Ignored", "Created", "Already-Present", "Rejected")
    return {name: int(response[f"X-Spotcheck-{name}"]) for name in names}


def mapped(*spans: Span) -> list[dict]:
    return [r.data for r in records_from_request(request(*spans), max_record_bytes=1 << 20).records]


@pytest.mark.django_db
class TestDoor:
    def test_a_protobuf_genai_span_becomes_an_output(self, client, token_a, project_a):
        response = post(client, token_a, request(span(1, CHAT)))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/x-protobuf"
        assert not reply(response).HasField("partial_success")
        assert counts(response) == {"Spans": 1, "Ignored": 0, "Created": 1, "Already-Present": 0, "Rejected": 0}
        stored = Output.objects.get(project=project_a)
        assert stored.external_id == f"{TRACE}:0000000000000001"
        assert (stored.trace_id, stored.span_id) == (TRACE, "0000000000000001")
        assert stored.input == [{"role": "system", "content": "You are a weather bot."},
                                {"role": "user", "content": "Weather in Paris?"}]
        assert stored.output == "Rainy, 57°F"
        assert stored.model == "gpt-4o-2024-08-06" and stored.kind == "llm_response"
        assert stored.occurred_at.isoformat() == "2026-11-18T11:06:40+00:00"
        assert stored.metadata == {
            "source": "otlp", "provider": "openai", "operation": "chat", "request_model": "gpt-4o",
            "response_model": "gpt-4o-2024-08-06", "response_id": "chatcmpl-123", "finish_reasons": ["stop"],
            "usage": {"input_tokens": 100, "output_tokens": 180}, "span_name": "chat gpt-4o",
            "service_name": "weather-bot", "scope": "tests", "duration_ms": 1500.0,
        }
        assert stored.raw["span"]["traceId"] == TRACE and stored.raw["span"]["spanId"] == "0000000000000001"
        assert stored.raw["resource"] == {"service.name": "weather-bot"}

    def test_otlp_json_with_hex_ids(self, client, token_a, project_a):
        body = {"resourceSpans": [{"resource": {"attributes": [
            {"key": "service.name", "value": {"stringValue": "weather-bot"}}]},
            "scopeSpans": [{"scope": {"name": "js"}, "spans": [{
                "traceId": TRACE, "spanId": "00f067aa0ba902b7", "parentSpanId": "", "name": "chat", "kind": 3,
                "startTimeUnixNano": str(START), "endTimeUnixNano": str(START + 10**9),
                "attributes": [{"key": k, "value": {"stringValue": v}} for k, v in CHAT.items() if isinstance(v, str)]
                + [{"key": "gen_ai.usage.input_tokens", "value": {"intValue": "100"}}],
                "unknownFieldsAreIgnored": True}]}]}]}
        response = post(client, token_a, orjson.dumps(body), content_type="application/json")
        assert response.status_code == 200, response.content
        assert response["Content-Type"] == "application/json"
        assert response.json() == {}
        stored = Output.objects.get(project=project_a)
        assert stored.external_id == f"{TRACE}:00f067aa0ba902b7"
        assert stored.output == "Rainy, 57°F" and stored.metadata["usage"] == {"input_tokens": 100}

    def test_a_json_id_that_is_not_hex_is_a_400_naming_it(self, client, token_a):
        body = {"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "W46/95gDgQPSabYzgT/GDA==",
                                                              "spanId": "00f067aa0ba902b7"}]}]}]}
        response = post(client, token_a, orjson.dumps(body), content_type="application/json")
        assert response.status_code == 400
        assert "resourceSpans[0].scopeSpans[0].spans[0].traceId" in response.json()["message"]

    def test_gzip_body(self, client, token_a, project_a):
        body = gzip.compress(request(span(1, CHAT)).SerializeToString())
        response = post(client, token_a, body, HTTP_CONTENT_ENCODING="gzip")
        assert response.status_code == 200
        assert Output.objects.filter(project=project_a).count() == 1

    def test_a_gzip_bomb_stops_at_the_body_limit(self, client, token_a, settings):
        settings.INGEST_MAX_BODY_BYTES = 10_000
        bomb = gzip.compress(b"\x00" * 1_000_000)
        assert len(bomb) < 10_000
        response = post(client, token_a, bomb, HTTP_CONTENT_ENCODING="gzip")
        assert response.status_code == 413
        assert "10000" in Status.FromString(response.content).message

    def test_a_body_over_the_limit_is_413(self, client, token_a, settings):
        settings.INGEST_MAX_BODY_BYTES = 100
        response = post(client, token_a, request(span(1, CHAT)))
        assert response.status_code == 413

    def test_resending_is_idempotent(self, client, token_a, project_a):
        assert counts(post(client, token_a, request(span(1, CHAT))))["Created"] == 1
        again = post(client, token_a, request(span(1, CHAT), span(2, CHAT)))
        assert again.status_code == 200
        assert counts(again) == {"Spans": 2, "Ignored": 0, "Created": 1, "Already-Present": 1, "Rejected": 0}
        assert Output.objects.filter(project=project_a).count() == 2

    def test_non_genai_spans_are_ignored_and_counted(self, client, token_a, project_a):
        http = span(2, {"http.request.method": "GET", "url.full": "https://api.example/x"}, name="GET")
        embed = span(3, {"gen_ai.operation.name": "embeddings", "gen_ai.request.model": "text-embedding-3-small"})
        response = post(client, token_a, request(http, span(1, CHAT), embed))
        assert response.status_code == 200
        assert counts(response) == {"Spans": 3, "Ignored": 2, "Created": 1, "Already-Present": 0, "Rejected": 0}
        assert Output.objects.filter(project=project_a).count() == 1

    def test_a_genai_span_without_output_is_rejected_with_partial_success(self, client, token_a, project_a):
        no_content = {k: v for k, v in CHAT.items() if k != "gen_ai.output.messages"}
        response = post(client, token_a, request(span(1, CHAT), span(2, no_content)))
        assert response.status_code == 200
        partial = reply(response).partial_success
        assert partial.rejected_spans == 1
        assert f"span 1 ({TRACE}:0000000000000002) gen_ai.output.messages: no output text" in partial.error_message
        assert "CAPTURE_MESSAGE_CONTENT" in partial.error_message
        assert counts(response)["Created"] == 1 and counts(response)["Rejected"] == 1
        assert list(Output.objects.filter(project=project_a).values_list("span_id", flat=True)) == ["0000000000000001"]

    def test_a_json_request_gets_a_json_partial_success(self, client, token_a):
        body = {"resourceSpans": [{"scopeSpans": [{"spans": [{
            "traceId": TRACE, "spanId": "0000000000000009", "startTimeUnixNano": str(START),
            "attributes": [{"key": "gen_ai.request.model", "value": {"stringValue": "gpt-4o"}}]}]}]}]}
        response = post(client, token_a, orjson.dumps(body), content_type="application/json")
        assert response.status_code == 200
        partial = response.json()["partialSuccess"]
        assert partial["rejectedSpans"] == "1"  # int64 is a string in protobuf JSON
        assert "span 0" in partial["errorMessage"] and "gen_ai.input.messages" in partial["errorMessage"]

    @pytest.mark.parametrize("token", [None, "spc_not-a-real-token"])
    def test_without_a_valid_token_it_is_401_with_an_otlp_status(self, client, token, project_a):
        response = post(client, token, request(span(1, CHAT)))
        assert response.status_code == 401
        status = Status.FromString(response.content)
        assert status.code == 16 and "token" in status.message
        assert not Output.objects.exists()

    def test_the_token_names_the_project(self, client, token_b, project_a, project_b):
        response = post(client, token_b, request(span(1, CHAT)))
        assert response.status_code == 200
        assert not Output.objects.filter(project=project_a).exists()
        assert Output.objects.filter(project=project_b).count() == 1

    def test_an_undecodable_body_is_400(self, client, token_a):
        assert post(client, token_a, b"\xff\xff\xff not protobuf").status_code == 400
        response = post(client, token_a, b"{not json", content_type="application/json")
        assert response.status_code == 400 and response.json()["code"] == 3
        assert post(client, token_a, b"\x1f\x8b broken", HTTP_CONTENT_ENCODING="gzip").status_code == 400

    def test_another_content_type_is_415(self, client, token_a):
        assert post(client, token_a, b"hello", content_type="text/plain").status_code == 415

    def test_get_is_not_allowed(self, client):
        assert client.get(URL).status_code == 405

    def test_evaluation_events_are_stored_as_judge_scores(self, client, token_a, project_a):
        judged = span(1, CHAT, events=[("gen_ai.evaluation.result", {
            "gen_ai.evaluation.name": "groundedness", "gen_ai.evaluation.score.value": 0.25,
            "gen_ai.evaluation.score.label": "fail"})])
        assert post(client, token_a, request(judged)).status_code == 200
        evaluation = Evaluation.objects.get(output__project=project_a)
        assert (evaluation.evaluator.name, evaluation.value, evaluation.label) == ("groundedness", 0.25, "fail")


class TestMapping:
    def test_openllmetry_flattened_attributes(self):
        [data] = mapped(span(1, {
            "gen_ai.system": "Anthropic", "gen_ai.request.model": "claude-3-5-sonnet",
            "gen_ai.prompt.0.role": "system", "gen_ai.prompt.0.content": "Be brief.",
            "gen_ai.prompt.1.role": "user", "gen_ai.prompt.1.content": "Hi",
            "gen_ai.completion.0.role": "assistant", "gen_ai.completion.0.content": "Hello!",
            "gen_ai.completion.0.finish_reason": "end_turn",
            "gen_ai.usage.prompt_tokens": 12, "gen_ai.usage.completion_tokens": 3,
        }))
        assert data["input"] == [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]
        assert data["output"] == "Hello!" and data["model"] == "claude-3-5-sonnet"
        assert data["metadata"]["provider"] == "Anthropic"
        assert data["metadata"]["finish_reasons"] == ["end_turn"]
        assert data["metadata"]["usage"] == {"input_tokens": 12, "output_tokens": 3}

    def test_openllmetry_tool_calls(self):
        [data] = mapped(span(1, {
            "gen_ai.system": "openai", "gen_ai.prompt.0.role": "user", "gen_ai.prompt.0.content": "Weather?",
            "gen_ai.completion.0.role": "assistant", "gen_ai.completion.0.tool_calls.0.id": "call_1",
            "gen_ai.completion.0.tool_calls.0.name": "get_weather",
            "gen_ai.completion.0.tool_calls.0.arguments": '{"city": "Paris"}',
            "gen_ai.tool.definitions": '[{"type": "function", "name": "get_weather", "parameters": {}}]',
        }))
        assert data["kind"] == "agent_action"
        assert data["output"] == 'get_weather({"city": "Paris"})'
        assert data["tool_calls"] == [  # fields of the output, as for OpenAI logs
            {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}]
        assert data["tools"] == [{"type": "function", "name": "get_weather", "parameters": {}}]
        assert "tool_calls" not in data["metadata"]

    def test_per_message_events_and_choice(self):
        [data] = mapped(span(1, {"gen_ai.system": "openai", "gen_ai.request.model": "gpt-4o"}, events=[
            ("gen_ai.system.message", {"content": "Be kind."}),
            ("gen_ai.user.message", {"content": "Hi"}),
            ("gen_ai.choice", {"index": 0, "finish_reason": "stop",
                               "message": json.dumps({"role": "assistant", "content": "Hello there"})}),
        ]))
        assert data["input"] == [{"role": "system", "content": "Be kind."}, {"role": "user", "content": "Hi"}]
        assert data["output"] == "Hello there"
        assert data["metadata"]["finish_reasons"] == ["stop"]

    def test_parts_with_tool_calls_and_results(self):
        attrs = {**CHAT, "gen_ai.input.messages": json.dumps([
            {"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]},
            {"role": "assistant", "parts": [{"type": "tool_call", "id": "c1", "name": "get_weather",
                                             "arguments": {"city": "Paris"}}]},
            {"role": "tool", "parts": [{"type": "tool_call_response", "id": "c1", "response": "rainy, 57°F"}]},
        ]), "gen_ai.output.messages": json.dumps([{"role": "assistant", "finish_reason": "stop", "parts": [
            {"type": "reasoning", "content": "It rains."}, {"type": "text", "content": "Rainy, 57°F"}]}])}
        [data] = mapped(span(1, attrs))
        assert data["input"][2:] == [
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}]},
            {"role": "tool", "content": "rainy, 57°F", "tool_call_id": "c1"},
        ]
        assert data["output"] == "Rainy, 57°F" and data["kind"] == "llm_response"

    def test_structured_messages_and_risk_attributes(self):
        message = AnyValue(kvlist_value={"values": [
            KeyValue(key="role", value=AnyValue(string_value="user")),
            KeyValue(key="parts", value=AnyValue(array_value=ArrayValue(values=[AnyValue(kvlist_value={"values": [
                KeyValue(key="type", value=AnyValue(string_value="text")),
                KeyValue(key="content", value=AnyValue(string_value="Refund?"))]})])))]})
        item = span(1, {"gen_ai.output.messages": CHAT["gen_ai.output.messages"], "spotcheck.category": "billing",
                        "spotcheck.risk_tier": "high"})
        item.attributes.append(KeyValue(key="gen_ai.input.messages", value=AnyValue(
            array_value=ArrayValue(values=[message]))))
        [data] = mapped(item)
        assert data["input"] == [{"role": "user", "content": "Refund?"}]
        assert (data["category"], data["risk_tier"]) == ("billing", "high")

    def test_a_span_with_zero_ids_is_rejected_naming_them(self):
        bad = span(1, CHAT)
        bad.trace_id = bytes(16)
        [record] = records_from_request(request(bad), max_record_bytes=1 << 20).records
        assert record.error is not None and [field for field, _ in record.error.problems] == ["trace_id"]


@pytest.mark.django_db(transaction=True)
def test_the_real_sdk_exporter_sends_spans_that_become_outputs(live_server, project_a, token_a):
    """The two lines of docs/ingest.md, with the real SDK: a GenAI span is stored, its HTTP child skipped."""
    from opentelemetry.exporter.otlp.proto.http import Compression
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource as SdkResource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.trace import SpanKind

    exporter = OTLPSpanExporter(endpoint=f"{live_server.url}/otlp/v1/traces",
                                headers={"Authorization": f"Bearer {token_a}"}, compression=Compression.Gzip)
    provider = TracerProvider(resource=SdkResource.create({"service.name": "weather-bot"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("tests.otlp")
    with tracer.start_as_current_span("chat gpt-4o", kind=SpanKind.CLIENT) as genai:
        genai.set_attributes({key: value for key, value in CHAT.items()})
        with tracer.start_as_current_span("POST /v1/chat/completions") as http:
            http.set_attribute("http.request.method", "POST")
    assert provider.force_flush()
    provider.shutdown()

    stored = Output.objects.get(project=project_a)
    context = genai.get_span_context()
    assert stored.external_id == f"{context.trace_id:032x}:{context.span_id:016x}"
    assert stored.input[-1] == {"role": "user", "content": "Weather in Paris?"}
    assert stored.output == "Rainy, 57°F"
    assert stored.model == "gpt-4o-2024-08-06"
    assert stored.metadata["usage"] == {"input_tokens": 100, "output_tokens": 180}
    assert stored.metadata["service_name"] == "weather-bot"


@pytest.mark.django_db(transaction=True)
def test_the_real_exporter_with_a_wrong_token_fails_and_stores_nothing(live_server, project_a):
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExportResult

    provider = TracerProvider()
    tracer = provider.get_tracer("tests.otlp")
    with tracer.start_as_current_span("chat") as genai:
        genai.set_attributes(CHAT)
    exporter = OTLPSpanExporter(endpoint=f"{live_server.url}/otlp/v1/traces",
                                headers={"Authorization": "Bearer spc_wrong"})
    assert exporter.export([genai]) == SpanExportResult.FAILURE
    assert not Output.objects.exists()
