"""The reviewer's workbench and the QA lead's adjudication desk."""
from __future__ import annotations

import difflib

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_tables2 import RequestConfig

from reviewapp.audits.models import AuditItem
from reviewapp.lib.http import AuthenticatedHttpRequest
from reviewapp.lib.tables import export_response, exporting
from reviewapp.lib.weeks import IsoWeek
from reviewapp.projects.access import LEADS, is_lead, lead_project_for, project_for
from reviewapp.projects.forms import TimeOnTaskForm

from . import actions, discussion
from .access import OpenedItem, open_item
from .filters import LabelFilter
from .forms import answers_from_post, time_on_task
from .guidance import guidance_for
from .models import Claim, GoldLabel, Label, LabelSchema
from .rubric import RubricError
from .tables import DisputedTable, LabelTable

# Session keys: the "saved" note to show once, the submit `u` can undo, and a withdrawn label's answers
# for its form to show again.
TOAST, UNDO, RESTORE = "review_toast", "review_undo", "review_restore"


@require_GET
def queue(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    project = project_for(request, slug)
    week = IsoWeek.containing(timezone.now()).shift(-1)
    weeks = actions.progress_by_week(user=request.user, project=project)
    latest = weeks[0].run if weeks else None
    progress = actions.progress(user=request.user, run=latest) if latest else None
    held = Claim.objects.held_by(request.user).filter(item__project=project).first()
    labels = LabelTable.rows(Label.objects.filter(item__project=project, reviewer=request.user).order_by("-updated_at"),
                             paged=not exporting(request))
    table = LabelTable(labels, project=project)
    RequestConfig(request, paginate={"per_page": 50}).configure(table)
    return export_response(request, table, "my-labels") or render(request, "review/queue.html", {
        "project": project, "progress": progress, "latest": latest, "held": held, "table": table, "week": week,
        "weeks": weeks, "drawn_last_week": bool(latest and latest.week == week), "leads": _lead_names(project),
        "can_lead": is_lead(project, request.user), "toast": _toast(request, project),
    })


@require_POST
def next_item(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    project = project_for(request, slug)
    claim = actions.claim_next(user=request.user, project=project)
    if claim is None:
        if AuditItem.objects.filter(project=project).exists():
            messages.info(request, "Nothing left for you to review in this project: every drawn item has its "
                                   "reviews, is claimed by someone else, or was done by you. Thank you!")
        else:
            messages.info(request, "Nothing has been drawn for review in this project yet. The project's QA leads "
                                   f"draw each week's audit: {_lead_names(project) or 'none named yet'}.")
        return redirect("reviewapp:review-queue", project.slug)
    return redirect("reviewapp:review-item", project.slug, claim.item_id)


def _lead_names(project) -> str:
    return ", ".join(project.memberships.filter(role__in=LEADS).order_by("user__username")
                     .values_list("user__username", flat=True))


def _item_for(request: AuthenticatedHttpRequest, slug: str, item_id: int) -> OpenedItem:
    project = project_for(request, slug)
    items = discussion.with_presence(AuditItem.objects.select_related("output", "run"), request.user)
    return open_item(project, request.user, item_id, items=items)


@require_GET
def item_page(request: AuthenticatedHttpRequest, slug: str, item_id: int) -> HttpResponse:
    opened = _item_for(request, slug, item_id)
    restore = request.session.pop(RESTORE, None) if RESTORE in request.session else None
    given = restore["answers"] if restore and restore["item"] == item_id and opened.label is None else None
    return _item_response(request, opened, given=given, revising="revise" in request.GET)


def _item_response(request: AuthenticatedHttpRequest, opened: OpenedItem, *, given: dict | None = None, errors: dict[str, str] | None = None, refused: str = "",
                   revising: bool = False) -> HttpResponse:
    """The item page. A label already given shows read-only until the reviewer asks to revise it (so a
    stale form never becomes a revision by accident); a refused submit shows every answer given
    (`given`, as posted) with every fault named (a 200, as Django answers a form shown again with its
    errors; nothing was stored)."""
    project, item, claim, label = opened.project, opened.item, opened.claim, opened.label
    schema = label.schema if label else LabelSchema.current(project)
    errors = errors or {}
    values = given if given is not None else (label.answers if label else {})
    guidance = guidance_for(schema)
    questions = [{**q, "error": errors.get(q["key"], "")} for q in _with_values(guidance.form_questions, values)]
    failed = bool(errors or refused)
    return render(request, "review/item.html", {
        "project": project, "item": item, "output": item.output, "claim": claim, "label": label, "schema": schema,
        "questions": questions, "errors": [errors[q["key"]] for q in questions if q["key"] in errors],
        "refused": refused, "readonly": bool(label) and not revising and not failed,
        "expired": bool(claim and claim.expired), "diff": _diff(item.output.output, label) if label else None,
        "pace": actions.pace(user=request.user, item=item), "toast": _toast(request, project),
        "draft_key": f"spotcheck:draft:{project.slug}:{item.pk}:{request.user.pk}", "shortcut_keys": guidance.shortcut_keys,
    })


@require_POST
def submit(request: AuthenticatedHttpRequest, slug: str, item_id: int) -> HttpResponse:
    opened = _item_for(request, slug, item_id)
    project, item, label = opened.project, opened.item, opened.label
    schema = label.schema if label else LabelSchema.current(project)
    data = answers_from_post(schema.questions, request.POST)
    try:
        label, created = actions.save_label(item=item, user=request.user, data=data,
                                            time_on_task_ms=time_on_task(request.POST))
    except RubricError as exc:
        errors = schema.rubric.clean_all(data)[1] or {"": str(exc)}
        return _item_response(request, opened, given=data, errors=errors)
    except actions.ReviewError as exc:
        return _item_response(request, opened, given=data, refused=str(exc))
    _remember_saved(request, project, item, label, revised=not created)
    if not created:
        messages.success(request, "Your label was revised; the earlier version is kept in its history.")
        return redirect("reviewapp:review-item", project.slug, item.pk)
    _say_agreement(request, label)
    return next_item(request, slug)


def _remember_saved(request: HttpRequest, project, item: AuditItem, label: Label, *, revised: bool) -> None:
    saved = {"project": project.slug, "item": item.pk, "name": item.output.external_id, "label": label.pk,
             "revised": revised, "at": timezone.now().timestamp()}
    request.session[TOAST] = saved
    request.session[UNDO] = saved


def _toast(request: HttpRequest, project) -> dict | None:
    """The "saved" note for the submit just made, shown once, with undo while its window is open."""
    saved = request.session.pop(TOAST, None)
    if not saved or saved.get("project") != project.slug:
        return None
    left = actions.UNDO_WINDOW.total_seconds() - (timezone.now().timestamp() - saved["at"])
    return {**saved, "undo_seconds": max(0, int(left))}


@require_POST
def undo(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    project = project_for(request, slug)
    saved = request.session.get(UNDO)
    if not saved or saved.get("project") != project.slug:
        messages.error(request, "There is no submit of yours to undo.")
        return redirect("reviewapp:review-queue", project.slug)
    try:
        item, outcome, undone = actions.undo_submit(label_id=saved["label"], user=request.user)
    except actions.ReviewError as exc:
        messages.error(request, f"Could not undo: {exc}.")
        return redirect("reviewapp:review-item", project.slug, saved["item"])
    request.session.pop(UNDO, None)
    if outcome == "withdrawn":
        request.session[RESTORE] = {"item": item.pk, "answers": undone}
        messages.success(request, f"Undone: your label on {saved['name']} was withdrawn; the item is yours to label again.")
        return redirect("reviewapp:review-item", project.slug, item.pk)
    messages.success(request, f"Undone: your label on {saved['name']} has its previous answers again (a new revision).")
    return redirect(reverse("reviewapp:review-item", args=[project.slug, item.pk]) + "?revise=1")


@require_POST
def skip(request: AuthenticatedHttpRequest, slug: str, item_id: int) -> HttpResponse:
    opened = _item_for(request, slug, item_id)
    project, item, claim = opened.project, opened.item, opened.claim
    try:
        if claim is None:
            raise actions.ReviewError("claim the item first")
        actions.skip(claim=claim, user=request.user, reason=request.POST.get("reason", ""))
    except actions.ReviewError as exc:
        messages.error(request, str(exc))
        return redirect("reviewapp:review-item", project.slug, item.pk)
    return next_item(request, slug)


@require_GET
def history(request: AuthenticatedHttpRequest, slug: str, item_id: int) -> HttpResponse:
    opened = _item_for(request, slug, item_id)
    project, item, label, leads = opened.project, opened.item, opened.label, opened.lead
    # Blind until you have labelled: a reviewer sees only their own history.
    if leads:
        labels = item.labels.select_related("reviewer", "schema")
    else:
        labels = Label.objects.filter(pk=label.pk).select_related("schema") if label else Label.objects.none()
    revisions = [(lbl, lbl.revisions.select_related("author")) for lbl in labels]
    gold = GoldLabel.objects.filter(item=item).prefetch_related("revisions__author").first() if leads else None
    # A gold label keeps no rubric version of its own: it was ruled on the reviewers' questions.
    gold_schema = (revisions[0][0].schema if revisions else LabelSchema.current(project)) if gold else None
    return render(request, "review/history.html", {"project": project, "item": item, "revisions": revisions, "gold": gold,
                                                   "gold_schema": gold_schema})


@require_http_methods(["GET", "POST"])
def labels(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """Every label of the project, by reviewer (QA leads); reviewers have their own on the queue page.
    Here too the lead sets the time on task under which a label is flagged as possibly unread."""
    project = lead_project_for(request, slug)
    pace = TimeOnTaskForm(request.POST if request.method == "POST" else None, instance=project)
    if request.method == "POST" and pace.is_valid():
        pace.save()
        messages.success(request, f"Labels given in under {project.min_seconds_on_task} s are flagged as possibly unread.")
        return redirect("reviewapp:labels", project.slug)
    found = LabelFilter(request.GET, project=project,
                        queryset=LabelTable.rows(Label.objects.filter(item__project=project).order_by("-updated_at"),
                                                 paged=not exporting(request)))
    table = LabelTable(found.qs, project=project, flag_fast=True)
    RequestConfig(request, paginate={"per_page": 50}).configure(table)
    return export_response(request, table, "labels") or render(
        request, "review/labels.html", {"project": project, "table": table, "filter": found, "can_lead": True,
                                        "pace": pace, "too_fast": Label.objects.filter(item__project=project).too_fast().count()})


@require_GET
def disputed(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    project = lead_project_for(request, slug)
    items = AuditItem.objects.filter(project=project).disputed().select_related("output", "project")
    table = DisputedTable(items)
    RequestConfig(request, paginate={"per_page": 50}).configure(table)
    return export_response(request, table, "disagreements") or render(
        request, "review/disputed.html", {"project": project, "table": table, "can_lead": True})


@require_http_methods(["GET", "POST"])
def adjudicate(request: AuthenticatedHttpRequest, slug: str, item_id: int) -> HttpResponse:
    """The lead's ruling on an item, blind by default: the gold form starts empty (or with the gold
    label already recorded, said so), so a tired Ctrl+Enter cannot turn a reviewer's label into gold.
    The reviewers' answers sit beside it; adopting one's is an explicit act (`?adopt=<label id>`,
    or its button, which fills the form in the browser). A refused ruling shows what was posted."""
    project = lead_project_for(request, slug, doing="adjudicate")
    item = get_object_or_404(AuditItem.objects.select_related("output"), project=project, pk=item_id)
    labels = list(item.labels.select_related("reviewer", "schema").order_by("created_at"))
    schema = LabelSchema.current(project)
    gold = GoldLabel.objects.filter(item=item).select_related("decided_by").first()
    errors: dict[str, str] = {}
    refused = reason = ""
    adopted: Label | None = None
    if request.method == "POST":
        data = answers_from_post(schema.questions, request.POST)
        reason = request.POST.get(ADJUDICATION_REASON, "")
        try:
            actions.adjudicate(item=item, user=request.user, data=data, reason=reason)
        except RubricError as exc:
            errors = schema.rubric.clean_all(data)[1] or {"": str(exc)}
        except actions.ReviewError as exc:
            refused = str(exc)
        else:
            messages.success(request, "Gold label recorded.")
            return redirect("reviewapp:adjudication", project.slug)
        values, source = data, "posted"
    elif "adopt" in request.GET:
        adopted = next((lbl for lbl in labels if str(lbl.pk) == request.GET["adopt"]), None)
        if adopted is None:
            messages.error(request, "That label is not one of this item's reviews: nothing was filled in.")
        values, source = (adopted.answers, "adopted") if adopted else ({}, "empty")
    else:
        values, source = (gold.answers, "gold") if gold else ({}, "empty")
    questions = [{**q, "error": errors.get(q["key"], "")} for q in _with_values(guidance_for(schema).form_questions, values)]
    differing = set(schema.rubric.disagreements([lbl.answers for lbl in labels]))
    return render(request, "review/adjudicate.html", {
        "project": project, "item": item, "output": item.output, "labels": labels, "questions": questions,
        "differing": differing, "gold": gold, "source": source, "adopted": adopted, "reason": reason,
        "reason_field": ADJUDICATION_REASON, "errors": list(errors.values()), "refused": refused,
        "adoptable": {str(lbl.pk): {"reviewer": str(lbl.reviewer), "answers": lbl.answers} for lbl in labels},
    })


# The gold form's reason field: not an identifier, so no rubric question's key can take its name.
ADJUDICATION_REASON = "gold-reason"


def _with_values(questions: list[dict], answers: dict) -> list[dict]:
    return [{**q, "value": answers.get(q["key"])} for q in questions]


def _diff(original: str, label: Label | None) -> list[tuple[str, str]] | None:
    """Word-level diff of the corrected output against the original, as (op, text) pairs."""
    corrected = label.schema.rubric.correction_of(label.answers) if label else None
    if not corrected:
        return None
    a, b = original.split(), corrected.split()
    pieces: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op in ("delete", "replace"):
            pieces.append(("del", " ".join(a[i1:i2])))
        if op in ("insert", "replace"):
            pieces.append(("ins", " ".join(b[j1:j2])))
        if op == "equal":
            pieces.append(("same", " ".join(a[i1:i2])))
    return pieces


def _say_agreement(request: HttpRequest, label: Label) -> None:
    if not label.schema.reveal_agreement:
        return
    others = list(label.item.labels.exclude(pk=label.pk))
    if others:
        agree = sum(1 for other in others if other.verdict == label.verdict)
        messages.info(request, f"{agree} of {len(others)} other reviewer(s) gave the same verdict.")
