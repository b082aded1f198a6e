"""20 reviewers drain a 1,000-item single-review run at once: every item labelled exactly once."""
from __future__ import annotations

from collections import Counter

import pytest

from reviewapp.audits.models import AuditItem
from reviewapp.review import actions
from reviewapp.review.models import Label, ReviewTally
from tests.helpers import GOOD, drawn_run, make_user, run_in_threads


@pytest.mark.django_db(transaction=True)
def test_twenty_reviewers_drain_a_run_without_doubles(postgres, project_a):
    run = drawn_run(project_a, outputs=1000, margin=0.0001)  # a census: all 1,000 outputs, one review each
    assert run.size == 1000 and not AuditItem.objects.filter(run=run, required_reviews__gt=1).exists()
    reviewers = [make_user(f"r{i}", project_a) for i in range(20)]
    def work(user) -> list[tuple[int, int]]:
        done = []
        while (claim := actions.claim_next(user=user, project=project_a)) is not None:
            actions.submit_label(claim=claim, user=user, data=GOOD)
            done.append((user.pk, claim.item_id))
        return done

    seen = [pair for pairs in run_in_threads(work, [(u,) for u in reviewers]) for pair in pairs]
    per_item = Counter(item for _, item in seen)
    assert len(per_item) == run.size and set(per_item.values()) == {1}
    assert Label.objects.count() == run.size
    # The per-reviewer tallies behind the progress line add up under the same concurrency.
    done_by = Counter(user for user, _ in seen)
    assert dict(ReviewTally.objects.filter(run=run).values_list("reviewer_id", "labels")) == dict(done_by)
    assert set(AuditItem.objects.filter(run=run).values_list("labels_count", flat=True)) == {1}
    assert len({u for u, _ in seen}) > 1  # the work was shared


@pytest.mark.django_db(transaction=True)
def test_two_saves_of_one_reviewers_answers_at_once_store_one_label_and_lose_neither(postgres, project_a, alice):
    """A double click racing itself (web and API share save_label): one call stores the label, the
    other revises it, whichever order the claim's lock gives them; never two 'created'."""
    import threading

    drawn_run(project_a, outputs=10)
    claim = actions.claim_next(user=alice, project=project_a)
    first, second = GOOD, {**GOOD, "notes": "on second thought"}
    barrier = threading.Barrier(2)

    def work(data):
        barrier.wait()
        return actions.save_label(item=claim.item, user=alice, data=data)[1]

    created = run_in_threads(work, [(first,), (second,)])
    assert sorted(created) == [False, True]
    label = Label.objects.get(item=claim.item, reviewer=alice)
    assert label.revisions.count() in (1, 2)  # two when the answers of the later call differ from the first's
    assert {label.revisions.order_by("number").first().answers["notes"], label.answers["notes"]} <= {"", "on second thought"}
    assert AuditItem.objects.get(pk=claim.item_id).labels_count == 1
