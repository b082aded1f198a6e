"""The workbench over HTTP: blind review, idempotent submits, history, adjudication, rubric edits."""
from __future__ import annotations

import pytest
from django.urls import reverse

from reviewapp.audits.models import AuditItem
from reviewapp.review import actions
from reviewapp.review.models import Label, LabelSchema
from tests.helpers import BAD, GOOD, drawn_run

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def post_label(client, item, answers: dict):
    data = {k: v for k, v in answers.items() if v is not None}
    return client.post(reverse("reviewapp:review-submit", args=["support", item.pk]), data)


@pytest.mark.django_db
def test_next_claims_and_opens_the_item_page(client, project_a, alice):
    drawn_run(project_a)
    client.force_login(alice)
    response = client.post(reverse("reviewapp:review-next", args=["support"]))
    claim = alice.claims.get()
    assert response.url == reverse("reviewapp:review-item", args=["support", claim.item_id])
    page = client.get(response.url).content.decode()
    assert 'data-shortcut="1"' in page and "Full success" in page and "reviewapp/label.js" in page


@pytest.mark.django_db
def test_a_double_submit_makes_one_label_and_moves_on(client, project_a, alice):
    drawn_run(project_a)
    client.force_login(alice)
    client.post(reverse("reviewapp:review-next", args=["support"]))
    item = alice.claims.get().item
    first = post_label(client, item, GOOD)
    second = post_label(client, item, GOOD)
    assert Label.objects.filter(reviewer=alice).count() == 1
    assert first.status_code == second.status_code == 302


@pytest.mark.django_db
def test_a_reviewer_never_sees_another_reviewers_label(client, project_a, alice, bob):
    drawn_run(project_a, overlap_share=1.0)
    bob_claim = actions.claim_next(user=bob, project=project_a)
    actions.submit_label(claim=bob_claim, user=bob, data={**BAD, "notes": "BOB-SECRET-NOTE"})
    client.force_login(alice)
    client.post(reverse("reviewapp:review-next", args=["support"]))
    item = alice.claims.get().item
    assert item.pk == bob_claim.item_id
    for name in ("reviewapp:review-item", "reviewapp:review-history"):
        assert "BOB-SECRET-NOTE" not in client.get(reverse(name, args=["support", item.pk])).content.decode()
    post_label(client, item, GOOD)
    assert "BOB-SECRET-NOTE" not in client.get(reverse("reviewapp:review-history", args=["support", item.pk])).content.decode()


@pytest.mark.django_db
def test_after_submitting_agreement_is_shown_only_if_the_lead_enabled_it(client, project_a, alice, bob):
    drawn_run(project_a, overlap_share=1.0)
    schema = LabelSchema.current(project_a)
    schema.reveal_agreement = True
    schema.save()
    actions.submit_label(claim=actions.claim_next(user=bob, project=project_a), user=bob, data=GOOD)
    client.force_login(alice)
    client.post(reverse("reviewapp:review-next", args=["support"]))
    item = alice.claims.get().item
    response = client.post(reverse("reviewapp:review-submit", args=["support", item.pk]), GOOD, follow=True)
    assert "1 of 1 other reviewer(s) gave the same verdict." in response.content.decode()


@pytest.mark.django_db
def test_another_reviewers_item_is_404(client, project_a, alice, bob):
    drawn_run(project_a)
    claim = actions.claim_next(user=bob, project=project_a)
    client.force_login(alice)
    assert client.get(reverse("reviewapp:review-item", args=["support", claim.item_id])).status_code == 404
    assert client.post(reverse("reviewapp:review-submit", args=["support", claim.item_id]), GOOD).status_code == 404


@pytest.mark.django_db
def test_revising_keeps_history_and_the_diff_shows_the_correction(client, project_a, alice):
    drawn_run(project_a)
    client.force_login(alice)
    client.post(reverse("reviewapp:review-next", args=["support"]))
    item = alice.claims.get().item
    post_label(client, item, GOOD)
    post_label(client, item, {**BAD, "corrected_output": "No refunds after 30 days."})
    label = Label.objects.get(reviewer=alice)
    assert label.revisions.count() == 2 and label.verdict == "failure"
    page = client.get(reverse("reviewapp:review-item", args=["support", item.pk])).content.decode()
    assert "<del>Yes, within</del> <ins>No refunds after</ins> 30 days." in page  # word diff vs the original
    history = client.get(reverse("reviewapp:review-history", args=["support", item.pk])).content.decode()
    assert history.count("<tr><td>") == 2


@pytest.mark.django_db
def test_a_qa_lead_adjudicates_a_disagreement(client, project_a, alice, bob, lead):
    drawn_run(project_a, overlap_share=1.0)
    a, b = actions.claim_next(user=alice, project=project_a), actions.claim_next(user=bob, project=project_a)
    actions.submit_label(claim=a, user=alice, data=GOOD)
    actions.submit_label(claim=b, user=bob, data=BAD)
    client.force_login(lead)
    listing = client.get(reverse("reviewapp:adjudication", args=["support"])).content.decode()
    assert a.item.output.external_id in listing
    page = client.get(reverse("reviewapp:adjudicate", args=["support", a.item_id])).content.decode()
    assert page.count('class="differs"') == 3  # verdict, error categories, harm
    response = client.post(reverse("reviewapp:adjudicate", args=["support", a.item_id]), {"verdict": "partial", "harm": "none"})
    assert response.status_code == 302
    item = AuditItem.objects.get(pk=a.item_id)
    assert item.status == "adjudicated" and item.gold.verdict == "partial" and item.gold.decided_by == lead
    csv = client.get(reverse("reviewapp:adjudication", args=["support"]) + "?_export=csv")
    assert csv["Content-Type"].startswith("text/csv")


@pytest.mark.django_db
def test_rubric_edits_are_validated_and_versioned(client, project_a, lead):
    client.force_login(lead)
    url = reverse("reviewapp:rubric", args=["support"])
    bad = client.post(url, {"definition": '{"questions": [{"key": "v", "type": "single", "label": "V", "options": []}]}'})
    assert "question 1 (v): needs a non-empty list of options" in bad.content.decode()
    good = ('{"questions": [{"key": "ok", "type": "boolean", "label": "Acceptable?", "shortcut": "y"}, '
            '{"key": "verdict", "type": "single", "label": "Verdict", "options": [{"value": "pass"}, {"value": "fail"}]}]}')
    assert client.post(url, {"definition": good, "reveal_agreement": "on"}).status_code == 302
    schema = LabelSchema.current(project_a)
    assert schema.version == 2 and schema.reveal_agreement and schema.questions[0]["key"] == "ok"


@pytest.mark.django_db
def test_model_text_is_inert_on_the_item_page(client, project_a, alice):
    run = drawn_run(project_a)
    item = run.items.first()
    item.output.output = XSS
    item.output.input = [{"role": "user", "content": XSS}]
    item.output.save()
    client.force_login(alice)
    client.post(reverse("reviewapp:review-next", args=["support"]))
    claimed = alice.claims.get().item
    claimed.output.output = XSS
    claimed.output.save()
    html = client.get(reverse("reviewapp:review-item", args=["support", claimed.pk])).content.decode()
    assert "<script>alert" not in html and "<img src=x" not in html and "&lt;script&gt;" in html


@pytest.mark.django_db
def test_leads_list_labels_by_reviewer_and_runs_by_status_with_csv(client, project_a, alice, bob, lead):
    run = drawn_run(project_a)
    for user, answers in ((alice, GOOD), (bob, BAD)):
        actions.submit_label(claim=actions.claim_next(user=user, project=project_a), user=user, data=answers)
    client.force_login(lead)
    labels_url = reverse("reviewapp:labels", args=["support"])
    only_bob = client.get(labels_url, {"reviewer": bob.pk}).content.decode()
    assert "failure" in only_bob and ">success<" not in only_bob
    csv = client.get(labels_url, {"verdict": "success", "_export": "csv"}).content.decode()
    assert csv.count("\n") == 2 and "alice" in csv
    run_url = reverse("reviewapp:run-detail", args=["support", run.iso_year, run.iso_week])
    labelled = client.get(run_url, {"status": "labelled", "_export": "csv"}).content.decode()
    assert labelled.count("\n") == 3  # header + the two labelled items
    failures = client.get(run_url, {"verdict": "failure", "_export": "csv"}).content.decode()
    assert failures.count("\n") == 2
