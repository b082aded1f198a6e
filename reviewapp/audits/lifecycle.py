"""A week's lifecycle: when its audit may be drawn, and what a run's frame leaves out.

A week runs Monday 00:00 to Monday 00:00 in the plan's time zone. It is
- future   before it starts: there is nothing to draw (refused);
- open     while it runs: drawable only early, on purpose;
- in grace from its end until end + the plan's grace period for late arrivals: drawable only
           early (producers that batch or retry send outputs after the fact);
- ready    after that: drawable, and the scheduler draws it within the hour;
- drawn    once it has a run (one per week: drawing it again returns that run).
A week without outputs is refused whatever its time ("empty"): a 0 / 0 run audits nothing.

A run's frame is what its draw saw: the week's outputs stored when it ran (its created_at closes
the frame, in one database snapshot). Outputs of the week stored afterwards are outside the frame
and never audited; late_arrivals(run) counts them.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from reviewapp.ingest.models import Output
from reviewapp.ingest.volume import outputs_between
from reviewapp.lib.weeks import IsoWeek
from reviewapp.projects.models import Project

from .models import MAX_GRACE_HOURS, AuditRun, SamplingPlan


class NoPlan(Exception):
    pass


class State(enum.StrEnum):
    FUTURE = "future"
    OPEN = "open"
    IN_GRACE = "in_grace"
    READY = "ready"
    EMPTY = "empty"
    DRAWN = "drawn"
    RETIRED = "retired"


EARLY_ONLY = (State.OPEN, State.IN_GRACE)
REFUSED = (State.FUTURE, State.EMPTY, State.RETIRED)


@dataclass(frozen=True)
class WeekStatus:
    week: IsoWeek
    state: State
    starts_at: datetime  # UTC
    ends_at: datetime  # UTC
    ready_at: datetime  # UTC: the end plus the grace period
    time_zone: str
    grace_hours: int
    as_of: datetime  # the "now" the status was taken at
    run: AuditRun | None = None
    retired_before: datetime | None = None  # the project's retention: outputs before this are gone

    @property
    def drawable(self) -> bool:
        """Drawable now without asking for an early draw."""
        return self.state == State.READY

    @property
    def early_only(self) -> bool:
        return self.state in EARLY_ONLY

    @property
    def current(self) -> bool:
        """The week is running."""
        return self.starts_at <= self.as_of < self.ends_at

    def local(self, moment: datetime) -> str:
        return f"{moment.astimezone(ZoneInfo(self.time_zone)):%a %Y-%m-%d %H:%M} {self.time_zone}"

    @property
    def grace(self) -> str:
        return f"{self.grace_hours} hour{'' if self.grace_hours == 1 else 's'}"

    @property
    def message(self) -> str:
        week, run = self.week, self.run
        if self.state == State.DRAWN:
            assert run is not None  # week_status calls a week drawn exactly when it has a run
            return f"{week} is already drawn: {run.size} of {run.population} outputs, on {self.local(run.created_at)}."
        if self.state == State.RETIRED:
            return (f"{week}'s outputs were retired by the project's retention (outputs before "
                    f"{self.retired_before:%Y-%m-%d} UTC are no longer stored): it can no longer be drawn.")
        if self.state == State.FUTURE:
            return f"{week} has not started yet (it starts {self.local(self.starts_at)}): there is nothing to draw."
        if self.state == State.EMPTY:
            return f"{week} has no outputs{' yet' if self.starts_at <= self.as_of < self.ready_at else ''}: there is nothing to audit."
        early = ("Drawing it now is an early draw: outputs of this week arriving after the draw are outside its "
                 "frame and will not be audited.")
        if self.state == State.OPEN:
            return (f"{week} is still in progress: it ends {self.local(self.ends_at)}, and with the grace period for late "
                    f"arrivals ({self.grace}) it is drawn from {self.local(self.ready_at)}. {early}")
        if self.state == State.IN_GRACE:
            return (f"{week} ended {self.local(self.ends_at)}, but outputs may still arrive until {self.local(self.ready_at)} "
                    f"(grace period for late arrivals: {self.grace}). {early}")
        return f"{week} can be drawn: it ended {self.local(self.ends_at)} and its grace period for late arrivals is over."


class DrawRefused(Exception):
    """The week cannot be drawn now: future, empty, or (without early=True) still open or in grace."""

    def __init__(self, status: WeekStatus):
        self.status = status
        self.reason = status.state
        super().__init__(status.message)


_UNKNOWN = object()


def _now() -> datetime:
    return timezone.now()


def week_status(project: Project, week: IsoWeek, *, plan: SamplingPlan | None = None, now: datetime | None = None,
                run=_UNKNOWN) -> WeekStatus:
    """Where the week stands for the project's current plan (its time zone and grace period).

    `run`: the week's run or None when the caller already looked it up (the run list does).
    Costs at most two indexed lookups: the run, and whether the week has any output."""
    plan = plan or SamplingPlan.current(project)
    if plan is None:
        raise NoPlan(f"project {project.slug!r} has no sampling plan yet")
    now = now or _now()
    start, end = week.bounds(plan.time_zone)
    ready = end + timedelta(hours=plan.grace_hours)
    if run is _UNKNOWN:
        run = project.audit_runs.of_week(week).first()
    if run is not None:
        state = State.DRAWN
    elif now < start:
        state = State.FUTURE
    elif project.retired_before is not None and start < project.retired_before:
        state = State.RETIRED  # some or all of its outputs are gone: a draw would miss them
    elif not Output.objects.filter(project=project, occurred_at__gte=start, occurred_at__lt=end).exists():
        state = State.EMPTY
    elif now < end:
        state = State.OPEN
    elif now < ready:
        state = State.IN_GRACE
    else:
        state = State.READY
    return WeekStatus(week=week, state=state, starts_at=start, ends_at=end, ready_at=ready,
                      time_zone=plan.time_zone, grace_hours=plan.grace_hours, as_of=now, run=run,
                      retired_before=project.retired_before)


def check_drawable(status: WeekStatus, *, early: bool = False) -> None:
    """Raise DrawRefused unless the week may be drawn now (an early draw only with early=True).
    A drawn week passes: drawing it again returns its run."""
    if status.state in REFUSED or (status.state in EARLY_ONLY and not early):
        raise DrawRefused(status)


def latest_due_week(plan: SamplingPlan, now: datetime | None = None) -> IsoWeek:
    """The latest week whose grace period is over: the one the scheduler draws.

    With a grace of at most a week (MAX_GRACE_HOURS), each week is the due week for seven days
    from the end of its grace, so an hourly scheduler never skips one."""
    now = now or _now()
    last = IsoWeek.containing(now, plan.time_zone).shift(-1)
    _, end = last.bounds(plan.time_zone)
    grace = timedelta(hours=min(plan.grace_hours, MAX_GRACE_HOURS))
    return last if now >= end + grace else last.shift(-1)


def late_arrivals(run: AuditRun) -> int:
    """Outputs of the run's week stored after its draw: outside its frame, never audited.

    The week's outputs now, less those the draw counted (run.populations, taken in the draw's
    snapshot): from the hourly rollup (ingest.volume.outputs_between, exact), never a COUNT of the
    week's outputs (3.4 s a page at a million outputs a week, issue 19).
    Outputs are never updated or deleted one by one, so the difference is exactly the late ones,
    including outputs of an import that was still running when the week was drawn (whose
    ingested_at, stamped when the import started, can be earlier than the draw)."""
    retired = run.project.retired_before
    if retired is not None and run.week_start < retired:
        return 0  # the week's outputs are retired: counted while stored, not after (docs/scaling.md)
    now_in_week = outputs_between(run.project_id, run.week_start, run.week_end)
    return max(0, now_in_week - run.population)
