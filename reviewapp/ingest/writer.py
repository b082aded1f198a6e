"""Set-based writes of validated output rows: no per-row ORM save.

PostgreSQL: claim the chunk's keys in the key table, then COPY the new rows straight into the
partitioned table (``_copy_insert``, ingest/partitions.py).
Other databases (SQLite): a multi-row ``INSERT ... ON CONFLICT DO NOTHING`` via executemany.
Either way the caller's transaction decides what becomes visible, so a chunk is written whole
or not at all.
"""
from __future__ import annotations

from collections.abc import Sequence

from django.db import connection

from . import packing
from .models import Output
from .partitions import KEYS, SEQUENCE, SKIP_DUPLICATES

COLUMNS = (
    "project_id", "external_id", "occurred_at", "kind", "model", "model_version", "category", "risk_tier",
    "risk_score", "input", "output", "context", "tools", "tool_calls", "refusal", "metadata", "trace_id", "span_id",
    "raw", "sample_key", "ingested_at",
)
_TABLE = Output._meta.db_table


def insert_outputs(rows: Sequence[tuple]) -> int:
    """Insert rows (in COLUMNS order, one project, unique external_ids) that are not stored yet.

    Returns how many were created."""
    if not rows:
        return 0
    rows = _packed(rows)
    if connection.vendor == "postgresql":
        return _copy_insert(rows)
    return _executemany_insert(rows)


_INPUT, _OUTPUT = COLUMNS.index("input"), COLUMNS.index("output")


def _packed(rows: Sequence[tuple]) -> list[tuple]:
    """The input (JSON text) and output packed with the project's dictionary (packing.py)."""
    pack = packing.packer(packing.current_dictionary(rows[0][0]))
    return [(*row[:_INPUT], pack(row[_INPUT]), pack(row[_OUTPUT]), *row[_OUTPUT + 1:]) for row in rows]


def _column_list() -> str:
    return ", ".join(connection.ops.quote_name(c) for c in COLUMNS)


def reserve_ids(cursor, n: int) -> list[int]:
    """n output ids from the outputs' sequence, taken before the rows exist (their keys are claimed first)."""
    cursor.execute(f"SELECT nextval('{SEQUENCE}') FROM generate_series(1, %s)", [n])
    return [pk for (pk,) in cursor.fetchall()]


def claim_keys(cursor, project_id: int, external_ids: list[str], ids: list[int]) -> set[str]:
    """Claim (project, external_id) -> id in the key table for each row; returns the external ids this
    writer got (the others are stored already), and tells the key trigger, for the rest of the
    transaction, that the rows COPYed next are claimed."""
    cursor.execute(
        f"INSERT INTO {KEYS} (project_id, external_id, output_id) SELECT %s, u.e, u.i "
        f"FROM unnest(%s::text[], %s::bigint[]) AS u(e, i) ON CONFLICT DO NOTHING RETURNING external_id",
        [project_id, external_ids, ids])
    fresh = {external_id for (external_id,) in cursor.fetchall()}
    if fresh:
        cursor.execute("SELECT set_config(%s, 'claimed', true)", [SKIP_DUPLICATES])
    return fresh


def _copy_insert(rows: Sequence[tuple]) -> int:
    """Claim the chunk's keys, then COPY the rows whose key this writer got (partitions.py).

    One INSERT ... ON CONFLICT DO NOTHING RETURNING claims every (project, external_id) of the chunk
    in the key table, with ids taken from the outputs' sequence beforehand; the rows it returns are
    new, the others stored already. Two writers sending one id at once settle on one row: the
    second's claim waits on the first's uncommitted key and comes back without it if that commits.
    The COPY tells the key trigger the keys are claimed, so it does not claim them row by row."""
    project_id = rows[0][0]
    with connection.cursor() as cursor:
        ids = reserve_ids(cursor, len(rows))
        fresh = claim_keys(cursor, project_id, [row[1] for row in rows], ids)
        if not fresh:
            return 0
        try:
            with cursor.cursor.copy(f"COPY {_TABLE} (id, {_column_list()}) FROM STDIN") as copy:
                for pk, row in zip(ids, rows, strict=True):
                    if row[1] in fresh:
                        copy.write_row((pk, *row))
        finally:
            cursor.execute("SELECT set_config(%s, 'off', true)", [SKIP_DUPLICATES])
    return len(fresh)


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
