"""The site's 403, 404 and 500 pages (urls.py's handler403/404/500).

A refusal says why in words (the exception's message, naming the project when the user may
know it) and offers a way back. Wiring, not a stage: it reads the project the URL names through
projects.access, the one place that decides who may see it, so a 404 never reveals a project
to someone outside it. /api/ keeps JSON: the API's own handlers answer its views' errors, and
a path no API route matches gets the same {"detail": ...} shape here.
"""
from __future__ import annotations

import re

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from reviewapp.projects.access import project_for
from reviewapp.projects.models import Membership, Project

# projects.access.lead_project_for's refusal, which does not know the project's name.
_LEADS_OF_THE_PROJECT = re.compile(r"^only the project's (?P<who>.+?) may (?P<what>.+)$")


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    project = _visible_project(request)
    reason = _sentence(_with_project_name(_message(exception), project)) or "You may not do this here."
    return _page(request, "403.html", 403, reason, project)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _message(exception) or "not found"}, status=404)
    project = _visible_project(request)
    reason = _sentence(_message(exception)) or f"There is no page at {request.path}."
    return _page(request, "404.html", 404, reason, project)


def server_error(request: HttpRequest) -> HttpResponse:
    """Plain: no context processors, no user, no database (which may be what failed)."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "internal error; it has been logged"}, status=500)
    return HttpResponse(render_to_string("500.html"), status=500)


def _message(exception: Exception) -> str:
    """The exception's own words; a URL that matched no route (Resolver404 carries the patterns it
    tried, never to be shown) or a bare exception has none."""
    args = exception.args
    return args[0].strip() if len(args) == 1 and isinstance(args[0], str) else ""


def _with_project_name(message: str, project: Project | None) -> str:
    match = _LEADS_OF_THE_PROJECT.match(message)
    if project is None or match is None:
        return message
    return f"only the {match['who']} of {project.name} may {match['what']}"


def _sentence(message: str) -> str:
    if not message:
        return ""
    message = message[0].upper() + message[1:]
    return message if message.endswith((".", "!", "?")) else message + "."


def _visible_project(request: HttpRequest) -> Project | None:
    """The project the URL names, if the user is one of its members (else None: its existence is
    not their business)."""
    match = request.resolver_match
    slug = match.kwargs.get("slug") if match is not None else None
    if not isinstance(slug, str):
        return None
    try:
        return project_for(request, slug)
    except Http404:
        return None


def _page(request: HttpRequest, template: str, status: int, reason: str, project: Project | None) -> HttpResponse:
    back = request.headers.get("referer", "")
    if back == request.build_absolute_uri() or not url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = ""
    context = {
        "reason": reason,
        "project": project,
        "project_url": reverse("reviewapp:project-detail", args=[project.slug]) if project else "",
        "role": Membership.Role(role).label if project and (role := project.role_of(request.user)) else "",
        "back": back,
    }
    return HttpResponse(render_to_string(template, context, request), status=status)
