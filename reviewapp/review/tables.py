from __future__ import annotations

import django_tables2 as tables
from django.urls import reverse

from reviewapp.audits.models import AuditItem

from .models import Label


class LabelTable(tables.Table):
    item = tables.Column(
        accessor="item__output__external_id", verbose_name="Output",
        linkify=lambda record: reverse("reviewapp:review-item", args=[record.item.project.slug, record.item_id]),
    )
    week = tables.Column(accessor="item__week_start", verbose_name="Week of")
    stratum = tables.Column(accessor="item__stratum")
    reviewer = tables.Column(accessor="reviewer__username", verbose_name="Reviewer")
    verdict = tables.Column()
    time_on_task_ms = tables.Column(verbose_name="Time (s)")
    updated_at = tables.DateTimeColumn(format="Y-m-d H:i", verbose_name="Updated")

    class Meta:
        model = Label
        fields = ("item", "week", "stratum", "reviewer", "verdict", "time_on_task_ms", "updated_at")
        attrs = {"class": "table"}
        empty_text = "No labels yet."

    def render_week(self, value) -> str:
        return value.strftime("%Y-%m-%d")

    def render_time_on_task_ms(self, value) -> str:
        return f"{value / 1000:.0f}"

    def value_time_on_task_ms(self, value) -> int:
        return value


class DisputedTable(tables.Table):
    item = tables.Column(
        accessor="output__external_id", verbose_name="Output",
        linkify=lambda record: reverse("reviewapp:adjudicate", args=[record.project.slug, record.pk]),
    )
    stratum = tables.Column()
    week_start = tables.DateTimeColumn(format="Y-m-d", verbose_name="Week of")
    labels_count = tables.Column(verbose_name="Reviews")
    status = tables.Column()

    class Meta:
        model = AuditItem
        fields = ("item", "week_start", "stratum", "labels_count", "status")
        attrs = {"class": "table"}
        empty_text = "No disagreements to settle."
