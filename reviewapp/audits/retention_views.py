"""The Retention page: a project's leads see what retention keeps, what the next daily run would
retire (retention.plan, read from the rollup and the frozen copies: a fixed handful of queries
whatever the number of outputs) and set how many weeks to keep.

Saving retires nothing: the daily job does (audits.tasks.retention_job), so a wrong number can be
put right before it runs, and the preview shown is what that run would do."""
from __future__ import annotations

import copy
import logging

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from reviewapp.lib.http import AuthenticatedHttpRequest
from reviewapp.projects.access import lead_project_for
from reviewapp.projects.models import Project

from . import retention
from .forms import RetentionForm

logger = logging.getLogger("reviewapp.audits")


def setting_in_words(project: Project, now) -> str:
    cutoff = retention.cutoff_for(project, now)
    if cutoff is None:
        return "Keeps every output."
    weeks = project.retention_weeks
    return (f"Keeps {weeks} whole UTC week{'s' if weeks != 1 else ''} before the current one; outputs before "
            f"{cutoff:%Y-%m-%d} are retired by the daily retention job.")


def _preview(project: Project, now) -> retention.ProjectRetention | None:
    found = retention.plan([project], now=now)
    return found[0] if found else None


def _what_if(request: AuthenticatedHttpRequest, project: Project) -> tuple[RetentionForm | None, Project | None]:
    """?weeks=N: the preview for a setting not saved (validated as a save would be), so the lead sees
    what a number would retire before choosing it."""
    if "weeks" not in request.GET:
        return None, None
    trial = copy.copy(project)
    form = RetentionForm({"retention_weeks": request.GET["weeks"]}, instance=trial)
    if not form.is_valid() or form.cleaned_data["retention_weeks"] is None:
        return form, None
    trial.retention_weeks = form.cleaned_data["retention_weeks"]
    return form, trial


@require_http_methods(["GET", "POST"])
def retention_page(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    project = lead_project_for(request, slug, doing="see or change the project's retention")
    now = timezone.now()
    # In words before the form is bound: an invalid POST must not show its number as the setting.
    words, saved = setting_in_words(project, now), project.retention_weeks
    form = RetentionForm(request.POST if request.method == "POST" else None, instance=project)
    if request.method == "POST" and form.is_valid():
        form.save(commit=False)
        project.save(update_fields=["retention_weeks"])  # not retired_before: the daily job may be writing it
        logger.info("%s set the retention of %s from %s to %s weeks", request.user.get_username(), project.slug,
                    saved, project.retention_weeks)
        messages.success(request, f"Saved. {setting_in_words(project, now)} Nothing was retired now: the daily "
                                  "retention job does it, so the preview below is what its next run will retire.")
        return redirect("reviewapp:retention", project.slug)
    what_if_form, trial = _what_if(request, project) if request.method == "GET" else (None, None)
    return render(request, "audits/retention.html", {
        "project": project, "form": form, "words": words, "what_if_form": what_if_form,
        "shown": _preview(trial or project, now), "shown_trial": trial is not None,
        "what_if_words": setting_in_words(trial, now) if trial else "",
    })
