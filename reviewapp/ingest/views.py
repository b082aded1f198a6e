"""A project's outputs: each has a page (the project home, audits/home.py, lists them)."""
from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from reviewapp.lib.http import AuthenticatedHttpRequest
from reviewapp.projects.access import project_for

from .models import Output


@require_GET
def output_detail(request: AuthenticatedHttpRequest, slug: str, output_id: int) -> HttpResponse:
    project = project_for(request, slug)
    output = get_object_or_404(Output, project=project, pk=output_id)
    return render(request, "reviewapp/output_detail.html", {"project": project, "output": output})
