"""The run page's agreement section: no interval below the minimum number of overlap items, "at least" when no item
shows disagreement (issue 12), and the BCa interval otherwise."""
from __future__ import annotations

import json

import pytest
from django.urls import reverse

from reviewapp.metrics.compute import run_metrics
from reviewapp.metrics.models import RunMetrics
from tests.helpers import BAD, GOOD, drawn_run, label_all, ranks


def page(client, lead, run) -> str:
    RunMetrics.objects.filter(run=run).update(computed_at=None)
    client.force_login(lead)
    return client.get(reverse("reviewapp:run-metrics", args=["support", run.iso_year, run.iso_week])).content.decode()


def labelled_run(project, reviewers, answer, **draw):
    """A run reviewed blind by every reviewer; answer(rank of the item in the draw, reviewer) -> answers."""
    run = drawn_run(project, overlap_share=1.0, **draw)
    rank = ranks(run)
    label_all(project, reviewers, lambda item, reviewer: answer(rank[item.pk], reviewer))
    return run


@pytest.mark.django_db
def test_too_few_overlap_items_are_said_instead_of_an_interval(client, lead, project_a, alice, bob):
    run = labelled_run(project_a, [alice, bob], lambda r, _: BAD if r % 3 == 0 else GOOD, outputs=80)
    verdict = run_metrics(run)["agreement"]["verdict"]
    assert verdict["items"] < 30 and verdict["alpha"]["enough"] is False
    text = page(client, lead, run)
    assert f"too few overlap items ({verdict['items']} of at least 30)" in text


@pytest.mark.django_db
def test_no_disagreement_shows_a_one_sided_bound_and_enough_items_an_interval(client, lead, project_a, alice, bob):
    run = labelled_run(project_a, [alice, bob], lambda r, _: BAD if r % 5 == 0 else GOOD, outputs=400, margin=0.12)
    data = run_metrics(run)
    verdict = data["agreement"]["verdict"]
    assert verdict["items"] >= 30
    alpha = verdict["alpha"]
    assert alpha["enough"] and alpha["one_sided"] and alpha["value"] == 1.0 and alpha["upper"] == 1.0
    assert -1 <= alpha["lower"] < 1  # never [1, 1]
    json.dumps(data, allow_nan=False)
    text = page(client, lead, run)
    assert f"at least {alpha['lower']:.3f} (no disagreement)" in text


@pytest.mark.django_db
def test_enough_items_with_disagreement_show_the_interval(client, lead, project_a, alice, bob):
    def answer(r, reviewer):
        if reviewer.username == "bob" and r % 7 == 0:
            return GOOD if r % 5 == 0 else BAD
        return BAD if r % 5 == 0 else GOOD

    run = labelled_run(project_a, [alice, bob], answer, outputs=400, margin=0.12)
    alpha = run_metrics(run)["agreement"]["verdict"]["alpha"]
    assert alpha["enough"] and not alpha["one_sided"] and alpha["note"] == ""
    assert alpha["lower"] < alpha["value"] < alpha["upper"] <= 1
    text = page(client, lead, run)
    assert f"[{alpha['lower']:.3f}, {alpha['upper']:.3f}]" in text
