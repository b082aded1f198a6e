"""Set-based writes of validated output rows: no per-row ORM save.

PostgreSQL: COPY straight into the partitioned table; its key trigger skips the external_ids
already stored (``_copy_insert``, ingest/partitions.py).
Other databases (SQLite): a multi-row ``INSERT ... ON CONFLICT DO NOTHING`` via executemany.
Either way the caller's transaction decides what becomes visible, so a chunk is written whole
or not at all.
"""
from __future__ import annotations

from collections.abc import Sequence

from django.db import connection

from . import packing
from .models import Output
from .partitions import SKIP_DUPLICATES

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


def _copy_insert(rows: Sequence[tuple]) -> int:
    """COPY every row; the key trigger (partitions.py) skips those already stored.

    The trigger claims each (project, external_id) in the key table before the row is written, so
    two writers sending the same id at once settle on one row: the second waits on the first's
    uncommitted key and skips the row if it commits. COPY counts only the rows written."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, 'on', true)", [SKIP_DUPLICATES])
        try:
            with cursor.cursor.copy(f"COPY {_TABLE} ({_column_list()}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return max(cursor.cursor.rowcount, 0)
        finally:
            cursor.execute("SELECT set_config(%s, 'off', true)", [SKIP_DUPLICATES])


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
