"""Ground-truth snapshots: versioned, immutable exports of a project's final labels."""
from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import models
from django.utils import timezone

from reviewapp.lib.versioning import Versioned
from reviewapp.projects.models import Project


class Snapshot(Versioned):
    """One version of a project's ground truth: the filters it was cut with, the moment its labels
    were read as of, and once built, its files and manifest. Never changed after it is built."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Building"
        DONE = "done", "Ready"
        FAILED = "failed", "Failed"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="snapshots")
    version = models.PositiveIntegerField()
    filters = models.JSONField(default=dict, blank=True)
    formats = models.JSONField(default=list, help_text="Format names rendered with the snapshot")
    as_of = models.DateTimeField(default=timezone.now, help_text="Labels as they stood at this moment")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    rows_total = models.PositiveIntegerField(null=True, blank=True)
    rows_done = models.PositiveIntegerField(default=0)
    manifest = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "version"], name="one_snapshot_version")]
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"{self.project.slug} ground truth v{self.version}"

    @property
    def directory(self) -> Path:
        return Path(settings.EXPORT_DIR) / self.project.slug / f"v{self.version}"

    @property
    def name(self) -> str:
        return f"{self.project.slug}-ground-truth-v{self.version}"


class SourceSync(models.Model):
    """Where a project's final labels go back to: the Langfuse or LangSmith its outputs were traced
    in (exports/sync.py says what is sent). The keys are sealed (lib/sealing.py), never shown back."""

    class Kind(models.TextChoices):
        LANGFUSE = "langfuse", "Langfuse (scores)"
        LANGSMITH = "langsmith", "LangSmith (feedback)"

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="source_sync")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    base_url = models.URLField(max_length=500, help_text="Langfuse host, or LangSmith API URL")
    public_key_sealed = models.TextField(blank=True, default="", help_text="Langfuse public key, sealed")
    secret_sealed = models.TextField(blank=True, default="", help_text="Langfuse secret key or LangSmith API key, sealed")
    source_project = models.CharField(max_length=100, blank=True, default="",
                                      help_text="LangSmith: the tracing project's id (feedback's session_id)")
    enabled = models.BooleanField(default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.project.slug} labels to {self.kind} at {self.base_url}"


class SyncSend(models.Model):
    """One final label (one gold revision) sent, or to be sent, to the source trace: what was sent,
    how many tries it took and how the last one ended. A later revision of the same item is a new
    send with the same remote ids (an update there); the older one, if still waiting, is superseded."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SUPERSEDED = "superseded", "Superseded by a later label"

    sync = models.ForeignKey(SourceSync, on_delete=models.CASCADE, related_name="sends")
    item = models.ForeignKey("audits.AuditItem", on_delete=models.CASCADE, related_name="sync_sends")
    revision = models.PositiveIntegerField(help_text="The gold label's revision number sent")
    answers_hash = models.CharField(max_length=64, help_text="SHA-256 of the answers sent (canonical JSON)")
    trace_id = models.CharField(max_length=64)
    observation_id = models.CharField(max_length=64, blank=True, default="")
    kind = models.CharField(max_length=16, choices=SourceSync.Kind.choices)
    payload = models.JSONField(help_text="The scores or feedback sent, as built by exports/sync.py")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["sync", "item"], name="sync_send_item")]

    def __str__(self) -> str:
        return f"label of item {self.item_id} r{self.revision} to {self.kind}: {self.status}"
