"""Every page of the web app, for every role, generated from the URL conf: a new view cannot
escape it. Anonymous users go to the login page; members of another project get 404; reviewers
get 403 on lead-only pages; everyone else gets a page (or a redirect, or 405 for POST-only URLs):
QA leads, admins (a member with the admin role) and superusers who are not members (they act as
admins of every project, Project.role_of) alike."""
from __future__ import annotations

import pytest
from django.urls import reverse

from reviewapp.exports import actions as export_actions
from reviewapp.exports.models import Snapshot
from reviewapp.projects.models import Membership
from reviewapp.review import actions
from tests.helpers import drawn_run, kwargs_for, make_user, reviewapp_urls

LEAD_ONLY = {"plan-edit", "plan-preview", "run-draw", "adjudication", "adjudicate", "rubric", "rubric-preview", "labels", "scorecard",
             "scorecard-settings", "run-metrics", "run-metrics-recompute", "run-metrics-status", "run-stratum-close", "exports",
             "export-count", "export-detail", "export-download", "review-flags", "review-flag-resolve",
             "project-people", "project-member-add", "project-member-invite", "project-member-role", "project-member-remove",
             "project-invitation-withdraw", "project-tokens", "project-token-new", "project-token-rotate",
             "project-token-revoke", "project-activity", "alerts", "alert-channels", "alert-channel-remove",
             "alert-channel-test", "judge-certification", "source-sync", "retention"}
PUBLIC = {"healthz", "login", "logout"}
LEADS = ("lead", "admin", "superuser")  # let in wherever a QA lead is


@pytest.fixture
def ctx(project_a, project_b, alice, charlie):
    run = drawn_run(project_a)
    claim = actions.claim_next(user=alice, project=project_a)
    lead = make_user("lead", project_a, role="qa_lead")
    admin = make_user("admin", project_a, role="admin")
    superuser = make_user("root")  # a member of no project
    superuser.is_superuser = True
    superuser.save()
    snapshot = export_actions.build(Snapshot.create_next(project=project_a, formats=["jsonl"]))  # empty: create refuses it
    return {"run": run, "item": claim.item, "lead": lead, "admin": admin, "superuser": superuser, "snapshot": snapshot,
            "reviewer": alice, "outsider": charlie}


def test_the_matrix_covers_every_view():
    assert len(reviewapp_urls()) >= 17


@pytest.mark.django_db
@pytest.mark.parametrize("name", reviewapp_urls())
def test_every_view_checks_its_role(client, ctx, name):
    for who in ("anonymous", "outsider", "reviewer", *LEADS):
        # The reviewer's membership again if a lead before removed it (the URL names the membership).
        Membership.objects.get_or_create(user=ctx["reviewer"], project=ctx["run"].project)
        url = reverse(f"reviewapp:{name}", kwargs=kwargs_for(name, ctx))
        client.logout()
        if who != "anonymous":
            client.force_login(ctx[who])
        response = client.get(url)
        status = response.status_code
        if status == 405:  # a POST-only URL: judge the POST (with no data) instead
            response = client.post(url)
            status = response.status_code
        if name == "invitation":  # the e-mailed link: open to anyone who has it (tests/projects/test_people.py)
            assert status == 200, (name, who, status)
        elif name == "project-new":  # not a project's page: for leads of some project only
            assert status == (200 if who in LEADS else 302 if who == "anonymous" else 403), (name, who, status)
        elif who == "anonymous":
            assert status == 302 and response.url.startswith("/login/"), (name, who, status)
        elif who == "outsider" and name != "project-list":
            assert status == 404, (name, who, status)
        elif who == "reviewer" and name in LEAD_ONLY:
            assert status == 403, (name, who, status)
        else:
            assert status in (200, 302), (name, who, status)
