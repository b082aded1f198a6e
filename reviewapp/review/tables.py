from __future__ import annotations

from datetime import datetime, timedelta

import django_tables2 as tables
from django.db.models import Max, Prefetch, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince

from reviewapp.audits.models import AuditItem, DrawnOutput

from .models import Label


class LabelTable(tables.Table):
    item = tables.Column(
        accessor="item__output__external_id", verbose_name="Output",
        linkify=lambda table, record: reverse("reviewapp:review-item", args=[table.project.slug, record.item_id]),
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

    def __init__(self, data, *, project, flag_fast: bool = False, **kwargs):
        self.project = project  # every row is of this project: links need no per-row look-up
        self.flag_fast = flag_fast  # for the lead: labels under the project's minimum time on task
        # Verdicts by their labels in any version (the latest wording wins), read once for the page.
        self.verdicts = {value: title for schema in project.label_schemas.order_by("version")
                         for value, title in schema.rubric.verdict_options}
        super().__init__(data, **kwargs)

    @staticmethod
    def rows(labels, *, paged: bool = True):
        """The columns' data and nothing more (outputs' texts can be large). Paged, output ids
        come after the page's slice, so rows an OFFSET skips are never joined to outputs; an
        export reads everything, so there one join beats an IN list of every id."""
        columns = (*(f.name for f in Label._meta.concrete_fields), "item__week_start", "item__stratum",
                   "reviewer__username")
        if not paged:
            return labels.select_related("item__output", "reviewer").only(*columns, "item__output__external_id")
        return labels.select_related("item", "reviewer").only(*columns, "item__output").prefetch_related(
            Prefetch("item__output", queryset=DrawnOutput.objects.only("external_id")))

    def render_week(self, value) -> str:
        return value.strftime("%Y-%m-%d")

    def render_verdict(self, value: str) -> str:
        return self.verdicts.get(value, value)

    def value_verdict(self, value: str) -> str:
        return value  # the CSV keeps the stored value, which the filters and the API use

    def render_time_on_task_ms(self, value: int) -> str:
        seconds = f"{value / 1000:.0f}"
        if self.flag_fast and value < self.project.min_seconds_on_task * 1000:  # Label.objects.too_fast(), for the row at hand
            return format_html('{} <span class="badge warn" title="faster than the project\'s minimum of {} s">'
                               'possibly unread</span>', seconds, self.project.min_seconds_on_task)
        return seconds

    def value_time_on_task_ms(self, value) -> int:
        return value


class DisputedTable(tables.Table):
    """Items where the reviewers disagree, longest-waiting first: a disagreement left alone keeps
    its item out of the week's metrics, so the oldest is settled first.

    An item keeps no record of when it became disputed, so the wait is counted from the latest
    label's created_at on the item: when its last review came in, which is when most disputes
    start (one started later by a revision counts from that last review, a little longer)."""

    item = tables.Column(
        accessor="output__external_id", verbose_name="Output",
        linkify=lambda record: reverse("reviewapp:adjudicate", args=[record.project.slug, record.pk]),
    )
    waiting = tables.Column(accessor="waiting_since", verbose_name="Waiting", order_by=("-waiting_since", "-pk"),
                            attrs={"td": {"class": "waiting"}})
    stratum = tables.Column()
    week_start = tables.DateTimeColumn(format="Y-m-d", verbose_name="Week of")
    labels_count = tables.Column(verbose_name="Reviews")
    status = tables.Column()

    class Meta:
        model = AuditItem
        fields = ("item", "waiting", "week_start", "stratum", "labels_count", "status")
        attrs = {"class": "table"}
        empty_text = "No disagreements to settle."
        order_by = ("-waiting",)

    def __init__(self, data, *args, now: datetime | None = None, **kwargs):
        self.now = now or timezone.now()
        if isinstance(data, QuerySet):
            data = data.annotate(waiting_since=Max("labels__created_at"))
        super().__init__(data, *args, **kwargs)

    def render_waiting(self, value: datetime) -> str:
        return _waited(value, self.now)

    def value_waiting(self, value: datetime | None) -> str:
        return _waited(value, self.now) if value else ""


def _waited(since: datetime, now: datetime) -> str:
    """'3 days', '5 hours', 'under a minute': the largest whole unit, as a person says it."""
    if now - since < timedelta(minutes=1):
        return "under a minute"
    return timesince(since, now, depth=1).replace("\xa0", " ")
