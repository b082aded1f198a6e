"""A project's outputs: its home page lists what was ingested, and each output has a page."""
from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET
from django_tables2 import RequestConfig

from reviewapp.lib.http import AuthenticatedHttpRequest
from reviewapp.projects.access import is_lead, project_for
from reviewapp.projects.models import Membership

from .filters import OutputFilter
from .models import Output
from .tables import OutputTable
from .volume import weekly_volume


@require_GET
def project_detail(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    project = project_for(request, slug)
    outputs = OutputFilter(request.GET, queryset=Output.objects.filter(project=project).order_by("-occurred_at"), project=project)
    table = OutputTable(outputs.qs)
    RequestConfig(request, paginate={"per_page": 50}).configure(table)
    context = {
        "project": project,
        "role": _role_label(project.role_of(request.user)),
        "can_lead": is_lead(project, request.user),
        "filter": outputs,
        "table": table,
        "volume": weekly_volume(project, weeks=8),
    }
    return render(request, "reviewapp/project_detail.html", context)


@require_GET
def output_detail(request: AuthenticatedHttpRequest, slug: str, output_id: int) -> HttpResponse:
    project = project_for(request, slug)
    output = get_object_or_404(Output, project=project, pk=output_id)
    return render(request, "reviewapp/output_detail.html", {"project": project, "output": output})


def _role_label(role: str | None) -> str | None:
    return Membership.Role(role).label if role else None
