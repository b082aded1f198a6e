"""The draw form parses the ISO week: a week that does not exist is a form error naming the field,
never a job that fails later (a 500 when jobs run in the web process)."""
from __future__ import annotations

from unittest import mock

import pytest
from django.urls import reverse

from reviewapp.audits.forms import DrawForm
from reviewapp.audits.models import AuditRun
from reviewapp.lib.weeks import IsoWeek
from tests.helpers import make_user


@pytest.mark.parametrize("text, problem", [
    ("2026-W99", "Week: '2026-W99' is not an ISO week: 2026 has no week 99"),
    ("2026-W00", "Week: '2026-W00' is not an ISO week: 2026 has no week 0"),
    ("week 47", "Week: 'week 47' is not an ISO week like 2026-W47"),
    ("", "Week: say which ISO week to draw, like 2026-W47."),
])
def test_a_week_that_does_not_exist_is_an_error_on_the_week_field(text, problem):
    form = DrawForm({"week": text})
    assert not form.is_valid()
    assert form.errors == {"week": [problem]}


def test_a_real_week_is_cleaned_to_an_iso_week():
    form = DrawForm({"week": " 2026-W53 ", "early": "1"})  # 2026 has 53 ISO weeks
    assert form.is_valid() and form.cleaned_data == {"week": IsoWeek(2026, 53), "early": True}


@pytest.mark.django_db
def test_the_page_says_which_field_is_wrong_and_queues_nothing(client, project_a):
    client.force_login(make_user("lead", project_a, role="qa_lead"))
    with mock.patch("reviewapp.jobs.enqueue") as enqueue:
        response = client.post(reverse("reviewapp:run-draw", args=["support"]), {"week": "2026-W99"}, follow=True)
    assert response.status_code == 200
    assert "Week: &#x27;2026-W99&#x27; is not an ISO week: 2026 has no week 99" in response.content.decode()
    assert not enqueue.called and not AuditRun.objects.exists()
