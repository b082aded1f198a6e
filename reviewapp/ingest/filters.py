from __future__ import annotations

import django_filters
from django.db.models import Exists, OuterRef, QuerySet

from .models import Evaluation, Evaluator, Output, OutputVolume

ROLLUP_CHOICES = ("category", "risk_tier", "model", "model_version")


class OutputFilter(django_filters.FilterSet):
    """Choices come from the small tables kept at ingest, never a DISTINCT over the outputs (seconds at
    ten million): the hourly rollup (OutputVolume) names every category, risk tier, model and model
    version the project has outputs for, in one query; the Evaluator table names its evaluators."""

    occurred_after = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte", label="From")
    occurred_before = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt", label="Before")
    category = django_filters.ChoiceFilter()
    risk_tier = django_filters.ChoiceFilter()
    kind = django_filters.ChoiceFilter(choices=Output.Kind.choices)
    model = django_filters.ChoiceFilter()
    model_version = django_filters.ChoiceFilter()
    # Choices of ids, not a ModelChoiceFilter: the one query for the choices also validates the
    # value, where a model choice field would fetch the evaluator again.
    evaluator = django_filters.TypedChoiceFilter(coerce=int, method="scored_by", label="Scored by")
    external_id = django_filters.CharFilter(lookup_expr="startswith", label="External id starts with")

    class Meta:
        model = Output
        fields = ["category", "risk_tier", "kind", "model", "model_version", "evaluator", "external_id"]

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        keys = OutputVolume.objects.filter(project=project).order_by().values_list(*ROLLUP_CHOICES).distinct()
        seen: dict[str, set[str]] = {name: set() for name in ROLLUP_CHOICES}
        for key in keys:
            for name, value in zip(ROLLUP_CHOICES, key, strict=True):
                seen[name].add(value)
        for name, values in seen.items():
            self.filters[name].extra["choices"] = [(v, v) for v in sorted(values) if v]
        self.filters["evaluator"].extra["choices"] = [
            (e.pk, str(e)) for e in Evaluator.objects.filter(project=project).only("pk", "name", "version")]

    def scored_by(self, queryset: QuerySet[Output], name: str, value: int) -> QuerySet[Output]:
        """The outputs the evaluator has an evaluation of: an EXISTS probed per output through the unique
        (output, evaluator) index, so a keyset page reads about a page of rows, not the evaluations
        (PostgreSQL starts from the evaluator's index instead when it scored few). A combination that
        matches almost nothing still reads the whole time range, as any filter the index lacks does."""
        return queryset.filter(Exists(Evaluation.objects.filter(output_id=OuterRef("pk"), evaluator_id=value)))
