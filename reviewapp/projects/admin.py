from django.contrib import admin

from .models import ApiToken, Membership, Project, UserToken


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ("user",)


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "created_at")
    prepopulated_fields = {"slug": ("name",)}
    search_fields = ("name", "slug")
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "project", "role")
    list_filter = ("role", "project")


class TokenAdmin(admin.ModelAdmin):
    """Tokens are issued by management commands (their plaintext is shown once); here they can
    only be looked at or revoked."""

    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Revoke selected tokens")
    def revoke(self, request, queryset) -> None:
        for token in queryset:
            token.revoke()


@admin.register(ApiToken)
class ApiTokenAdmin(TokenAdmin):
    """Project tokens for ingest: `manage.py create_project` / `create_token`."""

    list_display = ("prefix", "name", "project", "created_at", "last_used_at", "revoked_at")
    list_filter = ("project",)
    readonly_fields = ("project", "prefix", "created_by", "created_at", "last_used_at")


@admin.register(UserToken)
class UserTokenAdmin(TokenAdmin):
    """Personal tokens for the review API: `manage.py create_user_token USERNAME`."""

    list_display = ("prefix", "name", "user", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("user", "prefix", "created_at", "last_used_at")


def _superusers_only(request) -> bool:
    """Django admin is for superusers only: leads manage projects and people in the app, where every
    change is checked against their role and recorded (projects/actions.py)."""
    return bool(request.user.is_active and request.user.is_superuser)


admin.site.has_permission = _superusers_only  # type: ignore[method-assign]
