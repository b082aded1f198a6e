"""The frozen copy of what a draw took (DrawnOutput), written in the draw's transaction.

One INSERT ... SELECT per chunk of ids, so the text never passes through Python: a week of a
few thousand drawn items copies in milliseconds. An output drawn again (a later run of the same
week after a withdrawal) keeps its first copy: the copy is what reviewers already judged.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import connection

from reviewapp.ingest.models import CONTENT_FIELDS, Output

from .models import DrawnOutput

CHUNK = 500  # ids per statement: within SQLite's parameter limit


def freeze_outputs(output_ids: Sequence[int], drawn_at: datetime, week: tuple[datetime, datetime]) -> int:
    """Copy these outputs of the week [start, end) into DrawnOutput unless already there; returns
    how many were copied. The week's bounds let PostgreSQL read only that week's partition."""
    quote = connection.ops.quote_name
    content = ["id", "project_id", *(Output._meta.get_field(name).column for name in CONTENT_FIELDS)]
    columns = ", ".join(quote(c) for c in content)
    stamp, week_start, week_end = (connection.ops.adapt_datetimefield_value(t) for t in (drawn_at, *week))
    copied = 0
    with connection.cursor() as cursor:
        for at in range(0, len(output_ids), CHUNK):
            chunk = list(output_ids[at:at + CHUNK])
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                f"INSERT INTO {quote(DrawnOutput._meta.db_table)} ({columns}, {quote('drawn_at')}) "
                f"SELECT {columns}, %s FROM {quote(Output._meta.db_table)} "
                f"WHERE {quote('occurred_at')} >= %s AND {quote('occurred_at')} < %s AND id IN ({marks}) "
                f"ON CONFLICT (id) DO NOTHING",
                [stamp, week_start, week_end, *chunk])
            copied += max(cursor.rowcount, 0)
    return copied
