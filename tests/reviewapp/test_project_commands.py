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
