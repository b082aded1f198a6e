"""Judge-assisted figures of a run (metrics/judging.py): the estimate is sampling.estimate_with_judge
on the run's frame and final labels, strata the judge does not cover fall back to their reviews,
and the judge's agreement is the final labels' against its yes/no."""
from __future__ import annotations

import pytest
from sklearn.metrics import cohen_kappa_score, precision_score, recall_score

import sampling
from reviewapp.ingest.evaluation_writer import store_evaluations
from reviewapp.ingest.models import Evaluation, Evaluator, Output
from reviewapp.ingest.records import EvaluationIn
from reviewapp.metrics.compute import run_report
from reviewapp.metrics.models import JudgeMapping
from reviewapp.review.models import GoldLabel
from tests.helpers import BAD, GOOD, drawn_run, label_all


def bad(external_id: str) -> bool:
    return int(external_id[1:]) % 5 == 0


def judge_says_fail(external_id: str) -> bool:
    i = int(external_id[1:])
    return (bad(external_id) and i % 35 != 0) or i % 31 == 1  # misses one failure in seven, a few false alarms


def judged_week(project, reviewer, *, skip=lambda external_id: False):
    run = drawn_run(project, outputs=300, margin=0.08)
    pairs = [(o.external_id, EvaluationIn(name="groundedness-judge", version="3",
                                          label="fail" if judge_says_fail(o.external_id) else "pass",
                                          value=0.9 if judge_says_fail(o.external_id) else 0.1))
             for o in Output.objects.filter(project=project) if not skip(o.external_id)]
    store_evaluations(project.pk, pairs)
    label_all(project, [reviewer], lambda item, _: BAD if bad(item.output.external_id) else GOOD)
    return run


def mapping(project, **overrides) -> JudgeMapping:
    evaluator = Evaluator.objects.get(project=project, name="groundedness-judge", version="3")
    return JudgeMapping.objects.create(**({"project": project, "rate": "verdict:failure", "evaluator": evaluator,
                                           "reading": "label", "labels": ["fail"]} | overrides))


@pytest.mark.django_db
def test_the_estimate_is_sampling_s_on_the_run_s_frame_and_final_labels(project_a, alice):
    run = judged_week(project_a, alice)
    mapping(project_a)
    judged = run_report(run).judged["verdict:failure"]
    strata = []
    for name, population in run.populations.items():
        items = list(run.items.filter(stratum=name, gold__isnull=False).select_related("output"))
        outputs = Output.objects.filter(project=project_a, pk__in=_frame_ids(run, name))
        fails = Evaluation.objects.filter(output__in=outputs, label="fail").count()
        strata.append(sampling.JudgedStratum(
            name, population, fails / outputs.count(),
            [float(bad(i.output.external_id)) for i in items],
            [float(judge_says_fail(i.output.external_id)) for i in items]))
    expected = sampling.estimate_with_judge(strata, confidence=run.plan.confidence)
    assert judged.used and not judged.fallback
    assert judged.estimate.value == pytest.approx(expected.value)
    assert (judged.estimate.lower, judged.estimate.upper) == pytest.approx((expected.lower, expected.upper))
    assert judged.gain is not None and judged.gain > 0  # a judge this good is worth reviews
    human = run_report(run).rates["verdict:failure"].weighted
    assert judged.human_n_eff == pytest.approx(human.n_eff)


def _frame_ids(run, stratum):
    from reviewapp.audits.actions import week_outputs

    return week_outputs(run.project, run.plan, run.week).filter(stratum=stratum).values_list("pk", flat=True)


@pytest.mark.django_db
def test_a_stratum_the_judge_does_not_cover_is_estimated_from_its_reviews_and_named(project_a, alice):
    run = judged_week(project_a, alice, skip=lambda external_id: int(external_id[1:]) % 10 == 3)
    mapping(project_a)
    judged = run_report(run).judged["verdict:failure"]
    assert not judged.used and set(judged.fallback) == {s.name for s in judged.strata}
    assert all("the judge scored" in reason or "no judge value" in reason for reason in judged.fallback.values())
    human = run_report(run).rates["verdict:failure"].weighted
    assert judged.estimate.value == pytest.approx(human.value)
    assert judged.gain is None


@pytest.mark.django_db
def test_agreement_counts_are_the_final_labels_against_the_judge_and_match_sklearn_unweighted(project_a, alice):
    run = judged_week(project_a, alice)
    mapping(project_a)
    agreement = run_report(run).judged["verdict:failure"].agreement
    finals = list(GoldLabel.objects.filter(item__run=run).select_related("item__output"))
    human = [int(bad(g.item.output.external_id)) for g in finals]
    judge = [int(judge_says_fail(g.item.output.external_id)) for g in finals]
    (tn, fp), (fn, tp) = agreement.counts
    assert (tn, fp, fn, tp) == (
        sum(h == 0 and j == 0 for h, j in zip(human, judge, strict=True)), sum(h == 0 and j == 1 for h, j in zip(human, judge, strict=True)),
        sum(h == 1 and j == 0 for h, j in zip(human, judge, strict=True)), sum(h == 1 and j == 1 for h, j in zip(human, judge, strict=True)))
    assert sum(map(sum, agreement.shares)) == pytest.approx(1.0)
    for name, cell in agreement.strata.items():  # within a stratum the items share one weight
        in_stratum = [(h, j) for g, h, j in zip(finals, human, judge, strict=True) if g.item.stratum == name]
        hs, js = [h for h, _ in in_stratum], [j for _, j in in_stratum]
        if sum(hs):
            assert cell.tpr == pytest.approx(recall_score(hs, js))
        if sum(js):
            assert cell.precision == pytest.approx(precision_score(hs, js))
        if 0 < sum(hs) < len(hs):
            assert cell.kappa == pytest.approx(cohen_kappa_score(hs, js))


@pytest.mark.django_db
def test_an_inverted_score_reads_like_the_label_and_no_mapping_means_no_judged_rate(project_a, alice):
    run = judged_week(project_a, alice)
    assert run_report(run).judged == {}
    by_label = mapping(project_a)
    label_estimate = run_report(run).judged["verdict:failure"].estimate
    by_label.delete()
    mapping(project_a, reading="inverted", labels=[])  # value 0.9 means fail: inverted it reads 0.1
    inverted = run_report(run).judged["verdict:failure"].estimate
    JudgeMapping.objects.all().delete()
    mapping(project_a, reading="score", labels=[])
    score = run_report(run).judged["verdict:failure"].estimate
    assert score.value == pytest.approx(label_estimate.value, abs=0.02)  # 0.9/0.1 against 1/0: the same ranking
    assert inverted.n_eff <= score.n_eff  # the wrong direction earns the judge nothing


@pytest.mark.django_db
def test_the_report_keeps_judged_rates_through_its_json(project_a, alice):
    from reviewapp.metrics.report import RunReport

    run = judged_week(project_a, alice)
    mapping(project_a)
    report = run_report(run)
    assert RunReport.from_json(report.to_json()).judged == report.judged


@pytest.mark.django_db
def test_the_judge_is_used_whatever_the_draw_s_recorded_time(project_a, alice):
    """The demo draws its weeks with a simulated clock, before the outputs' ingested_at: the judge's
    mean is over the week's outputs, not over those stamped before the draw (an import's stamp is
    its start, so no stored time tells the draw's frame apart)."""
    from datetime import timedelta

    from reviewapp.audits.models import AuditRun

    run = judged_week(project_a, alice)
    AuditRun.objects.filter(pk=run.pk).update(created_at=run.created_at - timedelta(days=30))
    run.refresh_from_db()
    mapping(project_a)
    judged = run_report(run).judged["verdict:failure"]
    assert judged.used and not judged.fallback


@pytest.mark.django_db
def test_retention_keeps_the_judge_figures_of_a_retired_week(project_a, alice):
    """The judge's mean over a stratum needs every output of the week; retention keeps the figures
    before it retires them, so the week's judge-assisted estimate is the same after. A mapping
    changed after retention cannot be applied to outputs that are gone: the report says so."""
    from datetime import UTC, datetime

    from reviewapp.audits import retention
    from reviewapp.metrics.models import FrozenJudgeFrame

    run = judged_week(project_a, alice)
    mapped = mapping(project_a)
    before = run_report(run).judged["verdict:failure"]
    assert before.used
    project_a.retention_weeks = 4
    project_a.save()
    retention.retire(now=datetime(2026, 12, 23, 9, tzinfo=UTC))  # 2026-W47 is past 4 weeks kept
    assert not Output.objects.filter(project=project_a).exists()
    assert FrozenJudgeFrame.objects.filter(run=run).count() == 1
    run.refresh_from_db()
    after = run_report(run).judged["verdict:failure"]
    assert after.estimate == before.estimate and after.strata == before.strata and not after.fallback
    mapped.reading = "score"
    mapped.save()
    changed = run_report(run).judged["verdict:failure"]
    assert changed.fallback and all("retired by retention" in why for why in changed.fallback.values())
