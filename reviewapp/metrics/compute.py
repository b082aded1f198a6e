"""A run's metrics from its labels: design-weighted rates with intervals, agreement, reviewers.

The statistics are `sampling`'s; this module only gathers the counts. Rates are over items with
a final label (gold: the single review, the reviewers' agreement, or the lead's ruling), per
stratum, weighted by the stratum's share of the week's outputs (sampling.estimate_proportion).
Items still waiting for reviews or adjudication are left out and counted as such: a disputed
item is more often an error, so the page says how many are pending. Strata with no final label
yet are left out of the estimate, which then covers the other strata's outputs (said on the page).
Intervals take Kish's effective sample size as a floor (`conservative=True`): mid-week, a large
stratum with a handful of reviews and no error yet would otherwise make the interval far too
narrow (tests/sampling/test_estimation.py simulates it: 24 % coverage without, over 99 % with).

Where a lead mapped an evaluator to a rate (JudgeMapping), the rate also gets its judge-assisted
estimate and the judge's agreement with the final labels (judging.py, docs/judge.md).

Agreement is over the items labelled by two or more reviewers, unweighted (docs/metrics.md §3:
it describes reviewers on the items they saw). The result is a RunReport (report.py), cached in
RunMetrics.data as its JSON.
"""
from __future__ import annotations

import itertools
import statistics
from collections import Counter, defaultdict
from typing import Any

import sampling
from reviewapp.audits.models import AuditRun
from reviewapp.review.models import GoldLabel, Label, LabelSchema
from reviewapp.review.rubric import Question, Rubric

from .catalogue import agreement_level, agreement_value, rates
from .judging import mapped_rates
from .report import (
    JSON,
    AgreementReport,
    AlphaReport,
    PairRow,
    Proportion,
    RateReport,
    ReviewerRow,
    RunReport,
    StratumRow,
    WeightedEstimate,
    plain,
)

BOOTSTRAP = 1000


def run_metrics(run: AuditRun) -> JSON:
    """The run's metrics as the JSON RunMetrics.data caches."""
    return run_report(run).to_json()


def run_report(run: AuditRun) -> RunReport:
    rubric = LabelSchema.current(run.project).rubric
    items = list(run.items.values_list("id", "stratum", "status", "risk_weight"))
    stratum_of = {pk: stratum for pk, stratum, _, _ in items}
    finals = GoldLabel.objects.filter(item__run=run).values_list("item_id", "answers", "method")
    gold, methods = {}, {}
    for item_id, answers, method in finals:
        gold[item_id], methods[item_id] = answers, method
    labels = list(Label.objects.filter(item__run=run).values_list(
        "item_id", "reviewer_id", "reviewer__username", "answers", "time_on_task_ms"))

    risk = {stratum: weight for _, stratum, _, weight in items}
    final_by_stratum = Counter(stratum_of[pk] for pk in gold)
    strata = tuple(StratumRow(name, run.populations.get(name, 0), drawn, final_by_stratum.get(name, 0),
                              risk.get(name, 1.0)) for name, drawn in run.allocation.items())
    covered = [s for s in strata if s.final > 0 and s.population > 0]

    rate_reports = _rates(rubric, gold, stratum_of, covered)
    human_n_eff = {key: r.weighted.n_eff if r.weighted else None for key, r in rate_reports.items()}
    return RunReport(
        week=str(run.week),
        population=run.population,
        covered_population=sum(s.population for s in covered),
        items=dict(Counter(status for _, _, status, _ in items)),
        items_final=len(gold),
        labels=len(labels),
        strata=strata,
        rates=rate_reports,
        agreement=_agreement(rubric.questions, labels, seed=run.pk),
        reviewers=_reviewers(rubric, labels, gold, methods),
        judged=mapped_rates(run, rates(rubric), gold, human_n_eff),
    )


def _rates(rubric: Rubric, gold, stratum_of, covered: list[StratumRow]) -> dict[str, RateReport]:
    by_stratum: dict[str, list[dict]] = defaultdict(list)
    for pk, answers in gold.items():
        by_stratum[stratum_of[pk]].append(answers)
    found = {}
    for key, rate in rates(rubric).items():
        positives = {s.name: sum(1 for answers in by_stratum[s.name] if rate.test(answers)) for s in covered}
        if not covered:
            found[key] = RateReport(rate.label, rate.higher_is_better)
            continue
        weighted = sampling.estimate_proportion(
            [sampling.StratumCount(s.name, s.population, s.final, positives[s.name]) for s in covered],
            conservative=True)
        found[key] = RateReport(
            rate.label, rate.higher_is_better, WeightedEstimate.of(weighted),
            Proportion.wilson(sum(positives.values()), sum(s.final for s in covered)),
            {s.name: Proportion.wilson(positives[s.name], s.final) for s in covered})
    return found


def _agreement(questions: tuple[Question, ...], labels, *, seed: int) -> dict[str, AgreementReport]:
    from sampling.agreement import MIN_AGREEMENT_ITEMS  # not (yet) exported by the package

    by_item: dict[int, dict[int, dict]] = defaultdict(dict)
    names = {}
    for item_id, reviewer_id, username, answers, _ in labels:
        by_item[item_id][reviewer_id] = answers
        names[reviewer_id] = username
    shared = {pk: reviews for pk, reviews in by_item.items() if len(reviews) >= 2}
    reviewers = sorted({r for reviews in shared.values() for r in reviews})
    units = sorted(shared)
    found = {}
    for q in questions:
        level = agreement_level(q)
        if level is None:
            continue
        value = {pk: {r: v for r, answers in shared[pk].items() if (v := agreement_value(q, answers)) is not None}
                 for pk in units}
        value = {pk: v for pk, v in value.items() if len(v) >= 2}  # answered by two or more (questions may be new)
        rated = sorted(value)
        if not rated:
            found[q.key] = AgreementReport(q.label, level, 0, len(reviewers))
            continue
        data = [[value[pk].get(r) for pk in rated] for r in reviewers]
        if level == "nominal":  # one type per question: answers may mix None, str and bool
            data = [[None if v is None else str(v) for v in row] for row in data]
        alpha = sampling.krippendorff_alpha_interval(data, level=level, n_boot=BOOTSTRAP, seed=seed)
        found[q.key] = AgreementReport(
            q.label, level, len(rated), len(reviewers), plain(sampling.percent_agreement(data)),
            plain(_fleiss(value)), AlphaReport.of(alpha, MIN_AGREEMENT_ITEMS), _pairs(value, reviewers, names))
    return found


def _fleiss(value: dict[int, dict[int, Any]]) -> float | None:
    """Fleiss' kappa needs the same number of ratings per item: the items with the usual number."""
    m = Counter(len(v) for v in value.values()).most_common(1)[0][0]
    rows = [[str(x) for x in v.values()] for v in value.values() if len(v) == m]
    categories = sorted({x for row in rows for x in row})
    if len(rows) < 2 or len(categories) < 2:
        return None
    return sampling.fleiss_kappa([[row.count(c) for c in categories] for row in rows])


def _pairs(value, reviewers, names) -> tuple[PairRow, ...]:
    pairs = []
    for a, b in itertools.combinations(reviewers, 2):
        both = [pk for pk, v in value.items() if a in v and b in v]
        if len(both) < 2:
            continue
        ratings_a, ratings_b = [str(value[pk][a]) for pk in both], [str(value[pk][b]) for pk in both]
        agree = sum(x == y for x, y in zip(ratings_a, ratings_b, strict=True))
        pairs.append(PairRow(names[a], names[b], len(both), agree / len(both),
                             plain(sampling.cohens_kappa(ratings_a, ratings_b))))
    return tuple(pairs)


def _reviewers(rubric: Rubric, labels, gold, methods) -> tuple[ReviewerRow, ...]:
    rows: dict[str, dict[str, Any]] = {}
    for item_id, _, username, answers, ms in labels:
        row = rows.setdefault(username, {"labels": 0, "times": [], "gold_n": 0, "gold_agree": 0})
        row["labels"] += 1
        if ms is not None:
            row["times"].append(ms / 1000)
        if methods.get(item_id) == GoldLabel.Method.ADJUDICATED:  # agreeing with the lead's ruling
            row["gold_n"] += 1
            row["gold_agree"] += rubric.verdict_of(answers) == rubric.verdict_of(gold[item_id])
    found = []
    for name, row in sorted(rows.items()):
        times = row["times"]
        found.append(ReviewerRow(
            name, row["labels"], row["gold_n"], row["gold_agree"],
            median_seconds=statistics.median(times) if times else None,
            per_hour=row["labels"] / (sum(times) / 3600) if times and sum(times) > 0 else None,
            gold_rate=row["gold_agree"] / row["gold_n"] if row["gold_n"] else None))
    return tuple(found)
