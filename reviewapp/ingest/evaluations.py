"""Automatic evaluators' scores: stored with their outputs, or later by external_id.

An evaluation arrives inside the canonical record (``evaluations: [...]``, stored in the same
transaction as its output) or on its own through ``POST /api/v1/projects/{p}/evaluations`` and
``manage.py ingest_evaluations`` (one record per line: ``external_id`` plus the evaluation's
fields). Either way it is idempotent per output x evaluator x version: the first one stored wins,
as for outputs. The error contract is ingest's: a bad line is named with its field and reason and
leaves nothing behind; an unknown external_id is a rejection of that line, not of the batch.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from django.utils import timezone
from pydantic import ConfigDict, Field, field_validator

from reviewapp.lib.analyze import analyze_after_commit
from reviewapp.projects.models import Project

from . import actions
from .actions import IngestReport
from .evaluation_writer import store_evaluations
from .formats import SourceRecord
from .models import Evaluation
from .records import EvaluationIn, RecordError, id_text, problems_of


class EvaluationRecord(EvaluationIn):
    """One evaluation sent on its own, naming its output by the producer's id."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    external_id: str = Field(min_length=1, max_length=255, description="The output's external_id in the project")

    _id_may_be_a_number = field_validator("external_id", mode="before")(classmethod(lambda cls, value: id_text(value)))

    @field_validator("external_id")
    @classmethod
    def _no_nul(cls, value: str) -> str:
        if "\x00" in value:  # PostgreSQL cannot hold one; no output's id has one
            raise ValueError("must not contain NUL characters")
        return value


def validate_evaluation(data: Any) -> EvaluationRecord:
    """Validate one decoded evaluation line, or raise RecordError naming each bad field."""
    return problems_of(EvaluationRecord, data)


def ingest_evaluations(*, project: Project, records: Iterable[SourceRecord], atomic: bool = False,
                       chunk_size: int = 5000, position_name: str = "line") -> IngestReport:
    """Validate and store evaluation lines; the report counts evaluations, as ingest's counts outputs."""
    report = IngestReport(position_name=position_name, counts_outputs=False)
    now = timezone.now()
    actions.write_chunks(_chunks(records, report, chunk_size), lambda chunk: _store(project, chunk, report, now),
                         report, atomic=atomic)
    if report.created >= actions.ANALYZE_AFTER_ROWS:  # a bulk load: fresh statistics, as ingest's (actions.py)
        analyze_after_commit([Evaluation._meta.db_table], reason=f"ingesting {report.created:,} evaluations")
    return report


def _chunks(records: Iterable[SourceRecord], report: IngestReport, chunk_size: int
            ) -> Iterator[list[tuple[SourceRecord, EvaluationRecord]]]:
    chunk: list[tuple[SourceRecord, EvaluationRecord]] = []
    for item in records:
        report.received += 1
        if item.error is not None:
            report.reject(item, item.error)
            continue
        try:
            chunk.append((item, validate_evaluation(item.data)))
        except RecordError as exc:
            report.reject(item, exc)
            continue
        if len(chunk) >= chunk_size:
            yield chunk
            chunk = []
    yield chunk


def _store(project: Project, chunk: list[tuple[SourceRecord, EvaluationRecord]], report: IngestReport,
           now: datetime) -> None:
    pairs = [(record.external_id, record) for _, record in chunk]
    created, missing = store_evaluations(project.pk, pairs, now=now)
    for item, record in chunk:
        if record.external_id in missing:
            report.reject(item, RecordError([("external_id", f"no output {record.external_id!r} in this project")]))
    stored = len(chunk) - sum(1 for _, record in chunk if record.external_id in missing)
    report.created += created
    report.already_present += stored - created
