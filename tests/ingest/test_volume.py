"""OutputVolume, the per-hour rollup the pages read instead of counting outputs, stays equal to the
outputs table whatever writes it: ingest (COPY, the staged race path, executemany on SQLite), a
re-sent batch, deletes, and the backfill when the rollup is installed."""
from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from reviewapp.ingest import volume_sql
from reviewapp.ingest.actions import ingest
from reviewapp.ingest.formats import SourceRecord
from reviewapp.ingest.models import Output, OutputVolume
from tests.helpers import record

START = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)


def records(n: int, prefix: str = "v", start=START):
    return [SourceRecord(i, data=record(f"{prefix}{i}", occurred_at=(start + timedelta(minutes=23 * i)).isoformat(),
                                        category=("billing", "medical", "")[i % 3], risk_tier=("low", "high")[i % 2],
                                        model="m", model_version=f"v{i % 2}"))
            for i in range(n)]


def counted(project) -> Counter:
    """The outputs table grouped by the rollup's key, the slow way."""
    found: Counter = Counter()
    for o in Output.objects.filter(project=project):
        hour = o.occurred_at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        found[(hour, o.category, o.risk_tier, o.kind, o.model, o.model_version)] += 1
    return found


def rolled(project) -> Counter:
    return Counter({(v.hour.astimezone(UTC), v.category, v.risk_tier, v.kind, v.model, v.model_version): v.n
                    for v in OutputVolume.objects.filter(project=project) if v.n})


@pytest.mark.django_db
def test_ingest_keeps_the_rollup_equal_to_the_outputs(project_a, project_b):
    ingest(project=project_a, records=records(200), chunk_size=64)
    ingest(project=project_b, records=records(30, prefix="b"))
    assert rolled(project_a) == counted(project_a) and sum(rolled(project_a).values()) == 200
    assert rolled(project_b) == counted(project_b)
    again = ingest(project=project_a, records=records(250), chunk_size=64)  # 200 known, 50 new
    assert (again.created, again.already_present) == (50, 200)
    assert rolled(project_a) == counted(project_a) and sum(rolled(project_a).values()) == 250


@pytest.mark.django_db
def test_deletes_take_their_counts_away(project_a):
    ingest(project=project_a, records=records(90))
    Output.objects.filter(project=project_a, category="medical").delete()
    assert rolled(project_a) == counted(project_a) and sum(rolled(project_a).values()) == 60
    assert not OutputVolume.objects.filter(project=project_a, n__lte=0).exists()  # emptied keys are removed


@pytest.mark.django_db
def test_the_backfill_counts_what_was_stored_before_the_rollup(project_a):
    ingest(project=project_a, records=records(120))
    volume_sql.uninstall(connection)
    OutputVolume.objects.all().delete()
    ingest(project=project_a, records=records(150))  # 30 stored while there is no rollup
    assert sum(rolled(project_a).values()) == 0
    volume_sql.install(connection)
    assert rolled(project_a) == counted(project_a) and sum(rolled(project_a).values()) == 150
    ingest(project=project_a, records=records(160))
    assert sum(rolled(project_a).values()) == 160


@pytest.mark.django_db
def test_a_resend_counts_only_what_it_stored(project_a):
    """Rows the key trigger (PostgreSQL) or ON CONFLICT (SQLite) skips fire nothing: the rollup stays exact."""
    ingest(project=project_a, records=records(40))
    report = ingest(project=project_a, records=records(60))
    assert (report.created, report.already_present) == (20, 40)
    assert rolled(project_a) == counted(project_a) and sum(rolled(project_a).values()) == 60


@pytest.mark.django_db
def test_an_edit_moves_its_count(project_a):
    ingest(project=project_a, records=records(60))
    Output.objects.filter(project=project_a, category="medical").update(category="legal", occurred_at=START)
    assert rolled(project_a) == counted(project_a) and sum(rolled(project_a).values()) == 60


@pytest.mark.django_db
@pytest.mark.parametrize("start, end", [
    (START, START + timedelta(days=7)),  # whole hours
    (START + timedelta(minutes=30), START + timedelta(days=3, minutes=30)),  # a zone off UTC by half an hour
    (START + timedelta(minutes=5), START + timedelta(minutes=50)),  # inside one hour
    (START - timedelta(days=1), START + timedelta(hours=1)),
])
def test_outputs_between_is_a_count_without_counting(project_a, project_b, start, end):
    from reviewapp.ingest.volume import outputs_between

    ingest(project=project_a, records=records(300))
    ingest(project=project_b, records=records(50, prefix="b"))
    expected = Output.objects.filter(project=project_a, occurred_at__gte=start, occurred_at__lt=end).count()
    assert outputs_between(project_a.pk, start, end) == expected
