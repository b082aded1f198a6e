"""The weekly draw: stratum populations, sizes, and the sample, selected in the database.

Every output carries its sample key from ingest: sampling.draw_key(external_id) under the
project's fixed seed and secret, a 60-bit integer. The week's outputs never come into Python.
One query counts outputs per stratum; another returns only candidates, outputs whose key falls
below a per-stratum threshold set a few standard deviations above n_h / N_h of the key range.
The n_h smallest keys of a stratum are among its candidates whenever it has at least n_h of
them (else that stratum is read in full, in key order, which in practice never happens), so the
sample is exactly sampling.draw() for the same ids: simple random sampling without replacement
within strata, identical on SQLite and PostgreSQL. Counting, selecting and writing happen in one
transaction over one snapshot (REPEATABLE READ on PostgreSQL; SQLite's write transaction), so
outputs arriving meanwhile are either in the populations and candidates both or in neither: the
run's frame. A database constraint allows one run per project and ISO week, so a rerun, a second
worker or a killed job never leaves a duplicate or a partial run. When a week may be drawn is
lifecycle.py's business: draw_audit refuses future and empty weeks, and weeks still open or in
their grace period unless early=True. The seed is the project's, fixed:
weeks are independent because their outputs differ, and nobody can re-roll a week until its
sample looks better.
"""
from __future__ import annotations

import logging
import math
from collections.abc import Collection
from contextlib import contextmanager
from datetime import UTC, datetime

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Sum
from django.db.models.functions import Coalesce, Collate
from django.utils import timezone

from reviewapp.ingest.models import Output, OutputVolume
from reviewapp.lib.analyze import analyze_after_commit
from reviewapp.lib.weeks import IsoWeek
from reviewapp.projects.models import Project
from sampling.draws import KEY_BITS

from . import lifecycle, planning
from .freeze import freeze_outputs
from .lifecycle import DrawRefused, NoPlan  # noqa: F401 (callers catch them from here)
from .models import AuditItem, AuditRun, SamplingPlan, StratumClosure
from .strata import stratum_expression

logger = logging.getLogger("reviewapp.audits")
# Items a draw must insert before it runs ANALYZE on the items table (PostgreSQL, after the draw's
# transaction commits: reviewapp/lib/analyze.py), so the queue's plans over the new run never wait
# for autovacuum. A typical week's sample (hundreds to a few thousand) stays below it.
ANALYZE_AFTER_ITEMS = 5_000


def week_outputs(project: Project, plan: SamplingPlan, week: IsoWeek):
    start, end = week.bounds(plan.time_zone)
    return Output.objects.filter(project=project, occurred_at__gte=start, occurred_at__lt=end).annotate(
        stratum=stratum_expression(plan.rules())
    )


def populations(project: Project, plan: SamplingPlan, week: IsoWeek) -> dict[str, int]:
    rows = week_outputs(project, plan, week).order_by().values("stratum").annotate(n=Count("id"))
    return {row["stratum"]: row["n"] for row in rows}


def planning_populations(project: Project, plan: SamplingPlan, week: IsoWeek) -> dict[str, int]:
    """A week's stratum populations for the plan page, from the hourly rollup (ingest.OutputVolume):
    a few thousand rollup rows instead of every output of the week. The rollup keeps every field a
    rule matches on except metadata keys: a plan with a metadata rule counts the outputs (populations).
    The week's bounds are taken to the UTC hour, so in a time zone off UTC by a half hour the figures
    are those of the week shifted by 30 minutes: planning figures; the draw always counts exactly."""
    if any(field.startswith("metadata.") for rule in plan.rules() for field in rule.match):
        return populations(project, plan, week)
    start, end = week.bounds(plan.time_zone)
    rows = (OutputVolume.objects.filter(project=project, hour__gte=_hour(start), hour__lt=_hour(end))
            .annotate(stratum=stratum_expression(plan.rules())).order_by().values("stratum").annotate(n=Sum("n")))
    return {row["stratum"]: int(row["n"]) for row in rows if row["n"]}


def _hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def draw_audit(*, project: Project, week: IsoWeek, requested_by=None, now: datetime | None = None,
               early: bool = False) -> tuple[AuditRun, bool]:
    """Draw the project's audit for an ISO week; return (run, created). An existing run is returned as is.

    Raises NoPlan, or DrawRefused for a future or empty week, and for a week still open or in its
    grace period for late arrivals unless `early` (the run then records drawn_early). `now` is the
    draw time: it closes the run's frame and decides where the week stands."""
    existing = project.audit_runs.of_week(week).first()
    if existing:
        return existing, False
    plan = SamplingPlan.current(project)
    if plan is None:
        raise NoPlan(f"project {project.slug!r} has no sampling plan yet")
    now = now or timezone.now()
    status = lifecycle.week_status(project, week, plan=plan, now=now, run=None)
    lifecycle.check_drawable(status, early=early)
    start, end = week.bounds(plan.time_zone)
    try:
        with _one_snapshot():
            counts = populations(project, plan, week)
            fig = planning.figures(plan, counts, claims=False)
            chosen = _sample(project, plan, week, fig.allocation, counts)
            weights = {s.name: s.weight for s in fig.strata}
            run = AuditRun.objects.create(
                project=project, iso_year=week.year, iso_week=week.week, plan=plan, seed=str(project.sampling_seed),
                week_start=start, week_end=end, populations=counts, allocation=fig.allocation,
                required=fig.required, capped=fig.capped, requested_by=requested_by, created_at=now,
                drawn_early=status.early_only,
            )
            freeze_outputs([pk for rows in chosen.values() for _, _, pk in rows], now, (start, end))
            AuditItem.objects.bulk_create(
                _items(run, plan, chosen, fig.allocation, counts, weights), batch_size=1000
            )
            # Kept on the run so the queue's progress line never sums the items.
            run.reviews_needed = run.items.aggregate(n=Coalesce(Sum("required_reviews"), 0))["n"]
            run.save(update_fields=["reviews_needed"])
    except IntegrityError:
        # Another worker drew this week between our check and our insert: theirs stands.
        return project.audit_runs.of_week(week).get(), False
    if run.size >= ANALYZE_AFTER_ITEMS:
        analyze_after_commit([AuditItem._meta.db_table], reason=f"drawing {run.size:,} items for {run}")
    logger.info("drew %s: %d of %d outputs%s", run, run.size, run.population, " (early)" if run.drawn_early else "")
    return run, True


@contextmanager
def _one_snapshot():
    """A transaction whose reads all see one snapshot: the populations and the candidates then
    describe the same outputs even while ingest writes to the week (an early draw of a live week).
    SQLite's write transactions (BEGIN IMMEDIATE here) already are; PostgreSQL's READ COMMITTED
    default takes a snapshot per statement, so the draw asks for REPEATABLE READ. Inside a
    caller's transaction the isolation level is theirs (it cannot change once a transaction began)."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        with transaction.atomic():
            yield
        return
    from psycopg import IsolationLevel

    connection.ensure_connection()
    raw = connection.connection
    before = raw.isolation_level
    raw.isolation_level = IsolationLevel.REPEATABLE_READ  # psycopg starts the next transaction with it
    try:
        with transaction.atomic():
            yield
    finally:
        if not raw.closed:
            raw.isolation_level = before


def _id_order():
    # Ties (a 60-bit collision) go to the smaller id, compared as bytes like Python does, not by locale.
    return Collate(F("external_id"), "C") if connection.vendor == "postgresql" else F("external_id")


def _sample(project, plan, week, allocation: dict[str, int], counts: dict[str, int]) -> dict[str, list[tuple]]:
    """The n_h (key, external_id, output id) with the smallest keys in each stratum."""
    wanted = {name: n for name, n in allocation.items() if n > 0}
    if not wanted:
        return {}
    outputs = week_outputs(project, plan, week).annotate(key=F("sample_key"))
    candidates: dict[str, list[tuple]] = {name: [] for name in wanted}
    for key, external_id, pk, name in _candidates(outputs, wanted, counts):
        candidates[name].append((key, external_id, pk))
    chosen = {}
    for name, n in wanted.items():
        rows = candidates[name]
        if len(rows) < n:  # fewer candidates than needed: read the stratum in full, in key order
            logger.warning("draw of %s %s: stratum %s had %d candidates for %d; reading it in full", project.slug, week, name, len(rows), n)
            rows = list(outputs.filter(stratum=name).order_by("key", _id_order()).values_list("key", "external_id", "id")[:n])
        chosen[name] = sorted(rows)[:n]
    return chosen


def _candidates(outputs, wanted: dict[str, int], counts: dict[str, int]):
    """Rows whose key is below their stratum's threshold, classifying each output once.

    The inner query computes each output's stratum; OFFSET 0 keeps the planner from inlining it,
    which would repeat the stratum CASE in every branch of the filter.
    """
    inner, params = outputs.order_by().values_list("key", "external_id", "id", "stratum").query.sql_with_params()
    whens, thresholds = [], []
    for name, n in wanted.items():
        fraction = (n + 6 * math.sqrt(n) + 20) / counts[name]
        whens.append("WHEN %s THEN %s")
        thresholds += [name, max(0, min(2**KEY_BITS, math.ceil(fraction * 2**KEY_BITS)))]
    limit = "" if connection.vendor == "postgresql" else "LIMIT -1 "  # SQLite wants a LIMIT before an OFFSET
    sql = (f"SELECT key, external_id, id, stratum FROM ({inner} {limit}OFFSET 0) AS week_outputs "
           f"WHERE key < (CASE stratum {' '.join(whens)} ELSE -1 END)")
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *thresholds])
        yield from cursor.fetchall()


def _items(run, plan, chosen, allocation, counts, weights):
    overlap = planning.overlap_counts(plan.overlap_share, allocation)
    for name, rows in chosen.items():
        probability = allocation[name] / counts[name]
        # The first items in key order are a random subset: they get the blind double review.
        for rank, (key, _, pk) in enumerate(rows):
            yield AuditItem(
                run=run, project_id=run.project_id, week_start=run.week_start, output_id=pk, stratum=name,
                inclusion_probability=probability, draw_key=key,
                risk_weight=weights.get(name, 1.0), required_reviews=plan.overlap_reviewers if rank < overlap[name] else 1,
            )


def previous_week(plan_or_zone, now: datetime | None = None) -> IsoWeek:
    zone = plan_or_zone if isinstance(plan_or_zone, str) else plan_or_zone.time_zone
    return IsoWeek.containing(now or timezone.now(), zone).shift(-1)


class CloseRefused(Exception):
    """The stratum cannot be closed; the message says why, in words."""


def close_stratum(*, run: AuditRun, stratum: str, by, verdict: str, reviewed: int,
                  keep: Collection[int] = ()) -> StratumClosure:
    """Stop a stratum's audit: its items nobody has reviewed leave the queue and the run records who
    closed it, when, and the verdict that allowed it. The caller (metrics.progress.close_stratum)
    decides that the verdict is final; this only keeps the books. `keep`: items someone is working
    on right now (an active claim), left open so their reviewer can finish; items with a label
    stay too (their second review makes them final). Either way the stratum's sample is then the
    items not closed, and the estimate uses the ones with a final label (docs/sampling.md)."""
    if stratum not in run.allocation:
        raise CloseRefused(f"the run of {run.week} has no stratum {stratum!r}")
    with transaction.atomic():
        AuditRun.objects.select_for_update().get(pk=run.pk)  # one closing at a time per run
        if run.closures.filter(stratum=stratum).exists():
            raise CloseRefused(f"{stratum} was already closed")
        leaving = run.items.filter(stratum=stratum, status=AuditItem.Status.OPEN, labels_count=0).exclude(pk__in=list(keep))
        spared = leaving.aggregate(n=Coalesce(Sum("required_reviews"), 0))["n"]
        closed = leaving.update(status=AuditItem.Status.CLOSED)
        # The queue's progress bars read the reviews still needed from the run: closed items need none.
        AuditRun.objects.filter(pk=run.pk).update(reviews_needed=F("reviews_needed") - spared)
        closure = StratumClosure.objects.create(run=run, stratum=stratum, closed_by=by, verdict=verdict,
                                                reviewed=reviewed, items_closed=closed)
    logger.info("closed %s %s early: %d items left the queue (%s)", run, stratum, closed, verdict)
    return closure
