"""Fixtures the review tests share."""
from __future__ import annotations

import pytest

from reviewapp.review import actions
from tests.helpers import drawn_run


@pytest.fixture
def double(project_a, alice, bob, lead):
    """An item of a double review that alice and bob have both claimed, neither labelled."""
    drawn_run(project_a, overlap_share=1.0)
    bob_claim = actions.claim_next(user=bob, project=project_a)
    alice_claim = actions.claim_next(user=alice, project=project_a)
    assert alice_claim.item_id == bob_claim.item_id
    return {"item": bob_claim.item, "bob_claim": bob_claim, "alice_claim": alice_claim}
