"""POST /api/v1/projects/{project}/outputs: the HTTP door to ingestion."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Literal

from django.conf import settings
from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from reviewapp.ingest.actions import IngestReport, ingest
from reviewapp.ingest.formats import (
    FormatError,
    SourceRecord,
    from_openai_chat,
    from_openai_responses,
    read_csv,
    read_json_array,
    read_jsonl,
)
from reviewapp.ingest.records import CanonicalRecord
from reviewapp.projects.models import Project

from .auth import ProjectToken, ProjectTokenRequest
from .openapi import body_ref, errors
from .schemas import IngestOut

router = Router(tags=["ingest"])

_NDJSON_TYPES = {"application/x-ndjson", "application/jsonl", "application/x-jsonlines", "application/ndjson"}
_BODY_DOC = {
    "requestBody": {
        "required": True,
        "description": "A JSON array of records, or NDJSON (one record per line), or CSV with the canonical "
        "columns. With format=openai-chat, each record is a Chat Completions log {request, response}; with "
        "format=openai-responses, a Responses API log {request, response}.",
        "content": {
            "application/json": {"schema": {"type": "array", "items": body_ref(CanonicalRecord)}},
            "application/x-ndjson": {"schema": {
                "type": "string", "format": "binary",
                "description": "NDJSON: one CanonicalRecord (as in the JSON array) per line"}},
            "text/csv": {"schema": {
                "type": "string", "format": "binary",
                "description": "CSV: a header row of CanonicalRecord's field names, one record per row; the cells "
                "of its list and object fields hold JSON"}},
        },
    }
}


class IngestParams(Schema):
    format: Literal["auto", "json", "jsonl", "csv", "openai-chat", "openai-responses"] = Field(
        "auto", description="auto: by Content-Type (a body starting with '[' is a JSON array)"
    )
    atomic: bool = Field(False, description="All or nothing: store none of the records if any is rejected")


@router.post(
    "/projects/{project}/outputs",
    auth=ProjectToken(),
    response={200: IngestOut, 207: IngestOut, **errors(400, 413), 422: IngestOut},
    openapi_extra=_BODY_DOC,
    operation_id="ingestOutputs",
    summary="Ingest production outputs",
)
def ingest_outputs(request: ProjectTokenRequest, project: str, params: Query[IngestParams]):
    """Store outputs idempotently (a known external_id is reported as already present).

    200: every record accepted. 207: some records rejected, the others stored.
    422: nothing stored because of rejected records (atomic=true, or every record bad).
    """
    return ingest_door(
        request, project, lambda: _records(request, params.format),
        lambda target, records, position_name: ingest(project=target, records=records, atomic=params.atomic,
                                                      position_name=position_name))


def ingest_door(request: ProjectTokenRequest, project: str, read: Callable[[], tuple[Iterable[SourceRecord], str]],
                store: Callable[[Project, Iterable[SourceRecord], str], IngestReport]) -> Status:
    """The contract every ingest door keeps (outputs, evaluations): the token's own project (404, 403),
    the size limits (413), an unreadable body (400), then 200 when every record was accepted, 207 when
    some were stored and some rejected, 422 when nothing was stored because of rejections."""
    target = Project.objects.filter(slug=project).first()
    if target is None:
        return Status(404, {"detail": f"no project {project!r}"})
    if request.auth.project_id != target.pk:
        return Status(403, {"detail": f"this token is not valid for project {project!r}"})
    too_big = _check_size(request)
    if too_big:
        return Status(413, {"detail": too_big})
    try:
        records, position_name = read()
    except FormatError as exc:
        return Status(400, {"detail": str(exc)})
    report = store(target, records, position_name)
    if report.format_error:
        return Status(400, {"detail": report.format_error})
    body = report.as_dict()
    if report.rejected == 0:
        return Status(200, body)
    if report.stored and report.created + report.already_present > 0:
        return Status(207, body)
    return Status(422, body)


def _check_size(request: HttpRequest) -> str | None:
    limit = settings.INGEST_MAX_BODY_BYTES
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    if length > limit:
        return f"body is {length} bytes; the limit is {limit} (send smaller batches)"
    if request.body.count(b"\n") > settings.INGEST_MAX_RECORDS_PER_REQUEST:
        return f"more than {settings.INGEST_MAX_RECORDS_PER_REQUEST} lines; send smaller batches"
    return None


def _records(request: HttpRequest, fmt: str):
    body = request.body
    content_type = request.content_type or ""
    if fmt == "auto":
        if content_type == "text/csv":
            fmt = "csv"
        elif content_type in _NDJSON_TYPES or not body.lstrip().startswith(b"["):
            fmt = "jsonl"
        else:
            fmt = "json"
    max_record = settings.INGEST_MAX_RECORD_BYTES
    if fmt == "csv":
        return read_csv(_decode_lines(body), max_record_bytes=max_record), "line"
    convert = {"openai-chat": from_openai_chat, "openai-responses": from_openai_responses}.get(fmt)
    if fmt == "json" or (convert and body.lstrip().startswith(b"[")):
        records = list(read_json_array(body, max_record_bytes=max_record))
        if len(records) > settings.INGEST_MAX_RECORDS_PER_REQUEST:
            raise FormatError(f"{len(records)} records; the limit is {settings.INGEST_MAX_RECORDS_PER_REQUEST}")
        return (convert(records) if convert else records), "index"
    lines = read_jsonl(body.splitlines(), max_record_bytes=max_record)
    return (convert(lines) if convert else lines), "line"


def _decode_lines(body: bytes):
    try:
        return body.decode("utf-8").splitlines(keepends=True)
    except UnicodeDecodeError as exc:
        raise FormatError(f"body is not UTF-8 ({exc.reason} at byte {exc.start})") from None
