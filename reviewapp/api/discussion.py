"""Comments and flags on review items, for scripts and other front ends: the same rules as the item
page's discussion panel (review/discussion.py). A reviewer reads other people's comments only after
submitting a label of their own on the item; items they never claimed are 404, as on the page."""
from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from reviewapp.audits.models import AuditItem
from reviewapp.projects.access import lead_project_for, project_for
from reviewapp.review import discussion
from reviewapp.review.access import open_item
from reviewapp.review.models import Comment, ItemFlag

from .auth import PERSON
from .openapi import errors
from .schemas import IsoDate, IsoDateTime, ItemId

router = Router(tags=["discussion"], auth=PERSON)


class CommentIn(Schema):
    text: str = Field(description=f"At most {discussion.MAX_COMMENT} characters")


class CommentOut(Schema):
    id: int
    item: int
    author: str
    text: str
    created_at: IsoDateTime


class CommentsOut(Schema):
    blind: bool = Field(description="True while you may read only your own comments (no label of yours on the item yet)")
    comments: list[CommentOut]


class FlagIn(Schema):
    reason: str = Field(description="One of: " + ", ".join(ItemFlag.Reason.values))
    text: str = Field("", description=f"An optional note, at most {discussion.MAX_FLAG_TEXT} characters")


class FlagOut(Schema):
    id: int
    item: int
    raised_by: str
    reason: str
    text: str
    created_at: IsoDateTime


class FlaggedItemOut(Schema):
    item: int
    external_id: str
    week_start: IsoDate
    stratum: str
    comments: int
    flags: list[FlagOut]


class ResolvedOut(Schema):
    resolved: int


def _comment_out(comment: Comment) -> dict:
    return {"id": comment.pk, "item": comment.item_id, "author": comment.author.get_username(), "text": comment.text,
            "created_at": comment.created_at}


def _flag_out(flag: ItemFlag) -> dict:
    return {"id": flag.pk, "item": flag.item_id, "raised_by": flag.raised_by.get_username(), "reason": flag.reason,
            "text": flag.text, "created_at": flag.created_at}


def _item(request: HttpRequest, project: str, item_id: int) -> AuditItem:
    return open_item(project_for(request, project), request.user, item_id).item


@router.get("/projects/{project}/review/items/{item_id}/comments", response={200: CommentsOut, **errors(400)},
            operation_id="readComments", summary="Read an item's comments (blind until you have labelled it)")
def read_comments(request: HttpRequest, project: str, item_id: ItemId):
    item = _item(request, project, item_id)
    blind = not discussion.sees_others(request.user, item)
    comments = discussion.comments_visible_to(request.user, item, blind=blind)
    return Status(200, {"blind": blind, "comments": [_comment_out(c) for c in comments]})


@router.post("/projects/{project}/review/items/{item_id}/comments", response={201: CommentOut, **errors(400, 422)},
             operation_id="addComment", summary="Comment on an item")
def add_comment(request: HttpRequest, project: str, item_id: ItemId, body: CommentIn):
    item = _item(request, project, item_id)
    try:
        comment = discussion.add_comment(item=item, user=request.user, text=body.text)
    except discussion.DiscussionError as exc:
        return Status(422, {"detail": str(exc)})
    return Status(201, _comment_out(comment))


@router.post("/projects/{project}/review/items/{item_id}/flags", response={201: FlagOut, **errors(400, 422)},
             operation_id="flagItem", summary="Flag an item for the project's leads (your open flag on it is updated, not doubled)")
def flag_item(request: HttpRequest, project: str, item_id: ItemId, body: FlagIn):
    item = _item(request, project, item_id)
    try:
        flag = discussion.flag_item(item=item, user=request.user, reason=body.reason, text=body.text)
    except discussion.DiscussionError as exc:
        return Status(422, {"detail": str(exc)})
    return Status(201, _flag_out(flag))


@router.get("/projects/{project}/review/flags", response={200: list[FlaggedItemOut], **errors()},
            operation_id="listFlaggedItems", summary="Items with open flags, the longest waiting first (QA leads and admins)")
def flagged_items(request: HttpRequest, project: str):
    target = lead_project_for(request, project, doing="see the flagged items")
    return Status(200, [{"item": row.item.pk, "external_id": row.item.output.external_id,
                         "week_start": row.item.week_start, "stratum": row.item.stratum,
                         "comments": row.comments, "flags": [_flag_out(f) for f in row.flags]}
                        for row in discussion.open_flags(target)])


@router.post("/projects/{project}/review/items/{item_id}/flags/resolve",
             response={200: ResolvedOut, **errors(400)}, operation_id="resolveFlags",
             summary="Resolve an item's open flags (QA leads and admins)")
def resolve_flags(request: HttpRequest, project: str, item_id: ItemId):
    target = lead_project_for(request, project, doing="resolve flags")
    item = open_item(target, request.user, item_id).item
    return Status(200, {"resolved": discussion.resolve_flags(item=item, user=request.user)})
