"""The workbench over HTTP: blind review, idempotent submits, history, adjudication, rubric edits."""
from __future__ import annotations

import pytest
from django.urls import reverse

from reviewapp.audits.models import AuditItem
from reviewapp.review import actions
from reviewapp.review.models import GoldLabel, Label, LabelSchema
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


def claimed_item(client, user):
    client.force_login(user)
    client.post(reverse("reviewapp:review-next", args=["support"]))
    return user.claims.get().item


@pytest.mark.django_db
def test_a_refused_submit_keeps_every_answer_and_names_every_fault(client, project_a, alice):
    drawn_run(project_a)
    item = claimed_item(client, alice)
    response = post_label(client, item, {"errors": ["tone", "format"], "corrected_output": "Typed <b>fix</b>",
                                         "notes": "my long note", "escalate": "true"})
    page = response.content.decode()
    assert response.status_code == 200 and not Label.objects.exists()
    assert "Verdict: is required" in page and "Harm: is required" in page
    assert page.count('aria-invalid="true"') == 2
    for value in ("tone", "format"):
        assert f'value="{value}" checked' in page
    assert 'name="escalate" value="true" checked' in page
    assert "Typed &lt;b&gt;fix&lt;/b&gt;</textarea>" in page and "my long note</textarea>" in page
    assert "data-refused" in page and 'fieldset id="answers" class="answers" disabled' not in page
    # The answers that were given are kept too when only one is missing.
    page = post_label(client, item, {"verdict": "partial", "errors": ["tone"]}).content.decode()
    assert 'value="partial" checked' in page and "Harm: is required" in page and "Verdict: is required" not in page


def test_clean_all_collects_every_fault_and_clean_still_names_the_first():
    from reviewapp.review.rubric import Rubric, RubricError

    rubric = Rubric.default()
    answers, errors = rubric.clean_all({"errors": ["tone", "nope"], "notes": " hi "})
    assert errors == {"verdict": "Verdict: is required", "errors": "Error categories: 'nope' is not one of the options",
                      "harm": "Harm: is required"}
    assert answers["notes"] == "hi" and "verdict" not in answers
    with pytest.raises(RubricError, match="^Verdict: is required$"):
        rubric.clean({"errors": ["tone", "nope"]})
    assert rubric.clean_all(GOOD) == (rubric.clean(GOOD), {})


@pytest.mark.django_db
def test_a_labelled_item_shows_read_only_until_revise(client, project_a, alice):
    drawn_run(project_a)
    item = claimed_item(client, alice)
    post_label(client, item, GOOD)
    url = reverse("reviewapp:review-item", args=["support", item.pk])
    page = client.get(url).content.decode()
    assert 'fieldset id="answers" class="answers" disabled' in page and 'id="revise"' in page and "data-readonly" in page
    assert 'value="success" checked' in page
    editable = client.get(url + "?revise=1").content.decode()
    assert 'fieldset id="answers" class="answers">' in editable and "data-readonly" not in editable


@pytest.mark.django_db
def test_after_a_submit_the_next_page_says_saved_with_a_link_and_undo(client, project_a, alice):
    drawn_run(project_a)
    item = claimed_item(client, alice)
    nxt = client.get(post_label(client, item, GOOD).url).content.decode()
    assert 'id="saved-toast"' in nxt and item.output.external_id in nxt
    assert reverse("reviewapp:review-item", args=["support", item.pk]) in nxt and 'id="undo-form"' in nxt
    # Shown once.
    assert 'id="saved-toast"' not in client.get(reverse("reviewapp:review-queue", args=["support"])).content.decode()


@pytest.mark.django_db
def test_undoing_a_first_submit_withdraws_it_and_gives_the_answers_back(client, project_a, alice):
    run = drawn_run(project_a)
    item = claimed_item(client, alice)
    post_label(client, item, {**BAD, "notes": "typed"})
    assert AuditItem.objects.get(pk=item.pk).status == "labelled"
    response = client.post(reverse("reviewapp:review-undo", args=["support"]))
    assert response.url == reverse("reviewapp:review-item", args=["support", item.pk])
    item.refresh_from_db()
    assert not Label.objects.filter(reviewer=alice, item=item).exists()
    assert (item.status, item.labels_count) == ("open", 0) and not GoldLabel.objects.filter(item=item).exists()
    assert actions.progress(user=alice, run=run).mine_done == 0
    assert alice.claims.get(item=item).status == "active"
    page = client.get(response.url).content.decode()
    assert "was withdrawn" in page and 'value="failure" checked' in page and "typed</textarea>" in page
    assert "data-readonly" not in page
    # Nothing left to undo; submitting again works as a first submit.
    assert client.post(reverse("reviewapp:review-undo", args=["support"])).status_code == 302
    post_label(client, item, GOOD)
    assert Label.objects.get(reviewer=alice, item=item).revisions.count() == 1


@pytest.mark.django_db
def test_undoing_a_revision_restores_the_previous_answers_as_a_new_revision(client, project_a, alice):
    drawn_run(project_a)
    item = claimed_item(client, alice)
    post_label(client, item, GOOD)
    post_label(client, item, BAD)
    client.post(reverse("reviewapp:review-undo", args=["support"]))
    label = Label.objects.get(reviewer=alice, item=item)
    assert label.verdict == "success" and label.revisions.count() == 3


@pytest.mark.django_db
def test_undo_is_refused_after_its_window(client, project_a, alice):
    from datetime import timedelta

    from django.utils import timezone

    drawn_run(project_a)
    item = claimed_item(client, alice)
    post_label(client, item, GOOD)
    label = Label.objects.get(reviewer=alice)
    with pytest.raises(actions.ReviewError, match="too late"):
        actions.undo_submit(label_id=label.pk, user=alice, now=timezone.now() + timedelta(seconds=30))
    assert Label.objects.filter(pk=label.pk).exists()


@pytest.mark.django_db
def test_the_item_page_says_where_the_reviewer_stands(client, project_a, alice):
    run = drawn_run(project_a)
    open_items = run.items.count()
    item = claimed_item(client, alice)
    page = client.get(reverse("reviewapp:review-item", args=["support", item.pk])).content.decode()
    assert f"Item <strong>1</strong> of <strong>{open_items}</strong>" in page
    assert "your labels today <strong>0</strong>, this week <strong>0</strong>" in page
    nxt = client.get(post_label(client, item, GOOD).url).content.decode()
    assert f"Item <strong>2</strong> of <strong>{open_items}</strong> for you in this week's audit ({open_items - 1} left)" in nxt
    assert "your labels today <strong>1</strong>, this week <strong>1</strong>" in nxt
    queue = client.get(reverse("reviewapp:review-queue", args=["support"])).content.decode()
    assert "<progress" in queue and f"1 / {run.reviews_needed}" in queue



@pytest.mark.django_db
def test_a_huge_run_is_counted_only_up_to_a_cap(client, project_a, alice, monkeypatch):
    run = drawn_run(project_a)
    monkeypatch.setattr(actions, "PACE_CAP", 2)
    item = claimed_item(client, alice)
    page = client.get(reverse("reviewapp:review-item", args=["support", item.pk])).content.decode()
    assert run.items.count() > 3 and "Item <strong>1</strong> of <strong>2+</strong>" in page and "(2+ left)" in page


@pytest.mark.django_db
def test_a_project_with_nothing_drawn_says_so_and_who_draws(client, project_a, alice, lead):
    client.force_login(alice)
    response = client.post(reverse("reviewapp:review-next", args=["support"]), follow=True)
    page = response.content.decode()
    assert "Nothing has been drawn for review in this project yet" in page and "draw each week&#x27;s audit: lead." in page
    assert "Thank you" not in page
