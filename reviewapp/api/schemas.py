from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from ninja import Path, Schema
from pydantic import Field, PlainSerializer, WithJsonSchema

from reviewapp.lib.converters import MAX_ID

# An id or version in a path: a positive number a database column holds (past 64 bits it is a 400,
# not a database error).
ItemId = Annotated[int, Path(ge=1, le=MAX_ID)]


def _iso(value: date) -> str:
    return value.isoformat()


# Dates and times in answers: `format: date-time` (or `date`) in the schema, so generated clients parse
# them; on the wire the ISO string they always were (Python's isoformat, not the JSON encoder's
# milliseconds-and-Z rewrite).
IsoDateTime = Annotated[datetime, PlainSerializer(_iso, return_type=str),
                        WithJsonSchema({"type": "string", "format": "date-time"})]
IsoDate = Annotated[date, PlainSerializer(_iso, return_type=str), WithJsonSchema({"type": "string", "format": "date"})]


class ErrorOut(Schema):
    """Every error answer: 400, 401, 403, 404, 409, 413 and 422 alike."""

    detail: str


class RejectionOut(Schema):
    line: int | None = Field(None, description="1-based line, for NDJSON and CSV bodies")
    index: int | None = Field(None, description="0-based position, for JSON-array bodies")
    field: str
    reason: str
    external_id: str | None = None


class EvaluationCountsOut(Schema):
    created: int
    already_present: int = Field(description="Already stored for that output and evaluator version (first wins)")


class IngestOut(Schema):
    received: int
    created: int
    already_present: int = Field(description="Records whose external_id the project already had (left untouched)")
    rejected: int
    stored: bool = Field(description="False when atomic=true rolled the whole request back")
    errors: list[RejectionOut]
    errors_truncated: bool
    evaluations: EvaluationCountsOut | None = Field(
        None, description="Outputs ingest only: the judge scores the records carried (evaluations field)")


# An ISO week in a path, as the pages and the draw endpoint spell it; a week that does not exist is a 400.
Week = Annotated[str, Path(pattern=r"^\d{4}-W\d{2}$", description="ISO week, e.g. 2026-W47", example="2026-W47")]
