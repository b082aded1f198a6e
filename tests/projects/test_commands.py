from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from reviewapp.projects.models import ApiToken, Project


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.mark.django_db
def test_create_project_prints_a_working_token_on_its_last_line(client):
    token = run("create_project", "support", "--name", "Support assistant").strip().splitlines()[-1]
    project = Project.objects.get(slug="support")
    assert project.name == "Support assistant"
    assert ApiToken.authenticate(token).project == project


@pytest.mark.django_db
def test_create_project_refuses_an_existing_slug(project_a):
    with pytest.raises(CommandError, match="already exists"):
        run("create_project", "support", "--name", "Again")


@pytest.mark.django_db
def test_create_token_issues_another_token(project_a, token_a):
    token = run("create_token", "support", "--name", "prod").strip().splitlines()[-1]
    assert token != token_a
    assert ApiToken.authenticate(token).project == project_a
    assert ApiToken.authenticate(token_a).project == project_a
    assert ApiToken.objects.filter(project=project_a).count() == 2


@pytest.mark.django_db
def test_create_token_for_an_unknown_project_fails():
    with pytest.raises(CommandError, match="no project 'nope'"):
        run("create_token", "nope")


@pytest.mark.django_db
def test_tokens_are_revoked_from_the_admin(admin_client, project_a, token_a):
    from reviewapp.projects.models import UserToken
    from tests.helpers import make_user

    user_token = UserToken.issue(user=make_user("dana"))[1]
    for model, plaintext in (("apitoken", token_a), ("usertoken", user_token)):
        token = (ApiToken if model == "apitoken" else UserToken).authenticate(plaintext)
        response = admin_client.post(f"/admin/projects/{model}/", {"action": "revoke", "_selected_action": [token.pk]})
        assert response.status_code == 302
        assert (ApiToken if model == "apitoken" else UserToken).authenticate(plaintext) is None
