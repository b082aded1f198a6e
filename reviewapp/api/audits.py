"""Weekly audits over HTTP, for QA leads and admins: draw a week (for pipelines that know when
their outputs are all in). Same rules as the Weekly audits page and `manage.py draw_audit`."""
from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.security import django_auth
from pydantic import Field

from reviewapp.audits import actions, lifecycle
from reviewapp.audits.models import AuditRun
from reviewapp.lib.weeks import IsoWeek
from reviewapp.projects.access import lead_project_for

from .auth import PersonalToken
from .schemas import ErrorOut

router = Router(tags=["audits"], auth=[PersonalToken(), django_auth])


class DrawIn(Schema):
    week: str = Field(description="ISO week, e.g. 2026-W47", examples=["2026-W47"])
    early: bool = Field(False, description=(
        "Draw a week still in progress or in its grace period for late arrivals: outputs of the week arriving "
        "after the draw are outside its frame and never audited"))


class RunOut(Schema):
    week: str
    size: int = Field(description="Outputs drawn for review")
    population: int = Field(description="Outputs of the week the draw saw (its frame)")
    required: int = Field(description="Sample size the plan's goal asks for")
    drawn_early: bool
    created: bool = Field(description="True when this request drew the week; false when it was drawn already")
    created_at: str = Field(description="The draw time, which closes the run's frame")
    late_arrivals: int = Field(description="Outputs of the week stored after the draw: outside its frame, not audited")
    url: str


class RefusedOut(Schema):
    detail: str
    reason: str = Field(description="no_plan | future | empty | open (in progress) | in_grace; "
                                    "open and in_grace are drawn with \"early\": true")
    drawable_from: str | None = Field(None, description="When the week's grace period for late arrivals ends (UTC); "
                                                       "none for an empty week")


def _out(run: AuditRun, *, created: bool) -> dict[str, Any]:
    return {"week": str(run.week), "size": run.size, "population": run.population, "required": run.required,
            "drawn_early": run.drawn_early, "created": created, "created_at": run.created_at.isoformat(),
            "late_arrivals": lifecycle.late_arrivals(run),
            "url": f"/p/{run.project.slug}/audits/{run.iso_year}-W{run.iso_week}/"}


@router.post("/projects/{project}/audits",
             response={200: RunOut, 201: RunOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: RefusedOut},
             summary="Draw a week's audit")
def draw_week(request: HttpRequest, project: str, body: DrawIn):
    """Draws synchronously and returns the run: 201 when drawn now, 200 when the week was drawn
    already (safe to retry). 409 with a reason when the week cannot be drawn now: it has not
    started, it has no outputs, or it is still in progress or in its grace period and `early` is
    false."""
    target = lead_project_for(request, project, doing="draw audits")
    try:
        week = IsoWeek.parse(body.week)
    except ValueError as exc:
        return Status(400, {"detail": str(exc)})
    try:
        run, created = actions.draw_audit(project=target, week=week, requested_by=request.user, early=body.early)
    except lifecycle.NoPlan as exc:
        return Status(409, {"detail": f"{exc}: save one on its plan page", "reason": "no_plan"})
    except lifecycle.DrawRefused as refused:
        status = refused.status
        hint = ' Send "early": true to draw it anyway.' if status.early_only else ""
        return Status(409, {"detail": f"{refused}{hint}", "reason": str(status.state),
                            "drawable_from": None if status.state == lifecycle.State.EMPTY else status.ready_at.isoformat()})
    return Status(201 if created else 200, _out(run, created=created))
