"""Fresh planner statistics after bulk work, without waiting for autovacuum.

PostgreSQL plans from per-table statistics that only ANALYZE (by hand or by autovacuum) refreshes.
After a bulk ingest or a large draw they are stale until then, and a stale row count is how a
planner picks a whole-project scan over an index probe (see ingest/writer.py's ``_stored_ids``).
Autovacuum may be off, slow to get there, or busy elsewhere, so the code that did the bulk work
analyzes what it touched itself.

ANALYZE samples a fixed number of rows (300 × the statistics target, 30,000 by default) whatever
the table's size: well under a second for the outputs table at millions of rows. It runs after
the caller's transaction commits (``on_commit``: at once when there is none), so it never holds
its lock inside a long transaction nor samples rows that may still roll back. It is an optimisation:
a failure is logged and swallowed, never the bulk work's failure.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from django.db import DatabaseError, connection, transaction

logger = logging.getLogger("reviewapp.analyze")


def analyze_after_commit(tables: Sequence[str], *, reason: str) -> None:
    """ANALYZE `tables` once the current transaction commits (now, outside one). PostgreSQL only."""
    if connection.vendor != "postgresql" or not tables:
        return
    transaction.on_commit(lambda: _analyze(tuple(tables), reason))


def _analyze(tables: tuple[str, ...], reason: str) -> None:
    started = time.perf_counter()
    try:
        # Its own short transaction (a savepoint if a caller is somehow still in one), so a failure
        # leaves no aborted transaction behind and the lock ends with it.
        with transaction.atomic(), connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
    except DatabaseError:
        logger.warning("ANALYZE %s after %s failed; the planner keeps its older statistics",
                       ", ".join(tables), reason, exc_info=True)
        return
    logger.info("ANALYZE %s after %s: %.2f s", ", ".join(tables), reason, time.perf_counter() - started)
