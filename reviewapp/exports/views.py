"""Ground-truth exports for QA leads: cut a snapshot, watch it build, download its files."""
from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from reviewapp.lib.http import AuthenticatedHttpRequest
from reviewapp.projects.access import lead_project_for

from . import actions
from .formats import FORMATS
from .forms import ExportForm
from .models import Snapshot
from .selection import SelectionError


@require_http_methods(["GET", "POST"])
def export_list(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    project = lead_project_for(request, slug)
    form = ExportForm(request.POST or None, project=project)
    if request.method == "POST" and form.is_valid():
        try:
            snapshot = actions.create(project=project, filters=form.filters(), formats=form.cleaned_data["formats"],
                                      user=request.user)
        except SelectionError as exc:
            form.add_error(None, str(exc))
        else:
            snapshot.refresh_from_db()  # in-process, it is already built
            messages.info(request, f"Snapshot v{snapshot.version} "
                          + ("is ready." if snapshot.status == Snapshot.Status.DONE else "is being built."))
            return redirect("reviewapp:export-detail", project.slug, snapshot.version)
    snapshots = Snapshot.objects.filter(project=project).select_related("created_by")[:50]
    return render(request, "exports/list.html", {"project": project, "can_lead": True, "form": form,
                                                 "snapshots": snapshots})


@require_GET
def export_detail(request: AuthenticatedHttpRequest, slug: str, version: int) -> HttpResponse:
    project = lead_project_for(request, slug)
    snapshot = get_object_or_404(Snapshot, project=project, version=version)
    files = [(name, FORMATS[name][0]) for name in snapshot.formats]
    template = "exports/_status.html" if request.htmx else "exports/detail.html"
    return render(request, template, {"project": project, "can_lead": True, "snapshot": snapshot, "files": files})


@require_GET
def export_download(request: AuthenticatedHttpRequest, slug: str, version: int, name: str) -> FileResponse:
    project = lead_project_for(request, slug)
    snapshot = get_object_or_404(Snapshot, project=project, version=version, status=Snapshot.Status.DONE)
    if name != "manifest" and name not in snapshot.formats:
        raise Http404("this snapshot has no such format")
    path = actions.download_path(snapshot, name)
    return FileResponse(path.open("rb"), as_attachment=True, filename=f"{snapshot.name}-{path.name}")
