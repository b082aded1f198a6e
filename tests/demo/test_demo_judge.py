"""The demo's judge: on every output, right about what the reviewers find far more often on billing
than on medical, and mapped to the failure rate so the scorecard and certification have a judge."""
from __future__ import annotations

import io
from collections import Counter
from datetime import UTC, datetime

import pytest
from django.core.management import call_command

from reviewapp.demo.judge import JUDGE_NAME, JUDGE_VERSION, true_verdict
from reviewapp.demo.records import demo_records
from reviewapp.ingest.models import Evaluation, Output
from reviewapp.metrics.models import JudgeMapping
from reviewapp.review.models import GoldLabel

NOW = "2026-11-26T12:00:00+00:00"
END = datetime(2026, 11, 26, 12, tzinfo=UTC)


def accuracy(pairs) -> dict[str, float]:
    """Per category, the share of (category, judge says fail, failed) pairs where the judge is right."""
    right, seen = Counter(), Counter()
    for category, says_fail, failed in pairs:
        seen[category] += 1
        right[category] += says_fail == failed
    return {category: right[category] / seen[category] for category in seen}


def test_every_record_carries_the_judge_with_a_label_and_a_matching_failure_probability():
    records = list(demo_records(seed=7, n=2000, end=END))
    for r in records:
        [e] = r["evaluations"]
        assert (e["name"], e["version"], e["metric"]) == (JUDGE_NAME, JUDGE_VERSION, "failure")
        assert e["label"] in ("fail", "pass") and 0 <= e["value"] <= 1
        assert (e["value"] > 0.5) == (e["label"] == "fail")  # a score reading at 0.5 agrees with the label
    assert list(demo_records(seed=7, n=2000, end=END)) == records
    assert [r["evaluations"] for r in demo_records(seed=8, n=200, end=END)] != [r["evaluations"] for r in records[:200]]


def test_the_judge_is_good_on_billing_and_near_random_on_medical_against_the_truth():
    """Against the hidden truth (the verdict the simulated reviewers report), on many records."""
    records = list(demo_records(seed=2026, n=20000, end=END))
    hits: dict[str, Counter] = {}
    for r in records:
        truth = true_verdict(2026, r["external_id"], r["category"], regression=False) == "failure"
        if r["occurred_at"] >= "2026-11-16":  # the regression week and after: another truth
            continue
        says = r["evaluations"][0]["label"] == "fail"
        hits.setdefault(r["category"], Counter())[(says, truth)] += 1
    def sensitivity(c: Counter) -> float:
        return c[(True, True)] / (c[(True, True)] + c[(False, True)])

    def specificity(c: Counter) -> float:
        return c[(False, False)] / (c[(False, False)] + c[(True, False)])

    assert sensitivity(hits["billing"]) > 0.8 and specificity(hits["billing"]) > 0.95
    assert sensitivity(hits["medical"]) < 0.7 and specificity(hits["medical"]) < 0.85
    assert sensitivity(hits["billing"]) - sensitivity(hits["medical"]) > 0.2


@pytest.mark.django_db
def test_seeded_every_output_is_judged_and_the_judge_agrees_with_the_gold_far_better_on_billing():
    call_command("seed_demo", "--n", "1000", "--now", NOW, "--no-progress", stdout=io.StringIO())
    outputs = Output.objects.filter(project__slug="demo")
    judged = Evaluation.objects.filter(output__project__slug="demo", evaluator__name=JUDGE_NAME,
                                       evaluator__version=JUDGE_VERSION)
    assert judged.count() == outputs.count() == 1000

    gold = GoldLabel.objects.filter(item__project__slug="demo").values_list("item__output_id", "answers")
    failed = {output_id: answers.get("verdict") == "failure" for output_id, answers in gold}
    says = dict(judged.filter(output_id__in=failed).values_list("output_id", "label"))
    category = dict(outputs.filter(pk__in=failed).values_list("pk", "category"))
    pairs = [(category[pk], says[pk] == "fail", failed[pk]) for pk in failed]
    by_category = Counter(c for c, _, _ in pairs)
    assert by_category["billing"] >= 40 and by_category["medical"] >= 40
    agreement = accuracy(pairs)
    assert agreement["billing"] > 0.9
    assert agreement["billing"] - agreement["medical"] > 0.1
    # The judge finds most gold failures on billing, few on medical.
    caught = Counter(c for c, s, f in pairs if f and s)
    missed = Counter(c for c, s, f in pairs if f and not s)
    assert caught["medical"] / (caught["medical"] + missed["medical"]) < 0.75

    [mapping] = JudgeMapping.objects.filter(project__slug="demo")
    assert (mapping.rate, mapping.reading, mapping.labels) == ("verdict:failure", "label", ["fail"])
    assert (mapping.evaluator.name, mapping.evaluator.version) == (JUDGE_NAME, JUDGE_VERSION)
    assert mapping.says_yes(None, "fail") == 1 and mapping.says_yes(None, "pass") == 0


@pytest.mark.django_db
def test_seeding_again_keeps_the_lead_s_mapping():
    call_command("seed_demo", "--n", "200", "--now", NOW, "--no-progress", stdout=io.StringIO())
    JudgeMapping.objects.filter(project__slug="demo").update(reading="score", labels=[])
    call_command("seed_demo", "--n", "200", "--now", NOW, "--no-progress", stdout=io.StringIO())
    assert list(JudgeMapping.objects.filter(project__slug="demo").values_list("reading", flat=True)) == ["score"]
    assert Evaluation.objects.filter(output__project__slug="demo").count() == 200
