"""Plan page, live calculator, drawing from the UI, run pages; roles checked on each."""
from __future__ import annotations

import io
from datetime import UTC

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from reviewapp.audits import planning
from reviewapp.audits.models import AuditRun, SamplingPlan
from tests.helpers import STRATA, WEEK, add_outputs, make_user, plan_form


@pytest.fixture
def lead(project_a):
    return make_user("lead", project_a, role="qa_lead")


@pytest.mark.django_db
def test_saving_the_plan_makes_a_new_version_and_keeps_the_old(client, lead, project_a):
    client.force_login(lead)
    url = reverse("reviewapp:plan-edit", args=["support"])
    assert client.post(url, plan_form()).status_code == 302
    assert client.post(url, plan_form(max_rate="0.5")).status_code == 302
    versions = list(SamplingPlan.objects.filter(project=project_a).order_by("version").values_list("version", "max_rate"))
    assert versions == [(1, 0.01), (2, 0.005)]
    assert SamplingPlan.current(project_a).created_by == lead


@pytest.mark.django_db
def test_a_bad_stratum_is_named_in_the_error(client, lead):
    client.force_login(lead)
    bad = '[{"name": "medical", "match": {"colour": ["red"]}}]'
    response = client.post(reverse("reviewapp:plan-edit", args=["support"]), plan_form(strata=bad))
    assert response.status_code == 200
    assert "stratum 1 (medical): cannot match on &#x27;colour&#x27;" in response.content.decode()
    assert not SamplingPlan.objects.exists()


@pytest.mark.django_db
def test_the_preview_moves_with_the_budget(client, lead, project_a):
    from datetime import datetime
    from unittest import mock

    add_outputs(project_a, {("billing", "medium"): 1000})  # 7 minutes apart: all inside the week
    client.force_login(lead)
    url = reverse("reviewapp:plan-preview", args=["support"])
    with mock.patch("django.utils.timezone.now", return_value=datetime(2026, 11, 25, tzinfo=UTC)):
        loose = client.post(url, plan_form(max_rate="2"), HTTP_HX_REQUEST="true").content.decode()
        tight = client.post(url, plan_form(max_rate="0.5"), HTTP_HX_REQUEST="true").content.decode()
    loose_n = planning.required_size(SamplingPlan(strata=STRATA, max_rate=0.02), {"billing": 1000})
    tight_n = planning.required_size(SamplingPlan(strata=STRATA, max_rate=0.005), {"billing": 1000})
    assert loose_n < tight_n
    assert f"{loose_n} of 1,000 outputs will be reviewed" in loose
    assert f"{tight_n} of 1,000 outputs will be reviewed" in tight
    assert "<svg" in tight and "Chance to show a rise" in tight
    assert not SamplingPlan.objects.exists()  # a preview saves nothing


@pytest.mark.django_db
def test_a_qa_lead_draws_a_week_from_the_ui_and_sees_the_queue(client, lead, project_a, settings,
                                                               django_capture_on_commit_callbacks):
    settings.JOBS_MODE = "inprocess"
    SamplingPlan(project=project_a, strata=STRATA).save_as_new_version()
    add_outputs(project_a, {("medical", "high"): 40, ("billing", "medium"): 400})
    client.force_login(lead)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reviewapp:run-draw", args=["support"]), {"week": str(WEEK)})
    assert response.status_code == 302
    run = AuditRun.objects.get(project=project_a)
    page = client.get(reverse("reviewapp:run-detail", args=["support", WEEK.year, WEEK.week])).content.decode()
    assert f"{run.size} of {run.population} outputs" in page
    first = run.items.select_related("output").first()
    assert first.output.external_id in page


@pytest.mark.django_db
@pytest.mark.parametrize("name,method", [("reviewapp:plan-edit", "get"), ("reviewapp:plan-preview", "post"),
                                         ("reviewapp:run-draw", "post")])
def test_a_reviewer_cannot_plan_or_draw(client, alice, name, method):
    client.force_login(alice)
    response = getattr(client, method)(reverse(name, args=["support"]), {"week": str(WEEK)})
    assert response.status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["reviewapp:plan-edit", "reviewapp:run-list"])
def test_an_outsider_gets_404(client, charlie, name):
    client.force_login(charlie)
    assert client.get(reverse(name, args=["support"])).status_code == 404


@pytest.mark.django_db
def test_a_reviewer_sees_runs_without_draw_buttons(client, alice, project_a):
    SamplingPlan(project=project_a, strata=STRATA).save_as_new_version()
    client.force_login(alice)
    html = client.get(reverse("reviewapp:run-list", args=["support"])).content.decode()
    assert "Recent weeks" in html and "<button" not in html.split("Recent weeks")[1]


@pytest.mark.django_db
def test_draw_audit_command(project_a):
    SamplingPlan(project=project_a, strata=STRATA).save_as_new_version()
    add_outputs(project_a, {("billing", "medium"): 300})
    out = io.StringIO()
    call_command("draw_audit", "--project", "support", "--week", str(WEEK), stdout=out)
    assert f"Drew support {WEEK}:" in out.getvalue()
    out = io.StringIO()
    call_command("draw_audit", "--project", "support", "--week", str(WEEK), stdout=out)
    assert "Already drawn" in out.getvalue()
    with pytest.raises(CommandError, match="not an ISO week"):
        call_command("draw_audit", "--project", "support", "--week", "last week")
