"""Projects (one AI workflow under audit), who may work on them, and their API tokens."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Self

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from sampling import draw_key

TOKEN_PREFIX = "spc_"


class ProjectQuerySet(models.QuerySet):
    def for_user(self, user) -> ProjectQuerySet:
        """Projects a user may open: superusers see all, everyone else only their memberships."""
        if user.is_superuser:
            return self.all()
        return self.filter(memberships__user=user).distinct()


def new_sampling_secret() -> str:
    return secrets.token_hex(32)


def new_sampling_seed() -> int:
    return secrets.randbelow(10**9)


# A week is drawn after its grace period (at most a week); four weeks leave room for a late draw.
MIN_RETENTION_WEEKS = 4


class Project(models.Model):
    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    sampling_secret = models.CharField(
        max_length=64, default=new_sampling_secret, editable=False,
        help_text="Keys the hash that orders outputs for sampling, so producers cannot predict the audit",
    )
    sampling_seed = models.BigIntegerField(
        default=new_sampling_seed, editable=False,
        help_text="Seeds every weekly draw; fixed, so nobody can re-roll a week for a nicer sample",
    )
    min_seconds_on_task = models.PositiveSmallIntegerField(
        default=3, verbose_name="Minimum seconds on task",
        help_text="Labels submitted faster than this are flagged to the QA leads as possibly unread (not refused)",
    )
    retention_weeks = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(MIN_RETENTION_WEEKS), MaxValueValidator(520)],
        verbose_name="Keep outputs for (weeks)",
        help_text="Whole UTC weeks of outputs kept before the current one; older weeks are retired. Drawn "
                  "outputs, their labels and exports stay. Empty: keep everything",
    )
    retired_before = models.DateTimeField(
        null=True, blank=True, editable=False,
        help_text="Set by retention: outputs that occurred before this were retired (drawn ones stay as frozen copies)",
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def sample_key(self, external_id: str) -> int:
        """The output's rank in every draw of this project (sampling.draw_key)."""
        return draw_key(external_id, seed=self.sampling_seed, secret=self.sampling_secret)

    def role_of(self, user) -> str | None:
        """The user's role here, or None. Superusers act as admins of every project."""
        if not user.is_authenticated:
            return None
        if user.is_superuser:
            return Membership.Role.ADMIN
        # Asked several times per page (the view, its panels): read once per project instance, which
        # lives as long as the request. project_for fills it in the query that finds the project.
        roles = self.__dict__.setdefault("_roles", {})
        if user.pk not in roles:
            roles[user.pk] = self.memberships.filter(user=user).values_list("role", flat=True).first()
        return roles[user.pk]

    def know_role(self, user, role: str | None) -> None:
        """Record the user's role read along with the project, so role_of needs no query."""
        self.__dict__.setdefault("_roles", {})[user.pk] = role


class Membership(models.Model):
    class Role(models.TextChoices):
        REVIEWER = "reviewer", "Reviewer"
        QA_LEAD = "qa_lead", "QA lead"
        ADMIN = "admin", "Admin"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.REVIEWER)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "project"], name="one_membership_per_user_project")]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()} of {self.project}"


def hash_token(plaintext: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is enough: there is nothing to brute-force,
    # and every API request must look one up.
    return hashlib.sha256(plaintext.encode()).hexdigest()


class TokenQuerySet(models.QuerySet):
    def active(self) -> TokenQuerySet:
        return self.filter(revoked_at__isnull=True)


class HashedToken(models.Model):
    """A bearer secret of which only the SHA-256 is stored. Subclasses say whom it speaks for."""

    PREFIX = "spc_"
    OWNER = ""  # the relation a request needs with the token, fetched in the same query

    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=16, help_text="First characters, to recognise a token without storing it")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = TokenQuerySet.as_manager()

    class Meta:
        abstract = True

    @classmethod
    def issue(cls, **fields) -> tuple[Self, str]:
        """Create a token and return it with its plaintext, which is shown once and never stored."""
        plaintext = cls.PREFIX + secrets.token_urlsafe(32)
        token = cls(prefix=plaintext[:12], token_hash=hash_token(plaintext), **fields)
        token.save(force_insert=True)
        return token, plaintext

    @classmethod
    def authenticate(cls, plaintext: str):
        if not plaintext.startswith(cls.PREFIX):
            return None
        tokens = cls.objects.active().filter(token_hash=hash_token(plaintext))
        token = (tokens.select_related(cls.OWNER) if cls.OWNER else tokens).first()
        if token is not None:
            token.touch()
        return token

    def touch(self) -> None:
        """Record use at most once a minute: a busy client should not write on every request."""
        now = timezone.now()
        if self.last_used_at is None or now - self.last_used_at > timedelta(minutes=1):
            type(self).objects.filter(pk=self.pk).update(last_used_at=now)
            self.last_used_at = now

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])


class ApiToken(HashedToken):
    """A project-scoped secret for the ingest API."""

    PREFIX = TOKEN_PREFIX

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="api_tokens")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.project.slug})"


class UserToken(HashedToken):
    """A person's secret for the review API: it acts as that user, within their memberships."""

    PREFIX = "spu_"
    OWNER = "user"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"


class Invitation(models.Model):
    """A one-time link that makes whoever opens it (logged in, or signing up there) a member with the
    given role. Only the SHA-256 of its secret is stored, like API tokens; it lapses after a week."""

    TTL = timedelta(days=7)

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=16, choices=Membership.Role.choices, default=Membership.Role.REVIEWER)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} as {self.get_role_display()} of {self.project}"

    @property
    def pending(self) -> bool:
        return self.accepted_at is None and self.withdrawn_at is None and self.expires_at > timezone.now()


class ActivityQuerySet(models.QuerySet):
    def for_project(self, project: Project) -> ActivityQuerySet:
        return self.filter(project=project).select_related("actor").order_by("-at", "-pk")


class Activity(models.Model):
    """One change to who may do what in a project, or to how it is reached: kept for good, shown on
    the project's activity page. `summary` is the sentence people read, written when it happened
    (names change later; the record should not)."""

    class Verb(models.TextChoices):
        PROJECT_CREATED = "project_created", "Project created"
        MEMBER_ADDED = "member_added", "Member added"
        MEMBER_INVITED = "member_invited", "Member invited"
        INVITATION_ACCEPTED = "invitation_accepted", "Invitation accepted"
        INVITATION_WITHDRAWN = "invitation_withdrawn", "Invitation withdrawn"
        ROLE_CHANGED = "role_changed", "Role changed"
        MEMBER_REMOVED = "member_removed", "Member removed"
        TOKEN_CREATED = "token_created", "API token created"
        TOKEN_ROTATED = "token_rotated", "API token rotated"
        TOKEN_REVOKED = "token_revoked", "API token revoked"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="activity")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    verb = models.CharField(max_length=32, choices=Verb.choices)
    summary = models.CharField(max_length=300)
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now)

    objects = ActivityQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["project", "-at"], name="activity_by_project")]
        verbose_name_plural = "activity"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.summary}"
