"""Refusals are pages of the app: in its layout, saying why, with a way back, never Django's
technical page (which lists every URL pattern); and a login keeps the page it was asked for."""
from __future__ import annotations

from urllib.parse import quote

import pytest
from django.urls import reverse

LAYOUT = 'class="topbar"'  # base.html's header: the page extends the layout
URL_LIST = ("Using the URLconf", "urlpatterns", "p/&lt;slug:slug&gt;", "p/<slug:slug>")


@pytest.fixture(autouse=True)
def no_debug(settings):
    settings.DEBUG = False


def assert_no_pattern_list(html: str) -> None:
    for marker in URL_LIST:
        assert marker not in html, marker


def test_a_reviewer_refused_a_lead_page_reads_why_in_the_layout(client, alice):
    client.force_login(alice)
    response = client.get(reverse("reviewapp:review-flags", args=["support"]),
                          HTTP_REFERER="http://testserver/p/support/review/")
    html = response.content.decode()
    assert response.status_code == 403
    assert LAYOUT in html
    assert "Only the QA leads and admins of Support assistant may see the flagged items." in html
    assert "your role in Support assistant: Reviewer" in html
    assert 'href="http://testserver/p/support/review/">Back to the previous page' in html
    assert f'href="{reverse("reviewapp:project-detail", args=["support"])}"' in html
    assert f'href="{reverse("reviewapp:project-list")}"' in html
    assert_no_pattern_list(html)


def test_a_referer_from_another_site_is_no_way_back(client, alice):
    client.force_login(alice)
    response = client.get(reverse("reviewapp:review-flags", args=["support"]), HTTP_REFERER="https://evil.example/x")
    assert response.status_code == 403
    assert "evil.example" not in response.content.decode()


def test_an_outsider_gets_a_404_that_names_no_project(client, charlie, project_a):
    client.force_login(charlie)
    response = client.get(reverse("reviewapp:scorecard", args=["support"]))
    html = response.content.decode()
    assert response.status_code == 404
    assert LAYOUT in html
    assert "No project &#x27;support&#x27;." in html  # the message, autoescaped; the same as for no project at all
    assert "Support assistant" not in html
    assert f'href="{reverse("reviewapp:project-list")}"' in html
    assert_no_pattern_list(html)


def test_an_unknown_address_is_a_404_in_the_layout_without_the_url_patterns(client, alice):
    client.force_login(alice)
    response = client.get("/no/such/page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert LAYOUT in html
    assert "There is no page at /no/such/page/." in html
    assert "Resolver404" not in html
    assert_no_pattern_list(html)


def test_a_missing_thing_inside_a_project_links_back_to_the_project(client, alice):
    client.force_login(alice)
    response = client.get(reverse("reviewapp:review-item", args=["support", 987654]))
    html = response.content.decode()
    assert response.status_code == 404
    assert LAYOUT in html
    assert f'href="{reverse("reviewapp:project-detail", args=["support"])}"' in html


def test_the_api_keeps_json_errors(client):
    response = client.get("/api/v1/no-such-route")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()


def test_the_500_page_is_plain():
    from django.test import RequestFactory

    from reviewapp import urls
    from reviewapp.errors import server_error

    assert urls.handler500 is server_error

    response = server_error(RequestFactory().get("/p/support/"))
    html = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong" in html
    assert LAYOUT not in html  # no layout: it reads the user and the jobs mode, which may be what failed


def test_login_keeps_the_page_asked_for(client, alice):
    deep = reverse("reviewapp:review-queue", args=["support"]) + "?status=open"
    response = client.get(deep)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={quote(deep, safe='/')}"

    form = client.get(response["Location"])
    assert form.status_code == 200
    assert f'<input type="hidden" name="next" value="{deep}">' in form.content.decode()

    logged_in = client.post(reverse("login"), {"username": "alice", "password": "pw-for-tests-1", "next": deep})
    assert logged_in.status_code == 302
    assert logged_in["Location"] == deep
    assert client.get(deep).status_code == 200
