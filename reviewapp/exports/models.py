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
