"""POST /otlp/v1/traces: OpenTelemetry spans in, over OTLP/HTTP (docs/ingest.md, "OpenTelemetry").

A plain Django view rather than a django-ninja operation: OTLP exporters append ``/v1/traces`` to
their endpoint and speak protobuf, and the reply must be an ``ExportTraceServiceResponse`` in the
request's encoding, which is no JSON schema ninja could describe. The rules are the ingest door's:
the project token names the project, the same size limits, the same idempotent writer. What
differs is OTLP's contract: a processed request is 200, with ``partial_success`` counting the
rejected spans and naming the first problems; counts ride in ``X-Spotcheck-*`` headers.
"""
from __future__ import annotations

import zlib

import orjson
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from reviewapp.ingest.actions import IngestReport, ingest
from reviewapp.ingest.formats import FormatError
from reviewapp.ingest.otel import POSITION_NAME, SpanBatch, first_problems, parse_request, records_from_request

from .auth import ProjectToken

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
# google.rpc.Status codes OTLP error bodies carry
_INVALID_ARGUMENT, _UNAUTHENTICATED = 3, 16
_PROJECT_TOKEN = ProjectToken()  # the ingest door's own bearer check: same header parsing, same token rules


class _TooBig(Exception):
    pass


@csrf_exempt
@login_not_required
@require_POST
def export_traces(request: HttpRequest) -> HttpResponse:
    """Store the request's GenAI spans as outputs of the token's project; skip and count the rest."""
    json_body = request.content_type == JSON
    if not json_body and request.content_type != PROTOBUF:
        return _error(415, f"Content-Type {request.content_type!r} is not OTLP/HTTP: send {PROTOBUF} or {JSON}",
                      json_body=False)
    token = _PROJECT_TOKEN(request)
    if token is None:
        return _error(401, "missing, invalid or revoked project token (Authorization: Bearer spc_...)", json_body,
                      code=_UNAUTHENTICATED)
    try:
        message = parse_request(_body(request), json_body=json_body)
    except _TooBig as exc:
        return _error(413, str(exc), json_body)
    except FormatError as exc:
        return _error(400, str(exc), json_body)
    batch = records_from_request(message, max_record_bytes=settings.INGEST_MAX_RECORD_BYTES)
    limit = settings.INGEST_MAX_RECORDS_PER_REQUEST
    if batch.spans > limit:
        return _error(413, f"{batch.spans} spans; the limit is {limit} (lower the span processor's "
                           "max_export_batch_size)", json_body)
    report = ingest(project=token.project, records=batch.records, position_name=POSITION_NAME)
    if report.format_error:
        return _error(400, report.format_error, json_body)
    reply = ExportTraceServiceResponse()
    if report.rejected:
        reply.partial_success.rejected_spans = report.rejected
        reply.partial_success.error_message = (
            f"{report.rejected} of {report.received} GenAI spans rejected: {first_problems(report.errors)} "
            f"({_summary(batch, report)})")
    response = _reply(reply, json_body)
    for name, value in _counts(batch, report).items():
        response[f"X-Spotcheck-{name}"] = str(value)
    return response


def _body(request: HttpRequest) -> bytes:
    """The body, decompressed when the exporter compressed it; never more than INGEST_MAX_BODY_BYTES.

    The cap applies to the decompressed size too: a small gzip body can expand a thousandfold.
    """
    limit = settings.INGEST_MAX_BODY_BYTES
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    if length > limit:
        raise _TooBig(f"body is {length} bytes; the limit is {limit} (send smaller batches)")
    body = request.body
    encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding not in ("gzip", "deflate"):
        raise FormatError(f"Content-Encoding {encoding!r} is not supported: send gzip, deflate or none")
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 16 if encoding == "gzip" else zlib.MAX_WBITS)
    try:
        data = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise FormatError(f"body is not valid {encoding} ({exc})") from None
    if len(data) > limit:
        raise _TooBig(f"body decompresses to more than {limit} bytes (send smaller batches)")
    if not inflater.eof:
        raise FormatError(f"body is truncated {encoding}")
    return data


def _counts(batch: SpanBatch, report: IngestReport) -> dict[str, int]:
    return {"Spans": batch.spans, "Ignored": batch.ignored, "Created": report.created,
            "Already-Present": report.already_present, "Rejected": report.rejected}


def _summary(batch: SpanBatch, report: IngestReport) -> str:
    return ", ".join(f"{name.lower().replace('-', ' ')} {value}" for name, value in _counts(batch, report).items())


def _reply(reply: ExportTraceServiceResponse, json_body: bool) -> HttpResponse:
    if json_body:
        return HttpResponse(json_format.MessageToJson(reply, indent=None), content_type=JSON)
    return HttpResponse(reply.SerializeToString(), content_type=PROTOBUF)


def _error(status: int, message: str, json_body: bool, *, code: int = _INVALID_ARGUMENT) -> HttpResponse:
    """An OTLP error reply: a google.rpc.Status {code, message} in the request's encoding."""
    if json_body:
        return HttpResponse(orjson.dumps({"code": code, "message": message}), status=status,
                            content_type=JSON)
    return HttpResponse(_status_protobuf(code, message), status=status, content_type=PROTOBUF)


def _status_protobuf(code: int, message: str) -> bytes:
    """google.rpc.Status in protobuf wire format: field 1 code (varint), field 2 message (bytes).

    Written by hand so the server does not depend on googleapis-common-protos for two fields;
    the tests decode it with that package's Status class.
    """
    text = message.encode()
    return b"\x08" + _varint(code) + b"\x12" + _varint(len(text)) + text


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)
