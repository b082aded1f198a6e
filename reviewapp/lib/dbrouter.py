"""Reads that can wait for a streaming replica go there; everything else stays on the primary.

With DATABASE_REPLICA_URL set (settings.py adds the "replica" database and this router), a read
goes to the replica only inside `lagging_reads()`: the metrics computation, an export's build and
the scorecard page, whose heavy reads are what one PostgreSQL would run out of first. Everything
else, by default, reads the primary: the review queue and claims, ingest, the draw, every page
that has just written. Without the variable the router is not installed and `lagging_reads()`
does nothing.

A streaming replica lags by the WAL it has not replayed yet, and a number computed from it must
not miss a label committed before the computation started (RunMetrics.computed_at says "as of
then"). So entering `lagging_reads()` reads the primary's WAL position and waits, at most
`max_wait` seconds, until the replica has replayed up to it; a replica further behind, or down,
leaves that block's reads on the primary (logged), never a stale or failed computation. Inside
the block:

- writes always go to the primary;
- a read inside a transaction on the primary reads the primary (it must see its own writes);
- once the block wrote to a table, its later reads of that table read the primary too (read your
  writes: an export build updates its Snapshot row and reads it back).

docs/scaling.md describes the setup and what the replica carries.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connections
from django.db.models import Model

logger = logging.getLogger("reviewapp.dbrouter")

PRIMARY = "default"
REPLICA = "replica"
POLL = 0.01  # seconds between two looks at the replica's replay position


@dataclass
class _Scope:
    """One `lagging_reads()` block: the tables it wrote (shared with the blocks around it)."""

    written: set[str] = field(default_factory=set)


_scope: ContextVar[_Scope | None] = ContextVar("spotcheck_lagging_reads", default=None)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


@contextmanager
def lagging_reads(max_wait: float = 5.0) -> Iterator[bool]:
    """Send this block's reads to the replica once it has caught up with the primary as of now.

    Yields True when they go there, False when they stay on the primary (no replica, a transaction
    open on the primary, or the replica more than `max_wait` seconds behind or unreachable).
    Usable as a decorator too."""
    outer = _scope.get()
    if not replica_configured() or connections[PRIMARY].in_atomic_block or not _caught_up(max_wait):
        yield False
        return
    token = _scope.set(_Scope(written=outer.written if outer else set()))
    try:
        yield True
    finally:
        _scope.reset(token)


def _caught_up(max_wait: float) -> bool:
    """The replica has replayed the primary's WAL up to its position now, within max_wait seconds.

    A "replica" that is not in recovery is the primary itself (the test databases mirror it)."""
    try:
        with connections[PRIMARY].cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_lsn()::text")
            target = cursor.fetchone()[0]
        deadline = time.monotonic() + max_wait
        with connections[REPLICA].cursor() as cursor:
            while True:
                cursor.execute("SELECT NOT pg_is_in_recovery() OR pg_last_wal_replay_lsn() >= %s::pg_lsn", [target])
                if cursor.fetchone()[0]:
                    return True
                if time.monotonic() >= deadline:
                    logger.warning("the replica has not replayed up to %s within %.1f s: reading the primary",
                                   target, max_wait)
                    return False
                time.sleep(POLL)
    except DatabaseError:
        logger.warning("the replica cannot be asked how far it has replayed: reading the primary", exc_info=True)
        return False


class ReplicaRouter:
    """Named in settings.DATABASE_ROUTERS only when DATABASE_REPLICA_URL is set."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str:
        scope = _scope.get()
        if scope is None or model._meta.label in scope.written or connections[PRIMARY].in_atomic_block:
            return PRIMARY
        return REPLICA

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        scope = _scope.get()
        if scope is not None:
            scope.written.add(model._meta.label)
        return PRIMARY

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # one database, two servers: every row on the replica is also on the primary

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        return db == PRIMARY  # the replica replays the primary's schema; it cannot be migrated
