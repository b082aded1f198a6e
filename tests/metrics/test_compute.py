"""A run's metrics against the sampling library and the krippendorff package on the same labels."""
from __future__ import annotations

import json

import krippendorff
import numpy as np
import pytest

from reviewapp.metrics.compute import run_metrics
from reviewapp.review import actions
from reviewapp.review.models import Claim
from sampling import StratumCount, estimate_proportion
from tests.helpers import BAD, GOOD, drawn_run, label_all, make_user, ranks

PARTIAL = {"verdict": "partial", "harm": "none", "errors": ["tone"], "corrected_output": "Better wording."}


@pytest.mark.django_db
def test_rates_are_design_weighted_per_stratum_and_shown_with_the_naive_rate(project_a, alice):
    run = drawn_run(project_a, outputs=200)
    # Failures only in the heavily sampled medical stratum: the naive rate over-counts them.
    medical = sorted(run.items.filter(stratum="medical").values_list("pk", flat=True))
    bad = set(medical[::3])
    label_all(project_a, [alice], lambda item, _: BAD if item.pk in bad else GOOD)
    data = run_metrics(run)
    failure = data["rates"]["verdict:failure"]
    items = list(run.items.select_related("gold"))
    counts = [StratumCount(name, run.populations[name], sum(1 for i in items if i.stratum == name),
                           sum(1 for i in items if i.stratum == name and i.gold.verdict == "failure"))
              for name, n in run.allocation.items() if n]
    expected = estimate_proportion(counts, conservative=True)
    assert failure["weighted"]["value"] == pytest.approx(expected.value)
    assert (failure["weighted"]["lower"], failure["weighted"]["upper"]) == pytest.approx((expected.lower, expected.upper))
    # By hand (Cochran 5.x): p = sum W_h p_h.
    by_hand = sum(c.population * c.positives / c.sampled for c in counts) / sum(c.population for c in counts)
    assert failure["weighted"]["value"] == pytest.approx(by_hand)
    positives = sum(c.positives for c in counts)
    assert failure["naive"]["positives"] == positives and failure["naive"]["n"] == run.size
    assert failure["naive"]["value"] > failure["weighted"]["value"] > 0
    assert data["rates"]["verdict:success"]["higher_is_better"] is True
    assert data["items_final"] == run.size and data["covered_population"] == run.population
    json.dumps(data, allow_nan=False)  # plain JSON: NaN would not survive PostgreSQL's jsonb


@pytest.mark.django_db
def test_pending_items_and_unlabelled_strata_are_left_out_and_counted(project_a, alice, bob, lead):
    run = drawn_run(project_a, outputs=60, overlap_share=1.0)  # every item needs two reviews
    claim = actions.claim_next(user=alice, project=project_a)
    actions.submit_label(claim=claim, user=alice, data=GOOD)
    item = claim.item
    claim = actions.claim_next(user=bob, project=project_a)
    assert claim.item_id == item.pk
    actions.submit_label(claim=claim, user=bob, data=BAD)  # a disagreement: pending adjudication
    data = run_metrics(run)
    assert data["items"]["disputed"] == 1 and data["items_final"] == 0
    assert "weighted" not in data["rates"]["verdict:failure"] and data["covered_population"] == 0
    actions.adjudicate(item=item, user=lead, data=BAD)
    data = run_metrics(run)
    assert data["items_final"] == 1
    assert data["covered_population"] == run.populations[item.stratum] < run.population
    assert data["rates"]["verdict:failure"]["weighted"]["value"] == 1.0
    assert [r["gold_n"] for r in data["reviewers"]] == [1, 1]
    assert {r["name"]: r["gold_rate"] for r in data["reviewers"]} == {"alice": 0.0, "bob": 1.0}


@pytest.mark.django_db
def test_agreement_matches_the_krippendorff_package_and_pairwise_kappa(project_a, alice, bob):
    run = drawn_run(project_a, outputs=80, overlap_share=1.0)
    carol = make_user("carol", project_a)
    rank = ranks(run)

    def answer(item, reviewer):
        if reviewer.username == "alice":
            return BAD if rank[item.pk] % 4 == 0 else GOOD
        if reviewer.username == "bob":
            return BAD if rank[item.pk] % 4 in (0, 1) else GOOD
        return PARTIAL if rank[item.pk] % 5 == 0 else GOOD

    label_all(project_a, [alice, bob, carol], answer)
    data = run_metrics(run)
    verdict = data["agreement"]["verdict"]
    claims = Claim.objects.filter(item__run=run, status="submitted").select_related("item", "reviewer")
    reviewers = sorted({c.reviewer.pk for c in claims})
    units = sorted({c.item_id for c in claims})
    labels = {(lbl.item_id, lbl.reviewer_id): lbl.answers["verdict"] for lbl in run.items.first().labels.model.objects.filter(item__run=run)}
    codes = {"success": 0, "partial": 1, "failure": 2}
    matrix = np.array([[codes[labels[(u, r)]] if (u, r) in labels else np.nan for u in units] for r in reviewers], float)
    assert verdict["items"] == len(units)
    assert verdict["alpha"]["value"] == pytest.approx(
        krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal"), abs=1e-9)
    # Issue 12: below sampling's minimum of 30 overlap items there is no interval, and the entry says why.
    assert verdict["items"] < 30
    assert (verdict["alpha"]["enough"], verdict["alpha"]["lower"], verdict["alpha"]["upper"]) == (False, None, None)
    assert verdict["alpha"]["note"] == f"too few overlap items ({verdict['items']} of at least 30)"
    pair = next(p for p in verdict["pairs"] if {p["a"], p["b"]} == {"alice", "bob"})
    both = [u for u in units if (u, alice.pk) in labels and (u, bob.pk) in labels]
    assert pair["n"] == len(both)
    assert pair["percent"] == pytest.approx(np.mean([labels[(u, alice.pk)] == labels[(u, bob.pk)] for u in both]))
    assert data["agreement"]["corrected_output"]["level"] == "nominal"
    assert "notes" not in data["agreement"]  # free text is not compared
    assert {r["name"] for r in data["reviewers"]} == {"alice", "bob", "carol"}
    assert all(r["median_seconds"] >= 30 for r in data["reviewers"])
    json.dumps(data, allow_nan=False)
