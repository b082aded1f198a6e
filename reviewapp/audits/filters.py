from __future__ import annotations

import django_filters
from django.dispatch import Signal

from .models import AuditItem

# Asked with `project`, answered with the verdicts of its rubric as (value, label): review owns the
# rubric and comes after audits, so it answers (review/receivers.py) rather than being imported.
verdicts_wanted = Signal()


class AuditItemFilter(django_filters.FilterSet):
    """A run's items by queue status, stratum and final verdict."""

    status = django_filters.ChoiceFilter(choices=AuditItem.Status.choices)
    stratum = django_filters.ChoiceFilter()
    verdict = django_filters.ChoiceFilter(field_name="gold__verdict", label="Final verdict")

    class Meta:
        model = AuditItem
        fields = ["status", "stratum", "verdict"]

    def __init__(self, *args, run, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["stratum"].extra["choices"] = [(name, name) for name in run.allocation]
        self.filters["verdict"].extra["choices"] = [
            choice for _, choices in verdicts_wanted.send(sender=AuditItemFilter, project=run.project) for choice in choices or ()]
