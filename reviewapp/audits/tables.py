from __future__ import annotations

import django_tables2 as tables
from django.db.models import Prefetch
from django.template.defaultfilters import truncatechars
from django.urls import reverse

from .models import AuditItem, DrawnOutput


class AuditItemTable(tables.Table):
    output = tables.Column(
        accessor="output__external_id", verbose_name="Output",
        linkify=lambda table, record: reverse("reviewapp:drawn-output-detail", args=[table.project.slug, record.output_id]),
    )
    stratum = tables.Column()
    category = tables.Column(accessor="output__category")
    inclusion_probability = tables.Column(verbose_name="Inclusion probability")
    weight = tables.Column(empty_values=(), orderable=False, verbose_name="Weight (1/π)")
    required_reviews = tables.Column(verbose_name="Reviews")
    status = tables.Column()
    verdict = tables.Column(accessor="gold__verdict", verbose_name="Final verdict", default="")
    text = tables.Column(accessor="output__output", orderable=False, verbose_name="Output text")

    class Meta:
        model = AuditItem
        fields = ("output", "stratum", "category", "inclusion_probability", "weight", "required_reviews", "status",
                  "verdict", "text")
        attrs = {"class": "table"}
        empty_text = "This run drew no items."

    def __init__(self, data, *, project, **kwargs):
        self.project = project  # every row is of this project: links need no per-row look-up
        super().__init__(data, **kwargs)

    @staticmethod
    def rows(items, *, paged: bool = True):
        """The items with the output and gold columns the table shows (inputs, contexts and raw
        records can be large). Paged, they are fetched for the page's rows only, after the slice:
        joined into the paged query, PostgreSQL would join every row the OFFSET skips. An export
        reads everything, so there one join beats an IN list of every id."""
        output_fields = ("external_id", "category", "output")
        if not paged:
            return items.select_related("output", "gold").only(
                *(f.name for f in AuditItem._meta.concrete_fields), *(f"output__{f}" for f in output_fields),
                "gold__verdict")
        # Gold labels through the items' `gold` relation: review owns the model and comes after audits.
        return items.prefetch_related(Prefetch("output", queryset=DrawnOutput.objects.only(*output_fields)),
                                      Prefetch("gold", queryset=AuditItem.gold.get_queryset().only("item", "verdict")))

    def render_inclusion_probability(self, value: float) -> str:
        return f"{value:.4f}"

    def render_weight(self, record: AuditItem) -> str:
        return f"{record.weight:.1f}"

    def render_text(self, value: str) -> str:
        return truncatechars(value, 90)
