"""Judge scores from other tools, mapped onto evaluation lines (``EvaluationRecord`` dicts).

Like ``formats.from_openai_chat``, each converter is a generator over ``SourceRecord``s that keeps
the source item as ``raw`` and turns an item it cannot map into a rejection naming the source's
own field, so a bad score is reported with its line (or index) and leaves the others alone.

How a score finds its output (docs/ingest.md, "Judge scores"): we look outputs up by
``external_id``, so a score names the id your outputs were ingested under.

- Langfuse score: ``observationId`` if present, else ``traceId``. Ingest a Langfuse generation
  with its observation id (or a trace with its trace id) as ``external_id`` and its scores find it.
- LangSmith feedback: ``run_id`` (the LLM run you ingested as the output).
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import orjson

from .formats import FormatError, SourceRecord, read_json_array, read_jsonl
from .records import RecordError

EVALUATION_FORMATS = ("jsonl", "json", "langfuse", "langsmith")

# Langfuse data types that are an evaluator's verdict; TEXT is a free comment and CORRECTION a
# corrected output, neither of which is a score to compare with reviewers.
_LANGFUSE_SCORES = ("NUMERIC", "BOOLEAN", "CATEGORICAL")
_LANGFUSE_FREE_TEXT = ("TEXT", "CORRECTION")


def read_json_body(body: bytes, *, max_record_bytes: int) -> Iterator[SourceRecord]:
    """A JSON array of items, one item, or a page ``{"data": [...], "meta": ...}``.

    The page is what Langfuse's list endpoints (``GET /api/public/v2/scores``) return; its items
    are numbered by their index in ``data``.
    """
    if body.lstrip().startswith(b"{"):
        page = _page(body)
        if page is not None:
            return read_json_array(orjson.dumps(page), max_record_bytes=max_record_bytes)
    return read_json_array(body, max_record_bytes=max_record_bytes)


def is_json_body(body: bytes) -> bool:
    """Whether a body is one JSON document (an array or a page) rather than NDJSON."""
    start = body.lstrip()[:1]
    return start == b"[" or (start == b"{" and _page(body) is not None)


def _page(body: bytes) -> list | None:
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if isinstance(parsed, dict) and isinstance(parsed.get("data"), list):
        return parsed["data"]
    return None


def read_evaluations(fmt: str, body: bytes, *, max_record_bytes: int, container: str = "auto"
                     ) -> tuple[Iterator[SourceRecord], str]:
    """The evaluation lines of a whole body in a named format, and how positions are named.

    ``container``: ``json`` (an array or a page), ``jsonl``, or ``auto`` (JSON when the body is an
    array or a ``{"data": [...]}`` page, NDJSON otherwise).
    """
    if fmt not in EVALUATION_FORMATS:
        raise FormatError(f"unknown format {fmt!r}; choose one of {', '.join(EVALUATION_FORMATS)}")
    if fmt in ("json", "jsonl"):
        container = fmt
    if container == "auto":
        container = "json" if is_json_body(body) else "jsonl"
    if container == "json":
        records, position_name = read_json_body(body, max_record_bytes=max_record_bytes), "index"
    else:
        records, position_name = read_jsonl(body.splitlines(), max_record_bytes=max_record_bytes), "line"
    return convert(fmt, records), position_name


def convert(fmt: str, records: Iterable[SourceRecord]) -> Iterator[SourceRecord]:
    """Records in a tool's format as evaluation lines (``jsonl`` and ``json`` are already ours)."""
    if fmt == "langfuse":
        return from_langfuse_scores(records)
    if fmt == "langsmith":
        return from_langsmith_feedback(records)
    return iter(records)


def from_langfuse_scores(records: Iterable[SourceRecord]) -> Iterator[SourceRecord]:
    """Langfuse score objects (``GET /api/public/v2/scores`` items, exports) as evaluation lines."""
    return _converted(records, langfuse_score_to_evaluation)


def from_langsmith_feedback(records: Iterable[SourceRecord]) -> Iterator[SourceRecord]:
    """LangSmith Feedback objects (``list_feedback``, exports) as evaluation lines."""
    return _converted(records, langsmith_feedback_to_evaluation)


def _converted(records: Iterable[SourceRecord], mapping: Callable[[Any], dict]) -> Iterator[SourceRecord]:
    for item in records:
        if item.error is None:
            item.raw = item.data
            try:
                item.data = mapping(item.data)
            except RecordError as exc:
                item.data = _id_only(item.raw)
                item.error = exc
        yield item


def _id_only(source: Any) -> dict | None:
    """What a rejection quotes of a source item: the output it names, if any."""
    if isinstance(source, dict):
        for key in ("observationId", "traceId", "run_id"):
            if isinstance(source.get(key), str) and source[key]:
                return {"external_id": source[key]}
    return None


def langfuse_score_to_evaluation(score: Any) -> dict:
    """One Langfuse score as an evaluation line.

    NUMERIC: value. BOOLEAN: value 1/0 and label ``stringValue`` ("True"/"False"). CATEGORICAL:
    label ``stringValue`` (or a string ``value``, as the create request carries it); its numeric
    ``value`` is kept only with a ``configId``, because without a config Langfuse reports 0 for
    every category. ``metadata.version`` is the evaluator's version.
    """
    if not isinstance(score, dict):
        raise RecordError([("record", "must be a JSON object (a Langfuse score)")])
    data_type = score.get("dataType")
    if data_type in _LANGFUSE_FREE_TEXT:
        raise RecordError([("dataType", f"{data_type} scores are free text, not an evaluator's score")])
    value, label = score.get("value"), score.get("stringValue")
    if data_type is None:  # older exports: infer it from the value
        data_type = "CATEGORICAL" if isinstance(value, str) else "BOOLEAN" if isinstance(value, bool) else "NUMERIC"
    if data_type not in _LANGFUSE_SCORES:
        raise RecordError([("dataType", f"must be one of {', '.join(_LANGFUSE_SCORES)}, not {data_type!r}")])
    target = score.get("observationId") or score.get("traceId")
    if not target:
        raise RecordError([("traceId", "is required (or observationId): a score of a session or dataset run "
                                       "names no output")])
    if data_type == "CATEGORICAL":
        if isinstance(value, str):
            label, value = label or value, None
        elif not score.get("configId"):
            value = None
    elif not _is_number(value):
        raise RecordError([("value", f"must be a number for a {data_type} score")])
    return {"external_id": target, "name": score.get("name"), "version": _version(score.get("metadata")),
            "value": value, "label": label if isinstance(label, str) else ""}


def langsmith_feedback_to_evaluation(feedback: Any) -> dict:
    """One LangSmith Feedback as an evaluation line.

    ``key`` is the evaluator, ``score`` its value (true/false as 1/0), a string ``value`` its
    label; ``feedback_source.metadata.version`` its version. Feedback with neither (a comment or
    a correction only) is not a score.
    """
    if not isinstance(feedback, dict):
        raise RecordError([("record", "must be a JSON object (a LangSmith feedback)")])
    run_id = feedback.get("run_id")
    if not run_id:
        raise RecordError([("run_id", "is required: the run the feedback scores is the output")])
    score, value = feedback.get("score"), feedback.get("value")
    if score is not None and not _is_number(score):
        raise RecordError([("score", "must be a number or true/false")])
    label = value if isinstance(value, str) else ""
    if score is None and not label:
        raise RecordError([("score", "is required (or a string value): feedback without either is not a score")])
    source = feedback.get("feedback_source")
    return {"external_id": run_id, "name": feedback.get("key"),
            "version": _version(source.get("metadata") if isinstance(source, dict) else None),
            "value": score, "label": label}


def _is_number(value: Any) -> bool:
    return isinstance(value, bool) or (isinstance(value, int | float) and math.isfinite(value))


def _version(metadata: Any) -> Any:
    return metadata.get("version", "") if isinstance(metadata, dict) else ""
