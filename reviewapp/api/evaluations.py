"""POST /api/v1/projects/{project}/evaluations: judge scores for outputs already ingested.

The same door as outputs (outputs.py): the project's ingest token, the same size limits, the same
status codes and report; only the records differ (an evaluation names its output by external_id).
"""
from __future__ import annotations

from typing import Literal

from django.conf import settings
from ninja import Query, Router, Schema
from pydantic import Field

from reviewapp.ingest.evaluation_formats import read_evaluations
from reviewapp.ingest.evaluations import EvaluationRecord, ingest_evaluations
from reviewapp.ingest.formats import FormatError

from .auth import ProjectToken, ProjectTokenRequest
from .openapi import body_ref, errors
from .outputs import _NDJSON_TYPES, ingest_door
from .schemas import IngestOut

router = Router(tags=["ingest"])

_BODY_DOC = {
    "requestBody": {
        "required": True,
        "description": "Evaluations of outputs already ingested, each naming its output by external_id: NDJSON "
        "(one per line) or a JSON array. With format=langfuse, Langfuse score objects (an array, NDJSON, or the "
        "{data: [...]} page of GET /api/public/v2/scores; the output is observationId, else traceId). With "
        "format=langsmith, LangSmith feedback objects (the output is run_id).",
        "content": {
            "application/json": {"schema": {"type": "array", "items": body_ref(EvaluationRecord)}},
            "application/x-ndjson": {"schema": {
                "type": "string", "format": "binary",
                "description": "NDJSON: one EvaluationRecord (as in the JSON array) per line"}},
        },
    }
}


class EvaluationsParams(Schema):
    format: Literal["auto", "jsonl", "json", "langfuse", "langsmith"] = Field(
        "auto", description="auto: by Content-Type (a body starting with '[' is a JSON array); langfuse and "
        "langsmith read an array, NDJSON or a {data: [...]} page")
    atomic: bool = Field(False, description="All or nothing: store none of the evaluations if any is rejected")


@router.post(
    "/projects/{project}/evaluations",
    auth=ProjectToken(),
    response={200: IngestOut, 207: IngestOut, **errors(400, 413), 422: IngestOut},
    openapi_extra=_BODY_DOC,
    operation_id="ingestEvaluations",
    summary="Ingest automatic evaluators' scores (judge scores)",
)
def ingest_evaluations_view(request: ProjectTokenRequest, project: str, params: Query[EvaluationsParams]):
    """Store evaluations idempotently: one per output and evaluator (name, version); the first one wins.

    200: every evaluation accepted. 207: some rejected (an unknown external_id among them), the others
    stored. 422: nothing stored because of rejected evaluations (atomic=true, or every one bad).
    """
    return ingest_door(
        request, project, lambda: _records(request.body, request.content_type or "", params.format),
        lambda target, records, position_name: ingest_evaluations(
            project=target, records=records, atomic=params.atomic, position_name=position_name))


def _records(body: bytes, content_type: str, fmt: str):
    container = "jsonl" if content_type in _NDJSON_TYPES else "auto"
    if fmt == "auto":
        fmt = "jsonl" if container == "jsonl" or not body.lstrip().startswith(b"[") else "json"
    records, position_name = read_evaluations(fmt, body, max_record_bytes=settings.INGEST_MAX_RECORD_BYTES,
                                              container=container)
    if position_name == "index":  # a JSON body is parsed whole: count it before storing any of it
        items = list(records)
        if len(items) > settings.INGEST_MAX_RECORDS_PER_REQUEST:
            raise FormatError(f"{len(items)} records; the limit is {settings.INGEST_MAX_RECORDS_PER_REQUEST}")
        return items, position_name
    return records, position_name
