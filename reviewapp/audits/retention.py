"""Retention: a project keeps its last N whole UTC weeks of outputs; older weeks are retired.

What goes: the outputs of the retired weeks, their rollup rows and keys, and the judge
evaluations of the outputs never drawn. What stays: every drawn output as its frozen copy
(DrawnOutput, made by the draw), so audits, labels, metrics and exports outlive retention; the
evaluations of drawn outputs (exports and the judge's agreement read them by output id); the runs
with their populations.

How: on PostgreSQL, a week's partition (ingest.partitions) is dropped whole once every project
with outputs in it has let that week go: milliseconds, no dead rows. Otherwise (a partition
shared with a project that keeps it, the default partition, SQLite) the project's old outputs are
deleted in batches, each batch in its own transaction (an output goes with its evaluations and
its rollup count, or not at all), so an interrupted run leaves nothing half-done and a rerun
finishes the job. A week is retired only after the minimum retention (MIN_RETENTION_WEEKS): its
draw, due at most a week after it ends, has long happened.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction
from django.db.models import Count, Sum
from django.db.models.functions import TruncWeek
from django.utils import timezone

from reviewapp.ingest import partitions
from reviewapp.ingest.models import Evaluation, Output, OutputVolume
from reviewapp.projects.models import MIN_RETENTION_WEEKS, Project

from .models import AuditRun, DrawnOutput
from .signals import outputs_retiring

logger = logging.getLogger("reviewapp.audits")

BATCH = 5_000  # outputs per delete transaction: short locks, steady progress


@dataclass(frozen=True)
class RetiredWeek:
    start: datetime  # Monday 00:00 UTC
    outputs: int  # stored outputs of the week, from the rollup
    drawn: int  # of them drawn: they stay as frozen copies
    runs: int  # audit runs of the week (they stay)
    by_partition: bool  # PostgreSQL drops the week's partition; else its rows are deleted

    @property
    def label(self) -> str:
        year, week, _ = self.start.date().isocalendar()
        return f"{year}-W{week:02d}"


@dataclass
class ProjectRetention:
    project: Project
    cutoff: datetime  # outputs that occurred before this go
    weeks: list[RetiredWeek] = field(default_factory=list)

    @property
    def outputs(self) -> int:
        return sum(w.outputs for w in self.weeks)

    def in_words(self) -> str:
        keep = self.project.retention_weeks
        head = (f"{self.project.slug}: keeps {keep} whole UTC weeks before the current one "
                f"(outputs from {self.cutoff:%Y-%m-%d} on)")
        if not self.weeks:
            return f"{head}; nothing older is stored."
        lines = [f"{head}; {self.outputs:,} outputs of {len(self.weeks)} weeks go:"]
        for w in self.weeks:
            how = "its partition is dropped" if w.by_partition else "deleted in batches"
            kept = f"{w.drawn:,} drawn stay as frozen copies" if w.drawn else "none drawn"
            runs = f", {w.runs} audit run{'s' if w.runs != 1 else ''} kept" if w.runs else ""
            lines.append(f"  {w.label}: {w.outputs:,} outputs ({kept}{runs}); {how}")
        return "\n".join(lines)


def cutoff_for(project: Project, now: datetime) -> datetime | None:
    if not project.retention_weeks:
        return None
    monday, _ = partitions.week_of(now)
    return monday - timedelta(weeks=project.retention_weeks)


def plan(projects: Iterable[Project] | None = None, now: datetime | None = None,
         droppable: dict | None = None) -> list[ProjectRetention]:
    """What a retention run would retire now, from the rollup and the frozen copies: no scan of the outputs.
    `droppable` is _droppable_partitions(now) when the caller has it already."""
    now = now or timezone.now()
    if projects is None:
        projects = Project.objects.filter(retention_weeks__isnull=False).order_by("slug")
    if droppable is None:
        droppable = _droppable_partitions(now)
    found = []
    for project in projects:
        cutoff = cutoff_for(project, now)
        if cutoff is None:
            continue
        stored = _per_week(OutputVolume.objects.filter(project=project, hour__lt=cutoff), "hour", Sum("n"))
        drawn = _per_week(DrawnOutput.objects.filter(project=project, occurred_at__lt=cutoff), "occurred_at", Count("pk"))
        runs = _per_week(AuditRun.objects.filter(project=project, week_start__lt=cutoff), "week_start", Count("pk"))
        weeks = [RetiredWeek(start, n, drawn.get(start, 0), runs.get(start, 0), start in droppable)
                 for start, n in sorted(stored.items()) if n]
        found.append(ProjectRetention(project, cutoff, weeks))
    return found


def _per_week(queryset, column: str, aggregate) -> dict[datetime, int]:
    rows = queryset.annotate(week=TruncWeek(column, tzinfo=UTC)).order_by().values("week").annotate(n=aggregate)
    return {row["week"].astimezone(UTC): int(row["n"] or 0) for row in rows}


def _droppable_partitions(now: datetime) -> dict[datetime, tuple[partitions.Partition, set[int]]]:
    """Week partitions every project with outputs in them has let go (PostgreSQL), by their Monday, each
    with the projects holding outputs in it (one query on the rollup serves both plan() and retire())."""
    if not partitions.is_partitioned():
        return {}
    cutoffs = {p.pk: cutoff_for(p, now) for p in Project.objects.all()}
    monday, _ = partitions.week_of(now)
    never_after = monday - timedelta(weeks=MIN_RETENTION_WEEKS)  # the weeks ahead and recent ones always stay
    holders: dict[datetime, set[int]] = {}  # the projects with outputs in each UTC week: one query on the rollup
    for row in OutputVolume.objects.annotate(week=TruncWeek("hour", tzinfo=UTC)).values("week", "project_id").distinct():
        holders.setdefault(row["week"].astimezone(UTC), set()).add(row["project_id"])
    found = {}
    for partition in partitions.partitions():
        if partition.start is None or partition.end is None or partition.end > never_after:
            continue  # the default partition holds rows of any week: they are deleted row by row
        held = holders.get(partition.start, set())
        if all((cut := cutoffs.get(pk)) is not None and partition.end <= cut for pk in held):
            found[partition.start] = (partition, held)
    return found


def retire(now: datetime | None = None, projects: Iterable[Project] | None = None,
           progress: Callable[[str], None] | None = None) -> list[ProjectRetention]:
    """Retire what plan() says; returns that plan. Safe to run twice, and to resume after a failure."""
    now = now or timezone.now()
    say = progress or logger.info
    droppable = _droppable_partitions(now)
    plans = plan(projects, now, droppable)
    for retention in plans:
        if retention.weeks:
            outputs_retiring.send(sender=Project, project=retention.project, cutoff=retention.cutoff)
    chosen = {p.project.pk for p in plans}
    for partition, held in droppable.values():
        if projects is not None and not held <= chosen:
            continue  # another project, not chosen this run, still has outputs in it
        _forget_evaluations_of(partition.name)
        partitions.drop_partition(partition)
        say(f"dropped partition {partition.name} ({partition.start:%Y-%m-%d} to {partition.end:%Y-%m-%d})")
    for retention in plans:
        deleted = _delete_older(retention.project, retention.cutoff, say)
        project = retention.project
        if project.retired_before is None or project.retired_before < retention.cutoff:
            project.retired_before = retention.cutoff
            project.save(update_fields=["retired_before"])
        say(f"{project.slug}: outputs before {retention.cutoff:%Y-%m-%d} retired "
            f"({retention.outputs:,} planned, {deleted:,} deleted row by row)")
    partitions.ensure_partitions(now)
    return plans


def _forget_evaluations_of(partition_name: str) -> None:
    """The evaluations of a partition's outputs, except the drawn ones' (kept with their frozen copies)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {Evaluation._meta.db_table} e USING {partition_name} p WHERE e.output_id = p.id "
            f"AND NOT EXISTS (SELECT 1 FROM {DrawnOutput._meta.db_table} d WHERE d.id = p.id)")


def _delete_older(project: Project, cutoff: datetime, say: Callable[[str], None]) -> int:
    """Delete the project's outputs before the cutoff in batches; returns how many."""
    quote = connection.ops.quote_name
    deleted = 0
    while True:
        with transaction.atomic():
            ids = list(Output.objects.filter(project=project, occurred_at__lt=cutoff)
                       .order_by("occurred_at").values_list("pk", flat=True)[:BATCH])
            if not ids:
                return deleted
            drawn = set(DrawnOutput.objects.filter(pk__in=ids).values_list("pk", flat=True))
            with connection.cursor() as cursor:
                for at in range(0, len(ids), 500):
                    chunk = ids[at:at + 500]
                    marks = ", ".join(["%s"] * len(chunk))
                    gone = [pk for pk in chunk if pk not in drawn]
                    if gone:
                        cursor.execute(f"DELETE FROM {quote(Evaluation._meta.db_table)} WHERE output_id IN "
                                       f"({', '.join(['%s'] * len(gone))})", gone)
                    # Raw SQL, not the ORM's delete: Django would cascade to the drawn outputs' evaluations.
                    cursor.execute(f"DELETE FROM {quote(Output._meta.db_table)} WHERE occurred_at < %s AND id IN ({marks})",
                                   [connection.ops.adapt_datetimefield_value(cutoff), *chunk])
            deleted += len(ids)
        say(f"{project.slug}: {deleted:,} outputs deleted")
