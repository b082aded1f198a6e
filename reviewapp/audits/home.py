"""A project's home: what was ingested (volume chart, the outputs table) and, for its leads while
the project is new, the setup checklist. It lives in audits because the checklist reads the
sampling plan and the drawn weeks; the outputs parts come from ingest."""
from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from reviewapp.ingest.filters import OutputFilter
from reviewapp.ingest.listing import outputs_page
from reviewapp.ingest.models import Output
from reviewapp.ingest.tables import OutputTable
from reviewapp.ingest.volume import weekly_volume
from reviewapp.lib.http import AuthenticatedHttpRequest
from reviewapp.projects.access import is_lead, project_for
from reviewapp.projects.models import Membership

from .setup import checklist


@require_GET
def project_home(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    project = project_for(request, slug)
    outputs = OutputFilter(request.GET, queryset=Output.objects.filter(project=project), project=project)
    page = outputs_page(outputs.qs, request.GET.get("older"), project=project,
                        filters=outputs.form.cleaned_data if outputs.is_valid() else {})
    table = OutputTable(page.rows)
    query = request.GET.copy()
    query.pop("older", None)
    role = project.role_of(request.user)
    leads = is_lead(project, request.user)
    setup = checklist(project) if leads else None
    return render(request, "reviewapp/project_detail.html", {
        "project": project, "role": Membership.Role(role).label if role else None, "can_lead": leads,
        "filter": outputs, "table": table, "page": page, "filters_query": query.urlencode(),
        "volume": weekly_volume(project, weeks=8),
        "setup": setup if setup and not setup.complete else None,
        "api_base": request.build_absolute_uri(f"/api/v1/projects/{project.slug}/"),
    })
