from __future__ import annotations

import django_filters

from .models import Output, OutputVolume


class OutputFilter(django_filters.FilterSet):
    """Choices come from the project's own data, so a filter never offers an empty category: from the
    hourly rollup (OutputVolume), never a DISTINCT over the outputs (seconds at ten million)."""

    occurred_after = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte", label="From")
    occurred_before = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt", label="Before")
    category = django_filters.ChoiceFilter()
    risk_tier = django_filters.ChoiceFilter()
    kind = django_filters.ChoiceFilter(choices=Output.Kind.choices)
    external_id = django_filters.CharFilter(lookup_expr="startswith", label="External id starts with")

    class Meta:
        model = Output
        fields = ["category", "risk_tier", "kind", "external_id"]

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        volume = OutputVolume.objects.filter(project=project)
        for name in ("category", "risk_tier"):
            values = volume.order_by(name).values_list(name, flat=True).distinct()
            self.filters[name].extra["choices"] = [(v, v) for v in values if v]
