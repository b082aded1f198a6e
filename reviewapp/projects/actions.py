"""Projects and the people in them: creating a project, its API tokens, members and invitations.

Every change here is recorded in the project's activity (who, when, what) in the same transaction,
so the record and the change cannot disagree. Who may do what:
- leads (QA leads and admins, superusers everywhere) manage tokens, members and invitations;
- only admins grant the admin role or change an admin's membership: a QA lead cannot make
  themselves or anyone else an admin;
- a project keeps at least one admin.
Refusals raise PermissionDenied (not allowed) or PeopleError (not possible), with the reason in words.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from .access import LEADS
from .models import Activity, ApiToken, Invitation, Membership, Project, hash_token
from .signals import project_started

Role = Membership.Role
INVITE_PREFIX = "spi_"


class PeopleError(ValueError):
    """A change that cannot be made as asked; the message says why, for the person who asked."""


def record(project: Project, actor, verb: str, summary: str, **data) -> Activity:
    return Activity.objects.create(project=project, actor=actor if getattr(actor, "pk", None) else None, verb=verb,
                                   summary=summary[:300], data=data)


def _name(user) -> str:
    return user.get_username() if user is not None and getattr(user, "pk", None) else "the command line"


def can_start_projects(user) -> bool:
    """Leads and admins of any project, and superusers, may start a new one (and become its admin)."""
    return bool(user.is_authenticated and (user.is_superuser or Membership.objects.filter(user=user, role__in=LEADS).exists()))


@dataclass(frozen=True)
class Started:
    project: Project
    token: ApiToken
    plaintext: str  # the ingest token, shown once and never stored


def start_project(*, name: str, slug: str = "", time_zone: str = "UTC", description: str = "", by=None) -> Started:
    """A new project with its first API token, the starter as admin (when a person starts it), the
    shipped rubric (review answers project creation) and a first sampling plan in `time_zone`
    (audits answers `project_started`)."""
    name = (name or "").strip()
    if not name:
        raise PeopleError("A project needs a name.")
    slug = (slug or "").strip() or slugify(name)[:64]
    if not slug or slug != slugify(slug):
        raise PeopleError("The short name (slug) may hold only lower-case letters, digits and hyphens, e.g. support-bot.")
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise PeopleError(f"“{time_zone}” is not a time zone Spotcheck knows; use a name such as Europe/Paris or UTC.") from None
    if Project.objects.filter(slug=slug).exists():
        raise PeopleError(f"A project with the short name “{slug}” already exists; choose another.")
    try:
        with transaction.atomic():
            project = Project.objects.create(name=name[:200], slug=slug, description=description)
            if getattr(by, "pk", None):
                Membership.objects.create(project=project, user=by, role=Role.ADMIN)
            token, plaintext = ApiToken.issue(project=project, name="created with the project",
                                              created_by=by if getattr(by, "pk", None) else None)
            record(project, by, Activity.Verb.PROJECT_CREATED,
                   f"{_name(by)} created the project “{name}” (time zone {time_zone}) with an API token {token.prefix}…",
                   time_zone=time_zone, token=token.prefix)
            project_started.send(sender=Project, project=project, time_zone=time_zone, by=by)
    except IntegrityError:  # someone took the slug in the same moment
        raise PeopleError(f"A project with the short name “{slug}” already exists; choose another.") from None
    return Started(project=project, token=token, plaintext=plaintext)


def _must_lead(project: Project, by) -> None:
    if project.role_of(by) not in LEADS:
        raise PermissionDenied(f"only the QA leads and admins of {project.name} may manage its people and tokens")


def _must_admin(project: Project, by, doing: str) -> None:
    if project.role_of(by) != Role.ADMIN:
        raise PermissionDenied(f"only the admins of {project.name} may {doing}")


# --- API tokens ------------------------------------------------------------------------------

def issue_token(*, project: Project, name: str, by) -> tuple[ApiToken, str]:
    _must_lead(project, by)
    with transaction.atomic():
        token, plaintext = ApiToken.issue(project=project, name=(name or "").strip()[:100], created_by=by)
        record(project, by, Activity.Verb.TOKEN_CREATED, f"{_name(by)} created the API token {token.prefix}…"
               + (f" “{token.name}”" if token.name else ""), token=token.prefix)
    return token, plaintext


def revoke_token(*, token: ApiToken, by) -> None:
    _must_lead(token.project, by)
    if token.revoked_at is not None:
        raise PeopleError(f"The token {token.prefix}… is revoked already.")
    with transaction.atomic():
        token.revoke()
        record(token.project, by, Activity.Verb.TOKEN_REVOKED, f"{_name(by)} revoked the API token {token.prefix}…",
               token=token.prefix)


def rotate_token(*, token: ApiToken, by) -> tuple[ApiToken, str]:
    """A new token in the old one's place (same name); the old one stops working at once."""
    _must_lead(token.project, by)
    if token.revoked_at is not None:
        raise PeopleError(f"The token {token.prefix}… is revoked; create a new one instead.")
    with transaction.atomic():
        token.revoke()
        new, plaintext = ApiToken.issue(project=token.project, name=token.name, created_by=by)
        record(token.project, by, Activity.Verb.TOKEN_ROTATED,
               f"{_name(by)} rotated the API token {token.prefix}… (its successor is {new.prefix}…)",
               old=token.prefix, new=new.prefix)
    return new, plaintext


# --- Members ---------------------------------------------------------------------------------

def _role(value: str) -> str:
    if value not in Role.values:
        raise PeopleError("Choose a role: " + ", ".join(str(label) for label in Role.labels) + ".")
    return value


def _admins(project: Project) -> int:
    return Membership.objects.filter(project=project, role=Role.ADMIN).count()


def add_member(*, project: Project, user, role: str, by) -> Membership:
    _must_lead(project, by)
    role = _role(role)
    if role == Role.ADMIN:
        _must_admin(project, by, "grant the admin role")
    if Membership.objects.filter(project=project, user=user).exists():
        raise PeopleError(f"{user.get_username()} is a member of {project.name} already; change their role instead.")
    with transaction.atomic():
        membership = Membership.objects.create(project=project, user=user, role=role)
        record(project, by, Activity.Verb.MEMBER_ADDED,
               f"{_name(by)} added {user.get_username()} as {Role(role).label}", user=user.get_username(), role=role)
    return membership


def change_role(*, membership: Membership, role: str, by) -> Membership:
    project = membership.project
    _must_lead(project, by)
    role = _role(role)
    if role == membership.role:
        return membership
    if Role.ADMIN in (role, membership.role):
        _must_admin(project, by, "grant or take away the admin role")
    with transaction.atomic():
        if membership.role == Role.ADMIN and _admins(project) <= 1:
            raise PeopleError(f"{membership.user.get_username()} is the only admin of {project.name}: make someone else "
                              "admin first.")
        old = membership.role
        membership.role = role
        membership.save(update_fields=["role"])
        record(project, by, Activity.Verb.ROLE_CHANGED,
               f"{_name(by)} changed {membership.user.get_username()}'s role from {Role(old).label} to {Role(role).label}",
               user=membership.user.get_username(), old=old, new=role)
    return membership


def remove_member(*, membership: Membership, by) -> None:
    """The person loses access at once; their labels stay (they are the project's record)."""
    project = membership.project
    _must_lead(project, by)
    if membership.role == Role.ADMIN:
        _must_admin(project, by, "remove an admin")
    with transaction.atomic():
        if membership.role == Role.ADMIN and _admins(project) <= 1:
            raise PeopleError(f"{membership.user.get_username()} is the only admin of {project.name}: make someone else "
                              "admin first.")
        username, role = membership.user.get_username(), membership.role
        membership.delete()
        record(project, by, Activity.Verb.MEMBER_REMOVED, f"{_name(by)} removed {username} ({Role(role).label})",
               user=username, role=role)


# --- Invitations -----------------------------------------------------------------------------

def invite(*, project: Project, email: str, role: str, by, link_for) -> Invitation:
    """E-mail a one-time link (`link_for(secret)` makes its absolute URL). An existing user with that
    address is invited too (the link adds the membership to whoever opens it, logged in)."""
    _must_lead(project, by)
    role = _role(role)
    if role == Role.ADMIN:
        _must_admin(project, by, "invite an admin")
    email = (email or "").strip()
    if "@" not in email:
        raise PeopleError("Give the e-mail address to send the invitation to.")
    if Membership.objects.filter(project=project, user__email__iexact=email).exists():
        raise PeopleError(f"Someone with the address {email} is a member of {project.name} already.")
    secret = INVITE_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        invitation = Invitation.objects.create(project=project, email=email, role=role, token_hash=hash_token(secret),
                                               invited_by=by, expires_at=timezone.now() + Invitation.TTL)
        record(project, by, Activity.Verb.MEMBER_INVITED, f"{_name(by)} invited {email} as {Role(role).label}",
               email=email, role=role)
        link = link_for(secret)
        # Sent inside the transaction: if the mail backend fails, no invitation is left that nobody received.
        send_mail(
            subject=f"You are invited to review in {project.name} on Spotcheck",
            message=(f"{_name(by)} invited you to {project.name} on Spotcheck as {Role(role).label}.\n\n"
                     f"Open this link to accept (it works once, until {invitation.expires_at:%Y-%m-%d %H:%M} UTC):\n{link}\n"),
            from_email=settings.DEFAULT_FROM_EMAIL, recipient_list=[email],
        )
    return invitation


def invitation_for(secret: str) -> Invitation | None:
    """The pending invitation a link carries, or None (unknown, used, withdrawn or lapsed)."""
    if not secret.startswith(INVITE_PREFIX):
        return None
    invitation = Invitation.objects.select_related("project").filter(token_hash=hash_token(secret)).first()
    return invitation if invitation is not None and invitation.pending else None


def accept(*, secret: str, user) -> Membership:
    """The link's one use: `user` joins with the invited role (a member already keeps the higher of the two)."""
    with transaction.atomic():
        invitation = invitation_for(secret)
        if invitation is None:
            raise PeopleError("This invitation link is not valid any more: it was used, withdrawn, or it lapsed. "
                              "Ask the project's lead for a new one.")
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.accepted_at is not None:
            raise PeopleError("This invitation link was used already.")
        project = invitation.project
        membership, created = Membership.objects.get_or_create(project=project, user=user, defaults={"role": invitation.role})
        rank = {Role.REVIEWER: 0, Role.QA_LEAD: 1, Role.ADMIN: 2}
        if not created and rank[Role(invitation.role)] > rank[Role(membership.role)]:
            membership.role = invitation.role
            membership.save(update_fields=["role"])
        invitation.accepted_at, invitation.accepted_by = timezone.now(), user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        record(project, user, Activity.Verb.INVITATION_ACCEPTED,
               f"{user.get_username()} accepted the invitation sent to {invitation.email} and joined as "
               f"{Role(membership.role).label}", email=invitation.email, role=membership.role)
    return membership


def withdraw(*, invitation: Invitation, by) -> None:
    _must_lead(invitation.project, by)
    if not invitation.pending:
        raise PeopleError("That invitation is not pending any more.")
    with transaction.atomic():
        invitation.withdrawn_at = timezone.now()
        invitation.save(update_fields=["withdrawn_at"])
        record(invitation.project, by, Activity.Verb.INVITATION_WITHDRAWN,
               f"{_name(by)} withdrew the invitation sent to {invitation.email}", email=invitation.email)


def sign_up(*, username: str, password: str, email: str):
    """A new account for someone who opened an invitation; the password is checked by Django's validators."""
    from django.contrib.auth.password_validation import validate_password

    User = get_user_model()
    username = (username or "").strip()
    if not username:
        raise PeopleError("Choose a user name.")
    if User.objects.filter(username__iexact=username).exists():
        raise PeopleError(f"The user name {username} is taken; choose another, or log in if it is yours.")
    user = User(username=username, email=email)
    validate_password(password, user)  # raises ValidationError with the reasons in words
    user.set_password(password)
    user.save()
    return user
