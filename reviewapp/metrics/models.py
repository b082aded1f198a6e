"""Cached per-run metrics and the QA lead's scorecard configuration."""
from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from reviewapp.audits.models import AuditRun
from reviewapp.ingest.models import Evaluator
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


class NotificationChannel(models.Model):
    """Where a project's alerts go, set by its leads: e-mail addresses (Django's mail backend) or a
    webhook (URL + secret: the JSON body is signed with HMAC-SHA256, see alerts.py). The secret is
    kept as typed because signing needs it; pages never show it back."""

    class Kind(models.TextChoices):
        EMAIL = "email", "E-mail"
        WEBHOOK = "webhook", "Webhook"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="notification_channels")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    addresses = models.TextField(blank=True, default="", help_text="E-mail: addresses, one per line or comma-separated")
    url = models.URLField(max_length=500, blank=True, default="")
    secret = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.target

    @property
    def recipients(self) -> list[str]:
        return [a.strip() for a in self.addresses.replace(",", "\n").splitlines() if a.strip()]

    @property
    def target(self) -> str:
        """The channel in words for the pages: its addresses or its URL."""
        return ", ".join(self.recipients) if self.kind == self.Kind.EMAIL else self.url


class Alert(models.Model):
    """One alert of a project for a (week, metric, state): created with get_or_create on that key,
    so a recompute that finds the same state again never repeats it. A test alert (is_test, from
    the channels page) is outside the key: each press sends one."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="alerts")
    week = models.CharField(max_length=10, help_text="ISO week, e.g. 2026-W47")
    metric = models.CharField(max_length=120, blank=True, default="")
    state = models.CharField(max_length=80, help_text="critical, worse, within-resolved, midweek-<stratum>, test")
    text = models.TextField()
    label = models.CharField(max_length=200, blank=True, default="", help_text="The metric in words")
    estimate = models.FloatField(null=True, blank=True)
    lower = models.FloatField(null=True, blank=True)
    upper = models.FloatField(null=True, blank=True)
    rule = models.TextField(blank=True, default="")
    is_test = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["project", "week", "metric", "state"],
                                               condition=models.Q(is_test=False), name="an_alert_once_per_state")]

    def __str__(self) -> str:
        return f"{self.project.slug} {self.week} {self.metric} {self.state}"

    @property
    def tone(self) -> str:
        """The scorecard's status colour for the state (app.css .status.<tone>)."""
        if self.state == "within-resolved":
            return "within"
        if self.state == "worse":
            return "watch"
        return "nodata" if self.is_test else "critical"


class AlertAttempt(models.Model):
    """One try at delivering an alert to one channel: the webhook's HTTP status code, or the error."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="attempts")
    channel = models.ForeignKey(NotificationChannel, on_delete=models.SET_NULL, null=True, related_name="attempts")
    target = models.CharField(max_length=500, help_text="The channel as it was, kept if it is removed")
    attempt = models.PositiveSmallIntegerField(default=1)
    ok = models.BooleanField(default=False)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.alert} -> {self.target}: {self.outcome}"

    @property
    def outcome(self) -> str:
        """"HTTP 200", "sent" (e-mail), or the error in words."""
        if self.status_code is not None:
            return f"HTTP {self.status_code}" + (f": {self.error}" if self.error else "")
        return "sent" if self.ok else (self.error or "failed")


class JudgeMappingQuerySet(models.QuerySet):
    def of_project(self, project: Project) -> JudgeMappingQuerySet:
        return self.filter(project=project).select_related("evaluator")


class JudgeMapping(models.Model):
    """A lead's reading of an evaluator as one of the rubric's rates (docs/judge.md, "Mapping").

    label: the judge says "yes" (1) when its label is one of ``labels``, else "no" (0).
    score: its value in [0, 1] is used as is (the probability of "yes"); inverted: 1 - value
    (a groundedness score is high when the output is good). For the certification's yes/no a score
    says "yes" at ``threshold`` or above. One evaluator assists a rate at a time: the scorecard
    shows one judge-assisted figure per rate, never a choice made after seeing several."""

    class Reading(models.TextChoices):
        LABEL = "label", "Its label names the rate's event"
        SCORE = "score", "Its score is the rate's probability"
        INVERTED = "inverted", "1 - its score is the rate's probability"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="judge_mappings")
    rate = models.CharField(max_length=100, help_text="The catalogue rate, e.g. verdict:failure")
    evaluator = models.ForeignKey(Evaluator, on_delete=models.CASCADE, related_name="mappings")
    reading = models.CharField(max_length=16, choices=Reading.choices, default=Reading.LABEL)
    labels = models.JSONField(default=list, blank=True, help_text="Judge labels that mean yes, e.g. [\"fail\"]")
    threshold = models.FloatField(default=0.5, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = JudgeMappingQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "rate"], name="one_judge_per_rate")]
        ordering = ["rate"]

    def __str__(self) -> str:
        return f"{self.evaluator} as {self.rate}"

    def value_of(self, value: float | None, label: str) -> float | None:
        """The evaluation as the rate's judge value in [0, 1], or None when it cannot be read so."""
        if self.reading == self.Reading.LABEL:
            return (1.0 if label in self.labels else 0.0) if label else None
        if value is None or not 0.0 <= value <= 1.0:
            return None
        return 1.0 - value if self.reading == self.Reading.INVERTED else value

    def says_yes(self, value: float | None, label: str) -> int | None:
        """The evaluation as a yes/no on the rate (the certification's judge), or None."""
        judged = self.value_of(value, label)
        if judged is None:
            return None
        return int(judged >= self.threshold) if self.reading != self.Reading.LABEL else int(judged)


class FrozenJudgeFrame(models.Model):
    """A run's per-stratum judge figures over its week's outputs (judging.frame_means), kept when
    retention retires those outputs: the judge-assisted estimate needs the judge's mean over every
    output of a stratum, which can no longer be computed once they are gone. One per mapping
    reading (judging.frame_signature): a mapping changed later cannot be applied to retired
    outputs, and the week's report then says so."""

    run = models.ForeignKey("audits.AuditRun", on_delete=models.CASCADE, related_name="+")
    signature = models.CharField(max_length=300, help_text="evaluator id, reading and yes-labels the figures were taken with")
    strata = models.JSONField(help_text="{stratum: [outputs, scored, total]}")
    kept_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "signature"], name="one_frozen_frame_per_reading")]
