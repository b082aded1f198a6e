"""Ground-truth exports for QA leads: cut a snapshot, watch it build, download its files."""
from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from reviewapp.lib.http import AuthenticatedHttpRequest
from reviewapp.projects.access import lead_project_for
from reviewapp.review.models import LabelSchema

from . import actions
from .forms import ExportForm
from .models import Snapshot
from .selection import SelectionError, Tally, tally
from .wording import in_words


def _tally(project, form: ExportForm) -> Tally | None:
    """What the form's filters select as of now (None while a filter is wrong): the same rows a cut makes."""
    filters = form.selection()
    return None if filters is None else tally(project, filters, timezone.now())


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
    rubric = LabelSchema.current(project).rubric
    listed = [(s, in_words(s.filters, rubric), actions.downloads(s) if s.status == Snapshot.Status.DONE else [])
              for s in snapshots]
    return render(request, "exports/list.html", {"project": project, "can_lead": True, "form": form,
                                                 "snapshots": listed, "tally": _tally(project, form)})


@require_GET
def export_count(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """The export form's count, asked again by htmx as its filters change (lead-only, like the form)."""
    project = lead_project_for(request, slug)
    form = ExportForm(request.GET or None, project=project)
    return render(request, "exports/_count_response.html", {"project": project, "tally": _tally(project, form)})


@require_GET
def export_detail(request: AuthenticatedHttpRequest, slug: str, version: int) -> HttpResponse:
    project = lead_project_for(request, slug)
    snapshot = get_object_or_404(Snapshot, project=project, version=version)
    files = actions.downloads(snapshot) if snapshot.status == Snapshot.Status.DONE else []
    template = "exports/_status.html" if request.htmx else "exports/detail.html"
    return render(request, template, {"project": project, "can_lead": True, "snapshot": snapshot, "files": files,
                                      "filters": in_words(snapshot.filters, LabelSchema.current(project).rubric)})


@require_GET
def export_download(request: AuthenticatedHttpRequest, slug: str, version: int, name: str) -> FileResponse:
    project = lead_project_for(request, slug)
    snapshot = get_object_or_404(Snapshot, project=project, version=version, status=Snapshot.Status.DONE)
    if name != "manifest" and name not in snapshot.formats:
        raise Http404("this snapshot has no such format")
    path = actions.download_path(snapshot, name)
    return FileResponse(path.open("rb"), as_attachment=True, filename=f"{snapshot.name}-{path.name}")
