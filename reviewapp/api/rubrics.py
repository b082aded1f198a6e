"""A project's rubric over HTTP: its questions and the JSON Schema of their answers, per version,
so a client labelling over the API can type and check the `answers` it submits (the label
operation's body cannot: rubrics differ by project and version). Any member may read it, as the
review page shows it to every reviewer."""
from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from reviewapp.projects.access import project_for
from reviewapp.review.models import LabelSchema
from reviewapp.review.rubric_schema import answers_schema

from .auth import PERSON
from .openapi import errors
from .schemas import IsoDateTime, ItemId

router = Router(tags=["review"], auth=PERSON)


class RubricOut(Schema):
    version: int
    current: bool = Field(description="The version new labels answer")
    created_at: IsoDateTime
    questions: list[dict[str, Any]] = Field(description="The questions as stored (key, type, label, options...)")
    answers_schema: dict[str, Any] = Field(description=(
        "JSON Schema (draft 2020-12) of a label's `answers` under this version: a property per question, "
        "an enum of option values for choices, the required questions listed"))


def _out(schema: LabelSchema, *, current: bool) -> dict[str, Any]:
    return {"version": schema.version, "current": current, "created_at": schema.created_at,
            "questions": schema.questions,
            "answers_schema": answers_schema(schema.rubric, title=f"Answers, {schema.project.slug} rubric v{schema.version}")}


@router.get("/projects/{project}/rubric", response={200: RubricOut, **errors()}, operation_id="readRubric",
            summary="Read the current rubric and its answers' JSON Schema")
def read_rubric(request: HttpRequest, project: str):
    return Status(200, _out(LabelSchema.current(project_for(request, project)), current=True))


@router.get("/projects/{project}/rubric/{version}", response={200: RubricOut, **errors(400)},
            operation_id="readRubricVersion", summary="Read a rubric version and its answers' JSON Schema")
def read_rubric_version(request: HttpRequest, project: str, version: ItemId):
    """Labels keep the version they answered (an item's `rubric_version`): read that one to check them."""
    target = project_for(request, project)
    schema = target.label_schemas.filter(version=version).first()
    if schema is None:
        return Status(404, {"detail": f"no rubric v{version}"})
    latest = target.label_schemas.order_by("-version").values_list("version", flat=True).first()
    return Status(200, _out(schema, current=schema.version == latest))
