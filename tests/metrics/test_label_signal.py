"""Review announces label changes with a signal (reviewapp/review/signals.py) that metrics
connects in its AppConfig.ready(): review never imports metrics."""
from __future__ import annotations

import pytest
from django.db import transaction

from reviewapp.metrics.models import RunMetrics
from reviewapp.metrics.receivers import stamp_run
from reviewapp.review import actions
from reviewapp.review.signals import label_changed
from tests.helpers import GOOD, drawn_run


def test_metrics_listens_to_label_changes():
    assert label_changed.disconnect(dispatch_uid="metrics.stamp_run")  # True: it was connected
    label_changed.connect(stamp_run, dispatch_uid="metrics.stamp_run")


@pytest.mark.django_db(transaction=True)
def test_a_submitted_label_announces_its_run_inside_the_transaction(project_a, alice):
    run = drawn_run(project_a)
    heard = []

    def listen(sender, *, run_id, **kwargs):
        heard.append((run_id, transaction.get_connection().in_atomic_block))

    label_changed.connect(listen)
    try:
        claim = actions.claim_next(user=alice, project=project_a)
        actions.submit_label(claim=claim, user=alice, data=GOOD)
    finally:
        label_changed.disconnect(listen)
    assert heard == [(run.pk, True)]
    assert RunMetrics.objects.get(run=run).changed_at is not None

