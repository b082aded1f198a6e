"""Projects and people in the app: a new project, its API tokens, its members and invitations, and
its activity. Thin views over projects/actions.py, which records every change."""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from reviewapp.lib.http import AuthenticatedHttpRequest

from . import actions
from .access import lead_project_for
from .forms import AddMemberForm, InviteForm, ProjectForm, RoleForm, SignUpForm, TokenForm, time_zones
from .models import Activity, ApiToken, Invitation, Membership, Project

T = TypeVar("T")
SHOW_ONCE = "spotcheck:token-once"  # a new token's plaintext, shown on the next page and then gone


def _tell(request: HttpRequest, act: Callable[[], T], said: Callable[[T], str]) -> T | None:
    """Run one change of projects/actions.py and tell the person how it went: the refusal's reason
    (PeopleError) or `said(result)`. Returns the result, None when refused."""
    try:
        result = act()
    except actions.PeopleError as exc:
        messages.error(request, str(exc))
        return None
    messages.success(request, said(result))
    return result


def _show_once(request: HttpRequest, project: Project, token: ApiToken, plaintext: str) -> None:
    request.session[SHOW_ONCE] = {"project": project.slug, "prefix": token.prefix, "plaintext": plaintext}


@require_http_methods(["GET", "POST"])
def project_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not actions.can_start_projects(request.user):
        raise PermissionDenied("only QA leads and admins of a project may start a new one; ask an admin")
    form = ProjectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            started = actions.start_project(by=request.user, **form.cleaned_data)
        except actions.PeopleError as exc:
            form.add_error(None, str(exc))
        else:
            _show_once(request, started.project, started.token, started.plaintext)
            messages.success(request, f"Project {started.project.name} created with the shipped rubric and a first sampling "
                                      "plan. Its API token is below: copy it now, it is shown only once.")
            return redirect("reviewapp:project-tokens", started.project.slug)
    return render(request, "projects/new.html", {"form": form, "zones": time_zones()})


# --- Tokens ----------------------------------------------------------------------------------

@require_GET
def tokens(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    project = lead_project_for(request, slug, doing="see and manage its API tokens")
    once = request.session.pop(SHOW_ONCE, None)
    once = once if once and once.get("project") == project.slug else None
    return render(request, "projects/tokens.html", {
        "project": project, "can_lead": True, "tokens": project.api_tokens.select_related("created_by").order_by("-created_at"),
        "form": TokenForm(), "once": once, "api_base": request.build_absolute_uri(f"/api/v1/projects/{project.slug}/"),
    })


@require_POST
def token_new(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    project = lead_project_for(request, slug, doing="create API tokens")
    form = TokenForm(request.POST)
    if form.is_valid():
        token, plaintext = actions.issue_token(project=project, name=form.cleaned_data["name"], by=request.user)
        _show_once(request, project, token, plaintext)
    return redirect("reviewapp:project-tokens", project.slug)


def _token(request: AuthenticatedHttpRequest, slug: str, token_id: int) -> ApiToken:
    project = lead_project_for(request, slug, doing="manage its API tokens")
    token = get_object_or_404(ApiToken, project=project, pk=token_id)
    token.project = project  # the instance that knows the user's role
    return token


@require_POST
def token_rotate(request: AuthenticatedHttpRequest, slug: str, token_id: int) -> HttpResponse:
    token = _token(request, slug, token_id)
    rotated = _tell(request, lambda: actions.rotate_token(token=token, by=request.user),
                    lambda _: f"Token {token.prefix}… no longer works; its successor is below.")
    if rotated:
        _show_once(request, token.project, *rotated)
    return redirect("reviewapp:project-tokens", slug)


@require_POST
def token_revoke(request: AuthenticatedHttpRequest, slug: str, token_id: int) -> HttpResponse:
    token = _token(request, slug, token_id)
    _tell(request, lambda: actions.revoke_token(token=token, by=request.user),
          lambda _: f"Token {token.prefix}… revoked: requests with it are refused from now on.")
    return redirect("reviewapp:project-tokens", slug)


# --- People ----------------------------------------------------------------------------------

def _may_grant_admin(project: Project, user) -> bool:
    return project.role_of(user) == Membership.Role.ADMIN


@require_GET
def people(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    project = lead_project_for(request, slug, doing="manage its people")
    admin = _may_grant_admin(project, request.user)
    add, inv = AddMemberForm(), InviteForm()
    add.limit_roles(admin)
    inv.limit_roles(admin)
    members = []
    for membership in project.memberships.select_related("user").order_by("role", "user__username"):
        form = RoleForm(initial={"role": membership.role}, prefix=f"m{membership.pk}")
        form.limit_roles(admin or membership.role == Membership.Role.ADMIN)
        members.append((membership, form, admin or membership.role != Membership.Role.ADMIN))
    pending = [i for i in project.invitations.select_related("invited_by") if i.pending]
    return render(request, "projects/people.html", {"project": project, "can_lead": True, "members": members,
                                                    "add_form": add, "invite_form": inv, "pending": pending})


def _back_to_people(slug: str) -> HttpResponse:
    return redirect("reviewapp:project-people", slug)


@require_POST
def member_add(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    project = lead_project_for(request, slug, doing="manage its people")
    form = AddMemberForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give a user name or e-mail and a role.")
        return _back_to_people(slug)
    who = form.cleaned_data["who"].strip()
    user = get_user_model().objects.filter(Q(username__iexact=who) | Q(email__iexact=who)).first()
    if user is None:
        messages.error(request, f"Nobody called {who} has a Spotcheck login: invite them by e-mail instead.")
        return _back_to_people(slug)
    _tell(request, lambda: actions.add_member(project=project, user=user, role=form.cleaned_data["role"], by=request.user),
          lambda _: f"{user.get_username()} is now a member of {project.name}.")
    return _back_to_people(slug)


@require_POST
def member_invite(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    project = lead_project_for(request, slug, doing="invite people")
    form = InviteForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give a valid e-mail address and a role.")
        return _back_to_people(slug)
    _tell(request, lambda: actions.invite(
              project=project, email=form.cleaned_data["email"], role=form.cleaned_data["role"], by=request.user,
              link_for=lambda secret: request.build_absolute_uri(reverse("reviewapp:invitation", args=[secret]))),
          lambda invitation: f"Invitation e-mailed to {invitation.email}; the link works once, for 7 days.")
    return _back_to_people(slug)


def _membership(request: AuthenticatedHttpRequest, slug: str, membership_id: int) -> Membership:
    project = lead_project_for(request, slug, doing="manage its people")
    membership = get_object_or_404(Membership.objects.select_related("user"), project=project, pk=membership_id)
    membership.project = project
    return membership


@require_POST
def member_role(request: AuthenticatedHttpRequest, slug: str, membership_id: int) -> HttpResponse:
    membership = _membership(request, slug, membership_id)
    form = RoleForm(request.POST, prefix=f"m{membership.pk}")
    if not form.is_valid():
        messages.error(request, "Choose one of the roles offered.")
        return _back_to_people(slug)
    _tell(request, lambda: actions.change_role(membership=membership, role=form.cleaned_data["role"], by=request.user),
          lambda changed: f"{changed.user.get_username()} is now {changed.get_role_display()}.")
    return _back_to_people(slug)


@require_POST
def member_remove(request: AuthenticatedHttpRequest, slug: str, membership_id: int) -> HttpResponse:
    membership = _membership(request, slug, membership_id)
    _tell(request, lambda: actions.remove_member(membership=membership, by=request.user),
          lambda _: f"{membership.user.get_username()} was removed; their labels stay.")
    return _back_to_people(slug)


@require_POST
def invitation_withdraw(request: AuthenticatedHttpRequest, slug: str, invitation_id: int) -> HttpResponse:
    project = lead_project_for(request, slug, doing="manage its people")
    invitation = get_object_or_404(Invitation, project=project, pk=invitation_id)
    invitation.project = project
    _tell(request, lambda: actions.withdraw(invitation=invitation, by=request.user),
          lambda _: f"The invitation to {invitation.email} no longer works.")
    return _back_to_people(slug)


@login_not_required
@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, secret: str) -> HttpResponse:
    """The link in the e-mail. Logged in: accept it as yourself. Otherwise: create a login here, or
    log in first (the link comes back through `next`)."""
    pending = actions.invitation_for(secret)
    if pending is None:
        return render(request, "projects/invitation.html", {"invalid": True}, status=404)
    form = SignUpForm(request.POST or None) if not request.user.is_authenticated else None
    if request.method == "POST":
        user = request.user
        if form is not None:
            if not form.is_valid():
                return render(request, "projects/invitation.html", {"invitation": pending, "form": form})
            try:
                user = actions.sign_up(username=form.cleaned_data["username"], password=form.cleaned_data["password"],
                                       email=pending.email)
            except (actions.PeopleError, ValidationError) as exc:
                form.add_error(None, exc.messages if isinstance(exc, ValidationError) else str(exc))
                return render(request, "projects/invitation.html", {"invitation": pending, "form": form})
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        try:
            membership = actions.accept(secret=secret, user=user)
        except actions.PeopleError as exc:
            messages.error(request, str(exc))
            return redirect("reviewapp:project-list")
        messages.success(request, f"Welcome to {membership.project.name}: you are {membership.get_role_display()}.")
        return redirect("reviewapp:project-detail", membership.project.slug)
    return render(request, "projects/invitation.html", {"invitation": pending, "form": form})


@require_GET
def activity(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    project = lead_project_for(request, slug, doing="see its activity")
    return render(request, "projects/activity.html", {"project": project, "can_lead": True,
                                                      "events": Activity.objects.for_project(project)[:500]})
