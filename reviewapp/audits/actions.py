"""The weekly draw: stratum populations, sizes, and the sample, selected in the database.

The week's outputs never come into Python. Two queries: one counts outputs per stratum; one
returns only candidates, outputs whose draw key md5("secret:seed:external_id") falls below a
per-stratum threshold set a few standard deviations above n_h / N_h. The n_h smallest keys of
a stratum are among its candidates whenever it has at least n_h of them (else that stratum is
re-read in full, which in practice never happens), so the sample is exactly what
sampling.draw() gives for the same ids: simple random sampling without replacement within
strata, identical on SQLite and PostgreSQL. Everything is written in one transaction, and a
database constraint allows one run per project and ISO week, so a rerun, a second worker or a
killed job can never leave a duplicate or a partial run.
"""
from __future__ import annotations

import logging
import math
from datetime import datetime

from django.db import IntegrityError, connection, transaction
from django.db.models import CharField, Count, F, Q, Value
from django.db.models.functions import MD5, Collate, Concat
from django.utils import timezone

from reviewapp.ingest.models import Output
from reviewapp.projects.models import Project

from . import planning
from .models import AuditItem, AuditRun, SamplingPlan
from .strata import stratum_expression
from .weeks import IsoWeek

logger = logging.getLogger("reviewapp.audits")
_KEY_PREFIX = 12  # hex digits of the key compared against a threshold: 48 bits, plenty


class NoPlan(Exception):
    pass


def week_outputs(project: Project, plan: SamplingPlan, week: IsoWeek):
    start, end = week.bounds(plan.time_zone)
    return Output.objects.filter(project=project, occurred_at__gte=start, occurred_at__lt=end).annotate(
        stratum=stratum_expression(plan.rules())
    )


def populations(project: Project, plan: SamplingPlan, week: IsoWeek) -> dict[str, int]:
    rows = week_outputs(project, plan, week).order_by().values("stratum").annotate(n=Count("id"))
    return {row["stratum"]: row["n"] for row in rows}


def run_seed(plan: SamplingPlan, week: IsoWeek) -> str:
    """Each week its own ordering, fixed by the plan's seed: a rerun draws the same items."""
    return f"{plan.seed}-{week}"


def draw_audit(*, project: Project, week: IsoWeek, requested_by=None, now: datetime | None = None) -> tuple[AuditRun, bool]:
    """Draw the project's audit for an ISO week; return (run, created). An existing run is returned as is."""
    existing = AuditRun.objects.filter(project=project, iso_year=week.year, iso_week=week.week).first()
    if existing:
        return existing, False
    plan = SamplingPlan.current(project)
    if plan is None:
        raise NoPlan(f"project {project.slug!r} has no sampling plan yet")
    counts = populations(project, plan, week)
    fig = planning.figures(plan, counts)
    seed = run_seed(plan, week)
    chosen = _sample(project, plan, week, seed, fig.allocation, counts)
    weights = {s.name: s.weight for s in fig.strata}
    start, end = week.bounds(plan.time_zone)
    try:
        with transaction.atomic():
            run = AuditRun.objects.create(
                project=project, iso_year=week.year, iso_week=week.week, plan=plan, seed=seed,
                week_start=start, week_end=end, populations=counts, allocation=fig.allocation,
                required=fig.required, capped=fig.capped, requested_by=requested_by, created_at=now or timezone.now(),
            )
            AuditItem.objects.bulk_create(
                _items(run, plan, chosen, fig.allocation, counts, weights), batch_size=1000
            )
    except IntegrityError:
        # Another worker drew this week between our check and our insert: theirs stands.
        return AuditRun.objects.get(project=project, iso_year=week.year, iso_week=week.week), False
    logger.info("drew %s: %d of %d outputs", run, run.size, run.population)
    return run, True


def _key_expression(plan: SamplingPlan, seed: str):
    key = MD5(Concat(Value(f"{plan.project.sampling_secret}:{seed}:"), F("external_id"), output_field=CharField()))
    # Compare bytes, not a locale's collation, so PostgreSQL orders keys and ids exactly like Python.
    return Collate(key, "C") if connection.vendor == "postgresql" else key


def _id_order():
    return Collate(F("external_id"), "C") if connection.vendor == "postgresql" else F("external_id")


def _sample(project, plan, week, seed, allocation: dict[str, int], counts: dict[str, int]) -> dict[str, list[tuple]]:
    """The n_h (key, external_id, output id) with the smallest keys in each stratum."""
    wanted = {name: n for name, n in allocation.items() if n > 0}
    if not wanted:
        return {}
    outputs = week_outputs(project, plan, week).annotate(key=_key_expression(plan, seed))
    condition = Q()
    for name, n in wanted.items():
        fraction = (n + 6 * math.sqrt(n) + 20) / counts[name]
        if fraction >= 1:
            condition |= Q(stratum=name)
        else:
            threshold = format(math.ceil(fraction * 16**_KEY_PREFIX), f"0{_KEY_PREFIX}x")
            condition |= Q(stratum=name, key__lt=threshold)
    candidates: dict[str, list[tuple]] = {name: [] for name in wanted}
    for key, external_id, pk, name in outputs.filter(condition).values_list("key", "external_id", "id", "stratum"):
        candidates[name].append((key, external_id, pk))
    chosen = {}
    for name, n in wanted.items():
        rows = candidates[name]
        if len(rows) < n:  # fewer candidates than needed: read the stratum in full, in key order
            logger.warning("draw of %s %s: stratum %s had %d candidates for %d; reading it in full", project.slug, week, name, len(rows), n)
            rows = list(outputs.filter(stratum=name).order_by("key", _id_order()).values_list("key", "external_id", "id")[:n])
        chosen[name] = sorted(rows)[:n]
    return chosen


def _items(run, plan, chosen, allocation, counts, weights):
    overlap = planning.overlap_counts(plan.overlap_share, allocation)
    for name, rows in chosen.items():
        probability = allocation[name] / counts[name]
        # The first items in key order are a random subset: they get the blind double review.
        for rank, (key, _, pk) in enumerate(rows):
            yield AuditItem(
                run=run, output_id=pk, stratum=name, inclusion_probability=probability, draw_key=key,
                risk_weight=weights.get(name, 1.0), required_reviews=plan.overlap_reviewers if rank < overlap[name] else 1,
            )


def previous_week(plan_or_zone, now: datetime | None = None) -> IsoWeek:
    zone = plan_or_zone if isinstance(plan_or_zone, str) else plan_or_zone.time_zone
    return IsoWeek.containing(now or timezone.now(), zone).shift(-1)
