"""Weekly audits over HTTP, for QA leads and admins: draw a week (for pipelines that know when
their outputs are all in), and read the weeks drawn with their review progress. Same rules as the
Weekly audits page and `manage.py draw_audit`."""
from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, Sum
from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from reviewapp.audits import actions, lifecycle
from reviewapp.audits.models import AuditItem, AuditRun
from reviewapp.lib.weeks import IsoWeek
from reviewapp.projects.access import lead_project_for

from .auth import PERSON
from .openapi import errors
from .schemas import IsoDateTime, Week

router = Router(tags=["audits"], auth=PERSON)


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
    created_at: IsoDateTime = Field(description="The draw time, which closes the run's frame")
    late_arrivals: int = Field(description="Outputs of the week stored after the draw: outside its frame, not audited")
    url: str


class RefusedOut(Schema):
    detail: str
    reason: str = Field(description="no_plan | future | empty | retired | open (in progress) | in_grace; "
                                    "open and in_grace are drawn with \"early\": true")
    drawable_from: IsoDateTime | None = Field(None, description="When the week's grace period for late arrivals ends (UTC); "
                                                       "none for an empty or retired week")


def _out(run: AuditRun, *, created: bool) -> dict[str, Any]:
    return {"week": str(run.week), "size": run.size, "population": run.population, "required": run.required,
            "drawn_early": run.drawn_early, "created": created, "created_at": run.created_at,
            "late_arrivals": lifecycle.late_arrivals(run),
            "url": f"/p/{run.project.slug}/audits/{run.iso_year}-W{run.iso_week}/"}


@router.post("/projects/{project}/audits",
             response={200: RunOut, 201: RunOut, **errors(400), 409: RefusedOut},
             operation_id="drawWeek", summary="Draw a week's audit")
def draw_week(request: HttpRequest, project: str, body: DrawIn):
    """Draws synchronously and returns the run: 201 when drawn now, 200 when the week was drawn
    already (safe to retry). 409 with a reason when the week cannot be drawn now: it has not
    started, it has no outputs, its outputs were retired by the project's retention, or it is still in progress or in its grace period and `early` is
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
                            "drawable_from": None if status.state in (lifecycle.State.EMPTY, lifecycle.State.RETIRED)
                            else status.ready_at})
    return Status(201 if created else 200, _out(run, created=created))


class StratumProgressOut(Schema):
    name: str
    population: int = Field(description="The stratum's outputs in the week's frame")
    drawn: int = Field(description="Items drawn from it")
    final: int = Field(description="Drawn items with a final label (labelled, or adjudicated by a lead)")
    closed: int = Field(description="Items that left the queue unreviewed when a lead closed the stratum early")
    closed_verdict: str | None = Field(description="The sequential verdict that allowed closing it early, if it was")
    reviews_needed: int = Field(description="Reviews its items still in the sample need in all (overlap items need "
                                            "several; closed items none)")
    reviews_done: int


class AuditOut(Schema):
    week: str
    plan_version: int = Field(description="The sampling plan version the week was drawn under")
    population: int = Field(description="Outputs of the week the draw saw (its frame)")
    size: int = Field(description="Outputs drawn for review")
    required: int = Field(description="Sample size the plan's goal asks for")
    capped: bool = Field(description="The reviewer capacity cut the sample")
    drawn_early: bool
    created_at: IsoDateTime = Field(description="The draw time, which closes the run's frame")
    items_final: int = Field(description="Drawn items with a final label")
    reviews_needed: int
    reviews_done: int
    progress: float = Field(description="reviews_done / reviews_needed, from 0 to 1")
    url: str


class AuditDetailOut(AuditOut):
    late_arrivals: int = Field(description="Outputs of the week stored after the draw: outside its frame, not audited")
    strata: list[StratumProgressOut]


_CLOSED = Q(status=AuditItem.Status.CLOSED)
_TALLY = {"drawn": Count("id"), "closed": Count("id", filter=_CLOSED),
          "reviews_needed": Sum("required_reviews", filter=~_CLOSED), "reviews_done": Sum("labels_count"),
          "final": Count("id", filter=Q(status__in=[AuditItem.Status.LABELLED, AuditItem.Status.ADJUDICATED]))}


def _summary(run: AuditRun, tally: dict[str, Any]) -> dict[str, Any]:
    needed, done = tally.get("reviews_needed") or run.reviews_needed, tally.get("reviews_done") or 0
    return {"week": str(run.week), "plan_version": run.plan.version, "population": run.population, "size": run.size,
            "required": run.required, "capped": run.capped, "drawn_early": run.drawn_early,
            "created_at": run.created_at, "items_final": tally.get("final") or 0,
            "reviews_needed": needed, "reviews_done": done, "progress": min(1.0, done / needed) if needed else 1.0,
            "url": f"/p/{run.project.slug}/audits/{run.iso_year}-W{run.iso_week}/"}


@router.get("/projects/{project}/audits", response={200: list[AuditOut], **errors()},
            operation_id="listAudits", summary="List the weeks drawn, with their review progress")
def list_audits(request: HttpRequest, project: str):
    """Newest week first. Reviews count one per reviewer and item (an overlap item needs several)."""
    target = lead_project_for(request, project, doing="read audits")
    runs = list(target.audit_runs.select_related("plan", "project").order_by("-week_start"))
    tallies = {row.pop("run_id"): row for row in
               AuditItem.objects.filter(run__in=runs).values("run_id").annotate(**_TALLY).order_by()}
    return Status(200, [_summary(run, tallies.get(run.pk, {})) for run in runs])


@router.get("/projects/{project}/audits/{week}", response={200: AuditDetailOut, **errors(400)},
            operation_id="readAudit", summary="Read a week's audit: its plan, sizes and progress per stratum")
def read_audit(request: HttpRequest, project: str, week: Week):
    target = lead_project_for(request, project, doing="read audits")
    try:
        asked = IsoWeek.parse(week)
    except ValueError as exc:
        return Status(400, {"detail": f"week: {exc}"})
    run = target.audit_runs.of_week(asked).select_related("plan", "project").first()
    if run is None:
        return Status(404, {"detail": f"no audit drawn for {asked}"})
    by_stratum = {row.pop("stratum"): row for row in
                  run.items.values("stratum").annotate(**_TALLY).order_by()}
    verdicts = dict(run.closures.values_list("stratum", "verdict"))
    strata = [{"name": name, "population": run.populations.get(name, 0), "drawn": 0, "closed": 0, "final": 0,
               "reviews_needed": 0, "reviews_done": 0, "closed_verdict": verdicts.get(name)}
              | {k: v or 0 for k, v in by_stratum.get(name, {}).items()} for name in run.allocation]
    total = {key: sum(s[key] for s in strata) for key in ("final", "reviews_needed", "reviews_done")}
    return Status(200, _summary(run, total) | {"late_arrivals": lifecycle.late_arrivals(run), "strata": strata})
