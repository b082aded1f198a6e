"""Comments on items and flags for the lead.

Blind review holds here too: a reviewer never reads another reviewer's comment before submitting a
label of their own on the item, or it would tell them the other's answer. `comments_visible_to` is
the one place that rule lives; the pages and the include ask it.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.db.models import BooleanField, Count, Min, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from reviewapp.audits.models import AuditItem
from reviewapp.projects.access import is_lead
from reviewapp.projects.models import Project

from .models import Comment, ItemFlag, Label

MAX_COMMENT = 5000
MAX_FLAG_TEXT = 2000


class DiscussionError(ValueError):
    """A comment or flag that cannot be taken; the message says why, for the reviewer."""


def sees_others(user, item: AuditItem, *, lead: bool | None = None) -> bool:
    """Whether the user may read what others wrote on the item: leads always, reviewers once they
    have submitted their own label. `lead`: whether the user leads the project, if known."""
    if lead is None:
        lead = is_lead(item.project, user)
    return lead or Label.objects.filter(item=item, reviewer=user).exists()


def comments_visible_to(user, item: AuditItem, *, blind: bool | None = None) -> list[Comment]:
    """The item's comments this user may read, oldest first: all of them, or before their own label
    only their own. `blind`: `not sees_others(user, item)`, if known."""
    comments = Comment.objects.filter(item=item).select_related("author")
    if blind is None:
        blind = not sees_others(user, item)
    if blind:
        comments = comments.filter(author=user)
    return list(comments)


@dataclass(frozen=True)
class Discussion:
    """What one user may see of an item's discussion, read in a few queries for the item page."""

    lead: bool
    blind: bool  # the user may read only their own comments
    comments: list[Comment]
    my_flags: list[ItemFlag]


def with_presence(items: QuerySet[AuditItem], user) -> QuerySet[AuditItem]:
    """The items, each knowing whether it has comments and open flags of the user's: the item page
    reads them with its item, so an item nobody discussed (most) costs no further query."""
    # Plain SQL: the same EXISTS built with OuterRef cost the page more to compile than to run.
    item_id = f"{AuditItem._meta.db_table}.id"
    return items.annotate(
        has_comments=RawSQL(f"EXISTS (SELECT 1 FROM {Comment._meta.db_table} WHERE item_id = {item_id})", (),
                            output_field=BooleanField()),
        has_my_flags=RawSQL(f"EXISTS (SELECT 1 FROM {ItemFlag._meta.db_table} WHERE item_id = {item_id}"
                            " AND raised_by_id = %s AND resolved_at IS NULL)", (user.pk,), output_field=BooleanField()))


def discussion_for(user, item: AuditItem, project: Project, *, labelled: bool | None = None) -> Discussion:
    """The item's discussion as this user may see it (`project`: the item's, already at hand;
    `labelled`: whether the user has labelled the item, if known; an item read `with_presence`
    skips the queries it knows would find nothing)."""
    lead = is_lead(project, user)
    blind = not (lead or labelled) if labelled is not None else not sees_others(user, item, lead=lead)
    comments = comments_visible_to(user, item, blind=blind) if getattr(item, "has_comments", True) else []
    return Discussion(lead=lead, blind=blind, comments=comments,
                      my_flags=flags_raised_by(user, item) if getattr(item, "has_my_flags", True) else [])


def add_comment(*, item: AuditItem, user, text: str) -> Comment:
    text = (text or "").strip()
    if not text:
        raise DiscussionError("A comment needs some text.")
    if len(text) > MAX_COMMENT:
        raise DiscussionError(f"A comment may be at most {MAX_COMMENT} characters.")
    return Comment.objects.create(item=item, author=user, text=text)


def flag_item(*, item: AuditItem, user, reason: str, text: str = "") -> ItemFlag:
    """Ask the lead about an item. A reviewer's open flag on the item is updated rather than doubled,
    so the lead's list has one line per question asked."""
    if reason not in ItemFlag.Reason.values:
        raise DiscussionError("Choose why you flag the item: " + ", ".join(ItemFlag.Reason.labels) + ".")
    text = (text or "").strip()
    if len(text) > MAX_FLAG_TEXT:
        raise DiscussionError(f"A flag's note may be at most {MAX_FLAG_TEXT} characters.")
    flag, _ = ItemFlag.objects.unresolved().update_or_create(item=item, raised_by=user,
                                                              defaults={"reason": reason, "text": text})
    return flag


def flags_raised_by(user, item: AuditItem) -> list[ItemFlag]:
    """The user's own open flags on the item (a reviewer sees only theirs)."""
    return list(ItemFlag.objects.unresolved().filter(item=item, raised_by=user))


def resolve_flags(*, item: AuditItem, user) -> int:
    """Close the item's open flags (a lead's answer: the reasons stay on record); how many were open."""
    return ItemFlag.objects.unresolved().filter(item=item).update(resolved_by=user, resolved_at=timezone.now())


@dataclass(frozen=True)
class FlaggedItem:
    """An item waiting for a lead: its open flags, oldest first, and how many comments it has."""

    item: AuditItem
    flags: list[ItemFlag]
    comments: int


def open_flags(project: Project) -> list[FlaggedItem]:
    """The project's items with unresolved flags, the longest waiting first."""
    unresolved = Q(flags__resolved_at__isnull=True)
    items = list(AuditItem.objects.filter(project=project, pk__in=ItemFlag.objects.unresolved().values("item"))
                 .annotate(first_flagged=Min("flags__created_at", filter=unresolved),
                           comment_count=Count("comments", distinct=True))
                 .select_related("output", "run").order_by("first_flagged", "pk"))
    by_item: dict[int, list[ItemFlag]] = {}
    for flag in ItemFlag.objects.unresolved().filter(item__in=items).select_related("raised_by").order_by("created_at", "pk"):
        by_item.setdefault(flag.item_id, []).append(flag)
    return [FlaggedItem(item=item, flags=by_item.get(item.pk, []), comments=item.comment_count) for item in items]

