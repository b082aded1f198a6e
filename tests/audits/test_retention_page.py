"""The Retention page (audits/retention_views.py): leads see what the daily job would retire, as
retention.plan says, and set the weeks kept; reviewers and outsiders are refused, the minimum holds.

The weeks are placed relative to the real clock (the page plans at timezone.now()), so the test
means the same whatever day it runs."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from reviewapp.audits import actions as audit_actions
from reviewapp.audits import retention
from reviewapp.audits.models import SamplingPlan
from reviewapp.ingest import partitions
from reviewapp.ingest.models import Output
from reviewapp.lib.weeks import IsoWeek
from reviewapp.projects.models import Project
from tests.helpers import STRATA, add_outputs, make_user


def url(project) -> str:
    return reverse("reviewapp:retention", args=[project.slug])


def weeks_kept(project) -> int | None:
    return Project.objects.get(pk=project.pk).retention_weeks


@pytest.fixture
def aged(project_a):
    """project_a keeps 4 weeks; six weeks ago 60 outputs arrived and were drawn, five weeks ago 20
    (both weeks go), last week 10 (they stay)."""
    this_monday, _ = partitions.week_of(timezone.now())
    oldest = this_monday - timedelta(weeks=6)
    SamplingPlan(project=project_a, strata=STRATA, goal="margin", margin=0.3, expected_rate=0.5).save_as_new_version()
    add_outputs(project_a, {("billing", "medium"): 30, ("medical", "high"): 30}, start=oldest, prefix="w1-")
    run, _ = audit_actions.draw_audit(project=project_a, week=IsoWeek.containing(oldest))  # before retention is set
    add_outputs(project_a, {("billing", "low"): 20}, start=oldest + timedelta(weeks=1), prefix="w2-")
    add_outputs(project_a, {("billing", "low"): 10}, start=this_monday - timedelta(weeks=1), prefix="kept-")
    project_a.retention_weeks = 4
    project_a.save()
    return {"run": run, "oldest": oldest}


def rows(html: str) -> dict[str, list[str]]:
    """The preview table's rows by week label: the cells' text."""
    found = {}
    for label, body in re.findall(r'<tr data-week="([^"]+)">(.*?)</tr>', html, re.S):
        found[label] = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", body, re.S)]
    return found


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["qa_lead", "admin"])
def test_a_lead_sees_what_retention_plan_would_retire(client, project_a, aged, role):
    client.force_login(make_user("boss", project_a, role=role))
    response = client.get(url(project_a))
    assert response.status_code == 200
    html = response.content.decode()
    [plan] = retention.plan([project_a])
    assert [(w.outputs, w.drawn, w.runs) for w in plan.weeks] == [(60, aged["run"].size, 1), (20, 0, 0)]
    shown = rows(html)
    assert list(shown) == [w.label for w in plan.weeks]
    for w in plan.weeks:
        cells = shown[w.label]
        assert cells[1:4] == [str(w.outputs), str(w.drawn), str(w.runs)], cells
        assert cells[4] == ("partition dropped" if w.by_partition else "rows deleted in batches")
    assert f'id="retention-total">{plan.outputs}<' in html
    assert (f"Keeps 4 whole UTC weeks before the current one; outputs before {plan.cutoff:%Y-%m-%d} are retired "
            "by the daily retention job.") in html
    assert "frozen copy" in html and "judge scores of the outputs never drawn" in html and "every export" in html


@pytest.mark.django_db
def test_a_project_keeping_everything_says_so(client, project_a, lead):
    client.force_login(lead)
    html = client.get(url(project_a)).content.decode()
    assert "Keeps every output." in html and "Nothing: this project keeps every output." in html
    assert 'id="retention-preview"' not in html and 'id="retired-before"' not in html


@pytest.mark.django_db
def test_another_number_is_previewed_unsaved(client, project_a, aged, lead):
    client.force_login(lead)
    html = client.get(url(project_a), {"weeks": 5}).content.decode()
    [plan] = retention.plan([project_a.__class__(pk=project_a.pk, retention_weeks=5)])
    assert list(rows(html)) == [w.label for w in plan.weeks] and len(plan.weeks) == 1  # only the oldest week
    assert "(not saved)" in html and weeks_kept(project_a) == 4
    html = client.get(url(project_a), {"weeks": 2}).content.decode()
    assert "Keep at least 4 weeks" in html and weeks_kept(project_a) == 4


@pytest.mark.django_db
def test_reviewers_are_refused_and_outsiders_do_not_see_the_project(client, project_a, aged, alice, charlie):
    client.force_login(alice)
    assert client.get(url(project_a)).status_code == 403
    assert client.post(url(project_a), {"retention_weeks": ""}).status_code == 403
    client.force_login(charlie)  # a reviewer of project_b only
    assert client.get(url(project_a)).status_code == 404
    assert client.post(url(project_a), {"retention_weeks": "520"}).status_code == 404
    assert weeks_kept(project_a) == 4


@pytest.mark.django_db
def test_a_lead_of_one_project_cannot_reach_anothers(client, project_a, project_b, lead):
    client.force_login(lead)
    assert client.get(url(project_b)).status_code == 404
    assert client.post(url(project_b), {"retention_weeks": "4"}).status_code == 404
    assert weeks_kept(project_b) is None


@pytest.mark.django_db
@pytest.mark.parametrize("typed, words", [
    ("3", "Keep at least 4 weeks"), ("0", "Keep at least 4 weeks"), ("-2", "Keep at least 4 weeks"),
    ("521", "Keep at most 520 weeks"), ("ten", "Give a whole number of weeks"),
])
def test_a_number_out_of_bounds_is_refused_by_field_and_nothing_stored(client, project_a, aged, lead, typed, words):
    client.force_login(lead)
    response = client.post(url(project_a), {"retention_weeks": typed})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["retention_weeks"] and words in errors["retention_weeks"][0]
    html = response.content.decode()
    assert words in html
    assert "Keeps 4 whole UTC weeks" in html  # the saved setting, not the number typed
    assert weeks_kept(project_a) == 4


@pytest.mark.django_db
def test_a_valid_number_is_stored_and_retires_nothing_by_itself(client, project_a, aged, lead):
    client.force_login(lead)
    before = Output.objects.filter(project=project_a).count()
    response = client.post(url(project_a), {"retention_weeks": "13"})
    assert response.status_code == 302 and response.url == url(project_a)
    assert weeks_kept(project_a) == 13
    html = client.get(response.url).content.decode()
    assert "Saved. Keeps 13 whole UTC weeks" in html and "Nothing was retired now" in html
    assert Output.objects.filter(project=project_a).count() == before
    assert Project.objects.get(pk=project_a.pk).retired_before is None
    client.post(url(project_a), {"retention_weeks": ""})
    assert weeks_kept(project_a) is None


@pytest.mark.django_db
def test_saving_leaves_what_the_daily_job_wrote(client, project_a, aged, lead):
    """The page saves only the weeks: a retired_before the job set meanwhile is not written back."""
    client.force_login(lead)
    moment = timezone.now().replace(microsecond=0)
    Project.objects.filter(pk=project_a.pk).update(retired_before=moment)
    client.post(url(project_a), {"retention_weeks": "8"})
    assert Project.objects.get(pk=project_a.pk).retired_before == moment
    assert f"before {moment:%Y-%m-%d %H:%M} UTC were retired" in client.get(url(project_a)).content.decode()


@pytest.mark.django_db
def test_the_page_escapes_the_project_name(client, project_a, aged, lead):
    Project.objects.filter(pk=project_a.pk).update(name="<script>alert(1)</script>")
    client.force_login(lead)
    html = client.get(url(project_a)).content.decode()
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.django_db
def test_only_leads_get_the_link(client, project_a, aged, lead, alice):
    home = reverse("reviewapp:project-detail", args=[project_a.slug])
    client.force_login(lead)
    assert f'href="{url(project_a)}"' in client.get(home).content.decode()
    client.force_login(alice)
    assert f'href="{url(project_a)}"' not in client.get(home).content.decode()


@pytest.mark.django_db
def test_the_page_costs_the_same_queries_with_more_outputs(client, project_a, aged, lead):
    client.force_login(lead)
    client.get(url(project_a))

    def cost() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url(project_a)).status_code == 200
        return len(captured)

    before = cost()
    add_outputs(project_a, {("medical", "high"): 200}, start=aged["oldest"] + timedelta(weeks=1), prefix="more-")
    assert cost() == before
    print(f"retention page: {before} queries")
