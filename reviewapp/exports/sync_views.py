"""The lead's page for sending final labels back to Langfuse or LangSmith, and the last sends."""
from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from reviewapp.lib.http import AuthenticatedHttpRequest
from reviewapp.projects.access import lead_project_for

from .models import SourceSync, SyncSend
from .sync_forms import SourceSyncForm
from .sync_jobs import resend_failed

SHOWN = 50


@require_http_methods(["GET", "POST"])
def source_sync(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    project = lead_project_for(request, slug, doing="send labels back to the source traces")
    source = SourceSync.objects.filter(project=project).first()
    if request.method == "POST" and "resend" in request.POST:
        if source is None or not source.enabled:
            messages.error(request, "Syncing is off: turn it on before sending again.")
        else:
            queued = resend_failed(source)
            messages.info(request, f"{queued} label{'s' if queued != 1 else ''} queued again; see their tries below.")
        return redirect("reviewapp:source-sync", project.slug)
    form = SourceSyncForm(request.POST or None, project=project, instance=source)
    if request.method == "POST" and form.is_valid():
        source = form.save(request.user)
        messages.success(request, "Final labels now go back to the source traces as they are decided."
                         if source.enabled else "Saved; final labels are not sent while syncing is off.")
        return redirect("reviewapp:source-sync", project.slug)
    sends = (SyncSend.objects.filter(sync=source).select_related("item__output")[:SHOWN]
             if source is not None else [])
    return render(request, "exports/sync.html", {"project": project, "can_lead": True, "form": form,
                                                 "source": source, "sends": sends, "shown": SHOWN})
