from django.contrib import admin

from .models import AuditItem, AuditRun, SamplingPlan


@admin.register(SamplingPlan)
class SamplingPlanAdmin(admin.ModelAdmin):
    list_display = ("project", "version", "goal", "allocation_method", "created_by", "created_at")
    list_filter = ("project", "goal")


@admin.register(AuditRun)
class AuditRunAdmin(admin.ModelAdmin):
    list_display = ("project", "iso_year", "iso_week", "plan", "required", "capped", "created_at")
    list_filter = ("project",)


@admin.register(AuditItem)
class AuditItemAdmin(admin.ModelAdmin):
    list_display = ("run", "output", "stratum", "inclusion_probability", "required_reviews")
    list_filter = ("run__project", "stratum")
    raw_id_fields = ("run", "output")
