from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from reviewapp.lib.http import AuthenticatedHttpRequest

from . import actions
from .models import Project


@require_GET
def project_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    projects = Project.objects.for_user(request.user).annotate(output_count=Count("outputs"))
    return render(request, "reviewapp/project_list.html",
                  {"projects": projects, "can_start": actions.can_start_projects(request.user)})


@login_not_required
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
