from __future__ import annotations

from reviewapp.audits import actions as audit_actions
from reviewapp.audits.models import SamplingPlan
from tests.audits.conftest import STRATA, WEEK, add_outputs

GOOD = {"verdict": "success", "harm": "none"}
BAD = {"verdict": "failure", "harm": "near_miss", "errors": ["factual_error"]}


def drawn_run(project, *, outputs=60, overlap_share=0.0, reviewers=2, strata=STRATA, margin=0.3):
    SamplingPlan(project=project, strata=strata, goal="margin", margin=margin, expected_rate=0.5,
                 overlap_share=overlap_share, overlap_reviewers=reviewers).save_as_new_version()
    add_outputs(project, {("billing", "medium"): outputs // 2, ("medical", "high"): outputs - outputs // 2})
    run, _ = audit_actions.draw_audit(project=project, week=WEEK)
    return run
