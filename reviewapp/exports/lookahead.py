"""Statements streamed in order over two connections of their own, the next one started early.

A statement of the export (sql_rows.statement) spends its first part joining, aggregating and
sorting before it sends a row: at 100,000 items about 0.8 s on one core, while the Python process,
with nothing to write yet, leaves the other idle. Cut into parts (sql_rows._parts), each part's
statement is sent on one of two connections before the previous part has been read: the database
works on the next part while this one streams and Python writes its lines, and the first two parts
start together, on both cores.

Each part's statement is sent, and its first rows awaited, on a thread: a thread blocked in libpq
holds no GIL, and the rows are read on the caller's thread once it gets there (psycopg's stream is
a generator, resumed where the thread left it; its connection's lock goes with it). The connections
are the export's own (the same database settings as the Django connection it reads from, so a
replica when the router sends the reads there), so the caller's connection stays free for the
snapshot's progress between parts.
"""
from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Generator, Iterator, Sequence
from typing import Any

import psycopg

STREAM_ROWS = 2000  # rows per result chunk libpq hands over while the statement streams

_DONE = object()  # a statement that gave no row


def stream(connection: psycopg.Connection, sql: str, params: dict[str, Any]) -> Generator[tuple, None, None]:
    """The statement's rows in binary, as the server sends them. A plain psycopg cursor (server-side
    binding, binary results) in chunked-rows mode: the server streams every row at once, so it works
    while Python writes lines, and libpq hands them over STREAM_ROWS at a time for psycopg's C loaders,
    where binary COPY decoded row by row through Python cost 8 µs a row (docs/export.md, Scale).
    Values arrive as Python values: text as str (the JSON columns as their text, for orjson), floats
    as float8, the timestamp as a datetime."""
    with psycopg.Cursor(connection) as cursor:
        yield from cursor.stream(sql, params, binary=True, size=STREAM_ROWS)


class _Started:
    """One part's statement, sent and its first row awaited on a thread."""

    def __init__(self, connection: psycopg.Connection, sql: str, params: dict[str, Any]):
        self.connection = connection
        self.rows = stream(connection, sql, params)
        self.first: Any = _DONE
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._start, name="export-lookahead", daemon=True)
        self.thread.start()

    def _start(self) -> None:
        try:
            self.first = next(self.rows, _DONE)
        except BaseException as exc:  # raised on the caller's thread when it reads this part
            self.error = exc

    def read(self) -> Iterator[tuple]:
        self.thread.join()
        if self.error is not None:
            raise self.error
        if self.first is not _DONE:
            yield self.first
            yield from self.rows

    def stop(self) -> None:
        """Cancel the statement if it still runs (safe from any thread) and wait for the thread."""
        if self.thread.is_alive():
            self.connection.cancel_safe()
            self.thread.join()
        self.rows.close()


def rows(connect: Callable[[], psycopg.Connection], statements: Sequence[tuple[str, dict[str, Any]]],
         between: Callable[[], None] | None = None) -> Iterator[tuple]:
    """Every statement's rows, in the statements' order, over two connections from `connect`: statement
    i + 2 is sent as soon as statement i has been read, so one is always under way while another
    streams. `between` runs after each statement's last row."""
    connections: list[psycopg.Connection] = []
    started: dict[int, _Started] = {}
    try:
        for _ in range(min(2, len(statements))):
            connections.append(connect())
        for i in range(len(connections)):
            started[i] = _Started(connections[i], *statements[i])
        for i in range(len(statements)):
            yield from started[i].read()
            started.pop(i).stop()
            if i + 2 < len(statements):
                started[i + 2] = _Started(connections[i % 2], *statements[i + 2])
            if between is not None:
                between()
    finally:
        _close(started.values(), connections)


def _close(started, connections: list[psycopg.Connection]) -> None:
    """Stop every part and close every connection, whatever fails on the way (a cancel that times out
    must not leave the other part running or a connection open); the first failure is raised after,
    unless an error is already on its way out."""
    failures = []
    for part in started:
        try:
            part.stop()
        except Exception as exc:
            failures.append(exc)
    for connection in connections:
        try:
            connection.close()
        except Exception as exc:
            failures.append(exc)
    if failures and sys.exc_info()[1] is None:
        raise failures[0]
