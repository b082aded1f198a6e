"""The setup checklist on a new project's home (issue 15, item 2): four steps that tick themselves
from the data, shown to leads only, gone once the project is set up."""
from __future__ import annotations

import pytest
from django.urls import reverse

from reviewapp.audits import actions as audit_actions
from reviewapp.audits.models import SamplingPlan
from reviewapp.audits.setup import checklist
from reviewapp.projects import actions
from reviewapp.projects.models import Project
from tests.helpers import WEEK, add_outputs, make_user


def ticks(project) -> dict[str, bool]:
    return {step.key: step.done for step in checklist(project).steps}


@pytest.mark.django_db
def test_each_step_ticks_itself_when_its_data_is_there(client):
    starter = make_user("starter")
    starter.is_superuser = True
    starter.save()
    project = actions.start_project(name="New bot", slug="new-bot", by=starter).project
    project = Project.objects.get(pk=project.pk)
    assert ticks(project) == {"outputs": False, "plan": False, "people": False, "draw": False}
    client.force_login(starter)
    home = client.get(reverse("reviewapp:project-detail", args=["new-bot"])).content.decode()
    assert "Set up New bot" in home and "0 of 4 done" in home
    assert "http://testserver/api/v1/projects/new-bot/outputs" in home and "ingest outputs.jsonl --project new-bot" in home

    add_outputs(project, {("billing", "low"): 30, ("medical", "high"): 10})
    assert ticks(project)["outputs"]
    plan = SamplingPlan.current(project)
    plan.max_rate = 0.05
    plan.save_as_new_version(user=starter)
    assert ticks(project)["plan"]
    actions.invite(project=project, email="rev@example.org", role="reviewer", by=starter, link_for=str)
    assert ticks(project)["people"]
    audit_actions.draw_audit(project=project, week=WEEK, early=True)
    assert checklist(project).complete
    home = client.get(reverse("reviewapp:project-detail", args=["new-bot"])).content.decode()
    assert "Set up New bot" not in home  # done: the home is the outputs again


@pytest.mark.django_db
def test_drawing_with_the_first_plan_counts_as_choosing_it(project_a, lead):
    plan = SamplingPlan.default_for(project_a)
    plan.save_as_new_version()
    add_outputs(project_a, {("billing", "low"): 20})
    assert not ticks(project_a)["plan"]
    audit_actions.draw_audit(project=project_a, week=WEEK, early=True)
    assert ticks(project_a)["plan"] and ticks(project_a)["draw"]


@pytest.mark.django_db
def test_reviewers_do_not_see_the_checklist(client, project_a, alice):
    client.force_login(alice)
    assert "Set up" not in client.get(reverse("reviewapp:project-detail", args=["support"])).content.decode()
