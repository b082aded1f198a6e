from __future__ import annotations

import django_tables2 as tables
from django.template.defaultfilters import truncatechars
from django.urls import reverse

from .models import Output


class OutputTable(tables.Table):
    external_id = tables.Column(linkify=lambda record: reverse("reviewapp:output-detail", args=[record.project.slug, record.pk]))
    # Newest first, a page at a time by keyset (listing.py): no column reorders the list.
    occurred_at = tables.DateTimeColumn(format="Y-m-d H:i")
    output = tables.Column(orderable=False)

    class Meta:
        model = Output
        fields = ("external_id", "occurred_at", "category", "risk_tier", "kind", "model_version", "output")
        attrs = {"class": "table"}
        empty_text = "No outputs match."
        orderable = False

    def render_output(self, value: str) -> str:
        return truncatechars(value, 120)
