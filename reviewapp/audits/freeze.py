"""The frozen copy of what a draw took (DrawnOutput), written in the draw's transaction.

Read through the ORM, which unpacks the outputs' compressed text (ingest/packing.py), and written
plain: reviewers read the copy and exports build their rows from it in SQL. A week's draw of a few
thousand items copies in well under a second. An output drawn again (a later run of the same week
after a withdrawal) keeps its first copy: the copy is what reviewers already judged.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from reviewapp.ingest.models import CONTENT_FIELDS, Output

from .models import DrawnOutput

CHUNK = 500  # ids per read: within SQLite's parameter limit


def freeze_outputs(output_ids: Sequence[int], drawn_at: datetime, week: tuple[datetime, datetime]) -> int:
    """Copy these outputs of the week [start, end) into DrawnOutput unless already there; returns
    how many were copied. The week's bounds let PostgreSQL read only that week's partition."""
    start, end = week
    copied = 0
    for at in range(0, len(output_ids), CHUNK):
        rows = (Output.objects.filter(occurred_at__gte=start, occurred_at__lt=end, pk__in=list(output_ids[at:at + CHUNK]))
                .values("id", "project_id", *CONTENT_FIELDS))
        made = DrawnOutput.objects.bulk_create([DrawnOutput(**row, drawn_at=drawn_at) for row in rows],
                                               ignore_conflicts=True)
        copied += len(made)
    return copied
