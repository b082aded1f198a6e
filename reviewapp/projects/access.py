"""Who may see and do what in a project: the one place views and API handlers ask.

A denial is an exception (Http404, PermissionDenied): Django turns it into the error page, the
API's exception handlers into a JSON `detail` with the same status."""
from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import Http404, HttpRequest

from .models import Membership, Project

LEADS = (Membership.Role.QA_LEAD, Membership.Role.ADMIN)


def is_lead(project: Project, user) -> bool:
    """QA leads and admins of the project (superusers act as admins everywhere)."""
    return project.role_of(user) in LEADS


def project_for(request: HttpRequest, slug: str) -> Project:
    """The project if the user is a member; 404 otherwise: its existence is not their business."""
    user = request.user
    if not user.is_authenticated:  # the login middleware sends everyone else to log in first
        raise Http404(f"no project {slug!r}")
    if user.is_superuser:
        project = Project.objects.filter(slug=slug).first()
    else:  # the membership's role read along (one membership per user and project), so role checks need no query
        project = Project.objects.filter(slug=slug, memberships__user=user).annotate(viewer_role=F("memberships__role")).first()
        if project is not None:
            project.know_role(user, project.viewer_role)
    if project is None:
        raise Http404(f"no project {slug!r}")
    return project


def lead_project_for(request: HttpRequest, slug: str, *, doing: str = "do this") -> Project:
    """The project if the user leads it (QA lead or admin); 403 for its reviewers, 404 for outsiders.
    `doing` finishes the refusal: "only the project's QA leads and admins may <doing>"."""
    project = project_for(request, slug)
    if not is_lead(project, request.user):
        raise PermissionDenied(f"only the project's QA leads and admins may {doing}")
    return project
