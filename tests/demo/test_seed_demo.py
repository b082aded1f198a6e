from __future__ import annotations

import io
from datetime import datetime, timedelta

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory

from reviewapp.ingest.models import Output
from reviewapp.projects.models import Membership, Project

NOW = "2026-11-26T12:00:00+00:00"


def seed(n: int = 400) -> str:
    out = io.StringIO()
    call_command("seed_demo", "--n", str(n), "--now", NOW, "--no-progress", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_it_builds_the_demo_project_with_users_for_every_role():
    out = seed()
    project = Project.objects.get(slug="demo")
    assert Output.objects.filter(project=project).count() == 400
    roles = dict(Membership.objects.filter(project=project).values_list("user__username", "role"))
    assert roles == {"reviewer1": "reviewer", "reviewer2": "reviewer", "reviewer3": "reviewer",
                     "qalead": "qa_lead", "admin": "admin"}
    assert "qalead     spotcheck-demo" in out
    request = RequestFactory().post("/login/")  # django-axes checks every attempt against its request
    assert authenticate(request, username="qalead", password="spotcheck-demo") is not None
    assert authenticate(request, username="admin", password="spotcheck-demo").is_superuser


@pytest.mark.django_db
def test_the_outputs_span_the_last_four_iso_weeks_and_five_categories():
    seed()
    outputs = Output.objects.filter(project__slug="demo")
    weeks = {o.isocalendar()[:2] for o in outputs.values_list("occurred_at", flat=True)}
    assert weeks == {(2026, 45), (2026, 46), (2026, 47), (2026, 48)}
    assert set(outputs.values_list("category", flat=True)) == {"billing", "account", "medical", "legal", "general"}
    assert set(outputs.filter(category="medical").values_list("risk_tier", flat=True)) == {"high"}
    assert max(outputs.values_list("occurred_at", flat=True)) <= datetime.fromisoformat(NOW)


@pytest.mark.django_db
def test_it_is_deterministic_and_idempotent():
    seed()
    first = list(Output.objects.order_by("external_id").values_list("external_id", "output", "occurred_at"))
    out = seed()
    assert "0 outputs created, 400 already present" in out
    assert list(Output.objects.order_by("external_id").values_list("external_id", "output", "occurred_at")) == first
    assert Output.objects.count() == 400



@pytest.mark.django_db
def test_seeded_in_the_grace_period_last_week_is_drawn_early_and_says_so():
    from reviewapp.audits.models import AuditRun

    call_command("seed_demo", "--n", "400", "--now", "2026-11-23T02:00:00+00:00", "--no-progress", stdout=io.StringIO())
    runs = {str(run.week): run.drawn_early for run in AuditRun.objects.filter(project__slug="demo")}
    assert runs == {"2026-W45": False, "2026-W46": False, "2026-W47": True}


@pytest.mark.django_db
def test_simulated_labels_are_dated_after_their_week_and_never_in_the_future():
    """Seeded in one go, the labels would all say "today": they are dated in the days after their
    week closed, so the item page's "your labels today" starts near zero in the demo."""
    from reviewapp.review.models import Label

    seed()
    now = datetime.fromisoformat(NOW)
    labels = list(Label.objects.filter(item__project__slug="demo").select_related("item__run"))
    assert labels
    for label in labels:
        assert label.item.run.week_start + timedelta(days=7) <= label.created_at <= now
        assert label.revisions.get(number=1).created_at == label.created_at
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    assert sum(label.created_at >= today for label in labels) < len(labels) / 2
