"""The review flow over HTTP, for teams that label from their own tools: claim the next item,
read it, submit a label. Same rules as the web workbench: membership, leases, blindness."""
from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from reviewapp.audits.models import AuditItem
from reviewapp.projects.access import project_for
from reviewapp.review import actions
from reviewapp.review.models import Claim, Label, LabelSchema
from reviewapp.review.rubric import RubricError

from .auth import PERSON
from .openapi import errors
from .schemas import IsoDate, IsoDateTime, ItemId

router = Router(tags=["review"], auth=PERSON)


class LabelIn(Schema):
    answers: dict[str, Any] = Field(description=(
        "Answers keyed by rubric question key. Their JSON Schema depends on the project's rubric: read it from "
        "GET /api/v1/projects/{project}/rubric (answers_schema), or /rubric/{version} for an older version"))
    time_on_task_ms: int | None = Field(None, ge=0)


class LabelOut(Schema):
    id: int
    item: int
    verdict: str
    answers: dict[str, Any]
    revisions: int
    created_at: IsoDateTime
    updated_at: IsoDateTime


class OutputOut(Schema):
    """The output under review, as ingested (input: a string or a list of chat messages {role, content})."""

    external_id: str
    occurred_at: IsoDateTime
    kind: str
    model: str
    model_version: str
    category: str
    risk_tier: str
    input: Any
    output: str
    context: list[Any]
    metadata: dict[str, Any]


class ItemOut(Schema):
    id: int
    project: str
    week_start: IsoDate
    stratum: str
    required_reviews: int
    claim_expires_at: IsoDateTime | None
    output: OutputOut
    rubric_version: int = Field(description="The rubric version to answer (its answers_schema: GET .../rubric/{version})")
    rubric: list[dict[str, Any]] = Field(description="The rubric's questions, as stored")
    my_label: LabelOut | None = Field(description="Only your own label: reviews stay blind")


def _label_out(label: Label, *, revisions: int | None = None) -> dict:
    return {"id": label.pk, "item": label.item_id, "verdict": label.verdict, "answers": label.answers,
            "revisions": label.revisions.count() if revisions is None else revisions,
            "created_at": label.created_at, "updated_at": label.updated_at}


def _item_out(item: AuditItem, user, *, claim: Claim | None) -> dict:
    """The item as a reviewer may see it. `claim`: their active claim, if any; an active claim has
    no label yet (submitting one closes the claim in the same transaction)."""
    output = item.output
    label = None if claim else Label.objects.filter(item=item, reviewer=user).first()
    schema = label.schema if label else LabelSchema.current(item.project)
    return {
        "id": item.pk, "project": item.project.slug, "week_start": item.week_start, "stratum": item.stratum,
        "required_reviews": item.required_reviews, "claim_expires_at": claim.expires_at if claim else None,
        "output": {"external_id": output.external_id, "occurred_at": output.occurred_at, "kind": output.kind,
                   "model": output.model, "model_version": output.model_version, "category": output.category,
                   "risk_tier": output.risk_tier, "input": output.input, "output": output.output,
                   "context": output.context, "metadata": output.metadata},
        "rubric_version": schema.version, "rubric": schema.questions, "my_label": _label_out(label) if label else None,
    }


@router.post("/projects/{project}/review/next", response={200: ItemOut, 204: None, **errors()},
             operation_id="claimNextItem", summary="Claim the next item to review")
def claim_next(request: HttpRequest, project: str):
    """Returns the item you hold, or claims the next one (a 20-minute lease); 204 when nothing is left."""
    claim = actions.claim_next(user=request.user, project=project_for(request, project))
    if claim is None:
        return Status(204, None)
    return Status(200, _item_out(claim.item, request.user, claim=claim))


def _my_claim(request: HttpRequest, project: str, item_id: int) -> Claim:
    """The caller's claim on the item (with the item, its output and project); 404 unless the item is theirs."""
    claim = (Claim.objects.select_related("item__output", "item__project")
             .filter(item__project=project_for(request, project), item_id=item_id, reviewer=request.user).first())
    if claim is None:
        raise Http404("no such item among yours")
    return claim


@router.get("/projects/{project}/review/items/{item_id}", response={200: ItemOut, **errors(400)},
            operation_id="readItem", summary="Read an item you claimed or labelled")
def read_item(request: HttpRequest, project: str, item_id: ItemId):
    claim = _my_claim(request, project, item_id)
    active = claim if claim.status == Claim.Status.ACTIVE else None
    return Status(200, _item_out(claim.item, request.user, claim=active))


@router.post("/projects/{project}/review/items/{item_id}/label",
             response={200: LabelOut, 201: LabelOut, **errors(400, 409, 422)},
             operation_id="submitLabel", summary="Submit (or revise) your label for an item")
def submit_label(request: HttpRequest, project: str, item_id: ItemId, body: LabelIn):
    """201 for a new label; 200 when it was already stored (a resend) or revised. Answers that do not
    fit the rubric get 422 with the question named."""
    claim = _my_claim(request, project, item_id)
    try:
        label, created = actions.save_label(item=claim.item, user=request.user, data=body.answers,
                                            time_on_task_ms=body.time_on_task_ms)
    except RubricError as exc:
        return Status(422, {"detail": str(exc)})
    except actions.ReviewError as exc:
        return Status(409, {"detail": str(exc)})
    return Status(201 if created else 200, _label_out(label, revisions=1 if created else None))
