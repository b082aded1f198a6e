"""The stored metrics' one contract (report.py): the JSON compute caches reads back as typed values
and writes back unchanged; a cache of another schema is refused rather than read with missing keys."""
from __future__ import annotations

import dataclasses

import pytest

from reviewapp.metrics import actions as metrics
from reviewapp.metrics.compute import run_metrics
from reviewapp.metrics.models import RunMetrics
from reviewapp.metrics.report import SCHEMA_VERSION, RunReport, WeightedEstimate
from sampling import Estimate, StratumCount, estimate_proportion
from tests.helpers import BAD, GOOD, drawn_run, label_all, ranks


@pytest.mark.django_db
def test_a_computed_report_reads_back_as_attributes_and_writes_back_the_same_json(project_a, alice, bob):
    run = drawn_run(project_a, outputs=80, overlap_share=0.5)
    rank = ranks(run)
    label_all(project_a, [alice, bob], lambda item, _: BAD if rank[item.pk] % 5 == 0 else GOOD)
    data = run_metrics(run)
    report = RunReport.from_json(data)
    assert report.to_json() == data and data["schema"] == SCHEMA_VERSION
    failure = report.rates["verdict:failure"]
    assert failure.weighted.value == data["rates"]["verdict:failure"]["weighted"]["value"]
    assert failure.naive.positives == sum(cell.positives for cell in failure.strata.values())
    assert report.complete and report.items_final == report.drawn == run.size
    assert report.agreement["verdict"].alpha is not None and report.agreement["verdict"].pairs
    assert {r.name for r in report.reviewers} == {"alice", "bob"}
    assert metrics.metrics_for(run).report == report  # stored, read back


@pytest.mark.django_db
def test_a_run_without_final_labels_has_rates_without_figures(project_a):
    run = drawn_run(project_a)
    data = run_metrics(run)
    report = RunReport.from_json(data)
    assert report.to_json() == data
    assert not report.has_labels and report.covered_share == 0
    assert all(r.weighted is None and r.naive is None and not r.strata for r in report.rates.values())
    assert all(a.alpha is None and a.percent is None for a in report.agreement.values())


@pytest.mark.django_db(transaction=True)
def test_a_cache_of_another_schema_is_not_read(project_a):
    run = drawn_run(project_a)
    row = metrics.metrics_for(run)
    old = {**row.data, "schema": SCHEMA_VERSION - 1}
    with pytest.raises(ValueError, match="recompute"):
        RunReport.from_json(old)
    RunMetrics.objects.filter(pk=row.pk).update(data=old)
    stored = RunMetrics.objects.get(pk=row.pk)
    assert stored.stale and stored.report is None


def test_the_weighted_estimate_is_samplings_estimate_with_its_one_sided_bound():
    estimate = estimate_proportion([StratumCount("a", 1000, 50, 3), StratumCount("b", 4000, 50, 1)], conservative=True)
    stored = WeightedEstimate.of(estimate)
    assert [f.name for f in dataclasses.fields(WeightedEstimate)] == [
        *(f.name for f in dataclasses.fields(Estimate)), "upper_one_sided"]
    assert stored.to_estimate() == estimate and stored.upper_one_sided == estimate.upper_one_sided
    assert WeightedEstimate.from_json(stored.to_json()) == stored
