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
