"""The lead's button that closes a stratum early (metrics.progress.close_stratum decides)."""
from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from reviewapp.lib.http import AuthenticatedHttpRequest
from reviewapp.projects.access import lead_project_for

from .progress import CloseRefused, close_stratum


@require_POST
def stratum_close(request: AuthenticatedHttpRequest, slug: str, year: int, week: int) -> HttpResponse:
    project = lead_project_for(request, slug, doing="close a stratum")
    run = get_object_or_404(project.audit_runs.of_week((year, week)))
    stratum = request.POST.get("stratum", "").strip()
    if not stratum:
        messages.error(request, "Stratum: say which stratum to close.")
    else:
        try:
            closure = close_stratum(run=run, stratum=stratum, user=request.user)
        except CloseRefused as exc:
            messages.error(request, f"Not closed: {exc}.")
        else:
            messages.success(request, f"{stratum} closed: {closure.items_closed} unreviewed "
                                      f"item{'s' if closure.items_closed != 1 else ''} left the queue.")
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, {request.get_host()}, require_https=request.is_secure()):
        return redirect(back)
    return redirect("reviewapp:run-metrics", project.slug, year, week)
