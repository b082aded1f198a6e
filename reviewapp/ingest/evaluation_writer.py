"""Set-based writes of evaluations (judge scores) in the caller's transaction.

Used by the outputs ingest (evaluations inside the canonical record, written with their chunk) and
by the evaluations door (evaluations.py). Idempotent per output x evaluator: the first stored wins.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from .models import Evaluation, Evaluator, Output
from .partitions import KEYS
from .records import EvaluationIn

_TABLE = Evaluation._meta.db_table
_OUTPUTS = Output._meta.db_table


def store_evaluations(project_id: int, pairs: Sequence[tuple[str, EvaluationIn]], *,
                      now: datetime | None = None) -> tuple[int, set[str]]:
    """Store (external_id, evaluation) pairs of one project in the caller's transaction.

    Returns how many were created and the external_ids the project has no output for (nothing is
    stored for those). An evaluation already stored for the output and evaluator is left as it is."""
    if not pairs:
        return 0, set()
    now = now or timezone.now()
    evaluators = _evaluator_ids(project_id, {evaluation.key for _, evaluation in pairs})
    outputs = _output_ids(project_id, sorted({external_id for external_id, _ in pairs}))
    missing = {external_id for external_id, _ in pairs if external_id not in outputs}
    rows, seen = [], set()
    for external_id, evaluation in pairs:
        output_id = outputs.get(external_id)
        key = (output_id, evaluators[evaluation.key])
        if output_id is None or key in seen:
            continue
        seen.add(key)
        rows.append((*key, evaluation.value, evaluation.label, evaluation.metric, now))
    if not rows:
        return 0, missing
    placeholders = ", ".join(["%s"] * 6)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {_TABLE} (output_id, evaluator_id, value, label, metric, ingested_at) "
            f"VALUES ({placeholders}) ON CONFLICT (output_id, evaluator_id) DO NOTHING",
            [(*row[:5], connection.ops.adapt_datetimefield_value(row[5])) for row in rows],
        )
        created = cursor.rowcount
    return max(created, 0), missing


def _evaluator_ids(project_id: int, keys: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
    Evaluator.objects.bulk_create(
        [Evaluator(project_id=project_id, name=name, version=version) for name, version in sorted(keys)],
        ignore_conflicts=True)
    names = {name for name, _ in keys}
    return {(name, version): pk for pk, name, version in
            Evaluator.objects.filter(project_id=project_id, name__in=names).values_list("pk", "name", "version")
            if (name, version) in keys}


_PROBE_ONLY = ("enable_seqscan", "enable_hashjoin", "enable_mergejoin")


def _set(cursor, settings: dict[str, str]) -> None:
    """Planner settings for the rest of the transaction (set_config's is_local)."""
    cursor.execute("SELECT " + ", ".join("set_config(%s, %s, true)" for _ in settings),
                   [v for pair in settings.items() for v in pair])


def _output_ids(project_id: int, external_ids: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    if connection.vendor == "postgresql":  # the key table (partitions.py): one primary-key probe per id
        with transaction.atomic(), connection.cursor() as cursor:
            # Only the nested loop over the ids, each a primary-key probe, scales with the ids asked for
            # rather than the table; the planner picks a scan and a hash join when its statistics call
            # the table small, which it also did for a table of millions after a bulk load (a re-import
            # of 20,000 records took minutes). Turned off for this statement only: transaction-local,
            # set back after it, undone with the savepoint if it fails.
            cursor.execute("SELECT " + ", ".join("current_setting(%s)" for _ in _PROBE_ONLY), list(_PROBE_ONLY))
            before = cursor.fetchone()
            _set(cursor, dict.fromkeys(_PROBE_ONLY, "off"))
            cursor.execute(
                f"SELECT u.id, hit.output_id FROM unnest(%s::text[]) AS u(id) CROSS JOIN LATERAL "
                f"(SELECT k.output_id FROM {KEYS} k WHERE k.project_id = %s AND k.external_id = u.id) AS hit",
                [external_ids, project_id])
            found.update(cursor.fetchall())
            _set(cursor, dict(zip(_PROBE_ONLY, before, strict=True)))
        return found
    with connection.cursor() as cursor:
        for start in range(0, len(external_ids), 500):
            part = external_ids[start:start + 500]
            cursor.execute(
                f"SELECT external_id, id FROM {_OUTPUTS} WHERE project_id = %s AND external_id IN "
                f"({', '.join(['%s'] * len(part))})", [project_id, *part])
            found.update(cursor.fetchall())
    return found
