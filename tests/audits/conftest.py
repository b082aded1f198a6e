from __future__ import annotations

import pytest

from reviewapp.audits.models import SamplingPlan
from tests.helpers import STRATA


@pytest.fixture
def plan(project_a):
    return SamplingPlan(project=project_a, strata=STRATA, goal="budget", max_rate=0.05,
                        overlap_share=0.2, overlap_reviewers=2).save_as_new_version()
