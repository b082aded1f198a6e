"""A production output of the AI system under audit, as ingested."""
from __future__ import annotations

from django.db import models
from django.utils import timezone

from reviewapp.lib.messages import conversation
from reviewapp.projects.models import Project

from .packing import PackedJSONField, PackedTextField


class OutputContent(models.Model):
    """What a reviewer judges and an export carries: the same columns in the ingested output and in
    its frozen copy at the draw (audits.DrawnOutput), so one definition serves both."""

    class Kind(models.TextChoices):
        LLM_RESPONSE = "llm_response", "LLM response"
        AGENT_ACTION = "agent_action", "Agent action"
        CLASSIFIER_DECISION = "classifier_decision", "Classifier decision"

    external_id = models.CharField(max_length=255, help_text="The producer's id; unique per project, makes ingest idempotent")
    occurred_at = models.DateTimeField()
    kind = models.CharField(max_length=32, choices=Kind.choices, default=Kind.LLM_RESPONSE)
    model = models.CharField(max_length=200, blank=True, default="")
    model_version = models.CharField(max_length=200, blank=True, default="")
    category = models.CharField(max_length=100, blank=True, default="", help_text="Task category")
    risk_tier = models.CharField(max_length=32, blank=True, default="")
    risk_score = models.FloatField(null=True, blank=True)
    input = models.JSONField(help_text="A string, or a list of chat messages {role, content}")
    output = models.TextField()
    context = models.JSONField(default=list, blank=True, help_text="Retrieved passages")
    tools = models.JSONField(default=list, blank=True, help_text="The tools the model could call (OpenAI tool definitions)")
    tool_calls = models.JSONField(default=list, blank=True, help_text="The tool calls the output made (OpenAI form)")
    refusal = models.BooleanField(default=False, help_text="The model refused: the output is its refusal message")
    metadata = models.JSONField(default=dict, blank=True)
    trace_id = models.CharField(max_length=64, blank=True, default="")
    span_id = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        abstract = True

    @property
    def conversation(self) -> list[dict[str, str]]:
        """The input as (role, text) turns, whatever form it was sent in, for display."""
        return conversation(self.input)


# The columns OutputContent adds, in declaration order: what the draw copies.
CONTENT_FIELDS = tuple(f.name for f in OutputContent._meta.fields)


class Output(OutputContent):
    # No index of its own: the unique (project, external_id) index serves project lookups.
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="outputs", db_index=False)
    # Stored packed (zstd with the project's dictionary, packing.py): the text is most of a row.
    input = PackedJSONField(help_text="A string, or a list of chat messages {role, content}")
    output = PackedTextField()
    raw = models.JSONField(null=True, blank=True, help_text="The source record when it came in another format")
    sample_key = models.BigIntegerField(editable=False, help_text="Rank in the project's draws (Project.sample_key)")
    ingested_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "external_id"], name="output_external_id_unique_per_project"),
        ]
        # One secondary index only: every index costs ingest throughput, and weekly sampling and
        # stratum counts all start from a time range. Time leads on purpose: then the unique
        # (project, external_id) index is the only one a "project_id = X" lookup can use, and the
        # ingest's existing-id probe never drifts to a project scan when statistics are stale.
        indexes = [models.Index(fields=["occurred_at", "project"], name="output_time_project")]

    def __str__(self) -> str:
        return f"{self.project.slug}/{self.external_id}"

    def save(self, *args, **kwargs) -> None:
        if self.sample_key is None:  # bulk ingest sets it in the writer's rows
            self.sample_key = self.project.sample_key(self.external_id)
        super().save(*args, **kwargs)



class Evaluator(models.Model):
    """An automatic judge or classifier that scores a project's outputs: one name at one version.

    A new version is a new evaluator: its agreement with the reviewers is certified afresh, and a
    judge-assisted estimate never mixes two versions (docs/judge.md, "Assumptions")."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="evaluators")
    name = models.CharField(max_length=100)
    version = models.CharField(max_length=50, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "name", "version"], name="evaluator_name_version_unique"),
        ]
        ordering = ["name", "version"]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}" if self.version else self.name


class Evaluation(models.Model):
    """One evaluator's verdict on one output: a number, a label, or both, as the producer sent it.

    The first one stored wins (ingest is idempotent per output x evaluator x version); what it
    means for a rubric rate is the lead's mapping (metrics.JudgeMapping), not stored here."""

    # No database constraint: retention retires old outputs but keeps the evaluations of the drawn
    # ones (their frozen copies in audits.DrawnOutput share the id), which exports and the judge's
    # agreement figures still read; and on PostgreSQL a partitioned table cannot be referenced by id alone.
    output = models.ForeignKey(Output, on_delete=models.CASCADE, related_name="evaluations", db_index=False,
                               db_constraint=False)
    evaluator = models.ForeignKey(Evaluator, on_delete=models.CASCADE, related_name="evaluations")
    value = models.FloatField(null=True, blank=True)
    label = models.CharField(max_length=100, blank=True, default="")
    metric = models.CharField(max_length=100, blank=True, default="",
                              help_text="What the producer says the evaluator measures, e.g. failure")
    ingested_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["output", "evaluator"], name="one_evaluation_per_output_and_evaluator"),
        ]

    def __str__(self) -> str:
        return f"{self.evaluator} on {self.output_id}: {self.label or self.value}"


class OutputVolume(models.Model):
    """How many outputs a project has per UTC hour and stratum key: the small table the pages read.

    Maintained by database triggers on the outputs table (migration 0004: a statement-level trigger
    with a transition table on PostgreSQL, so COPY and INSERT alike add their counts in the same
    transaction; row triggers on SQLite), so no page counts the outputs themselves: the volume chart,
    the filter choices, the "about N outputs" line and the plan page's last-week populations. The
    key holds every field a stratum rule can match on except metadata keys (audits/strata.py FIELDS)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+", db_index=False)
    hour = models.DateTimeField(help_text="The UTC hour the outputs occurred in")
    category = models.CharField(max_length=100)
    risk_tier = models.CharField(max_length=32)
    kind = models.CharField(max_length=32)
    model = models.CharField(max_length=200)
    model_version = models.CharField(max_length=200)
    n = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(
            fields=["project", "hour", "category", "risk_tier", "kind", "model", "model_version"],
            name="output_volume_key")]

    def __str__(self) -> str:
        return f"{self.project_id} {self.hour:%Y-%m-%d %H}h {self.category}: {self.n}"


class TextDictionary(models.Model):
    """A project's zstd dictionary, trained on its first outputs (packing.train_if_due): packed
    outputs name it by id, so it is never changed or deleted while the project exists."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="+")
    data = models.BinaryField()
    trained_on = models.PositiveIntegerField(help_text="Texts it was trained on")
    created_at = models.DateTimeField(default=timezone.now)
