"""Projects and people in the app (issue 15, item 1): starting a project, its tokens, members and
invitations; only leads manage, only admins hand out the admin role, a project keeps an admin, and
every change is on the activity page."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from reviewapp.audits.models import SamplingPlan
from reviewapp.projects import actions
from reviewapp.projects.models import Activity, ApiToken, Invitation, Membership, Project
from reviewapp.review.models import LabelSchema
from tests.helpers import make_user


def url(name: str, *args) -> str:
    return reverse(f"reviewapp:{name}", args=args)


@pytest.fixture
def admin(project_a):
    return make_user("boss", project_a, role="admin")


@pytest.mark.django_db
def test_a_lead_starts_a_project_with_rubric_plan_and_a_token_shown_once(client, lead):
    client.force_login(lead)
    response = client.post(url("project-new"), {"name": "Claims bot", "slug": "", "time_zone": "Europe/Paris"})
    project = Project.objects.get(slug="claims-bot")
    assert response.url == url("project-tokens", "claims-bot")
    assert project.role_of(lead) == Membership.Role.ADMIN
    assert SamplingPlan.current(project).time_zone == "Europe/Paris" and LabelSchema.current(project).version == 1
    page = client.get(response.url).content.decode()
    plaintext = re.search(r'value="(spc_[^"]+)"', page).group(1)
    assert ApiToken.authenticate(plaintext).project == project
    assert plaintext not in client.get(response.url).content.decode()  # shown once
    assert [a.verb for a in Activity.objects.filter(project=project)] == [Activity.Verb.PROJECT_CREATED]


@pytest.mark.django_db
def test_starting_a_project_is_for_leads_and_bad_input_is_named(client, alice, lead):
    client.force_login(alice)  # a reviewer only
    assert client.get(url("project-new")).status_code == 403
    client.force_login(lead)
    page = client.post(url("project-new"), {"name": "X", "slug": "support", "time_zone": "UTC"}).content.decode()
    assert "short name “support” already exists" in page
    page = client.post(url("project-new"), {"name": "X", "slug": "x", "time_zone": "Mars/Olympus"}).content.decode()
    assert "“Mars/Olympus” is not a time zone" in page
    assert not Project.objects.filter(slug="x").exists()


@pytest.mark.django_db
def test_a_project_from_the_command_line_can_be_drawn_at_once(capsys):
    from django.core.management import call_command

    call_command("create_project", "cli-proj", "--name", "CLI project", "--time-zone", "America/New_York")
    project = Project.objects.get(slug="cli-proj")
    assert SamplingPlan.current(project).time_zone == "America/New_York"


@pytest.mark.django_db
def test_rotating_a_token_stops_the_old_one_and_is_recorded(client, project_a, lead, token_a):
    client.force_login(lead)
    old = ApiToken.authenticate(token_a)
    client.post(url("project-token-rotate", "support", old.pk))
    page = client.get(url("project-tokens", "support")).content.decode()
    new = re.search(r'value="(spc_[^"]+)"', page).group(1)
    assert ApiToken.authenticate(token_a) is None and ApiToken.authenticate(new).project == project_a
    client.post(url("project-token-revoke", "support", ApiToken.authenticate(new).pk))
    assert ApiToken.authenticate(new) is None
    verbs = [a.verb for a in Activity.objects.for_project(project_a)]
    assert verbs == [Activity.Verb.TOKEN_REVOKED, Activity.Verb.TOKEN_ROTATED]
    assert all(a.actor == lead for a in Activity.objects.for_project(project_a))


@pytest.mark.django_db
def test_reviewers_and_outsiders_cannot_manage_people_or_tokens(client, project_a, alice, charlie, token_a):
    token = ApiToken.authenticate(token_a)
    for user, status in ((alice, 403), (charlie, 404)):
        client.force_login(user)
        assert client.get(url("project-people", "support")).status_code == status
        assert client.get(url("project-tokens", "support")).status_code == status
        assert client.get(url("project-activity", "support")).status_code == status
        assert client.post(url("project-token-rotate", "support", token.pk)).status_code == status
        assert client.post(url("project-member-add", "support"), {"who": user.username, "role": "admin"}).status_code == status
    assert ApiToken.authenticate(token_a) is not None
    assert project_a.memberships.get(user=alice).role == Membership.Role.REVIEWER


@pytest.mark.django_db
def test_a_qa_lead_cannot_escalate_to_admin(project_a, lead, alice, admin):
    with pytest.raises(PermissionDenied, match="only the admins"):
        actions.change_role(membership=project_a.memberships.get(user=lead), role="admin", by=lead)
    with pytest.raises(PermissionDenied, match="only the admins"):
        actions.change_role(membership=project_a.memberships.get(user=alice), role="admin", by=lead)
    with pytest.raises(PermissionDenied, match="only the admins"):
        actions.remove_member(membership=project_a.memberships.get(user=admin), by=lead)
    with pytest.raises(PermissionDenied, match="only the admins"):
        actions.invite(project=project_a, email="x@example.org", role="admin", by=lead, link_for=str)
    # a lead manages reviewers and leads
    actions.change_role(membership=project_a.memberships.get(user=alice), role="qa_lead", by=lead)
    assert project_a.memberships.get(user=alice).role == "qa_lead"
    # an admin hands out the admin role
    actions.change_role(membership=project_a.memberships.get(user=alice), role="admin", by=admin)
    assert project_a.memberships.get(user=alice).role == "admin"


@pytest.mark.django_db
def test_the_role_choice_offers_admin_only_to_admins(client, project_a, lead, admin, alice):
    client.force_login(lead)
    page = client.get(url("project-people", "support")).content.decode()
    add_form = page[page.index('action="/p/support/people/add"'):page.index("</form>", page.index('action="/p/support/people/add"'))]
    assert 'value="admin"' not in add_form
    client.force_login(admin)
    page = client.get(url("project-people", "support")).content.decode()
    add_form = page[page.index('action="/p/support/people/add"'):page.index("</form>", page.index('action="/p/support/people/add"'))]
    assert 'value="admin"' in add_form


@pytest.mark.django_db
def test_a_project_keeps_one_admin(project_a, admin):
    with pytest.raises(actions.PeopleError, match="only admin"):
        actions.change_role(membership=project_a.memberships.get(user=admin), role="qa_lead", by=admin)
    with pytest.raises(actions.PeopleError, match="only admin"):
        actions.remove_member(membership=project_a.memberships.get(user=admin), by=admin)
    assert project_a.memberships.get(user=admin).role == "admin"


@pytest.mark.django_db
def test_members_are_added_changed_removed_and_every_change_is_on_the_activity_page(client, project_a, lead):
    newcomer = make_user("dana")
    client.force_login(lead)
    client.post(url("project-member-add", "support"), {"who": "dana", "role": "reviewer"})
    membership = project_a.memberships.get(user=newcomer)
    client.post(url("project-member-role", "support", membership.pk), {f"m{membership.pk}-role": "qa_lead"})
    assert project_a.memberships.get(user=newcomer).role == "qa_lead"
    client.post(url("project-member-remove", "support", membership.pk))
    assert not project_a.memberships.filter(user=newcomer).exists()
    page = client.get(url("project-activity", "support")).content.decode()
    for sentence in ("lead added dana as Reviewer", "lead changed dana&#x27;s role from Reviewer to QA lead",
                     "lead removed dana (QA lead)"):
        assert sentence in page
    unknown = client.post(url("project-member-add", "support"), {"who": "nobody-here", "role": "reviewer"}, follow=True)
    assert "Nobody called nobody-here has a Spotcheck login" in unknown.content.decode()


@pytest.mark.django_db
def test_an_invitation_link_works_once_and_makes_a_login(client, project_a, lead):
    client.force_login(lead)
    client.post(url("project-member-invite", "support"), {"email": "erin@example.org", "role": "reviewer"})
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["erin@example.org"]
    link = re.search(r"http://testserver(/invite/\S+/)", mail.outbox[0].body).group(1)
    client.logout()
    page = client.get(link).content.decode()
    assert "Join Support assistant" in page and "Create your login" in page
    bad = client.post(link, {"username": "erin", "password": "short", "password_again": "short"})
    assert "too short" in bad.content.decode() and not Membership.objects.filter(user__username="erin").exists()
    joined = client.post(link, {"username": "erin", "password": "a-long-pass-phrase-9", "password_again": "a-long-pass-phrase-9"})
    assert joined.url == url("project-detail", "support")
    member = project_a.memberships.get(user__username="erin")
    assert member.role == "reviewer" and member.user.email == "erin@example.org"
    client.logout()
    assert client.get(link).status_code == 404  # used
    verbs = [a.verb for a in Activity.objects.for_project(project_a)]
    assert verbs == [Activity.Verb.INVITATION_ACCEPTED, Activity.Verb.MEMBER_INVITED]


@pytest.mark.django_db
def test_a_lapsed_or_withdrawn_invitation_does_not_work(client, project_a, lead):
    links = []
    for email in ("a@example.org", "b@example.org"):
        actions.invite(project=project_a, email=email, role="reviewer", by=lead, link_for=lambda s: s)
        links.append(mail.outbox[-1].body.split("\n")[3])
    lapsed, withdrawn = Invitation.objects.order_by("pk")
    Invitation.objects.filter(pk=lapsed.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    actions.withdraw(invitation=withdrawn, by=lead)
    for secret in links:
        assert client.get(reverse("reviewapp:invitation", args=[secret])).status_code == 404
        with pytest.raises(actions.PeopleError):
            actions.accept(secret=secret, user=make_user(f"u{len(secret)}-{links.index(secret)}"))


@pytest.mark.django_db
def test_a_logged_in_user_joins_with_one_click(client, project_a, lead, charlie):
    actions.invite(project=project_a, email="charlie@example.org", role="qa_lead", by=lead, link_for=lambda s: s)
    secret = mail.outbox[-1].body.split("\n")[3]
    client.force_login(charlie)
    assert "Join as charlie" in client.get(reverse("reviewapp:invitation", args=[secret])).content.decode()
    client.post(reverse("reviewapp:invitation", args=[secret]))
    assert project_a.role_of(charlie) == "qa_lead"


@pytest.mark.django_db
def test_django_admin_is_for_superusers_only(client, project_a):
    staff = make_user("staffer")
    staff.is_staff = True
    staff.save()
    client.force_login(staff)
    assert client.get("/admin/").status_code == 302  # to the admin's login: not let in
    root = make_user("root")
    root.is_staff = root.is_superuser = True
    root.save()
    client.force_login(root)
    assert client.get("/admin/").status_code == 200
