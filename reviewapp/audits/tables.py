from __future__ import annotations

import django_tables2 as tables
from django.template.defaultfilters import truncatechars
from django.urls import reverse

from .models import AuditItem


class AuditItemTable(tables.Table):
    output = tables.Column(
        accessor="output__external_id", verbose_name="Output",
        linkify=lambda record: reverse("reviewapp:output-detail", args=[record.run.project.slug, record.output_id]),
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

    def render_inclusion_probability(self, value: float) -> str:
        return f"{value:.4f}"

    def render_weight(self, record: AuditItem) -> str:
        return f"{record.weight:.1f}"

    def render_text(self, value: str) -> str:
        return truncatechars(value, 90)
