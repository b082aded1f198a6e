from django.contrib import admin

from .models import Output


@admin.register(Output)
class OutputAdmin(admin.ModelAdmin):
    list_display = ("external_id", "project", "occurred_at", "kind", "category", "risk_tier", "model", "model_version")
    list_filter = ("project", "kind", "category", "risk_tier")
    search_fields = ("external_id", "trace_id")
    date_hierarchy = "occurred_at"
    raw_id_fields = ("project",)
    show_full_result_count = False  # counting millions of outputs on every page is slow
