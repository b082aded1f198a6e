"""Cached per-run metrics and the QA lead's scorecard configuration."""
from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from reviewapp.audits.models import AuditRun
from reviewapp.projects.models import Project

from .report import RunReport, is_current


class RunMetrics(models.Model):
    """A run's metrics as last computed (a RunReport's JSON, see report.py), and whether labels changed
    since. `pending`: a recompute job is queued, so further label changes need not queue another."""

    run = models.OneToOneField(AuditRun, on_delete=models.CASCADE, related_name="metrics")
    data = models.JSONField(null=True, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)
    changed_at = models.DateTimeField(default=timezone.now, help_text="Last label change in the run")
    pending = models.BooleanField(default=False)
    requested_at = models.DateTimeField(null=True, blank=True, help_text="When the pending job was queued")
    job_id = models.CharField(max_length=64, blank=True, default="", help_text="The rq id of the pending job")
    duration_ms = models.PositiveIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"metrics of {self.run}"

    @property
    def stale(self) -> bool:
        """Labels changed since the numbers were computed, or they were computed under another
        schema (report.SCHEMA_VERSION): either way, compute them again."""
        if self.computed_at is None or self.changed_at >= self.computed_at:
            return True
        return not is_current(self.data)

    @property
    def report(self) -> RunReport | None:
        """The numbers to show, None until computed under the current schema (an older cache waits
        for its recompute rather than being read with keys it may lack)."""
        data = self.data
        return RunReport.from_json(data) if data is not None and is_current(data) else None


class ScorecardMetric(models.Model):
    """One line of a project's scorecard: a metric, its limit and its early-warning level.

    For a rate where higher is worse, `threshold` is the budget: the status is "over budget" when
    sampling.rise_verdict shows the rate above it, "within budget (shown)" when
    sampling.budget_verdict shows it under it (see scorecard.py). `guardrail` (at or under the
    threshold) is the watch level: on a complete week, an estimate past it is a "worse" signal,
    as are a significant change for the worse and a CUSUM signal. Mirrored for rates where higher
    is better. `baseline`: the lead's reference value; empty means the mean of the project's first
    four complete weeks."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="scorecard_metrics")
    metric = models.CharField(max_length=120)
    position = models.PositiveSmallIntegerField(default=0)
    threshold = models.FloatField(validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])
    guardrail = models.FloatField(null=True, blank=True, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])
    baseline = models.FloatField(null=True, blank=True, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "metric"], name="a_metric_once_per_scorecard")]
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.project.slug}: {self.metric}"
