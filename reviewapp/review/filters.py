from __future__ import annotations

import django_filters
from django.contrib.auth import get_user_model

from reviewapp.audits.models import AuditItem

from .models import Label

VERDICTS = [("success", "Full success"), ("partial", "Partial success"), ("failure", "Failure")]


class AuditItemFilter(django_filters.FilterSet):
    """A run's items by queue status, stratum and final verdict."""

    status = django_filters.ChoiceFilter(choices=AuditItem.Status.choices)
    stratum = django_filters.ChoiceFilter()
    verdict = django_filters.ChoiceFilter(field_name="gold__verdict", choices=VERDICTS, label="Final verdict")

    class Meta:
        model = AuditItem
        fields = ["status", "stratum", "verdict"]

    def __init__(self, *args, run, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["stratum"].extra["choices"] = [(name, name) for name in run.allocation]


class LabelFilter(django_filters.FilterSet):
    """Labels of a project by reviewer, verdict and stratum."""

    reviewer = django_filters.ModelChoiceFilter(queryset=get_user_model().objects.none())
    verdict = django_filters.ChoiceFilter(choices=VERDICTS)
    stratum = django_filters.CharFilter(field_name="item__stratum")

    class Meta:
        model = Label
        fields = ["reviewer", "verdict", "stratum"]

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["reviewer"].queryset = get_user_model().objects.filter(memberships__project=project).order_by("username")
