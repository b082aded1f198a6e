"""Comments and flags on an item (from the item page's discussion panel) and the leads' flag list."""
from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from reviewapp.audits.models import AuditItem
from reviewapp.lib.http import AuthenticatedHttpRequest
from reviewapp.projects.access import lead_project_for, project_for

from . import discussion
from .access import open_item


def _discussed_item(request: AuthenticatedHttpRequest, slug: str, item_id: int) -> AuditItem:
    """The item, if the user may open it (review/access.py); 404 otherwise, as for the item page."""
    project = project_for(request, slug)
    return open_item(project, request.user, item_id, items=AuditItem.objects.select_related("project")).item


def _back_to(item: AuditItem) -> HttpResponse:
    return redirect(reverse("reviewapp:review-item", args=[item.project.slug, item.pk]) + "#discussion")


@require_POST
def comment(request: AuthenticatedHttpRequest, slug: str, item_id: int) -> HttpResponse:
    item = _discussed_item(request, slug, item_id)
    try:
        discussion.add_comment(item=item, user=request.user, text=request.POST.get("text", ""))
    except discussion.DiscussionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Comment added.")
    return _back_to(item)


@require_POST
def flag(request: AuthenticatedHttpRequest, slug: str, item_id: int) -> HttpResponse:
    item = _discussed_item(request, slug, item_id)
    try:
        discussion.flag_item(item=item, user=request.user, reason=request.POST.get("reason", ""),
                             text=request.POST.get("text", ""))
    except discussion.DiscussionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Flagged for the project's leads.")
    return _back_to(item)


@require_GET
def flags(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    project = lead_project_for(request, slug, doing="see the flagged items")
    return render(request, "review/flags.html", {"project": project, "items": discussion.open_flags(project),
                                                 "can_lead": True})


@require_POST
def resolve(request: AuthenticatedHttpRequest, slug: str, item_id: int) -> HttpResponse:
    project = lead_project_for(request, slug, doing="resolve flags")
    item = get_object_or_404(AuditItem, project=project, pk=item_id)
    count = discussion.resolve_flags(item=item, user=request.user)
    messages.success(request, f"Resolved {count} flag(s) on item {item.pk}." if count else
                     f"Item {item.pk} had no open flag.")
    return redirect("reviewapp:review-flags", project.slug)
