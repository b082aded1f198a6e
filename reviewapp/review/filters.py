from __future__ import annotations

import django_filters
from django import forms
from django.contrib.auth import get_user_model

from .models import Label, LabelQuerySet, LabelSchema


class LabelFilter(django_filters.FilterSet):
    """Labels of a project by reviewer, verdict and stratum, and those given too fast to have been read."""

    reviewer = django_filters.ModelChoiceFilter(queryset=get_user_model().objects.none())
    verdict = django_filters.ChoiceFilter()
    stratum = django_filters.CharFilter(field_name="item__stratum")
    too_fast = django_filters.BooleanFilter(method="only_too_fast", widget=forms.CheckboxInput)

    class Meta:
        model = Label
        fields = ["reviewer", "verdict", "stratum", "too_fast"]

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["too_fast"].label = f"Only possibly unread (under {project.min_seconds_on_task} s)"
        self.filters["reviewer"].queryset = get_user_model().objects.filter(memberships__project=project).order_by("username")
        self.filters["verdict"].extra["choices"] = LabelSchema.current(project).rubric.verdict_options

    def only_too_fast(self, queryset: LabelQuerySet, name: str, value: bool) -> LabelQuerySet:
        return queryset.too_fast() if value else queryset  # unticked means every label, not the others
