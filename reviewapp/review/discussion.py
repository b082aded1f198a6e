"""Comments on items and flags for the lead.

Blind review holds here too: a reviewer never reads another reviewer's comment before submitting a
label of their own on the item, or it would tell them the other's answer. `comments_visible_to` is
the one place that rule lives; the pages and the include ask it.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Min, Q
from django.utils import timezone

from reviewapp.audits.models import AuditItem
from reviewapp.projects.access import is_lead
from reviewapp.projects.models import Project

from .models import Claim, Comment, ItemFlag, Label

MAX_COMMENT = 5000
MAX_FLAG_TEXT = 2000


class DiscussionError(ValueError):
    """A comment or flag that cannot be taken; the message says why, for the reviewer."""


def may_discuss(user, item: AuditItem) -> bool:
    """Leads, and the reviewers who claimed or labelled the item (as for the item page itself)."""
    return (is_lead(item.project, user) or Claim.objects.filter(item=item, reviewer=user).exists()
            or Label.objects.filter(item=item, reviewer=user).exists())


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


def discussion_for(user, item: AuditItem, project: Project) -> Discussion:
    """The item's discussion as this user may see it (`project`: the item's, already at hand)."""
    lead = is_lead(project, user)
    blind = not sees_others(user, item, lead=lead)
    return Discussion(lead=lead, blind=blind, comments=comments_visible_to(user, item, blind=blind),
                      my_flags=flags_raised_by(user, item))


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


def open_flags(project: Project) -> list[AuditItem]:
    """The project's items with unresolved flags, the longest waiting first; each item carries its open
    flags (`open_flags`) and its comment count (`comment_count`)."""
    unresolved = Q(flags__resolved_at__isnull=True)
    items = list(AuditItem.objects.filter(project=project, pk__in=ItemFlag.objects.unresolved().values("item"))
                 .annotate(first_flagged=Min("flags__created_at", filter=unresolved),
                           comment_count=Count("comments", distinct=True))
                 .select_related("output", "run").order_by("first_flagged", "pk"))
    flags = ItemFlag.objects.unresolved().filter(item__in=items).select_related("raised_by")
    by_item: dict[int, list[ItemFlag]] = {}
    for flag in flags:
        by_item.setdefault(flag.item_id, []).append(flag)
    for item in items:
        item.open_flags = by_item.get(item.pk, [])
    return items

