"""Labels given faster than the project's minimum time on task are flagged to the lead as possibly
unread, never refused (issue 14, item 8)."""
from __future__ import annotations

import pytest
from django.urls import reverse

from reviewapp.review import actions
from reviewapp.review.models import Label
from tests.helpers import GOOD, drawn_run

# Times on task (ms) for the labels, in claim order: under, just under, at and over the 3 s default,
# and none (a label stored before times were kept: an untimed submit is timed from its claim).
TIMES = [400, 2999, 3000, 45_000, None]


@pytest.fixture
def timed(project_a, alice, lead):
    run = drawn_run(project_a, outputs=40)
    labels = []
    for ms in TIMES:
        claim = actions.claim_next(user=alice, project=project_a)
        labels.append(actions.submit_label(claim=claim, user=alice, data=GOOD, time_on_task_ms=ms))
    Label.objects.filter(pk=labels[-1].pk).update(time_on_task_ms=None)
    return {"run": run, "labels": labels}


@pytest.mark.django_db
def test_a_new_project_asks_for_three_seconds(project_a):
    assert project_a.min_seconds_on_task == 3


@pytest.mark.django_db
def test_too_fast_compares_with_the_projects_minimum(project_a, timed):
    fast, just_under, at, slow, untimed = timed["labels"]
    assert set(Label.objects.too_fast()) == {fast, just_under}  # stored, not refused
    project_a.min_seconds_on_task = 60
    project_a.save()
    assert set(Label.objects.too_fast()) == {fast, just_under, at, slow}  # a label without a time is not judged
    project_a.min_seconds_on_task = 0
    project_a.save()
    assert not Label.objects.too_fast().exists()


@pytest.mark.django_db
def test_too_fast_reads_each_labels_own_project(project_a, project_b, timed):
    from tests.helpers import make_user

    bea = make_user("bea", project_b)
    drawn_run(project_b, outputs=40)
    claim = actions.claim_next(user=bea, project=project_b)
    other = actions.submit_label(claim=claim, user=bea, data=GOOD, time_on_task_ms=2000)
    project_b.min_seconds_on_task = 1
    project_b.save()
    assert other not in Label.objects.too_fast() and Label.objects.too_fast().count() == 2


@pytest.mark.django_db
def test_the_labels_page_flags_and_filters_them(client, lead, timed):
    client.force_login(lead)
    url = reverse("reviewapp:labels", args=["support"])
    page = client.get(url).content.decode()
    assert page.count("minimum of 3 s\">possibly unread</span>") == 2 and "2 possibly unread" in page
    only = client.get(url, {"too_fast": "on"})
    assert len(only.context["table"].rows) == 2
    assert len(client.get(url).context["table"].rows) == len(TIMES)  # unticked: every label, not the others


@pytest.mark.django_db
def test_the_lead_sets_the_minimum_on_the_labels_page(client, project_a, lead, alice, timed):
    client.force_login(lead)
    url = reverse("reviewapp:labels", args=["support"])
    response = client.post(url, {"min_seconds_on_task": "50"})
    assert response.status_code == 302
    project_a.refresh_from_db()
    assert project_a.min_seconds_on_task == 50
    assert "4 possibly unread" in client.get(url).content.decode()
    refused = client.post(url, {"min_seconds_on_task": "-1"})
    assert refused.status_code == 200 and refused.context["pace"].errors
    assert client.post(url, {"min_seconds_on_task": "5000"}).context["pace"].errors
    client.force_login(alice)
    assert client.post(url, {"min_seconds_on_task": "0"}).status_code == 403


@pytest.mark.django_db
def test_the_weeks_metrics_count_them_by_reviewer(client, lead, timed):
    client.force_login(lead)
    run = timed["run"]
    page = client.get(reverse("reviewapp:run-metrics", args=["support", run.iso_year, run.iso_week]))
    html = page.content.decode()
    assert 'id="possibly-unread"' in html and "2 possibly unread" in html
    assert '<td>alice</td><td class="num">5</td><td class="num">2</td>' in html


@pytest.mark.django_db
def test_the_reviewer_is_not_told(client, alice, timed):
    """The flag is for the lead: a reviewer's own list on the queue page shows times, no badge."""
    client.force_login(alice)
    page = client.get(reverse("reviewapp:review-queue", args=["support"])).content.decode()
    assert "possibly unread" not in page
