"""Readers that turn a byte stream in one of the supported formats into canonical dicts.

Readers stream: they hold one record at a time, so a 2 GB file is never loaded whole. Each
yields ``SourceRecord``s that carry their position (line, or index in a JSON array) so every
rejection can point at its place in the input. A problem with the whole input (a CSV header
with an unknown column, a body that is not a JSON array) raises ``FormatError`` before any
record is yielded.
"""
from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from reviewapp.lib.messages import canonical_message

from .records import FIELDS, REQUIRED_FIELDS, RecordError

FORMATS = ("jsonl", "csv", "openai-chat", "openai-responses")


class FormatError(ValueError):
    """The input as a whole cannot be read; nothing from it is stored."""


@dataclass(slots=True)
class SourceRecord:
    position: int  # 1-based line of a file or NDJSON body; 0-based index of a JSON array
    data: Any = None
    raw: Any = None  # the source record, kept when a format was converted
    error: RecordError | None = None


def read_jsonl(lines: Iterable[bytes], *, max_record_bytes: int) -> Iterator[SourceRecord]:
    for number, line in enumerate(lines, start=1):
        if len(line) > max_record_bytes:
            yield SourceRecord(number, error=_too_big(len(line), max_record_bytes))
            continue
        if not line.strip():
            continue
        try:
            yield SourceRecord(number, data=orjson.loads(line))
        except orjson.JSONDecodeError as exc:
            yield SourceRecord(number, error=RecordError([("record", f"invalid JSON: {exc}")]))


def _too_big(size: int, limit: int) -> RecordError:
    return RecordError([("record", f"is {size} bytes; the limit is {limit}")])


def read_json_array(body: bytes, *, max_record_bytes: int) -> Iterator[SourceRecord]:
    try:
        records = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise FormatError(f"body is not valid JSON: {exc}") from None
    if isinstance(records, dict):
        records = [records]
    if not isinstance(records, list):
        raise FormatError("body must be a JSON array of records, a single record, or NDJSON")
    for index, data in enumerate(records):
        size = len(orjson.dumps(data))  # the same limit as an NDJSON line, measured compactly
        if size > max_record_bytes:
            yield SourceRecord(index, error=_too_big(size, max_record_bytes))
        else:
            yield SourceRecord(index, data=data)


_CSV_JSON_COLUMNS = ("context", "metadata", "evaluations", "tools", "tool_calls")


def read_csv(text: Iterable[str], *, max_record_bytes: int) -> Iterator[SourceRecord]:
    """CSV with the canonical field names as its header. Empty cells mean "absent".

    ``context``, ``metadata`` and ``evaluations`` cells hold JSON; an ``input`` cell that is a JSON array is a
    list of chat messages, anything else is plain text; ``risk_score`` is a number.
    """
    reader = csv.reader(text)
    try:
        header = next(reader)
    except StopIteration:
        return
    header = [name.strip().lstrip("\ufeff") for name in header]
    unknown = [name for name in header if name not in FIELDS]
    if unknown:
        raise FormatError(f"line 1: unknown column(s) {', '.join(map(repr, unknown))}; allowed: {', '.join(FIELDS)}")
    missing = [name for name in REQUIRED_FIELDS if name not in header]
    if missing:
        raise FormatError(f"line 1: missing required column(s) {', '.join(missing)}")
    id_column = header.index("external_id")
    line = reader.line_num
    for cells in _decoded(reader):
        start, line = line + 1, reader.line_num
        if not any(cells):
            continue
        if len(cells) != len(header):
            yield SourceRecord(start, error=RecordError([("record", f"has {len(cells)} cells; the header has {len(header)}")]))
            continue
        size = sum(len(cell.encode()) for cell in cells)
        if size > max_record_bytes:
            yield SourceRecord(start, data={"external_id": cells[id_column][:255]}, error=_too_big(size, max_record_bytes))
            continue
        try:
            yield SourceRecord(start, data=_csv_record(header, cells))
        except RecordError as exc:
            yield SourceRecord(start, data={"external_id": cells[id_column]}, error=exc)


def _decoded(reader) -> Iterator[list[str]]:
    try:
        yield from reader
    except UnicodeDecodeError as exc:
        raise FormatError(f"line {reader.line_num + 1}: the file is not UTF-8 ({exc.reason})") from None
    except csv.Error as exc:
        raise FormatError(f"line {reader.line_num}: {exc}") from None


def _csv_record(header: list[str], cells: list[str]) -> dict:
    record: dict[str, Any] = {}
    for name, cell in zip(header, cells, strict=True):  # read_csv refuses a row whose cell count differs
        if cell == "":
            continue
        if name in _CSV_JSON_COLUMNS:
            try:
                record[name] = orjson.loads(cell)
            except orjson.JSONDecodeError as exc:
                raise RecordError([(name, f"must be JSON in a CSV cell: {exc}")]) from None
        elif name == "input" and cell.lstrip().startswith("["):
            try:
                record[name] = orjson.loads(cell)
            except orjson.JSONDecodeError:
                record[name] = cell
        elif name == "risk_score":
            try:
                record[name] = float(cell)
            except ValueError:
                raise RecordError([(name, f"must be a number, not {cell!r}")]) from None
        else:
            record[name] = cell
    return record


# --- OpenAI Chat Completions logs -----------------------------------------------------------

_OPENAI_OVERRIDES = frozenset(FIELDS) - {"input", "output"}


def converted(records: Iterable[SourceRecord], convert: Callable[[Any], dict]) -> Iterator[SourceRecord]:
    """Records of another format mapped onto canonical ones, each source record kept as ``raw``; a
    record the mapping refuses keeps its position and carries the refusal."""
    for item in records:
        if item.error is None:
            try:
                item.raw = item.data
                item.data = convert(item.data)
            except RecordError as exc:
                item.error = exc
        yield item


def from_openai_chat(records: Iterable[SourceRecord]) -> Iterator[SourceRecord]:
    """Map ``{"request": ..., "response": ...}`` log records onto canonical records. Any canonical
    field other than input/output may sit beside request/response and wins over what the mapping derives."""
    return converted(records, openai_chat_to_canonical)


def openai_chat_to_canonical(log: Any) -> dict:
    """A Chat Completions log: input, output, tools, the output's tool calls and refusal as fields."""
    request, response = _request_and_response(log)
    messages = request.get("messages")
    if not isinstance(messages, list) or not messages:
        raise RecordError([("request.messages", "must be a non-empty list of messages")])
    choices = response.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise RecordError([("response.choices", "must be a non-empty list of choices")])
    message = choices[0].get("message")
    if not isinstance(message, dict):
        raise RecordError([("response.choices[0].message", "is required")])

    output, kind = _assistant_output(message)
    calls = message.get("tool_calls")
    record: dict[str, Any] = {
        "external_id": response.get("id"),
        "input": [canonical_message(m) for m in messages],
        "output": output,
        "kind": kind,
        "model": request.get("model") or response.get("model"),
        "model_version": response.get("model"),
        "tools": request.get("tools") or [],
        "tool_calls": calls if isinstance(calls, list) else [],
        "refusal": bool(message.get("refusal")) and not message.get("content"),
        "metadata": {
            "finish_reason": choices[0].get("finish_reason"),
            "usage": response.get("usage"),
            "system_fingerprint": response.get("system_fingerprint"),
        },
    }
    return _finish_log(record, log, request, response.get("created"), created_field="response.created")


def _finish_log(record: dict[str, Any], log: dict, request: dict, created: Any, *, created_field: str) -> dict:
    """What both OpenAI log formats share: the request's metadata (and the canonical fields it names),
    the creation time, overrides beside request/response, and the required ids."""
    metadata = request.get("metadata")
    request_meta: dict[str, Any] = metadata if isinstance(metadata, dict) else {}
    record["metadata"] = {**request_meta, **record["metadata"]}
    if isinstance(created, (int, float)) and not isinstance(created, bool):
        record["occurred_at"] = datetime.fromtimestamp(created, tz=UTC).isoformat()
    for name in ("category", "risk_tier", "risk_score", "trace_id", "span_id"):
        if name in request_meta:
            record[name] = request_meta[name]
    record.update({k: v for k, v in log.items() if k in _OPENAI_OVERRIDES})
    if record.get("external_id") is None:
        raise RecordError([("response.id", "is required (or give external_id beside request and response)")])
    if "occurred_at" not in record:
        raise RecordError([(created_field, "is required (or give occurred_at beside request and response)")])
    return record


def _request_and_response(log: Any) -> tuple[dict, dict]:
    if not isinstance(log, dict):
        raise RecordError([("record", "must be a JSON object with request and response")])
    unknown = set(log) - _OPENAI_OVERRIDES - {"request", "response"}
    if unknown:
        raise RecordError([(name, "unknown field in an OpenAI log record") for name in sorted(unknown)])
    request, response = log.get("request"), log.get("response")
    if not isinstance(request, dict):
        raise RecordError([("request", "is required: the request object")])
    if not isinstance(response, dict):
        raise RecordError([("response", "is required: the response object")])
    return request, response


# --- OpenAI Responses API logs ----------------------------------------------------------------

def from_openai_responses(records: Iterable[SourceRecord]) -> Iterator[SourceRecord]:
    """Map ``{"request": ..., "response": ...}`` Responses API logs onto canonical records (raw kept)."""
    return converted(records, openai_responses_to_canonical)


def openai_responses_to_canonical(log: Any) -> dict:
    """A Responses API log: request {model, instructions, input, tools}, response {id, created_at,
    model, output: [message | function_call | ...], usage}. The input items become chat messages
    (instructions as the system turn; function_call items as an assistant turn's tool_calls,
    function_call_output items as tool turns); the output's text, refusal and function calls map
    onto output, refusal and tool_calls."""
    request, response = _request_and_response(log)
    messages = _responses_input(request)
    items = response.get("output")
    if not isinstance(items, list) or not items:
        raise RecordError([("response.output", "must be a non-empty list of output items")])
    texts, refusals, calls = [], [], []
    for i, entry in enumerate(items):
        if not isinstance(entry, dict):
            raise RecordError([(f"response.output[{i}]", "must be an object")])
        if entry.get("type") == "message":
            for part in entry.get("content") or []:
                if isinstance(part, dict) and part.get("type") == "output_text":
                    texts.append(str(part.get("text", "")))
                elif isinstance(part, dict) and part.get("type") == "refusal":
                    refusals.append(str(part.get("refusal", "")))
        elif entry.get("type") == "function_call":
            calls.append({"id": entry.get("call_id") or entry.get("id"), "type": "function",
                          "function": {"name": entry.get("name"), "arguments": entry.get("arguments", "")}})
    text = "".join(texts) or "".join(refusals)
    output, kind = _assistant_output({"content": text, "tool_calls": calls})
    record: dict[str, Any] = {
        "external_id": response.get("id"),
        "input": messages,
        "output": output,
        "kind": kind,
        "model": request.get("model") or response.get("model"),
        "model_version": response.get("model"),
        "tools": request.get("tools") or [],
        "tool_calls": calls,
        "refusal": bool(refusals) and not texts,
        "metadata": {"status": response.get("status"), "usage": response.get("usage")},
    }
    return _finish_log(record, log, request, response.get("created_at"), created_field="response.created_at")


def _responses_input(request: dict) -> list[dict[str, Any]]:
    value = request.get("input")
    messages: list[dict[str, Any]] = []
    if isinstance(request.get("instructions"), str) and request["instructions"]:
        messages.append({"role": "system", "content": request["instructions"]})
    if isinstance(value, str):
        return [*messages, {"role": "user", "content": value}]
    if not isinstance(value, list) or not value:
        raise RecordError([("request.input", "must be a string or a non-empty list of input items")])
    for i, entry in enumerate(value):
        if not isinstance(entry, dict):
            raise RecordError([(f"request.input[{i}]", "must be an object")])
        kind = entry.get("type", "message")
        if kind == "message":
            content = entry.get("content")
            if isinstance(content, list):
                content = "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
            messages.append(canonical_message({"role": entry.get("role", "user"), "content": content}))
        elif kind == "function_call":
            call = {"id": entry.get("call_id") or entry.get("id"), "type": "function",
                    "function": {"name": entry.get("name"), "arguments": entry.get("arguments", "")}}
            if messages and messages[-1]["role"] == "assistant" and messages[-1].get("tool_calls") is not None:
                messages[-1]["tool_calls"].append(call)
            else:
                messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
        elif kind == "function_call_output":
            messages.append({"role": "tool", "tool_call_id": entry.get("call_id"), "content": str(entry.get("output", ""))})
    return messages


def _assistant_output(message: dict) -> tuple[str, str]:
    content = message.get("content")
    if isinstance(content, list):
        content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
    text = content or message.get("refusal") or ""
    calls = message.get("tool_calls") or []
    if not calls:
        return text, "llm_response"
    rendered = [
        f"{c.get('function', {}).get('name', '?')}({c.get('function', {}).get('arguments', '')})"
        for c in calls
        if isinstance(c, dict)
    ]
    return "\n".join(filter(None, [text, *rendered])), "agent_action"


# What the ingest command reads from: a file (or standard input) or its gzip. A bare BufferedIOBase
# will not do: TextIOWrapper needs the stream's name, which only these define.
BinaryStream = io.BufferedReader | gzip.GzipFile


def open_reader(fmt: str, binary: BinaryStream, *, max_record_bytes: int) -> Iterator[SourceRecord]:
    """The reader for a named format over a binary stream."""
    if fmt == "jsonl":
        return read_jsonl(binary, max_record_bytes=max_record_bytes)
    if fmt == "openai-chat":
        return from_openai_chat(read_jsonl(binary, max_record_bytes=max_record_bytes))
    if fmt == "openai-responses":
        return from_openai_responses(read_jsonl(binary, max_record_bytes=max_record_bytes))
    if fmt == "csv":
        return read_csv(io.TextIOWrapper(binary, encoding="utf-8", newline=""), max_record_bytes=max_record_bytes)
    raise FormatError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
