"""Comments and flags: blind until you have labelled, leads see everything, outsiders see nothing,
and comments are untrusted text."""
from __future__ import annotations

import pytest
from django.template import Context, Template
from django.urls import reverse

from reviewapp.review import actions, discussion
from reviewapp.review.models import Comment, ItemFlag
from tests.helpers import BAD, GOOD

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def panel(item, user) -> str:
    """The item page's discussion include, as the item page renders it."""
    return Template("{% load discussion %}{% item_discussion item user %}").render(
        Context({"item": item, "user": user, "csrf_token": "t"}))


@pytest.mark.django_db
def test_a_reviewer_reads_others_comments_only_after_submitting(double, alice, bob, lead):
    item = double["item"]
    discussion.add_comment(item=item, user=bob, text="BOB-SAYS-FAILURE")
    discussion.add_comment(item=item, user=alice, text="alice wonders")
    assert [c.text for c in discussion.comments_visible_to(alice, item)] == ["alice wonders"]
    page = panel(item, alice)
    assert "BOB-SAYS-FAILURE" not in page and "alice wonders" in page and "once you have submitted" in page
    actions.submit_label(claim=double["alice_claim"], user=alice, data=GOOD)
    assert [c.text for c in discussion.comments_visible_to(alice, item)] == ["BOB-SAYS-FAILURE", "alice wonders"]
    assert "BOB-SAYS-FAILURE" in panel(item, alice)
    # bob has not labelled yet: still blind to alice's comment
    assert [c.text for c in discussion.comments_visible_to(bob, item)] == ["BOB-SAYS-FAILURE"]


@pytest.mark.django_db
def test_leads_see_every_comment(double, alice, bob, lead):
    item = double["item"]
    discussion.add_comment(item=item, user=bob, text="one")
    discussion.add_comment(item=item, user=alice, text="two")
    assert [c.text for c in discussion.comments_visible_to(lead, item)] == ["one", "two"]
    assert "All flagged items" in panel(item, lead)


@pytest.mark.django_db
def test_commenting_over_http(client, double, alice):
    item = double["item"]
    client.force_login(alice)
    url = reverse("reviewapp:review-comment", args=["support", item.pk])
    response = client.post(url, {"text": "  a question  "})
    assert response.status_code == 302 and response.url.endswith("#discussion")
    assert Comment.objects.get().text == "a question"
    followed = client.post(url, {"text": "   "}, follow=True).content.decode()
    assert "A comment needs some text." in followed and Comment.objects.count() == 1


@pytest.mark.django_db
def test_outsiders_and_reviewers_without_the_item_get_404(client, double, charlie, project_a):
    from tests.helpers import make_user

    item = double["item"]
    stranger = make_user("dora", project_a)  # a reviewer of the project who never had the item
    for user in (charlie, stranger):
        client.force_login(user)
        for name in ("reviewapp:review-comment", "reviewapp:review-flag"):
            assert client.post(reverse(name, args=["support", item.pk]), {"text": "x", "reason": "unsure"}).status_code == 404
    assert not Comment.objects.exists() and not ItemFlag.objects.exists()
    client.force_login(charlie)
    assert client.get(reverse("reviewapp:review-flags", args=["support"])).status_code == 404


@pytest.mark.django_db
def test_flags_reach_the_leads_list_until_resolved(client, double, alice, bob, lead):
    item = double["item"]
    client.force_login(alice)
    flag_url = reverse("reviewapp:review-flag", args=["support", item.pk])
    client.post(flag_url, {"reason": "bogus"})
    assert not ItemFlag.objects.exists()
    client.post(flag_url, {"reason": "unsure", "text": "first"})
    client.post(flag_url, {"reason": "policy", "text": "is this refund policy?"})  # updates alice's open flag
    discussion.flag_item(item=item, user=bob, reason="other")
    assert ItemFlag.objects.unresolved().count() == 2
    assert "Policy question" in panel(item, alice) and "Other" not in panel(item, alice).split("Flag for the lead")[1].split("</summary>")[0]
    assert client.get(reverse("reviewapp:review-flags", args=["support"])).status_code == 403
    assert client.post(reverse("reviewapp:review-flag-resolve", args=["support", item.pk])).status_code == 403

    client.force_login(lead)
    page = client.get(reverse("reviewapp:review-flags", args=["support"])).content.decode()
    assert "Policy question" in page and "is this refund policy?" in page and "Other" in page and "Resolve" in page
    assert [row.item.pk for row in discussion.open_flags(item.project)] == [item.pk]
    response = client.post(reverse("reviewapp:review-flag-resolve", args=["support", item.pk]), follow=True)
    assert "Resolved 2 flag(s)" in response.content.decode() and "No open flags" in response.content.decode()
    assert discussion.open_flags(item.project) == []
    assert ItemFlag.objects.filter(resolved_by=lead).count() == 2


@pytest.mark.django_db
def test_comments_and_flag_notes_are_escaped(client, double, alice, bob, lead):
    item = double["item"]
    discussion.add_comment(item=item, user=alice, text=XSS)
    discussion.flag_item(item=item, user=alice, reason="other", text=XSS)
    actions.submit_label(claim=double["bob_claim"], user=bob, data=BAD)
    client.force_login(lead)
    pages = [panel(item, lead), panel(item, alice), panel(item, bob),
             client.get(reverse("reviewapp:review-flags", args=["support"])).content.decode()]
    for page in pages:
        assert "<script>alert" not in page and "<img src=x" not in page
        assert "&lt;script&gt;" in page


@pytest.mark.django_db
def test_the_panel_costs_the_item_page_a_few_queries(double, alice, bob, django_assert_max_num_queries):
    item = double["item"]
    discussion.add_comment(item=item, user=bob, text="b")
    discussion.flag_item(item=item, user=alice, reason="unsure")
    template = Template("{% load discussion %}{% item_discussion item user %}")
    context = Context({"item": item, "user": alice, "project": item.project, "csrf_token": "t"})
    # role (two queries today: Project.role_of's only("role") reloads project_id), own label, comments, own flags
    with django_assert_max_num_queries(5):
        template.render(context)
