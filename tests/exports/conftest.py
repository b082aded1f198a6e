from __future__ import annotations

import pytest

from reviewapp.audits.models import AuditItem
from reviewapp.review import actions
from tests.helpers import CORRECTED, GOOD, RULING, drawn_run

BAD = {"verdict": "failure", "harm": "none", "errors": ["policy_violation"]}


@pytest.fixture
def labelled(project_a, alice, bob, lead):
    """A run whose items show every case: adjudicated, still disputed, corrected, failed, fine."""
    run = drawn_run(project_a, outputs=40)
    items = list(run.items.order_by("pk").select_related("output"))
    AuditItem.objects.filter(pk__in=[items[0].pk, items[1].pk]).update(required_reviews=2)
    out = items[2].output
    out.input = [{"role": "developer", "content": "Be brief."}, {"role": "user", "content": "When is my refund?"}]
    out.trace_id, out.span_id = "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"
    out.context = ["Refunds take 5-7 days.", {"content": "Policy v2", "source": "kb"}]
    out.save()
    answers = {items[0].pk: {"alice": CORRECTED, "bob": GOOD}, items[1].pk: {"alice": GOOD, "bob": BAD},
               items[2].pk: {"alice": CORRECTED}, items[3].pk: {"alice": BAD}}
    for user in (alice, bob):
        while (claim := actions.claim_next(user=user, project=project_a)) is not None:
            data = answers.get(claim.item_id, {}).get(user.username, GOOD)
            actions.submit_label(claim=claim, user=user, data=data)
    actions.adjudicate(item=AuditItem.objects.get(pk=items[0].pk), user=lead, data=RULING)
    return {"run": run, "adjudicated": items[0], "disputed": items[1], "corrected": items[2], "failed": items[3],
            "fine": items[4], "size": len(items)}
