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

    def get_readonly_fields(self, request, obj=None):
        """An output's identity is fixed once stored: on PostgreSQL the key table (ingest/partitions.py)
        maps (project, external id) to it, and the ingest's idempotency reads that map, so an edit of
        either would leave a stale key (a re-sent record then skipped under its old name, or stored twice
        under its new one). They are set when an output is added here, never changed."""
        return ("project", "external_id") if obj is not None else ()
