"""Judge-assisted figures of a run: the rates a mapped evaluator helps estimate, and its agreement.

For each JudgeMapping of the project, and the run's week, this gathers what sampling.judge needs:
per stratum, the judge's mean over the week's outputs (frame_means says which) and, on the items
with a final label, the human
answer to the rate's question beside the judge's value. The statistics are sampling's
(estimate_with_judge, judge_agreement); docs/judge.md says how to read them.

Coverage rule (docs/judge.md, "When the judge is not used"): a stratum uses the judge only when
the judge scored at least COVERAGE of the stratum's outputs and every reviewed item there. Else
the stratum is estimated from its reviews alone (a constant judge, which the estimator never
tunes) and the report names it with the reason: a mean over a part of the stratum, or a judge
missing on reviewed items, is no longer the difference estimator's known auxiliary total.
"""
from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from django.db.models import Case, Count, F, FilteredRelation, FloatField, Q, Sum, Value, When
from django.db.models.expressions import CombinedExpression

import sampling
from reviewapp.audits.actions import week_outputs
from reviewapp.audits.models import AuditRun
from reviewapp.ingest.models import Evaluation

from .catalogue import Rate
from .models import FrozenJudgeFrame, JudgeMapping
from .report import JudgeAgreementReport, JudgedRate, JudgedStratumRow, WeightedEstimate

COVERAGE = 0.98  # the least share of a stratum's outputs the judge must have scored to be used there


@dataclass(frozen=True)
class ReviewedPair:
    """A reviewed item of the run, its human answer to the rate's question and the judge's value."""

    item_id: int
    output_id: int
    stratum: str
    human: int
    judge: float | None  # the mapping's reading of the evaluation, None: no usable evaluation
    judge_yes: int | None  # the certification's yes/no


@dataclass(frozen=True)
class StratumScores:
    """A stratum's outputs of the week, how many the judge scored usably, and the sum of its values."""

    outputs: int
    scored: int
    total: float


def frame_means(run: AuditRun, mapping: JudgeMapping) -> dict[str, StratumScores]:
    """Per stratum of the run's week: its outputs, those the judge scored usably, the sum of its values.

    Over the week's outputs as stored now, one query: a LEFT JOIN on this evaluator's evaluations
    (FilteredRelation), so an output without one counts in `outputs` only. The draw's frame is the
    week's outputs in its snapshot; outputs stored after it (late arrivals, counted on the run's
    page and kept few by the grace period) are in these figures too. No stored time tells the two
    apart exactly (an import's ingested_at is stamped when it starts), and the coverage rule below
    compares like with like: the judge's scored outputs with the outputs it could have scored."""
    outputs = week_outputs(run.project, run.plan, run.week).annotate(
        judged=FilteredRelation("evaluations", condition=Q(evaluations__evaluator=mapping.evaluator)))
    value: Case | F | CombinedExpression
    if mapping.reading == JudgeMapping.Reading.LABEL:
        usable = Q(judged__label__gt="")
        value = Case(When(judged__label__in=list(mapping.labels), then=Value(1.0)), default=Value(0.0),
                     output_field=FloatField())
    else:
        usable = Q(judged__value__gte=0.0, judged__value__lte=1.0)
        value = (Value(1.0) - F("judged__value")) if mapping.reading == JudgeMapping.Reading.INVERTED \
            else F("judged__value")
    rows = outputs.order_by().values("stratum").annotate(
        n=Count("id"), scored=Count("id", filter=usable),
        total=Sum(value, filter=usable, output_field=FloatField()))
    return {row["stratum"]: StratumScores(row["n"], row["scored"], float(row["total"] or 0.0)) for row in rows}


def frame_signature(mapping: JudgeMapping) -> str:
    """What frame_means depends on besides the outputs: the evaluator and how its values are read."""
    return f"{mapping.evaluator_id}:{mapping.reading}:{json.dumps(sorted(mapping.labels))}"


def run_frame(run: AuditRun, mapping: JudgeMapping) -> tuple[dict[str, StratumScores], str | None]:
    """frame_means, or for a week whose outputs retention retired, the figures kept before it did.

    Returns the figures and, when none were kept for this mapping, the reason every stratum falls
    back to its reviews alone."""
    retired_before = run.project.retired_before
    if retired_before is None or run.week_start >= retired_before:
        return frame_means(run, mapping), None
    kept = FrozenJudgeFrame.objects.filter(run=run, signature=frame_signature(mapping)).first()
    if kept is None:
        return {}, "its outputs were retired by retention before the judge's figures were kept for this mapping"
    return {name: StratumScores(*values) for name, values in kept.strata.items()}, None


def freeze_frames(project, cutoff) -> int:
    """Keep frame_means of every run of the project whose week reaches before the cutoff, for every
    current mapping: retention is about to retire those outputs (audits.signals.outputs_retiring).
    A figure already kept stays: taken later it would count only what is left."""
    kept = []
    mappings = list(JudgeMapping.objects.filter(project=project).select_related("evaluator"))
    if not mappings:
        return 0
    for run in AuditRun.objects.filter(project=project, week_start__lt=cutoff).select_related("plan", "project"):
        for mapping in mappings:
            frame = frame_means(run, mapping)
            kept.append(FrozenJudgeFrame(run=run, signature=frame_signature(mapping), strata={
                name: [s.outputs, s.scored, s.total] for name, s in frame.items()}))
    FrozenJudgeFrame.objects.bulk_create(kept, ignore_conflicts=True)
    return len(kept)


def reviewed_pairs(run: AuditRun, mapping: JudgeMapping, rate: Rate, gold: Mapping[int, dict]) -> list[ReviewedPair]:
    """The items with a final label (``gold``: item id -> answers), human and judge side by side."""
    items = list(run.items.filter(pk__in=list(gold)).values_list("pk", "output_id", "stratum"))
    evaluations = dict(
        (output_id, (value, label)) for output_id, value, label in Evaluation.objects.filter(
            evaluator=mapping.evaluator, output_id__in=[output_id for _, output_id, _ in items],
        ).values_list("output_id", "value", "label"))
    pairs = []
    for item_id, output_id, stratum in items:
        value, label = evaluations.get(output_id, (None, ""))
        pairs.append(ReviewedPair(item_id, output_id, stratum, int(rate.test(gold[item_id])),
                                  mapping.value_of(value, label), mapping.says_yes(value, label)))
    return pairs


def judged_rate(run: AuditRun, mapping: JudgeMapping, rate: Rate, gold: Mapping[int, dict],
                human_n_eff: float | None) -> JudgedRate:
    """One mapped rate of the run: the judge-assisted estimate over the strata with a final label,
    which strata used the judge (and why not the others), and the judge's agreement."""
    pairs = reviewed_pairs(run, mapping, rate, gold)
    by_stratum: dict[str, list[ReviewedPair]] = defaultdict(list)
    for pair in pairs:
        by_stratum[pair.stratum].append(pair)
    frame, retired = run_frame(run, mapping)
    rows, strata, fallback = [], [], {}
    for name, population in run.populations.items():
        reviewed = by_stratum.get(name, [])
        if population <= 0 or not reviewed:
            continue
        scores = frame.get(name, StratumScores(population, 0, 0.0))
        scored, outputs = scores.scored, max(scores.outputs, population)
        missing = sum(1 for p in reviewed if p.judge is None)
        use = scored >= COVERAGE * outputs and missing == 0 and scored > 0
        if not use:
            fallback[name] = (retired if retired and name not in frame else
                              f"the judge scored {scored} of its {outputs} outputs" if missing == 0 else
                              f"{missing} of its {len(reviewed)} reviewed items have no judge value")
        mean = scores.total / scored if use else 0.0
        human = [float(p.human) for p in reviewed]
        judge = [float(p.judge) for p in reviewed] if use else [0.0] * len(reviewed)  # type: ignore[arg-type]
        strata.append(sampling.JudgedStratum(name, population, min(1.0, max(0.0, mean)), human, judge))
        rows.append(JudgedStratumRow(name, population, scored, len(reviewed), mean if use else None, use))
    estimate = one_sided = None
    if strata:
        confidence = run.plan.confidence
        estimate = WeightedEstimate.of(sampling.estimate_with_judge(strata, confidence=confidence))
        one_sided = sampling.estimate_with_judge(strata, confidence=2 * confidence - 1)
    return JudgedRate(
        rate=rate.key, evaluator_id=mapping.evaluator_id, evaluator=str(mapping.evaluator),
        estimate=estimate, human_n_eff=human_n_eff,
        lower_one_sided=one_sided.lower if one_sided else None,
        upper_one_sided=one_sided.upper if one_sided else None,
        strata=tuple(rows), fallback=fallback, agreement=_agreement(pairs, run.populations))


def _agreement(pairs: list[ReviewedPair], populations: Mapping[str, int]) -> JudgeAgreementReport | None:
    """The judge's yes/no against the final labels, design-weighted (N_h / n_h), overall and per stratum."""
    usable = [p for p in pairs if p.judge_yes is not None and populations.get(p.stratum, 0) > 0]
    if not usable:
        return None
    reviewed: dict[str, int] = defaultdict(int)
    for p in usable:
        reviewed[p.stratum] += 1
    weights = [populations[p.stratum] / reviewed[p.stratum] for p in usable]
    overall = JudgeAgreementReport.of(usable, weights)
    per_stratum = {}
    for name in sorted(reviewed):
        group = [p for p in usable if p.stratum == name]
        per_stratum[name] = JudgeAgreementReport.of(group, None)
    return overall.with_strata(per_stratum)


def mapped_rates(run: AuditRun, rates: Mapping[str, Rate], gold: Mapping[int, dict],
                 human_n_eff: Mapping[str, float | None]) -> dict[str, JudgedRate]:
    """Every rate of the project a judge is mapped to, judged on this run."""
    found = {}
    for mapping in JudgeMapping.objects.of_project(run.project):
        rate = rates.get(mapping.rate)
        if rate is None or not gold:
            continue
        found[mapping.rate] = judged_rate(run, mapping, rate, gold, human_n_eff.get(mapping.rate))
    return found

