"""The demo project: synthetic outputs through the real ingest path, and one user per role."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import transaction

from reviewapp.audits.actions import draw_audit, previous_week
from reviewapp.audits.models import SamplingPlan
from reviewapp.ingest.actions import IngestReport, ingest
from reviewapp.ingest.formats import SourceRecord
from reviewapp.ingest.models import Evaluator
from reviewapp.metrics.models import JudgeMapping, ScorecardMetric
from reviewapp.projects.models import Membership, Project

from .judge import JUDGE_NAME, JUDGE_VERSION
from .records import demo_records
from .reviews import simulate

DEMO_SLUG = "demo"
DEMO_PASSWORD = "spotcheck-demo"
HISTORY_WEEKS = 3  # the demo's outputs span four ISO weeks: this one (open) and the three before
LATEST_LABELLED = 0.4  # share of last week's reviews already done
DEMO_USERS = (
    ("reviewer1", Membership.Role.REVIEWER),
    ("reviewer2", Membership.Role.REVIEWER),
    ("reviewer3", Membership.Role.REVIEWER),
    ("qalead", Membership.Role.QA_LEAD),
    ("admin", Membership.Role.ADMIN),
)

# Riskier work gets more of the sample: medical and legal answers, and any high-risk case.
DEMO_STRATA = [
    {"name": "medical", "match": {"category": ["medical"]}, "weight": 5, "minimum": 30},
    {"name": "legal", "match": {"category": ["legal"]}, "weight": 4, "minimum": 30},
    {"name": "high-risk", "match": {"risk_tier": ["high"]}, "weight": 3, "minimum": 20},
    {"name": "billing", "match": {"category": ["billing"]}, "weight": 2, "minimum": 10},
    {"name": "account", "match": {"category": ["account"]}, "weight": 1, "minimum": 10},
    {"name": "general", "match": {"category": ["general"]}, "weight": 1, "minimum": 10},
]

# Limits a team would set for this assistant: (metric, threshold, guardrail).
DEMO_SCORECARD = [
    ("verdict:failure", 0.08, 0.06), ("corrected_output", 0.15, 0.12), ("escalate", 0.04, 0.03),
    ("harm:incident", 0.01, 0.005), ("harm:near_miss", 0.04, 0.03), ("verdict:success", 0.75, 0.80),
]


@dataclass
class DemoSummary:
    project: Project
    report: IngestReport
    logins: list[tuple[str, str, str]]  # username, password, role


def seed_demo(*, seed: int, n: int, now: datetime, on_chunk=None) -> DemoSummary:
    """Create or refresh the demo project. Re-running it adds nothing and resets the demo passwords."""
    with transaction.atomic():
        project, _ = Project.objects.get_or_create(
            slug=DEMO_SLUG,
            defaults={"name": "Support assistant (demo)",
                      "description": "Synthetic traffic of a customer-support LLM assistant over the last four ISO weeks."},
        )
        logins = [_demo_user(project, username, role) for username, role in DEMO_USERS]
        if not ScorecardMetric.objects.filter(project=project).exists():
            ScorecardMetric.objects.bulk_create(ScorecardMetric(project=project, metric=m, position=i, threshold=t,
                                                                guardrail=g) for i, (m, t, g) in enumerate(DEMO_SCORECARD))
        if not SamplingPlan.objects.filter(project=project).exists():
            # The plan's budget is the scorecard's error-rate threshold: a week at 4.5% or less is
            # shown under 8% four times in five (about 340 of the week's 5,000 outputs).
            SamplingPlan(project=project, strata=DEMO_STRATA, goal=SamplingPlan.Goal.BUDGET,
                         max_rate=0.08, good_rate=0.045, baseline_rate=0.05, alert_rate=0.10).save_as_new_version()
    records = (SourceRecord(i, data=r) for i, r in enumerate(demo_records(seed=seed, n=n, end=now), start=1))
    report = ingest(project=project, records=records, on_chunk=on_chunk)
    _map_judge(project)
    # The weeks before this one are drawn, so leads find history; reviewers find last week's queue
    # waiting, partly done, and leads can draw this week's. Only new runs get simulated reviews.
    # Seeded in the first hours of a Monday, last week is still in its grace period for late
    # arrivals: the demo draws it anyway (early=True), and the run says it was drawn early.
    last = previous_week(SamplingPlan.current(project), now)
    drawn = [draw_audit(project=project, week=last.shift(-k), now=now, early=True) for k in reversed(range(HISTORY_WEEKS))]
    new = [run for run, created in drawn if created]
    users = {user.username: user for user in get_user_model().objects.filter(memberships__project=project)}
    simulate(project, new, [users[name] for name, role in DEMO_USERS if role == Membership.Role.REVIEWER],
             users["qalead"], seed=seed, latest_share=LATEST_LABELLED, now=now)
    return DemoSummary(project, report, logins)


def _map_judge(project: Project) -> None:
    """The lead's reading of the demo's judge: its "fail" label is the failure rate's event, so the
    scorecard's judge-assisted estimate and the certification page have a judge to show. A mapping
    the lead changed since is left as it is."""
    evaluator = Evaluator.objects.filter(project=project, name=JUDGE_NAME, version=JUDGE_VERSION).first()
    if evaluator is not None and not JudgeMapping.objects.filter(project=project, rate="verdict:failure").exists():
        JudgeMapping.objects.create(project=project, rate="verdict:failure", evaluator=evaluator,
                                    reading=JudgeMapping.Reading.LABEL, labels=["fail"])


def _demo_user(project: Project, username: str, role: str) -> tuple[str, str, str]:
    User = get_user_model()
    user, _ = User.objects.get_or_create(username=username, defaults={"email": f"{username}@demo.spotcheck.invalid"})
    user.set_password(DEMO_PASSWORD)
    user.is_staff = user.is_superuser = role == Membership.Role.ADMIN
    user.save()
    Membership.objects.update_or_create(user=user, project=project, defaults={"role": role})
    return username, DEMO_PASSWORD, Membership.Role(role).label
