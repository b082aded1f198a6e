"""The rubric page of a project: a lead builds the next rubric version and previews the reviewer's
form as the item page will show it, rendered here from the same template."""
from __future__ import annotations

import json

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from reviewapp.lib.http import AuthenticatedHttpRequest
from reviewapp.projects.access import lead_project_for

from .forms import RubricForm
from .guidance import form_questions_of
from .models import LabelSchema
from .rubric import RubricError
from .rubric_changes import dropped


@require_http_methods(["GET", "POST"])
def rubric(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    project = lead_project_for(request, slug)
    current = LabelSchema.current(project)
    form = RubricForm(request.POST or None, initial={"definition": _pretty(current.definition),
                                                     "reveal_agreement": current.reveal_agreement,
                                                     "guidelines": current.guidelines})
    shown = _preview(project, current, request.POST.get("definition", "") if form.is_bound else _pretty(current.definition))
    if request.method == "POST" and form.is_valid():
        if shown["dropped"] and not form.cleaned_data["confirm_changes"]:
            form.add_error("confirm_changes", "This version drops answers that labels already given use (listed above): "
                                              "tick the box to save it anyway.")
        else:
            saved = LabelSchema.create_next(project=project, definition=form.cleaned_data["definition"],
                                            reveal_agreement=form.cleaned_data["reveal_agreement"],
                                            guidelines=form.cleaned_data["guidelines"].strip(), created_by=request.user)
            messages.success(request, f"Saved rubric version {saved.version}; labels already given keep theirs.")
            return redirect("reviewapp:rubric", project.slug)
    return render(request, "review/rubric.html", {
        "project": project, "form": form, "current": current, "versions": project.label_schemas.all()[:20],
        "can_lead": True, "confirm": form["confirm_changes"], **shown})


@require_POST
def preview(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """The reviewer's form for the definition being built (htmx, on every change), or why it cannot be
    saved yet; with what it drops that labels use, and the box to confirm that (swapped in beside Save)."""
    project = lead_project_for(request, slug)
    current = LabelSchema.current(project)
    return render(request, "review/_rubric_preview.html", {
        "project": project, "confirm": RubricForm()["confirm_changes"], "oob": True,
        **_preview(project, current, request.POST.get("definition", ""))})


def _preview(project, current: LabelSchema, text: str) -> dict:
    """The preview's parts: the form's questions, or the error in words; and what the definition drops."""
    try:
        _, parsed = RubricForm.read_definition(text)
    except RubricError as exc:
        return {"preview_error": str(exc), "preview_questions": [], "dropped": []}
    return {"preview_error": "", "preview_questions": form_questions_of(parsed),
            "dropped": dropped(project, current.rubric, parsed)}


def _pretty(data) -> str:
    return json.dumps(data, indent=2)
