"""Login everywhere, projects visible only to members, untrusted text escaped."""
from __future__ import annotations

import pytest
from django.urls import reverse

from reviewapp.ingest.models import Output
from tests.helpers import make_user

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def output_a(project_a):
    return Output.objects.create(
        project=project_a, external_id="xss-1", occurred_at="2026-11-20T10:00:00Z",
        input=[{"role": "user", "content": XSS}], output=XSS, category=XSS,
        context=[{"id": "kb", "content": XSS}], metadata={XSS: XSS},
    )


@pytest.mark.django_db
@pytest.mark.parametrize("name,args", [("reviewapp:project-list", []), ("reviewapp:project-detail", ["support"])])
def test_pages_need_a_login(client, project_a, name, args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302 and response.url.startswith("/login/")


@pytest.mark.django_db
def test_a_member_sees_the_project_and_its_outputs(client, alice, output_a):
    client.force_login(alice)
    response = client.get(reverse("reviewapp:project-detail", args=["support"]))
    assert response.status_code == 200
    assert b"xss-1" in response.content


@pytest.mark.django_db
@pytest.mark.parametrize("mode,banner", [("inprocess", True), ("rq", False)])
def test_pages_state_how_jobs_run(client, alice, settings, mode, banner):
    settings.JOBS_MODE = mode
    client.force_login(alice)
    html = client.get(reverse("reviewapp:project-list")).content.decode()
    assert ("Embedded mode: background jobs run in-process" in html) is banner
    assert f"jobs: {mode}" in html


@pytest.mark.django_db
def test_an_outsider_gets_404(client, charlie, output_a):
    client.force_login(charlie)
    assert client.get(reverse("reviewapp:project-detail", args=["support"])).status_code == 404
    assert client.get(reverse("reviewapp:output-detail", args=["support", output_a.pk])).status_code == 404
    assert b"Support assistant" not in client.get(reverse("reviewapp:project-list")).content


@pytest.mark.django_db
def test_an_output_of_another_project_is_404_even_under_my_project(client, alice, project_b):
    other = Output.objects.create(project=project_b, external_id="b1", occurred_at="2026-11-20T10:00:00Z", input="q", output="a")
    client.force_login(alice)
    assert client.get(reverse("reviewapp:output-detail", args=["support", other.pk])).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["reviewapp:project-detail", "reviewapp:output-detail"])
def test_model_text_is_escaped(client, alice, output_a, name):
    client.force_login(alice)
    args = ["support"] if name == "reviewapp:project-detail" else ["support", output_a.pk]
    html = client.get(reverse(name, args=args)).content.decode()
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert" in html


@pytest.mark.django_db
def test_the_output_page_shows_the_conversation_and_context(client, alice, output_a):
    client.force_login(alice)
    html = client.get(reverse("reviewapp:output-detail", args=["support", output_a.pk])).content.decode()
    assert 'class="message-bubble role-user"' in html
    assert "Retrieved context" in html


@pytest.mark.django_db
def test_the_dashboard_charts_weekly_volume(client, alice, project_a):
    from django.utils import timezone

    Output.objects.create(project=project_a, external_id="now", occurred_at=timezone.now(), input="q", output="a", category="billing")
    client.force_login(alice)
    html = client.get(reverse("reviewapp:project-detail", args=["support"])).content.decode()
    assert "<svg" in html and "Outputs ingested per ISO week" in html and "billing: 1" in html


@pytest.mark.django_db
def test_a_superuser_sees_every_project(client, project_a, project_b):
    admin = make_user("root")
    admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    html = client.get(reverse("reviewapp:project-list")).content.decode()
    assert "Support assistant" in html and "Claims triage" in html


def test_healthz_needs_no_login(client, db):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_the_stylesheet_is_found_by_the_static_finders():
    from django.contrib.staticfiles import finders

    assert finders.find("reviewapp/app.css") is not None


@pytest.mark.django_db
def test_the_dashboard_names_my_role(client, project_a):
    lead = make_user("lead", project_a, role="qa_lead")
    client.force_login(lead)
    assert "you are QA lead" in client.get(reverse("reviewapp:project-detail", args=["support"])).content.decode()
