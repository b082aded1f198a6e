"""Small builders shared by tests."""
from __future__ import annotations


def make_user(username: str, project=None, role: str = "reviewer"):
    from django.contrib.auth import get_user_model

    from reviewapp.projects.models import Membership

    user = get_user_model().objects.create_user(username=username, password="pw-for-tests-1")
    if project is not None:
        Membership.objects.create(user=user, project=project, role=role)
    return user


def record(external_id: str = "t-1", **overrides) -> dict:
    """A valid canonical record (the issue's example), with overrides."""
    base = {
        "external_id": external_id,
        "occurred_at": "2026-11-20T10:00:00Z",
        "input": [{"role": "user", "content": "Can I get a refund?"}],
        "output": "Yes, within 30 days.",
        "category": "billing",
        "risk_tier": "low",
    }
    base.update(overrides)
    return base
