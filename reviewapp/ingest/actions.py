"""Ingestion: one code path behind the HTTP API, the CLI, file imports and the demo seeder.

Semantics (docs/ingest.md):
- Validation is per record. A malformed record is rejected and reported with its position,
  field and reason; it never leaves a row behind.
- Writes are set-based and idempotent: a record whose external_id the project already has
  is counted as already present and left untouched (the first version stored wins).
- Default mode: valid records are stored even when others are rejected; records are written
  in chunks, each in its own transaction, so an interrupted import keeps whole chunks only
  and re-running it completes the rest.
- ``atomic=True``: all or nothing. One transaction for the whole input, rolled back if any
  record is rejected or anything fails.
- A call that creates ANALYZE_AFTER_ROWS outputs or more refreshes the planner's statistics of
  the tables it wrote (PostgreSQL, after its last commit; reviewapp/lib/analyze.py): no query plan
  waits for autovacuum after a bulk load.
"""
from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from django.db import connection, transaction
from django.utils import timezone

from reviewapp.lib.analyze import analyze_after_commit
from reviewapp.projects.models import Project

from . import packing, partitions
from .evaluation_writer import store_evaluations
from .formats import FormatError, SourceRecord
from .models import Evaluation, Output, OutputVolume
from .records import EvaluationIn, RecordError, to_row, validate_record
from .writer import insert_outputs

MAX_REPORTED_ERRORS = 1000
T = TypeVar("T")
# Outputs one call must create before it runs ANALYZE on what it wrote. PostgreSQL's own
# autovacuum default re-analyzes at 10 % of a table changed; 50,000 rows is a bulk load at any
# size worth planning for, and the ANALYZE (a 30,000-row sample, well under a second) is small
# beside writing them. An API batch (a few thousand at most) never reaches it.
ANALYZE_AFTER_ROWS = 50_000


@dataclass
class Rejection:
    position: int
    field: str
    reason: str
    external_id: str | None = None


@dataclass
class IngestReport:
    position_name: str = "line"  # "line" for files and NDJSON, "index" for JSON arrays
    received: int = 0
    created: int = 0
    already_present: int = 0
    rejected: int = 0
    stored: bool = True  # False when atomic mode rolled everything back
    errors: list[Rejection] = field(default_factory=list)
    errors_truncated: bool = False
    format_error: str | None = None
    evaluations_created: int = 0  # evaluations carried by the records (judge scores), stored or already there
    evaluations_already_present: int = 0
    counts_outputs: bool = True  # False: the evaluations door, whose counts are evaluations already

    def reject(self, item: SourceRecord, error: RecordError) -> None:
        self.rejected += 1
        external_id = item.data.get("external_id") if isinstance(item.data, dict) else None
        for field_name, reason in error.problems:
            if len(self.errors) >= MAX_REPORTED_ERRORS:
                self.errors_truncated = True
                return
            self.errors.append(Rejection(item.position, field_name, reason, external_id if isinstance(external_id, str) else None))

    def as_dict(self) -> dict:
        return {
            "received": self.received,
            "created": self.created,
            "already_present": self.already_present,
            "rejected": self.rejected,
            "stored": self.stored,
            "errors": [
                {self.position_name: e.position, "field": e.field, "reason": e.reason, "external_id": e.external_id}
                for e in self.errors
            ],
            "errors_truncated": self.errors_truncated,
            "evaluations": {"created": self.evaluations_created, "already_present": self.evaluations_already_present}
            if self.counts_outputs else None,
        }


class _RollBack(Exception):
    pass


def ingest(
    *,
    project: Project,
    records: Iterable[SourceRecord],
    atomic: bool = False,
    chunk_size: int = 5000,
    position_name: str = "line",
    prefetch: bool = False,
    on_chunk: Callable[[IngestReport], None] | None = None,
) -> IngestReport:
    """Validate and store records for a project; return what happened to each of them.

    With ``prefetch``, a thread parses and validates the next chunk while this one is written
    (the database wait releases the GIL), which is worth it for files, not for one request.
    """
    report = IngestReport(position_name=position_name)
    chunks = _validated_chunks(project, records, report, chunk_size)
    if prefetch:
        chunks = _prefetched(chunks)
    # The project's compression dictionary is trained as soon as enough outputs are committed
    # (packing.train_if_due), so a large first import packs all but its first chunks with it.
    write_chunks(chunks, lambda chunk: _count(chunk, report, on_chunk), report, atomic=atomic,
                 committed=lambda: packing.train_if_due(project.pk, report.created) if report.created else None)
    _analyze_if_bulk(report)
    if report.created and atomic:
        packing.train_if_due(project.pk, report.created)
    return report


def write_chunks(chunks: Iterable[T], write: Callable[[T], None], report: IngestReport, *, atomic: bool,
                 committed: Callable[[], object] | None = None) -> None:
    """The transactions every ingest keeps (outputs, evaluations): each chunk in its own by default, so
    an interrupted import keeps whole chunks and a re-run completes it; with ``atomic`` one for all,
    rolled back when any record was rejected. An unreadable input stops it, said in the report."""
    try:
        if atomic:
            with transaction.atomic():
                for chunk in chunks:
                    write(chunk)
                if report.rejected:
                    raise _RollBack
        else:
            for chunk in chunks:
                with transaction.atomic():
                    write(chunk)
                if committed:
                    committed()
    except _RollBack:
        _mark_rolled_back(report)
    except FormatError as exc:
        report.format_error = str(exc)
        if atomic:
            _mark_rolled_back(report)


def _analyze_if_bulk(report: IngestReport) -> None:
    """After a bulk load, fresh statistics for the outputs, their hourly rollup (kept by triggers on
    the outputs) and the evaluations if any were written; after the caller's transaction, if any."""
    if report.created < ANALYZE_AFTER_ROWS:
        return
    tables = [Output._meta.db_table, OutputVolume._meta.db_table]
    if connection.vendor == "postgresql":
        tables.append(partitions.KEYS)  # the key table the ingest and evaluation look-ups probe
    if report.evaluations_created:
        tables.append(Evaluation._meta.db_table)
    analyze_after_commit(tables, reason=f"ingesting {report.created:,} outputs")


def _mark_rolled_back(report: IngestReport) -> None:
    report.stored = False
    report.created = 0
    report.already_present = 0
    report.evaluations_created = 0
    report.evaluations_already_present = 0


@dataclass
class _Chunk:
    """Output rows ready to write, and the evaluations their records carried."""

    rows: list[tuple] = field(default_factory=list)
    evaluations: list[tuple[str, EvaluationIn]] = field(default_factory=list)


def _validated_chunks(project, records, report, chunk_size) -> Iterator[_Chunk]:
    """Rows ready to write, chunk by chunk; rejections and in-chunk duplicates go to the report."""
    chunk = _Chunk()
    seen: set[str] = set()
    now = timezone.now()
    for item in records:
        report.received += 1
        if item.error is not None:
            report.reject(item, item.error)
            continue
        try:
            record = validate_record(item.data)
            if record.external_id in seen:  # the same id twice in one chunk: the first one wins
                report.already_present += 1
                continue
            chunk.rows.append(to_row(record, project_id=project.pk, raw=item.raw,
                                     sample_key=project.sample_key(record.external_id), ingested_at=now))
        except RecordError as exc:
            report.reject(item, exc)
            continue
        chunk.evaluations.extend((record.external_id, evaluation) for evaluation in record.evaluations)
        seen.add(record.external_id)
        if len(chunk.rows) >= chunk_size:
            yield chunk
            chunk, seen = _Chunk(), set()
    yield chunk


def _count(chunk: _Chunk, report: IngestReport, on_chunk: Callable[[IngestReport], None] | None) -> None:
    created, judged = _write_chunk(chunk)
    report.created += created
    report.already_present += len(chunk.rows) - created
    report.evaluations_created += judged
    report.evaluations_already_present += len(chunk.evaluations) - judged
    if on_chunk:
        on_chunk(report)


def _write_chunk(chunk: _Chunk) -> tuple[int, int]:
    """Outputs, then their evaluations, in the caller's transaction: (outputs created, evaluations created)."""
    created = insert_outputs(chunk.rows)
    if not chunk.evaluations:
        return created, 0
    judged, _ = store_evaluations(chunk.rows[0][0], chunk.evaluations)  # every output of the chunk is stored now
    return created, judged


_DONE = object()


def _prefetched(chunks: Iterator[_Chunk], depth: int = 2) -> Iterator[_Chunk]:
    """Run a chunk generator in a thread, at most `depth` chunks ahead; re-raise its errors here."""
    ahead: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for chunk in chunks:
                while not stop.is_set():
                    try:
                        ahead.put(chunk, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            ahead.put(_DONE)
        except BaseException as exc:  # handed to the consumer, which raises it
            ahead.put(exc)

    thread = threading.Thread(target=produce, name="ingest-prefetch", daemon=True)
    thread.start()
    try:
        while (item := ahead.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join(timeout=5)
