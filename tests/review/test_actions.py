"""Claims, leases, submits, revisions and gold: the queue's rules, on both backends."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from reviewapp.audits.models import AuditItem
from reviewapp.review import actions
from reviewapp.review.models import Claim, GoldLabel, Label
from reviewapp.review.rubric import RubricError
from tests.helpers import BAD, GOOD, drawn_run


@pytest.mark.django_db
def test_claims_follow_the_queue_order_and_resume_the_held_item(project_a, alice):
    run = drawn_run(project_a)
    first = actions.claim_next(user=alice, project=project_a)
    expected = AuditItem.objects.filter(run=run).in_queue_order().first()
    assert first.item_id == expected.pk and expected.stratum == "medical"  # the riskier stratum first
    assert actions.claim_next(user=alice, project=project_a).pk == first.pk  # held, not a second claim


@pytest.mark.django_db
def test_a_single_review_item_is_never_handed_to_two_reviewers(project_a, alice, bob):
    drawn_run(project_a)
    a = actions.claim_next(user=alice, project=project_a)
    b = actions.claim_next(user=bob, project=project_a)
    assert a.item_id != b.item_id


@pytest.mark.django_db
def test_a_double_review_item_goes_to_two_distinct_reviewers(project_a, alice, bob):
    run = drawn_run(project_a, overlap_share=1.0, reviewers=2)
    a = actions.claim_next(user=alice, project=project_a)
    b = actions.claim_next(user=bob, project=project_a)
    assert a.item_id == b.item_id and a.item.required_reviews == 2
    actions.submit_label(claim=a, user=alice, data=GOOD)
    nxt = actions.claim_next(user=alice, project=project_a)
    assert nxt.item_id != a.item_id  # never the same item twice for one reviewer
    assert run.items.get(pk=a.item_id).labels_count == 1


@pytest.mark.django_db
def test_an_expired_lease_returns_the_item(project_a, alice, bob):
    drawn_run(project_a, outputs=2)
    a = actions.claim_next(user=alice, project=project_a)
    other = actions.claim_next(user=bob, project=project_a)
    assert other.item_id != a.item_id
    actions.submit_label(claim=other, user=bob, data=GOOD)
    assert actions.claim_next(user=bob, project=project_a) is None  # alice holds the last one
    Claim.objects.filter(pk=a.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert actions.claim_next(user=bob, project=project_a).item_id == a.item_id


@pytest.mark.django_db
def test_submitting_twice_stores_one_label(project_a, alice):
    drawn_run(project_a)
    claim = actions.claim_next(user=alice, project=project_a)
    first = actions.submit_label(claim=claim, user=alice, data=GOOD)
    again = actions.submit_label(claim=claim, user=alice, data=BAD)
    assert first.pk == again.pk and Label.objects.count() == 1
    item = AuditItem.objects.get(pk=claim.item_id)
    assert item.labels_count == 1 and item.status == "labelled"
    assert GoldLabel.objects.get(item=item).method == "single"


@pytest.mark.django_db
def test_a_bad_answer_names_the_question_and_stores_nothing(project_a, alice):
    drawn_run(project_a)
    claim = actions.claim_next(user=alice, project=project_a)
    with pytest.raises(RubricError, match="Verdict: 'great' is not one of the options"):
        actions.submit_label(claim=claim, user=alice, data={"verdict": "great", "harm": "none"})
    with pytest.raises(RubricError, match="Harm: is required"):
        actions.submit_label(claim=claim, user=alice, data={"verdict": "success"})
    assert not Label.objects.exists()


@pytest.mark.django_db
def test_someone_elses_claim_cannot_be_submitted(project_a, alice, bob):
    drawn_run(project_a)
    claim = actions.claim_next(user=alice, project=project_a)
    with pytest.raises(actions.ReviewError):
        actions.submit_label(claim=claim, user=bob, data=GOOD)


@pytest.mark.django_db
def test_revisions_keep_every_version(project_a, alice):
    drawn_run(project_a)
    claim = actions.claim_next(user=alice, project=project_a)
    label = actions.submit_label(claim=claim, user=alice, data=GOOD)
    actions.revise_label(label=label, user=alice, data=BAD)
    label.refresh_from_db()
    assert label.verdict == "failure"
    assert [r.answers["verdict"] for r in label.revisions.all()] == ["success", "failure"]
    assert GoldLabel.objects.get(item_id=claim.item_id).verdict == "failure"


@pytest.mark.django_db
def test_disagreement_waits_for_adjudication_and_the_ruling_has_history(project_a, alice, bob, lead):
    drawn_run(project_a, overlap_share=1.0)
    a = actions.claim_next(user=alice, project=project_a)
    b = actions.claim_next(user=bob, project=project_a)
    actions.submit_label(claim=a, user=alice, data=GOOD)
    actions.submit_label(claim=b, user=bob, data=BAD)
    item = AuditItem.objects.get(pk=a.item_id)
    assert item.status == "disputed" and not GoldLabel.objects.filter(item=item).exists()
    actions.adjudicate(item=item, user=lead, data=BAD)
    actions.adjudicate(item=item, user=lead, data={**BAD, "notes": "checked the policy"})
    gold = GoldLabel.objects.get(item=item)
    assert gold.method == "adjudicated" and gold.decided_by == lead and gold.revisions.count() == 2
    item.refresh_from_db()
    assert item.status == "adjudicated"


@pytest.mark.django_db
def test_agreeing_reviews_become_gold(project_a, alice, bob):
    drawn_run(project_a, overlap_share=1.0)
    a = actions.claim_next(user=alice, project=project_a)
    b = actions.claim_next(user=bob, project=project_a)
    actions.submit_label(claim=a, user=alice, data={**GOOD, "notes": "fine"})
    actions.submit_label(claim=b, user=bob, data={**GOOD, "notes": "all good"})  # notes may differ
    assert GoldLabel.objects.get(item_id=a.item_id).method == "agreed"


@pytest.mark.django_db
def test_skipping_needs_a_reason_and_frees_the_item_for_others(project_a, alice, bob):
    drawn_run(project_a, outputs=1)
    claim = actions.claim_next(user=alice, project=project_a)
    with pytest.raises(actions.ReviewError):
        actions.skip(claim=claim, user=alice, reason=" ")
    actions.skip(claim=claim, user=alice, reason="not my language")
    assert actions.claim_next(user=alice, project=project_a) is None
    assert actions.claim_next(user=bob, project=project_a).item_id == claim.item_id


@pytest.mark.django_db
def test_progress_counts_mine_and_the_team(project_a, alice, bob):
    run = drawn_run(project_a)
    for user in (alice, bob, alice):
        actions.submit_label(claim=actions.claim_next(user=user, project=project_a), user=user, data=GOOD)
    run.refresh_from_db()
    assert run.reviews_needed == sum(item.required_reviews for item in run.items.all())
    p = actions.progress(user=alice, run=run)
    assert (p.mine_done, p.team_done, p.team_left) == (2, 3, run.reviews_needed - 3)
    assert actions.progress(user=bob, run=run).mine_done == 1
