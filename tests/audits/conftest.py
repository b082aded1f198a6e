from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from reviewapp.audits.models import SamplingPlan
from reviewapp.ingest.actions import ingest
from reviewapp.ingest.formats import SourceRecord
from reviewapp.lib.weeks import IsoWeek
from tests.helpers import record

WEEK = IsoWeek(2026, 47)  # Monday 2026-11-16 .. Sunday 2026-11-22
MONDAY = datetime(2026, 11, 16, tzinfo=UTC)
STRATA = [
    {"name": "medical", "match": {"category": ["medical"]}, "weight": 5, "minimum": 5},
    {"name": "high-risk", "match": {"risk_tier": ["high"]}, "weight": 3},
    {"name": "billing", "match": {"category": ["billing"]}, "weight": 2},
]


def add_outputs(project, spec: dict[tuple[str, str], int], *, start=MONDAY, prefix="o"):
    """Ingest outputs: {(category, risk_tier): count}, spread over the week from `start`."""
    records, i = [], 0
    for (category, tier), count in spec.items():
        for _ in range(count):
            at = start + timedelta(minutes=7 * i)
            records.append(SourceRecord(i, data=record(f"{prefix}{i}", category=category, risk_tier=tier,
                                                      occurred_at=at.isoformat())))
            i += 1
    report = ingest(project=project, records=records)
    assert report.rejected == 0
    return report


@pytest.fixture
def plan(project_a):
    return SamplingPlan(project=project_a, strata=STRATA, goal="budget", max_rate=0.05,
                        overlap_share=0.2, overlap_reviewers=2).save_as_new_version()
