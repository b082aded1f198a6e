"""The rubric page of a project: a lead builds the next rubric version and previews the reviewer's form."""
from __future__ import annotations

import json

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from reviewapp.lib.http import AuthenticatedHttpRequest
from reviewapp.projects.access import lead_project_for

from .forms import RubricForm
from .models import LabelSchema


@require_http_methods(["GET", "POST"])
def rubric(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    project = lead_project_for(request, slug)
    current = LabelSchema.current(project)
    form = RubricForm(request.POST or None, initial={"definition": _pretty(current.definition),
                                                     "reveal_agreement": current.reveal_agreement,
                                                     "guidelines": current.guidelines})
    if request.method == "POST" and form.is_valid():
        saved = LabelSchema.create_next(project=project, definition=form.cleaned_data["definition"],
                                        reveal_agreement=form.cleaned_data["reveal_agreement"],
                                        guidelines=form.cleaned_data["guidelines"].strip(), created_by=request.user)
        messages.success(request, f"Saved rubric version {saved.version}; labels already given keep theirs.")
        return redirect("reviewapp:rubric", project.slug)
    return render(request, "review/rubric.html", {"project": project, "form": form, "current": current,
                                                  "versions": project.label_schemas.all()[:20], "can_lead": True})


def _pretty(data) -> str:
    return json.dumps(data, indent=2)
