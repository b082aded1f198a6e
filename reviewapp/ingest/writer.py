"""Set-based writes of validated output rows: no per-row ORM save.

PostgreSQL: look up which external_ids are already stored, then COPY the rest straight into
the table (see ``_copy_insert`` for the race with a concurrent writer).
Other databases (SQLite): a multi-row ``INSERT ... ON CONFLICT DO NOTHING`` via executemany.
Either way the caller's transaction decides what becomes visible, so a chunk is written whole
or not at all.
"""
from __future__ import annotations

from collections.abc import Sequence

from django.db import connection, transaction

from .models import Output

COLUMNS = (
    "project_id", "external_id", "occurred_at", "kind", "model", "model_version", "category", "risk_tier",
    "risk_score", "input", "output", "context", "tools", "tool_calls", "refusal", "metadata", "trace_id", "span_id",
    "raw", "sample_key", "ingested_at",
)
_JSON_COLUMNS = {"input", "context", "tools", "tool_calls", "metadata", "raw"}
_TABLE = Output._meta.db_table
_STAGING = "spotcheck_ingest_staging"


def insert_outputs(rows: Sequence[tuple]) -> int:
    """Insert rows (in COLUMNS order, one project, unique external_ids) that are not stored yet.

    Returns how many were created."""
    if not rows:
        return 0
    if connection.vendor == "postgresql":
        return _copy_insert(rows)
    return _executemany_insert(rows)


def _column_list() -> str:
    return ", ".join(connection.ops.quote_name(c) for c in COLUMNS)


def _copy_insert(rows: Sequence[tuple]) -> int:
    """Optimistic COPY straight into the table, skipping ids already stored.

    A concurrent writer may store one of our ids between the check and the COPY; the unique
    constraint then fails the COPY, the savepoint undoes it, and the slower staging path
    (COPY to a temp table, INSERT ... ON CONFLICT DO NOTHING) settles the chunk exactly.
    """
    from psycopg.errors import UniqueViolation

    with connection.cursor() as cursor:
        existing = _stored_ids(cursor, rows)
        fresh = [row for row in rows if row[1] not in existing] if existing else rows
        if not fresh:
            return 0
        try:
            with transaction.atomic():
                _copy(cursor, _TABLE, fresh)
            return len(fresh)
        except UniqueViolation:
            return _staged_insert(cursor, fresh)


def _stored_ids(cursor, rows: Sequence[tuple]) -> set[str]:
    # One unique-index probe per id, forced by the LATERAL ... LIMIT 1. The plain
    # "external_id = ANY(...)" lets a planner with stale statistics (as after a large import)
    # scan the whole project instead: 80 µs a record at a million rows, against 2-7 µs here.
    cursor.execute(
        f"SELECT u.id FROM unnest(%s::text[]) AS u(id) CROSS JOIN LATERAL "
        f"(SELECT 1 FROM {_TABLE} o WHERE o.project_id = %s AND o.external_id = u.id LIMIT 1) AS hit",
        [[row[1] for row in rows], rows[0][0]],
    )
    return {external_id for (external_id,) in cursor.fetchall()}


def _copy(cursor, table: str, rows: Sequence[tuple]) -> None:
    with cursor.cursor.copy(f"COPY {table} ({_column_list()}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _staged_insert(cursor, rows: Sequence[tuple]) -> int:
    columns = _column_list()
    cursor.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {_STAGING} ON COMMIT DELETE ROWS AS "
        f"SELECT {columns} FROM {_TABLE} WITH NO DATA"
    )
    cursor.execute(f"TRUNCATE {_STAGING}")
    _copy(cursor, _STAGING, rows)
    cursor.execute(
        f"INSERT INTO {_TABLE} ({columns}) SELECT {columns} FROM {_STAGING} "
        f"ON CONFLICT (project_id, external_id) DO NOTHING"
    )
    return cursor.rowcount


def _executemany_insert(rows: Sequence[tuple]) -> int:
    adapt = connection.ops.adapt_datetimefield_value
    time_columns = [i for i, c in enumerate(COLUMNS) if c in ("occurred_at", "ingested_at")]
    prepared = []
    for row in rows:
        cells = list(row)
        for i in time_columns:
            cells[i] = adapt(cells[i])
        prepared.append(cells)
    placeholders = ", ".join(["%s"] * len(COLUMNS))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {_TABLE} ({_column_list()}) VALUES ({placeholders}) "
            f"ON CONFLICT (project_id, external_id) DO NOTHING",
            prepared,
        )
        return cursor.rowcount
