"""OpenTelemetry GenAI spans as canonical records: the mapping behind ``POST /otlp/v1/traces``.

An app already instrumented with OpenTelemetry (the GenAI semantic conventions, OpenLLMetry,
an agent SDK) can send its spans here instead of writing an ingest client. One GenAI span is one
output: ``external_id`` is ``<trace_id>:<span_id>`` in hex, so a span sent twice (an exporter's
retry) is stored once. Spans without any ``gen_ai.*`` attribute or event (HTTP, database, ...)
are not outputs: they are skipped and counted, as are GenAI operations that never answer in text
(embeddings, retrieval, tool execution) when they carry no output messages.

The conventions are unstable (docs/ingest.md, /work/shared/FORMATS.md section 2.1), so every
shape seen in production is read, newest first:

- input: ``gen_ai.input.messages`` (+ ``gen_ai.system_instructions``), then the per-message
  events (``gen_ai.{system,user,assistant,tool}.message``), then OpenLLMetry's flattened
  ``gen_ai.prompt.N.*``, then the removed ``gen_ai.prompt``;
- output: ``gen_ai.output.messages``, then ``gen_ai.choice`` events, then ``gen_ai.completion.N.*``,
  then ``gen_ai.completion``.

Messages in the OTel parts format become the stored OpenAI-style messages (reviewapp/lib/messages.py):
text parts become content, ``tool_call`` parts become ``tool_calls``, ``tool_call_response`` parts
become ``tool`` messages, other parts (reasoning, blobs, URIs) are kept as parts.

Pure conversion: no database, no HTTP. The raw span is kept (as OTLP/JSON, ids in hex) on each record.
"""
from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from google.protobuf import json_format
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, InstrumentationScope, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from reviewapp.lib.messages import canonical_message

from .formats import FormatError, SourceRecord
from .records import RecordError

POSITION_NAME = "span"  # rejections name the span by its 0-based index in the request
# GenAI operations that answer with vectors, documents or a tool's result rather than text: without
# output messages they are not something to review, so they are skipped, not rejected.
NO_TEXT_OPERATIONS = frozenset({"embeddings", "retrieval", "create_agent", "execute_tool"})
_MESSAGE_EVENTS = {
    "gen_ai.system.message": "system",
    "gen_ai.user.message": "user",
    "gen_ai.assistant.message": "assistant",
    "gen_ai.tool.message": "tool",
}
_FLAT = re.compile(r"^gen_ai\.(prompt|completion)\.(\d+)\.(.+)$")
_FLAT_TOOL_CALL = re.compile(r"^tool_calls\.(\d+)\.(.+)$")
_USAGE_RENAMES = {
    "prompt_tokens": "input_tokens",
    "completion_tokens": "output_tokens",
    "cache_creation.input_tokens": "cache_write.input_tokens",
}
_CONTENT_HINT = ("the instrumentation records no message content; enable it "
                 "(e.g. OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true)")


# --- reading a request ------------------------------------------------------------------------

def parse_request(body: bytes, *, json_body: bool) -> ExportTraceServiceRequest:
    """An OTLP/HTTP body, protobuf or OTLP/JSON, as the request message; FormatError if unreadable.

    OTLP/JSON differs from protobuf's canonical JSON in one way that matters: trace and span ids
    are hex strings, not base64. They are converted before parsing. Unknown fields are ignored,
    as the OTLP specification asks of receivers.
    """
    message = ExportTraceServiceRequest()
    if not json_body:
        try:
            message.ParseFromString(body)
        except DecodeError as exc:
            raise FormatError(f"body is not an OTLP ExportTraceServiceRequest in protobuf ({exc})") from None
        return message
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise FormatError(f"body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise FormatError("body must be a JSON object {\"resourceSpans\": [...]} (OTLP/JSON)")
    _hex_ids_to_base64(data)
    try:
        json_format.ParseDict(data, message, ignore_unknown_fields=True)
    except json_format.ParseError as exc:
        raise FormatError(f"body is not an OTLP/JSON ExportTraceServiceRequest: {exc}") from None
    return message


def _hex_ids_to_base64(data: dict) -> None:
    for r, resource_spans in enumerate(_list(data, "resourceSpans", "resource_spans")):
        for s, scope_spans in enumerate(_list(resource_spans, "scopeSpans", "scope_spans")):
            for n, span in enumerate(_list(scope_spans, "spans")):
                where = f"resourceSpans[{r}].scopeSpans[{s}].spans[{n}]"
                _convert_ids(span, where)
                for k, link in enumerate(_list(span, "links")):
                    _convert_ids(link, f"{where}.links[{k}]")


def _list(parent: Any, *keys: str) -> list:
    if not isinstance(parent, dict):
        return []
    for key in keys:
        value = parent.get(key)
        if isinstance(value, list):
            return value
    return []


def _convert_ids(item: Any, where: str) -> None:
    if not isinstance(item, dict):
        return
    for key in ("traceId", "trace_id", "spanId", "span_id", "parentSpanId", "parent_span_id"):
        value = item.get(key)
        if not isinstance(value, str):
            continue
        try:
            item[key] = base64.b64encode(bytes.fromhex(value)).decode()
        except ValueError:
            raise FormatError(f"{where}.{key}: {value[:40]!r} is not hex (OTLP/JSON encodes ids in hex)") from None


# --- spans to records -------------------------------------------------------------------------

@dataclass
class SpanBatch:
    """What a request held: every span counted, GenAI spans as records (or rejections)."""

    spans: int = 0
    ignored: int = 0  # not GenAI, or a GenAI operation with no text to review
    records: list[SourceRecord] = field(default_factory=list)


def records_from_request(request: ExportTraceServiceRequest, *, max_record_bytes: int) -> SpanBatch:
    batch = SpanBatch()
    for resource_spans in request.resource_spans:
        resource = attributes(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                record = span_record(span, batch.spans, resource=resource, scope=scope_spans.scope,
                                     max_record_bytes=max_record_bytes)
                batch.spans += 1
                if record is None:
                    batch.ignored += 1
                else:
                    batch.records.append(record)
    return batch


def span_record(span: Span, position: int, *, resource: dict[str, Any], scope: InstrumentationScope,
                max_record_bytes: int) -> SourceRecord | None:
    """One span as a canonical record, a rejection naming the OTel field, or None when it is no output."""
    attrs = attributes(span.attributes)
    events = [(event.name, attributes(event.attributes)) for event in span.events]
    if not _is_genai(attrs, events):
        return None
    for name, event_attrs in events:  # content recorded on a details event instead of the span
        if name == "gen_ai.client.inference.operation.details":
            for key, value in event_attrs.items():
                attrs.setdefault(key, value)
    external_id = f"{span.trace_id.hex()}:{span.span_id.hex()}"
    size = span.ByteSize()
    if size > max_record_bytes:
        return SourceRecord(position, data={"external_id": external_id}, error=RecordError(
            [("span", f"is {size} bytes; the limit is {max_record_bytes}")]))
    input_messages = _input(attrs, events)
    answer = _answer(attrs, events)
    operation = attrs.get("gen_ai.operation.name")
    if answer is None and operation in NO_TEXT_OPERATIONS:
        return None
    raw = _raw(span, resource, scope)
    problems = _id_problems(span)
    if not span.start_time_unix_nano:
        problems.append(("start_time_unix_nano", "is 0; the span needs its start time"))
    if not input_messages:
        problems.append(("gen_ai.input.messages", f"no input messages on the span: {_CONTENT_HINT}"))
    if answer is None:
        problems.append(("gen_ai.output.messages", f"no output text or tool call on the span: {_CONTENT_HINT}"))
    if problems or answer is None:
        return SourceRecord(position, data={"external_id": external_id}, raw=raw, error=RecordError(problems))
    data = {
        "external_id": external_id,
        "occurred_at": _time(span.start_time_unix_nano),
        "input": input_messages,
        "output": answer.text,
        "kind": "llm_response" if answer.has_text else "agent_action",
        "model": str(attrs.get("gen_ai.response.model") or attrs.get("gen_ai.request.model") or ""),
        "category": str(_first(attrs, resource, "spotcheck.category") or ""),
        "risk_tier": str(_first(attrs, resource, "spotcheck.risk_tier") or ""),
        "trace_id": span.trace_id.hex(),
        "span_id": span.span_id.hex(),
        "tool_calls": [call for call in answer.tool_calls if call["function"]["name"]],
        "tools": _tools(attrs),
        "metadata": _metadata(span, attrs, resource, scope, answer),
        "evaluations": _evaluations(events),
    }
    return SourceRecord(position, data=data, raw=raw)


def attributes(items: Iterable[KeyValue]) -> dict[str, Any]:
    return {item.key: value_of(item.value) for item in items}


def value_of(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [value_of(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: value_of(kv.value) for kv in value.kvlist_value.values}
    if kind == "bytes_value":
        return base64.b64encode(value.bytes_value).decode()
    return getattr(value, kind)


def _is_genai(attrs: dict[str, Any], events: list[tuple[str, dict[str, Any]]]) -> bool:
    return any(key.startswith("gen_ai.") for key in attrs) or any(
        name.startswith("gen_ai.") or any(key.startswith("gen_ai.") for key in event_attrs)
        for name, event_attrs in events
    )


def _id_problems(span: Span) -> list[tuple[str, str]]:
    problems = []
    if len(span.trace_id) != 16 or not any(span.trace_id):
        problems.append(("trace_id", "must be 16 bytes, not all zero"))
    if len(span.span_id) != 8 or not any(span.span_id):
        problems.append(("span_id", "must be 8 bytes, not all zero"))
    return problems


def _time(nanos: int) -> str:
    return (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=nanos // 1000)).isoformat()


def _first(attrs: dict[str, Any], resource: dict[str, Any], key: str) -> Any:
    return attrs.get(key, resource.get(key))


# --- messages ---------------------------------------------------------------------------------

def _structured(value: Any) -> Any:
    """A content attribute is structured, or a JSON string where the SDK cannot send structure."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _input(attrs: dict[str, Any], events: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    messages = _messages(_structured(attrs.get("gen_ai.input.messages")))
    if not messages:
        messages = _event_messages(events)
    if not messages:
        messages = [m for m in _flattened(attrs, "prompt") if "role" in m]
    if not messages:
        prompt = attrs.get("gen_ai.prompt")
        for name, event_attrs in events:
            if prompt is None and name == "gen_ai.content.prompt":
                prompt = event_attrs.get("gen_ai.prompt")
        messages = _messages(_structured(prompt))
    instructions = _structured(attrs.get("gen_ai.system_instructions"))
    if instructions and not (messages and messages[0].get("role") == "system"):
        content = _text_of_parts(instructions) if isinstance(instructions, list) else str(instructions)
        messages = [{"role": "system", "content": content}, *messages]
    return messages if messages and any(m.get("role") != "system" for m in messages) else []


def _messages(value: Any) -> list[dict[str, Any]]:
    """OTel or OpenAI-style messages (or a bare prompt string) as stored messages."""
    if isinstance(value, str):
        return [{"role": "user", "content": value}] if value else []
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        return []
    found: list[dict[str, Any]] = []
    for message in value:
        if isinstance(message, dict):
            found.extend(chat_messages(message))
        elif isinstance(message, str):
            found.append({"role": "user", "content": message})
    return found


def chat_messages(message: dict[str, Any]) -> list[dict[str, Any]]:
    """One OTel message ({role, parts, name?}) as stored messages; an OpenAI-style one passes through.

    A message of tool results becomes one ``tool`` message per result, as OpenAI's format has it.
    """
    if "parts" not in message:
        plain = {k: v for k, v in message.items() if v is not None}
        plain.setdefault("role", "user")
        plain.setdefault("content", None)
        if isinstance(plain["content"], dict):
            plain["content"] = json.dumps(plain["content"], ensure_ascii=False)
        return [canonical_message(plain)]
    role = str(message.get("role") or "user")
    parts: list[Any] = []
    tool_calls: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    for part in message.get("parts") or []:
        kind = part.get("type") if isinstance(part, dict) else None
        if not isinstance(part, dict):
            parts.append({"type": "text", "text": str(part)})
        elif kind == "text":
            parts.append({"type": "text", "text": str(part.get("content") or "")})
        elif kind == "tool_call":
            tool_calls.append(_tool_call(part))
        elif kind == "tool_call_response":
            response = part.get("response")
            result = {"role": "tool", "content": response if isinstance(response, str) else json.dumps(response)}
            if part.get("id"):
                result["tool_call_id"] = part["id"]
            results.append(result)
        else:
            parts.append(part)
    if results and not parts and not tool_calls:
        return results
    entry: dict[str, Any] = {"role": role, "content": _content(parts)}
    if message.get("name"):
        entry["name"] = message["name"]
    if tool_calls:
        entry["tool_calls"] = tool_calls
    return [canonical_message(entry), *results]


def _content(parts: list[Any]) -> str | list | None:
    if not parts:
        return None
    if len(parts) == 1 and parts[0].get("type") == "text" and "text" in parts[0]:
        return parts[0]["text"]
    return parts


def _tool_call(part: dict[str, Any]) -> dict[str, Any]:
    arguments = part.get("arguments")
    call: dict[str, Any] = {"type": "function", "function": {
        "name": str(part.get("name") or ""),
        "arguments": arguments if isinstance(arguments, str) else json.dumps(arguments if arguments is not None else {}),
    }}
    if part.get("id"):
        call = {"id": str(part["id"]), **call}
    return call


def _text_of_parts(parts: list[Any]) -> str:
    return "\n".join(str(p.get("content") or "") if isinstance(p, dict) else str(p) for p in parts)


def _event_messages(events: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """The per-message events of the older conventions; the body is attributes, or JSON in gen_ai.event.content."""
    found: list[dict[str, Any]] = []
    for name, event_attrs in events:
        role = _MESSAGE_EVENTS.get(name)
        if role is None:
            continue
        body = _event_body(event_attrs)
        message: dict[str, Any] = {"role": str(body.get("role") or role), "content": _body_content(body.get("content"))}
        calls = _structured(body.get("tool_calls"))
        if isinstance(calls, list) and calls:
            message["tool_calls"] = calls
        if role == "tool" and body.get("id"):
            message["tool_call_id"] = str(body["id"])
        found.append(canonical_message(message))
    return found


def _event_body(event_attrs: dict[str, Any]) -> dict[str, Any]:
    body = _structured(event_attrs.get("gen_ai.event.content"))
    return body if isinstance(body, dict) else event_attrs


def _body_content(content: Any) -> Any:
    if content is None or isinstance(content, str | list):
        return content
    return json.dumps(content, ensure_ascii=False)


def _flattened(attrs: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    """OpenLLMetry's gen_ai.prompt.N.role / .content / .tool_calls.M.name ... as messages by N."""
    by_index: dict[int, dict[str, Any]] = {}
    for key, value in attrs.items():
        match = _FLAT.match(key)
        if match is None or match[1] != prefix:
            continue
        message = by_index.setdefault(int(match[2]), {})
        call = _FLAT_TOOL_CALL.match(match[3])
        if call is None:
            message[match[3]] = value
        else:
            message.setdefault("_calls", {}).setdefault(int(call[1]), {})[call[2]] = value
    messages = []
    for _, message in sorted(by_index.items()):
        calls = message.pop("_calls", {})
        entry: dict[str, Any] = {key: value for key, value in message.items() if key in ("role", "content", "name",
                                                                                           "tool_call_id", "finish_reason")}
        entry.setdefault("content", None)
        if isinstance(entry["content"], str) and entry["content"].startswith("["):
            parts = _structured(entry["content"])
            if isinstance(parts, list) and all(isinstance(p, dict) and "type" in p for p in parts):
                entry["content"] = parts
        if calls:
            entry["tool_calls"] = [_tool_call(calls[i]) for i in sorted(calls)]
        messages.append(canonical_message(entry))
    return messages


@dataclass
class _Answer:
    text: str
    has_text: bool
    tool_calls: list[dict[str, Any]]
    finish_reasons: list[str]
    choices: int


def _answer(attrs: dict[str, Any], events: list[tuple[str, dict[str, Any]]]) -> _Answer | None:
    """The model's answer: the first choice's text, or its tool calls when it answered with calls only."""
    outputs = _structured(attrs.get("gen_ai.output.messages"))
    messages = _messages(outputs)
    reasons = [str(m.get("finish_reason")) for m in (outputs if isinstance(outputs, list) else [])
               if isinstance(m, dict) and m.get("finish_reason")]
    if not messages:
        messages, reasons = _choice_messages(events)
    if not messages:
        flat = _flattened(attrs, "completion")
        messages = [m for m in flat if m.get("content") is not None or m.get("tool_calls")]
        reasons = [str(m["finish_reason"]) for m in flat if m.get("finish_reason")]
        for message in messages:
            message.pop("finish_reason", None)
    if not messages:
        completion = attrs.get("gen_ai.completion")
        for name, event_attrs in events:
            if completion is None and name == "gen_ai.content.completion":
                completion = event_attrs.get("gen_ai.completion")
        messages = [m for m in _messages(_structured(completion)) if m.get("content") is not None or m.get("tool_calls")]
    if not messages:
        return None
    first = messages[0]
    content = first.get("content")
    text = content if isinstance(content, str) else _parts_text(content)
    calls = list(first.get("tool_calls") or [])
    if not text and not calls:
        return None
    declared = attrs.get("gen_ai.response.finish_reasons")
    if isinstance(declared, list) and declared:
        reasons = [str(r) for r in declared]
    return _Answer(text=text or "\n".join(_call_text(call) for call in calls), has_text=bool(text),
                   tool_calls=calls, finish_reasons=reasons, choices=len(messages))


def _parts_text(content: Any) -> str:
    if not isinstance(content, list):
        return ""
    return "\n".join(str(p.get("text") or "") for p in content if isinstance(p, dict) and p.get("type") == "text")


def _call_text(call: dict[str, Any]) -> str:
    function = call.get("function") or {}
    return f"{function.get('name', '')}({function.get('arguments', '')})"


def _choice_messages(events: list[tuple[str, dict[str, Any]]]) -> tuple[list[dict[str, Any]], list[str]]:
    choices: list[tuple[int, dict[str, Any], Any]] = []
    for name, event_attrs in events:
        if name != "gen_ai.choice":
            continue
        body = _event_body(event_attrs)
        message = _structured(body.get("message"))
        if not isinstance(message, dict):
            message = {"content": body.get("content"), "tool_calls": body.get("tool_calls")}
        entry: dict[str, Any] = {"role": str(message.get("role") or "assistant"),
                                 "content": _body_content(message.get("content"))}
        calls = _structured(message.get("tool_calls"))
        if isinstance(calls, list) and calls:
            entry["tool_calls"] = calls
        index = body.get("index")
        choices.append((index if isinstance(index, int) else len(choices), entry, body.get("finish_reason")))
    choices.sort(key=lambda choice: choice[0])
    return [entry for _, entry, _ in choices], [str(reason) for _, _, reason in choices if reason]


# --- metadata, evaluations, raw ---------------------------------------------------------------

def _metadata(span: Span, attrs: dict[str, Any], resource: dict[str, Any], scope: InstrumentationScope,
              answer: _Answer) -> dict[str, Any]:
    usage = {}
    for key, value in attrs.items():
        if key.startswith("gen_ai.usage."):
            name = key[len("gen_ai.usage."):]
            usage[_USAGE_RENAMES.get(name, name)] = value
    found = {
        "source": "otlp",
        "provider": attrs.get("gen_ai.provider.name") or attrs.get("gen_ai.system"),
        "operation": attrs.get("gen_ai.operation.name"),
        "request_model": attrs.get("gen_ai.request.model"),
        "response_model": attrs.get("gen_ai.response.model"),
        "response_id": attrs.get("gen_ai.response.id"),
        "conversation_id": attrs.get("gen_ai.conversation.id"),
        "agent_name": attrs.get("gen_ai.agent.name"),
        "finish_reasons": answer.finish_reasons,
        "usage": usage,
        "choices": answer.choices if answer.choices > 1 else None,
        "span_name": span.name,
        "parent_span_id": span.parent_span_id.hex(),
        "service_name": resource.get("service.name"),
        "scope": scope.name,
        "duration_ms": round((span.end_time_unix_nano - span.start_time_unix_nano) / 1e6, 3)
        if span.end_time_unix_nano > span.start_time_unix_nano else None,
        "error": attrs.get("error.type") or (span.status.message or "error"
                                             if span.status.code == Status.STATUS_CODE_ERROR else None),
    }
    return {key: value for key, value in found.items() if value not in (None, "", [], {})}


def _tools(attrs: dict[str, Any]) -> list[dict[str, Any]]:
    """gen_ai.tool.definitions (a JSON string or structured): the tools the model could call, as sent."""
    found = _structured(attrs.get("gen_ai.tool.definitions"))
    return [tool for tool in found if isinstance(tool, dict)] if isinstance(found, list) else []


def _evaluations(events: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """gen_ai.evaluation.result events on the span: a judge's score of this output (docs/judge.md)."""
    return [
        {"name": event_attrs.get("gen_ai.evaluation.name"),
         "value": event_attrs.get("gen_ai.evaluation.score.value"),
         "label": event_attrs.get("gen_ai.evaluation.score.label")}
        for name, event_attrs in events if name == "gen_ai.evaluation.result"
    ]


def _raw(span: Span, resource: dict[str, Any], scope: InstrumentationScope) -> dict[str, Any]:
    """The span as OTLP/JSON (ids in hex), with its resource's attributes and its scope."""
    data = json_format.MessageToDict(span)
    for key, value in (("traceId", span.trace_id), ("spanId", span.span_id), ("parentSpanId", span.parent_span_id)):
        if key in data:
            data[key] = value.hex()
    for link, source in zip(data.get("links", []), span.links, strict=False):
        link["traceId"], link["spanId"] = source.trace_id.hex(), source.span_id.hex()
    return {"resource": resource, "scope": {"name": scope.name, "version": scope.version}, "span": data}


def first_problems(errors: Iterable[Any], limit: int = 3) -> str:
    """The first rejections as one line, for OTLP's partial_success.error_message."""
    texts = [f"span {e.position}" + (f" ({e.external_id})" if e.external_id else "") + f" {e.field}: {e.reason}"
             for e in list(errors)[:limit]]
    return "; ".join(texts)

