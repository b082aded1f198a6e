"""Which audit items a user may open: the one rule the item page, its history, its discussion and
the review API share.

Leads open every item of their project. A reviewer opens only the items they claimed or labelled;
for any other item the answer is 404, as if it did not exist: what sits in someone else's queue is
not theirs to know, and a blind second review must not be found by guessing ids.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404

from reviewapp.audits.models import AuditItem
from reviewapp.projects.access import is_lead
from reviewapp.projects.models import Project

from .models import Claim, Label


@dataclass(frozen=True)
class OpenedItem:
    """An item a user may open, with what the pages ask next: their claim on it (any status) and
    their own label, if any, and whether they lead the project."""

    project: Project
    item: AuditItem
    claim: Claim | None
    label: Label | None
    lead: bool


def open_item(project: Project, user, item_id: int, *, items: QuerySet[AuditItem] | None = None) -> OpenedItem:
    """The item, if the user may open it; Http404 otherwise. `items`: the queryset to read it from
    (the item page adds its related rows and annotations)."""
    items = AuditItem.objects.all() if items is None else items
    item = items.filter(project=project, pk=item_id).first()
    if item is None:
        raise Http404("no such item")
    claim = Claim.objects.filter(item=item, reviewer=user).first()
    label = Label.objects.filter(item=item, reviewer=user).select_related("schema").first()
    lead = is_lead(project, user)
    if claim is None and label is None and not lead:
        raise Http404("not your item")
    return OpenedItem(project=project, item=item, claim=claim, label=label, lead=lead)
