"""Who may see and do what in a project: the one place views ask."""
from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from .models import Membership, Project

LEADS = (Membership.Role.QA_LEAD, Membership.Role.ADMIN)


def project_for(request: HttpRequest, slug: str) -> Project:
    """The project if the user is a member; 404 otherwise: its existence is not their business."""
    return get_object_or_404(Project.objects.for_user(request.user), slug=slug)


def lead_project_for(request: HttpRequest, slug: str) -> Project:
    """The project if the user leads it (QA lead or admin); 403 for its reviewers, 404 for outsiders."""
    project = project_for(request, slug)
    if project.role_of(request.user) not in LEADS:
        raise PermissionDenied("only the project's QA leads and admins may do this")
    return project
