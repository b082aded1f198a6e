"""Rubrics, claims on queue items, labels with their revisions, and gold labels."""
from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property

from reviewapp.audits.models import AuditItem, AuditRun
from reviewapp.lib.versioning import Versioned
from reviewapp.projects.models import Project

from .rubric import DEFAULT_RUBRIC, VERDICT, Rubric


class LabelSchema(Versioned):
    """A project's rubric, versioned like sampling plans: labels keep the version they answered."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="label_schemas")
    version = models.PositiveIntegerField()
    definition = models.JSONField()
    reveal_agreement = models.BooleanField(
        default=False, help_text="After submitting, a reviewer may see whether the other reviewers agreed"
    )
    guidelines = models.TextField(
        blank=True, default="", help_text="The lead's guidance for reviewers (markdown), versioned with the questions"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "version"], name="one_rubric_version")]
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"{self.project.slug} rubric v{self.version}"

    @classmethod
    def start(cls, project: Project) -> LabelSchema:
        """Version 1, the shipped default: made with the project (review's apps.ready), so that
        reading the current rubric never writes."""
        return cls.objects.get_or_create(project=project, version=1, defaults={"definition": DEFAULT_RUBRIC})[0]

    @classmethod
    def current(cls, project: Project) -> LabelSchema:
        """The latest rubric."""
        schema = cls.objects.filter(project=project).order_by("-version").first()
        if schema is None:
            raise cls.DoesNotExist(f"project {project.slug!r} has no rubric: version 1 is made with the project "
                                   "(LabelSchema.start), or by migration for projects made before")
        return schema

    @cached_property
    def rubric(self) -> Rubric:
        return Rubric.parse(self.definition, stored=True)

    @property
    def questions(self) -> list[dict]:
        """The questions as stored: the JSON that templates and the API show (parsing the rubric checks them)."""
        _ = self.rubric  # a stored definition is checked before anything shows it
        return self.definition["questions"]


class ClaimQuerySet(models.QuerySet):
    def active(self) -> ClaimQuerySet:
        """Claims still held: not submitted or skipped, and not lapsed."""
        return self.filter(status=Claim.Status.ACTIVE, expires_at__gt=timezone.now())

    def held_by(self, user) -> ClaimQuerySet:
        """The user's active claims, oldest first."""
        return self.active().filter(reviewer=user).order_by("claimed_at")


class Claim(models.Model):
    """A reviewer's hold on a queue item. A lease: unfinished claims lapse and the item returns.
    One claim per reviewer and item ever, so double reviews always come from distinct people."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Claimed"
        SUBMITTED = "submitted", "Submitted"
        SKIPPED = "skipped", "Skipped"

    item = models.ForeignKey(AuditItem, on_delete=models.CASCADE, related_name="claims")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="claims")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    claimed_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    skip_reason = models.CharField(max_length=500, blank=True)

    objects = ClaimQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "reviewer"], name="one_claim_per_reviewer_item")]
        indexes = [models.Index(fields=["item", "status", "expires_at"], name="claim_activity")]

    def __str__(self) -> str:
        return f"{self.reviewer} on {self.item_id} ({self.status})"

    @property
    def expired(self) -> bool:
        return self.status == self.Status.ACTIVE and self.expires_at <= timezone.now()


class LabelQuerySet(models.QuerySet):
    def too_fast(self) -> LabelQuerySet:
        """Labels submitted in less than their project's minimum time on task: possibly given without
        reading the item, so the lead looks at them (they count all the same). A label without a
        timing (given through the API) is not judged."""
        return self.filter(time_on_task_ms__lt=models.F("item__project__min_seconds_on_task") * 1000)


class Label(models.Model):
    """One reviewer's current answer for one item. Never overwritten: every change is a revision."""

    item = models.ForeignKey(AuditItem, on_delete=models.CASCADE, related_name="labels")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="labels")
    schema = models.ForeignKey(LabelSchema, on_delete=models.PROTECT)
    answers = models.JSONField()
    verdict = models.CharField(max_length=32, blank=True, help_text="Copied from the answers, for filtering")
    time_on_task_ms = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = LabelQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "reviewer"], name="one_label_per_reviewer_item")]

    def __str__(self) -> str:
        return f"{self.reviewer} on {self.item_id}: {self.verdict}"

    @classmethod
    def submit(cls, *, item_id: int, reviewer, schema: LabelSchema, answers: dict, time_on_task_ms: int | None,
              at: datetime) -> Label:
        """A reviewer's new label with its first revision."""
        label = cls.objects.create(item_id=item_id, reviewer=reviewer, schema=schema, answers=answers,
                                   verdict=_verdict(answers), time_on_task_ms=time_on_task_ms,
                                   created_at=at, updated_at=at)
        # A label made just now has no revision yet: its first is 1, no race to number (and no MAX query
        # on the submit path, which reviewers feel).
        LabelRevision.objects.create(label=label, number=1, answers=answers, author=reviewer, created_at=at)
        return label

    def revise(self, answers: dict, *, author, at: datetime | None = None) -> bool:
        """Take new answers as the label's next revision, the earlier ones kept; False when they are
        the answers it has already."""
        if answers == self.answers:
            return False
        now = at or timezone.now()
        LabelRevision.create_next(label=self, answers=answers, author=author, created_at=now)
        self.answers, self.verdict, self.updated_at = answers, _verdict(answers), now
        self.save(update_fields=["answers", "verdict", "updated_at"])
        return True


class LabelRevision(Versioned):
    number_field = "number"
    scope_fields = ("label",)

    label = models.ForeignKey(Label, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    answers = models.JSONField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["label", "number"], name="one_label_revision_number")]
        ordering = ["label", "number"]


class ReviewTally(models.Model):
    """Labels a reviewer has submitted in a run: one small row per reviewer, so the queue's progress
    line reads a handful of rows instead of counting a run's labels, and concurrent reviewers
    never update the same row."""

    run = models.ForeignKey(AuditRun, on_delete=models.CASCADE, related_name="tallies")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    labels = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "reviewer"], name="one_tally_per_run_reviewer")]


class GoldLabel(models.Model):
    """The item's final label: the single review, the reviewers' agreement, or a QA lead's ruling."""

    class Method(models.TextChoices):
        SINGLE = "single", "Single review"
        AGREED = "agreed", "Reviewers agreed"
        ADJUDICATED = "adjudicated", "Adjudicated"

    item = models.OneToOneField(AuditItem, on_delete=models.CASCADE, related_name="gold")
    answers = models.JSONField()
    verdict = models.CharField(max_length=32, blank=True)
    method = models.CharField(max_length=16, choices=Method.choices)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    decided_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"gold of {self.item_id}: {self.verdict} ({self.method})"

    @classmethod
    def record(cls, item: AuditItem, answers: dict, method: str, *, author, reason: str = "") -> GoldLabel:
        """Make these answers the item's gold label, as its next revision; the same answers by the
        same method change nothing, unless they come with a reason the latest revision does not
        already carry (a lead explaining a ruling afterwards is worth a revision). The caller holds
        the item's row lock."""
        now = timezone.now()
        found = GoldLabel.objects.select_for_update().filter(item=item).first()
        if found and found.answers == answers and found.method == method and (
                not reason or found.revisions.order_by("-number").values_list("reason", flat=True).first() == reason):
            return found
        gold = found or GoldLabel(item=item)
        gold.answers, gold.verdict, gold.method = answers, _verdict(answers), method
        gold.decided_by, gold.decided_at = author, now
        gold.save()
        GoldRevision.create_next(gold=gold, answers=answers, method=method, author=author, created_at=now, reason=reason)
        return gold


class GoldRevision(Versioned):
    number_field = "number"
    scope_fields = ("gold",)

    gold = models.ForeignKey(GoldLabel, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    answers = models.JSONField()
    method = models.CharField(max_length=16, choices=GoldLabel.Method.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(default=timezone.now)
    reason = models.TextField(blank=True, default="", help_text="Why the lead ruled so, in their words (shown in the item's history)")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["gold", "number"], name="one_gold_revision_number")]
        ordering = ["gold", "number"]


def _verdict(answers: dict) -> str:
    """The verdict copied onto labels and gold labels, for filtering ('' when none is given)."""
    return str(answers.get(VERDICT) or "")


class Comment(models.Model):
    """A note on an item for the leads and, once they have labelled it, the item's other reviewers
    (who sees which: `discussion.comments_visible_to`)."""

    item = models.ForeignKey(AuditItem, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    text = models.TextField(max_length=5000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.author} on {self.item_id}"


class ItemFlagQuerySet(models.QuerySet):
    def unresolved(self) -> ItemFlagQuerySet:
        return self.filter(resolved_at__isnull=True)


class ItemFlag(models.Model):
    """A reviewer's call for the lead on an item, open until a lead resolves it."""

    class Reason(models.TextChoices):
        UNSURE = "unsure", "Unsure"
        POLICY = "policy", "Policy question"
        OTHER = "other", "Other"

    item = models.ForeignKey(AuditItem, on_delete=models.CASCADE, related_name="flags")
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=16, choices=Reason.choices)
    text = models.TextField(max_length=2000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)

    objects = ItemFlagQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["item", "resolved_at"], name="flag_open")]

    def __str__(self) -> str:
        return f"{self.raised_by} flagged {self.item_id}: {self.reason}"
