"""The item page's discussion and guidelines panels, as includes with their own context, so the
item page needs one line for each: `{% load discussion %}{% item_discussion item request.user %}`
and `{% item_guidelines schema %}`."""
from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString

from reviewapp.audits.models import AuditItem
from reviewapp.projects.models import Project

from .. import discussion
from ..guidance import guidance_for, markdown_html
from ..models import ItemFlag, LabelSchema

register = template.Library()
UNKNOWN = object()


@register.filter
def markdown(text: str | None) -> SafeString:
    """Lead-written markdown as sanitised HTML (raw HTML shown as text, unsafe links dropped)."""
    return markdown_html(text)


@register.inclusion_tag("review/_comments.html", takes_context=True)
def item_discussion(context: template.Context, item: AuditItem, user, own_label: Any = UNKNOWN) -> dict[str, Any]:
    """`own_label`: the user's label on the item, or None for none, when the page has read it already."""
    page_project = context.get("project")
    project = page_project if isinstance(page_project, Project) and page_project.pk == item.project_id else item.project
    seen = discussion.discussion_for(user, item, project, labelled=None if own_label is UNKNOWN else bool(own_label))
    return {
        "project": project, "item": item, "viewer": user, "comments": seen.comments, "blind": seen.blind,
        "my_flags": seen.my_flags, "reasons": ItemFlag.Reason.choices, "can_lead": seen.lead,
        "csrf_token": context.get("csrf_token"),
    }


@register.simple_tag
def item_guidelines(schema: LabelSchema) -> SafeString:
    """The guidelines panel of the rubric version, rendered once per process (guidance.guidance_for)."""
    return guidance_for(schema).panel
