from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path

from reviewapp import errors
from reviewapp.api.api import api
from reviewapp.api.otlp import export_traces
from reviewapp.audits import urls as audit_urls
from reviewapp.exports import urls as export_urls
from reviewapp.ingest import urls as ingest_urls
from reviewapp.metrics import urls as metrics_urls
from reviewapp.projects import urls as project_urls
from reviewapp.projects import views as project_views
from reviewapp.review import urls as review_urls


def _public(patterns):
    """The API authenticates with project tokens, not sessions: exempt it from the login wall."""
    for pattern in patterns:
        if hasattr(pattern, "url_patterns"):
            _public(pattern.url_patterns)
        else:
            pattern.callback = login_not_required(pattern.callback)
    return patterns


api_patterns, api_app, api_namespace = api.urls

urlpatterns = [
    path("", include(([*project_urls.urlpatterns, *ingest_urls.urlpatterns, *audit_urls.urlpatterns, *review_urls.urlpatterns,
                           *metrics_urls.urlpatterns, *export_urls.urlpatterns], "reviewapp"))),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz", project_views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include((_public(api_patterns), api_app), namespace=api_namespace)),
    path("otlp/v1/traces", export_traces, name="otlp-traces"),  # OpenTelemetry exporters (docs/ingest.md)
]

# In-layout refusals that say why and offer a way back; a plain 500 (reviewapp/errors.py).
handler403 = errors.permission_denied
handler404 = errors.page_not_found
handler500 = errors.server_error
