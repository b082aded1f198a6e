"""Exported weights reproduce the metrics page (issue 12, deliverable 6).

Every row carries the draw's inclusion probability and a final weight N_h / r_h (r_h: the stratum's
items with a final label as of the snapshot), so that over one week's rows of an unfiltered export,
sum(weight x label) / sum(weight) is the page's design-weighted estimate of that week, in every
format that carries weights. The weights are the design's whatever the filters keep, and are read
as of the snapshot like the rows.
"""
from __future__ import annotations

import csv
import json
from collections import defaultdict
from datetime import timedelta

import orjson
import pytest
from django.utils import timezone

from reviewapp.audits import actions as audit_actions
from reviewapp.audits.models import AuditItem, SamplingPlan
from reviewapp.exports import actions
from reviewapp.exports.formats import FORMATS
from reviewapp.lib.weeks import IsoWeek
from reviewapp.metrics.compute import run_metrics
from reviewapp.review import actions as review
from reviewapp.review.models import Claim
from tests.helpers import BAD, GOOD, MONDAY, STRATA, WEEK, add_outputs, cut, rows_of

FAILURE = "verdict:failure"  # reviewapp/metrics/catalogue.py
NEXT_WEEK = IsoWeek(2026, 48)


def page(run) -> float:
    """The metrics page's design-weighted error rate of the run, computed now."""
    return run_metrics(run)["rates"][FAILURE]["weighted"]["value"]


def label(item, user, data) -> None:
    """`user` reviews this very item through the real workflow (a claim on it, then the label)."""
    claim = Claim.objects.create(item=item, reviewer=user, expires_at=timezone.now() + review.LEASE)
    review.submit_label(claim=claim, user=user, data=data)


def strata_items(run) -> dict[str, list[AuditItem]]:
    found = defaultdict(list)
    for item in run.items.order_by("draw_key", "pk"):
        found[item.stratum].append(item)
    return found


@pytest.fixture
def weeks(project_a, alice, bob, lead):
    """Two audited weeks. 2026-W47 is partly reviewed: `medical` fully, `billing` and `other` in part
    (each with an item whose reviewers disagree: one still disputed, one adjudicated), `high-risk`
    not at all. 2026-W48, drawn from other volumes (other inclusion probabilities), is complete."""
    SamplingPlan(project=project_a, strata=STRATA, goal="margin", margin=0.2, expected_rate=0.5,
                 overlap_share=0.0).save_as_new_version()
    add_outputs(project_a, {("medical", "high"): 30, ("billing", "low"): 150, ("chat", "high"): 40,
                            ("chat", "low"): 200})
    add_outputs(project_a, {("medical", "high"): 20, ("billing", "low"): 260, ("chat", "high"): 90,
                            ("chat", "low"): 120}, start=MONDAY + timedelta(days=7), prefix="n")
    partial, _ = audit_actions.draw_audit(project=project_a, week=WEEK)
    complete, _ = audit_actions.draw_audit(project=project_a, week=NEXT_WEEK)

    items = strata_items(partial)
    assert set(items) == {"medical", "high-risk", "billing", "other"}
    assert len({i.inclusion_probability for i in partial.items.all()}) == 4  # four different pi_h
    for i, item in enumerate(items["medical"]):  # all of it: 2 failures in 5
        label(item, alice, BAD if i % 3 == 0 else GOOD)
    for item in items["billing"][:4]:  # 4 of 8, no failure
        label(item, alice, GOOD)
    disputed = items["billing"][4]
    AuditItem.objects.filter(pk=disputed.pk).update(required_reviews=2)
    label(AuditItem.objects.get(pk=disputed.pk), alice, BAD)
    label(AuditItem.objects.get(pk=disputed.pk), bob, GOOD)
    for i, item in enumerate(items["other"][:3]):  # 3 of 7, and one adjudicated: 2 failures in 4
        label(item, alice, BAD if i == 0 else GOOD)
    ruled = items["other"][3]
    AuditItem.objects.filter(pk=ruled.pk).update(required_reviews=2)
    label(AuditItem.objects.get(pk=ruled.pk), alice, GOOD)
    label(AuditItem.objects.get(pk=ruled.pk), bob, BAD)
    review.adjudicate(item=AuditItem.objects.get(pk=ruled.pk), user=lead, data=BAD)
    assert AuditItem.objects.get(pk=disputed.pk).status == AuditItem.Status.DISPUTED

    for found in strata_items(complete).values():
        for i, item in enumerate(found):
            label(item, alice, BAD if i % 4 == 0 else GOOD)
    return {"partial": partial, "complete": complete, "items": items, "disputed": disputed}


# --- reading each format back: (week, weight, is a failure) per row ------------------------------

def _lines(path) -> list[dict]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def _from_metadata(records) -> list[tuple[str, float, bool]]:
    """Langfuse and LangSmith keep the groups whole; Inspect and promptfoo have them flat (filterable)."""
    return [(m["sampling"]["run"], m["sampling"]["weight"], m["verdict"] == "failure") if "sampling" in m
            else (m["run"], m["weight"], m["verdict"] == "failure")
            for m in (r["metadata"] for r in records)]


def read_jsonl(folder):
    return [(r["sampling"]["run"], r["sampling"]["weight"], r["verdict"] == "failure")
            for r in _lines(folder / "jsonl" / "evalset.jsonl")]


def read_csv(folder):
    with (folder / "csv" / "evalset.csv").open(newline="", encoding="utf-8") as handle:
        return [(r["run"], float(r["weight"]), r["verdict"] == "failure") for r in csv.DictReader(handle)]


def read_parquet(folder):
    import pyarrow.parquet as pq

    found = []
    for path in sorted((folder / "hf" / "data").glob("*.parquet")):
        table = pq.read_table(path)
        found += [(r["sampling"]["run"], r["sampling"]["weight"], r["verdict"] == "failure")
                  for r in table.select(["sampling", "verdict"]).to_pylist()]
    return found


def read_hf_jsonl(folder):
    return [(r["sampling"]["run"], r["sampling"]["weight"], r["verdict"] == "failure")
            for path in sorted((folder / "hf" / "jsonl").glob("*.jsonl")) for r in _lines(path)]


def read_openai_evals(folder):
    return [(r["item"]["run"], r["item"]["sampling_weight"], r["item"]["verdict"] == "failure")
            for r in _lines(folder / "openai-evals" / "evals.jsonl")]


READERS = {
    "jsonl": read_jsonl, "csv": read_csv, "hf": read_parquet, "hf-jsonl": read_hf_jsonl,
    "openai-evals": read_openai_evals,
    "inspect": lambda folder: _from_metadata(_lines(folder / "inspect" / "inspect.jsonl")),
    "promptfoo": lambda folder: _from_metadata(_lines(folder / "promptfoo" / "tests.jsonl")),
    "langfuse": lambda folder: _from_metadata(json.loads((folder / "langfuse" / "langfuse-dataset-items.json")
                                                         .read_text())),
    "langsmith": lambda folder: _from_metadata(json.loads((folder / "langsmith" / "langsmith-examples.json")
                                                          .read_text())),
}


def weighted_rates(rows) -> dict[str, float]:
    """sum(weight x failure) / sum(weight) per week, the way a user of the file computes it."""
    weighted, total = defaultdict(float), defaultdict(float)
    for week, weight, failure in rows:
        weighted[week] += weight * failure
        total[week] += weight
    return {week: weighted[week] / total[week] for week in total}


# --- the tests -----------------------------------------------------------------------------------

@pytest.mark.django_db
def test_every_format_reproduces_the_pages_weighted_rate_for_every_week(project_a, weeks):
    snapshot = cut(project_a)
    runs = {str(weeks["partial"].week): weeks["partial"], str(weeks["complete"].week): weeks["complete"]}
    expected = {name: page(run) for name, run in runs.items()}
    for name, read in READERS.items():
        found = weighted_rates(read(snapshot.directory))
        assert set(found) == set(runs), name  # every week of the export
        for week, rate in found.items():
            assert rate == pytest.approx(expected[week], abs=1e-9), (name, week)

    rows = rows_of(snapshot)
    by_week = defaultdict(list)
    for row in rows:
        by_week[row["sampling"]["run"]].append(row)
    for week, run in runs.items():
        metrics = run_metrics(run)
        strata = {s["name"]: s for s in metrics["strata"]}
        for row in by_week[week]:
            s = row["sampling"]
            item = AuditItem.objects.get(run=run, output__external_id=row["source"]["external_id"])
            assert s["inclusion_probability"] == item.inclusion_probability  # the draw's, unchanged
            assert s["stratum_population"] == strata[s["stratum"]]["population"]
            assert s["stratum_final"] == strata[s["stratum"]]["final"]  # r_h: the page's own count
            assert s["weight"] == s["stratum_population"] / s["stratum_final"]
            assert s["week_population"] == metrics["population"]
            assert s["week_covered_population"] == metrics["covered_population"]
        # The weights add up to the outputs the page's estimate covers: high-risk, unreviewed, is left out.
        assert sum(r["sampling"]["weight"] for r in by_week[week]) == pytest.approx(metrics["covered_population"])
        # The manifest lists the design the weights come from.
        design = snapshot.manifest["design"][week]
        assert design["covered_population"] == metrics["covered_population"]
        assert {n: (d["population"], d["final"]) for n, d in design["strata"].items()} == {
            n: (s["population"], s["final"]) for n, s in strata.items()}

    partial, complete = str(weeks["partial"].week), str(weeks["complete"].week)
    assert {r["sampling"]["week_complete"] for r in by_week[partial]} == {False}
    assert {r["sampling"]["week_complete"] for r in by_week[complete]} == {True}
    assert "high-risk" not in {r["sampling"]["stratum"] for r in by_week[partial]}
    assert run_metrics(weeks["partial"])["covered_population"] < weeks["partial"].population
    # Complete: the final weight is the draw's 1 / pi.
    for row in by_week[complete]:
        assert row["sampling"]["weight"] == pytest.approx(1 / row["sampling"]["inclusion_probability"])
    # Partly reviewed: weighting by the draw's 1 / pi would not give the page's number (the bug).
    draw = weighted_rates((r["sampling"]["run"], 1 / r["sampling"]["inclusion_probability"],
                           r["verdict"] == "failure") for r in by_week[partial])
    assert abs(draw[partial] - expected[partial]) > 1e-3


@pytest.mark.django_db
def test_week_complete_flips_with_the_last_final_label_and_weights_are_read_as_of_the_cut(
        project_a, weeks, alice, lead):
    run = weeks["partial"]
    week = str(run.week)
    before = page(run)
    early = actions.create(project=project_a, filters={}, formats=["jsonl", "csv", "hf"], queue=False)  # not built yet

    # Everything but one item gets its final label.
    review.adjudicate(item=AuditItem.objects.get(pk=weeks["disputed"].pk), user=lead, data=BAD)
    left = list(run.items.filter(gold__isnull=True).order_by("pk"))
    last = left.pop()
    for i, item in enumerate(left):
        label(item, alice, BAD if i % 2 else GOOD)
    almost = cut(project_a, {"weeks": [week]}, ["jsonl", "csv", "hf"])
    rows = rows_of(almost)
    assert len(rows) == run.items.count() - 1
    assert {r["sampling"]["week_complete"] for r in rows} == {False}
    assert not almost.manifest["design"][week]["complete"]
    assert weighted_rates(read_jsonl(almost.directory))[week] == pytest.approx(page(run), abs=1e-9)

    label(last, alice, BAD)
    done = cut(project_a, {"weeks": [week]}, ["jsonl", "csv", "hf"])
    rows = rows_of(done)
    assert len(rows) == run.items.count()
    assert {r["sampling"]["week_complete"] for r in rows} == {True}
    assert done.manifest["design"][week]["complete"]
    for row in rows:
        assert row["sampling"]["weight"] == pytest.approx(1 / row["sampling"]["inclusion_probability"])
    for read in (read_jsonl, read_csv, read_parquet):
        assert weighted_rates(read(done.directory))[week] == pytest.approx(page(run), abs=1e-9)

    # The snapshot created before all this, built now, reads labels and weights as of its cut.
    early = actions.build(early)
    rows = [r for r in rows_of(early) if r["sampling"]["run"] == week]
    assert {r["sampling"]["week_complete"] for r in rows} == {False}
    assert {(r["sampling"]["stratum"], r["sampling"]["stratum_final"]) for r in rows} == {
        ("medical", 5), ("billing", 4), ("other", 4)}
    for read in (read_jsonl, read_csv, read_parquet):
        assert weighted_rates(read(early.directory))[week] == pytest.approx(before, abs=1e-9)
    assert abs(before - page(run)) > 1e-3  # the page has moved on since; the snapshot has not


@pytest.mark.django_db
def test_a_filtered_export_keeps_the_design_weights(project_a, weeks):
    full = {r["id"]: r["sampling"] for r in rows_of(cut(project_a, formats=["jsonl"]))}
    partial = str(weeks["partial"].week)
    for filters in ({"verdicts": ["failure"]}, {"strata": ["other"]}, {"agreement": "settled"},
                    {"error_categories": ["factual_error"]}, {"weeks": [partial], "verdicts": ["success"]}):
        rows = rows_of(cut(project_a, filters, ["jsonl", "csv"]))
        assert rows and len(rows) < len(full), filters
        for row in rows:
            assert row["sampling"] == full[row["id"]], filters  # weight, r_h, N, week_complete: all the design's
    # Only failures: the weights are unchanged, so the file's weighted error rate is 1, not the page's.
    failures = cut(project_a, {"verdicts": ["failure"]}, ["jsonl"])
    assert set(weighted_rates(read_jsonl(failures.directory)).values()) == {1.0}
    # The weeks filter alone keeps whole weeks: the page's rate again.
    only = cut(project_a, {"weeks": [partial]}, ["jsonl"])
    assert weighted_rates(read_jsonl(only.directory)) == {partial: pytest.approx(page(weeks["partial"]), abs=1e-9)}


def test_every_format_with_sampling_fields_is_read_back():
    """The formats READERS checks are all those that carry rows' sampling facts (fine-tuning and
    preference files hold conversations only)."""
    assert set(FORMATS) - {"openai-sft", "openai-dpo"} == set(READERS) - {"hf-jsonl"}


@pytest.mark.django_db
def test_a_snapshot_cut_before_the_final_weights_renders_again(project_a, labelled, tmp_path):
    """A schema 1 snapshot (weight = 1 / pi, no design fields) still renders in every format, with the
    design cells empty."""
    import pyarrow.parquet as pq

    from reviewapp.exports.rows import DESIGN_FIELDS

    snapshot = cut(project_a, formats=["jsonl"])
    canonical = snapshot.directory / "jsonl" / "evalset.jsonl"
    old = []
    for row in rows_of(snapshot):
        sampling = {k: v for k, v in row["sampling"].items() if k not in DESIGN_FIELDS}
        old.append({**row, "sampling": {**sampling, "weight": 1 / sampling["inclusion_probability"]}})
    canonical.chmod(0o644)
    canonical.write_bytes(b"".join(orjson.dumps(r, option=orjson.OPT_SORT_KEYS) + b"\n" for r in old))
    for name in FORMATS:
        assert actions.render(snapshot, name, tmp_path / name), name
    with (tmp_path / "csv" / "evalset.csv").open(newline="", encoding="utf-8") as handle:
        table = list(csv.DictReader(handle))
    assert len(table) == len(old) and all(r["week_complete"] == "" and float(r["weight"]) > 0 for r in table)
    sampling = pq.read_table(tmp_path / "hf" / "data" / "week_2026_47.parquet").column("sampling").to_pylist()
    assert all(s["stratum_final"] is None and s["weight"] > 0 for s in sampling)
