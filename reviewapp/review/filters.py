from __future__ import annotations

import django_filters
from django.contrib.auth import get_user_model

from .models import Label, LabelSchema


class LabelFilter(django_filters.FilterSet):
    """Labels of a project by reviewer, verdict and stratum."""

    reviewer = django_filters.ModelChoiceFilter(queryset=get_user_model().objects.none())
    verdict = django_filters.ChoiceFilter()
    stratum = django_filters.CharFilter(field_name="item__stratum")

    class Meta:
        model = Label
        fields = ["reviewer", "verdict", "stratum"]

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["reviewer"].queryset = get_user_model().objects.filter(memberships__project=project).order_by("username")
        self.filters["verdict"].extra["choices"] = LabelSchema.current(project).rubric.verdict_options
