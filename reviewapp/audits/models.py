"""Sampling plans (versioned), weekly audit runs, and the items each run drew."""
from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from reviewapp.ingest.models import OutputContent, OutputVolume
from reviewapp.lib.versioning import Versioned
from reviewapp.lib.weeks import IsoWeek
from reviewapp.projects.models import Project

from .strata import StrataError, StratumRule, parse_rules

DEFAULT_GRACE_HOURS = 6
MAX_GRACE_HOURS = 168  # a week: the week before last is then always past its grace (see lifecycle.latest_due_week)


def _rate(default: float, **kwargs) -> models.FloatField:
    return models.FloatField(default=default, validators=[MinValueValidator(0.0001), MaxValueValidator(0.9999)], **kwargs)


class SamplingPlan(Versioned):
    """What a project's weekly audit must answer, and how to draw it. Saving makes a new version:
    runs keep the version they used, so history stays explainable."""

    class Goal(models.TextChoices):
        MARGIN = "margin", "Estimate the error rate within a margin"
        BUDGET = "budget", "Show the error rate is under the error budget"
        CHANGE = "change", "Detect a rise from the baseline error rate"

    class Method(models.TextChoices):
        FLOORED = "floored", "Risk-weighted on an equal-probability floor (recommended)"
        RISK = "risk", "Risk-weighted (Neyman x sqrt(weight)); starves the bulk"
        NEYMAN = "neyman", "Neyman (by size and spread)"
        PROPORTIONAL = "proportional", "Proportional to volume"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="sampling_plans")
    version = models.PositiveIntegerField()
    goal = models.CharField(max_length=16, choices=Goal.choices, default=Goal.BUDGET)
    confidence = models.FloatField(default=0.95, validators=[MinValueValidator(0.5), MaxValueValidator(0.999)])
    margin = _rate(0.03, help_text="Margin goal: +/- this much")
    expected_rate = _rate(0.05, help_text="Margin goal: the error rate you expect (0.5 is the safest guess)")
    max_rate = _rate(0.01, help_text="Budget goal: the error budget")
    allowed_errors = models.PositiveIntegerField(
        default=0, help_text="Unused since plan sizing follows the drawn design (sampling.budget_verdict); kept for history")
    good_rate = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(0.0), MaxValueValidator(0.9999)],
        help_text="Budget goal: a week at this rate or less must be shown under budget with the stated chance "
                  "(empty: a quarter of the budget)")
    baseline_rate = _rate(0.01, help_text="The usual error rate")
    alert_rate = _rate(0.03, help_text="Change goal: the rate you must not miss")
    power = models.FloatField(default=0.8, validators=[MinValueValidator(0.5), MaxValueValidator(0.999)],
                              help_text="The stated chance: of showing a good week under budget, or of catching the rise")
    strata = models.JSONField(default=list, help_text="Stratum rules, first match wins; the rest go to 'other'")
    allocation_method = models.CharField(
        max_length=16, choices=Method.choices, default=Method.FLOORED,
        help_text="Floored: every stratum keeps at least its equal-probability share, risky strata get more "
                  "(docs/sampling.md compares the designs)")
    overlap_share = models.FloatField(default=0.2, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
                                      help_text="Share of items reviewed blind by several reviewers")
    overlap_reviewers = models.PositiveSmallIntegerField(default=2, validators=[MinValueValidator(2), MaxValueValidator(10)])
    capacity = models.PositiveIntegerField(null=True, blank=True, help_text="Reviews the team can do per week")
    time_zone = models.CharField(max_length=64, default="UTC", help_text="ISO weeks start on Monday 00:00 here")
    grace_hours = models.PositiveSmallIntegerField(
        "grace period for late arrivals (hours)", default=DEFAULT_GRACE_HOURS, validators=[MaxValueValidator(MAX_GRACE_HOURS)],
        help_text="A week is drawn this long after it ends, so outputs that arrive late are still audited",
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "version"], name="one_plan_version")]
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"{self.project.slug} plan v{self.version}"

    @classmethod
    def current(cls, project: Project) -> SamplingPlan | None:
        return cls.objects.filter(project=project).order_by("-version").first()

    @classmethod
    def default_for(cls, project: Project) -> SamplingPlan:
        """An unsaved first plan: one stratum per task category seen (largest first), equal weights."""
        categories = (  # from the hourly rollup: a count over the outputs takes seconds at ten million
            OutputVolume.objects.filter(project=project).exclude(category="").values("category")
            .annotate(n=models.Sum("n")).order_by("-n", "category").values_list("category", flat=True)[:12]
        )
        strata = [{"name": c[:64], "match": {"category": [c]}, "weight": 1.0, "minimum": 0} for c in categories]
        return cls(project=project, version=0, strata=strata)

    def rules(self) -> list[StratumRule]:
        return parse_rules(self.strata)

    def clean(self) -> None:
        try:
            self.rules()
        except StrataError as exc:
            raise ValidationError({"strata": str(exc)}) from None
        if self.alert_rate <= self.baseline_rate:
            raise ValidationError({"alert_rate": "must be above the baseline rate"})
        if self.good_rate is not None and self.good_rate >= self.max_rate:
            raise ValidationError({"good_rate": "must be below the error budget (a good week is under it)"})
        try:
            from zoneinfo import ZoneInfo

            ZoneInfo(self.time_zone)
        except Exception:
            raise ValidationError({"time_zone": f"unknown time zone {self.time_zone!r}"}) from None

    def save_as_new_version(self, *, user=None) -> SamplingPlan:
        """Store these settings as the project's next plan version (the old ones stay)."""
        self.pk = None
        self.created_by = user
        self.created_at = timezone.now()
        return self.save_next()


class AuditRunQuerySet(models.QuerySet):
    def of_week(self, week: IsoWeek | tuple[int, int]) -> AuditRunQuerySet:
        """The run of an ISO week (one per project): filter by project too, or call it on project.audit_runs.
        A page's (year, week) from its URL is taken as it is: a week that does not exist finds no run (a 404)."""
        year, number = (week.year, week.week) if isinstance(week, IsoWeek) else week
        return self.filter(iso_year=year, iso_week=number)


class AuditRun(models.Model):
    """One project's audit of one ISO week: the frozen plan, populations, allocation and seed."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="audit_runs")
    iso_year = models.PositiveSmallIntegerField()
    iso_week = models.PositiveSmallIntegerField()
    plan = models.ForeignKey(SamplingPlan, on_delete=models.PROTECT, related_name="runs")
    seed = models.CharField(max_length=64)
    week_start = models.DateTimeField()
    week_end = models.DateTimeField()
    populations = models.JSONField(help_text="Outputs per stratum in the week")
    allocation = models.JSONField(help_text="Items drawn per stratum")
    required = models.PositiveIntegerField(help_text="Sample size the plan's goal asks for")
    reviews_needed = models.PositiveIntegerField(default=0, help_text="Reviews the drawn items need in all")
    capped = models.BooleanField(default=False, help_text="The reviewer capacity cut the sample")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    drawn_early = models.BooleanField(
        default=False, help_text="Drawn before the week's grace period for late arrivals was over, on purpose",
    )
    # The draw time closes the run's frame: outputs of the week stored after it are never audited.
    created_at = models.DateTimeField(default=timezone.now)

    objects = AuditRunQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "iso_year", "iso_week"], name="one_run_per_project_week")]
        ordering = ["-iso_year", "-iso_week"]

    def __str__(self) -> str:
        return f"{self.project.slug} {self.week}"

    @property
    def week(self) -> IsoWeek:
        return IsoWeek(self.iso_year, self.iso_week)

    @property
    def population(self) -> int:
        return sum(self.populations.values())

    @property
    def size(self) -> int:
        return sum(self.allocation.values())


class DrawnOutput(OutputContent):
    """An output as it was when the draw took it: the copy reviewers judge and exports carry.

    Outputs are written once, but retention drops old weeks (ingest.retention) and the outputs
    table is partitioned by week on PostgreSQL; audits, labels and exports must outlive both, and
    must never change under a reviewer. The id is the output's own id, so evaluations (judge
    scores, keyed by output id) still meet the copy after the output is gone."""

    id = models.BigIntegerField(primary_key=True, help_text="The ingested output's id")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+", db_index=False)
    drawn_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.project_id}/{self.external_id}"


class AuditItemQuerySet(models.QuerySet):
    def in_queue_order(self) -> AuditItemQuerySet:
        """Oldest week first, then riskier strata, then the draw's random order."""
        return self.order_by("week_start", "-risk_weight", "draw_key")

    def disputed(self) -> AuditItemQuerySet:
        """Items whose reviewers disagree, waiting for a QA lead, in queue order."""
        return self.filter(status=AuditItem.Status.DISPUTED).in_queue_order()


class AuditItem(models.Model):
    """An output drawn into a run, with what estimation needs (its stratum and inclusion
    probability) and where it stands in the review queue (the review stage keeps that up to date)."""

    class Status(models.TextChoices):
        OPEN = "open", "Needs reviews"
        LABELLED = "labelled", "Labelled"
        DISPUTED = "disputed", "Reviewers disagree"
        ADJUDICATED = "adjudicated", "Adjudicated"
        CLOSED = "closed", "Left out: its stratum was closed early"

    run = models.ForeignKey(AuditRun, on_delete=models.CASCADE, related_name="items")
    # Copied from the run so the queue's next-item query walks one index.
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="audit_items")
    week_start = models.DateTimeField()
    output = models.ForeignKey(DrawnOutput, on_delete=models.PROTECT, related_name="audit_items")
    stratum = models.CharField(max_length=64)
    inclusion_probability = models.FloatField()
    draw_key = models.BigIntegerField(help_text="The output's rank in the draw (its sample_key)")
    risk_weight = models.FloatField(default=1.0, help_text="The stratum's risk weight, to put riskier items first")
    required_reviews = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    labels_count = models.PositiveSmallIntegerField(default=0)

    objects = AuditItemQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "output"], name="an_output_once_per_run")]
        indexes = [
            models.Index(fields=["project", "status", "week_start", "-risk_weight", "draw_key"], name="queue_order"),
            models.Index(fields=["run", "-risk_weight", "draw_key"], name="run_item_order"),  # the run's item table
        ]
        ordering = ["run_id", "-risk_weight", "draw_key"]  # run_id: "run" would sort by the run's own ordering

    def __str__(self) -> str:
        return f"{self.run} {self.output.external_id}"

    @property
    def weight(self) -> float:
        return 1.0 / self.inclusion_probability


class StratumClosure(models.Model):
    """A lead stopped a stratum's audit early because its sequential test decided (docs/sampling.md,
    "Stopping a stratum early"): its unreviewed items left the queue (status closed) and its sample
    is the items that were not. Kept so the run says who stopped it, when, and on what evidence."""

    run = models.ForeignKey(AuditRun, on_delete=models.CASCADE, related_name="closures")
    stratum = models.CharField(max_length=64)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    closed_at = models.DateTimeField(default=timezone.now)
    verdict = models.TextField(help_text="The sequential verdict in words when the stratum was closed")
    reviewed = models.PositiveIntegerField(help_text="Items with a final label when the stratum was closed")
    items_closed = models.PositiveIntegerField(help_text="Unreviewed items that left the queue")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "stratum"], name="a_stratum_closed_once")]
        ordering = ["closed_at"]

    def __str__(self) -> str:
        return f"{self.run} {self.stratum} closed"
