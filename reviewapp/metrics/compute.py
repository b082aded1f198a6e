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

Agreement is over the items labelled by two or more reviewers, unweighted (docs/metrics.md §3:
it describes reviewers on the items they saw). The result is plain JSON (NaN becomes null), cached
in RunMetrics.data.
"""
from __future__ import annotations

import dataclasses
import itertools
import math
import statistics
from collections import Counter, defaultdict
from typing import Any

import sampling
from reviewapp.audits.models import AuditRun
from reviewapp.review.models import GoldLabel, Label, LabelSchema
from reviewapp.review.rubric import Question, Rubric

from .catalogue import agreement_level, agreement_value, rates

SCHEMA_VERSION = 2  # 2: agreement's minimum rule and one-sided bounds; a cache of an older schema is stale
BOOTSTRAP = 1000


def _num(value: float | None) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def _estimate(estimate) -> dict[str, Any]:
    return {**{k: _num(v) if isinstance(v, float) else v for k, v in dataclasses.asdict(estimate).items()},
            "upper_one_sided": _num(estimate.upper_one_sided)}


def _wilson(positives: int, n: int) -> dict[str, Any]:
    lower, upper = sampling.proportion_interval(positives, n, method="wilson")
    return {"value": positives / n, "lower": lower, "upper": upper, "positives": positives, "n": n}


def run_metrics(run: AuditRun) -> dict[str, Any]:
    rubric = LabelSchema.current(run.project).rubric
    items = list(run.items.values_list("id", "stratum", "status", "risk_weight"))
    stratum_of = {pk: stratum for pk, stratum, _, _ in items}
    finals = GoldLabel.objects.filter(item__run=run).values_list("item_id", "answers", "method")
    gold, methods = {}, {}
    for item_id, answers, method in finals:
        gold[item_id], methods[item_id] = answers, method
    labels = list(Label.objects.filter(item__run=run).values_list(
        "item_id", "reviewer_id", "reviewer__username", "answers", "time_on_task_ms"))

    strata = []
    risk = {stratum: weight for _, stratum, _, weight in items}
    final_by_stratum = Counter(stratum_of[pk] for pk in gold)
    for name, drawn in run.allocation.items():
        strata.append({"name": name, "population": run.populations.get(name, 0), "drawn": drawn,
                       "final": final_by_stratum.get(name, 0), "risk_weight": risk.get(name, 1.0)})
    covered = [s for s in strata if s["final"] > 0 and s["population"] > 0]

    return {
        "schema": SCHEMA_VERSION,
        "week": str(run.week),
        "population": run.population,
        "covered_population": sum(s["population"] for s in covered),
        "items": dict(Counter(status for _, _, status, _ in items)),
        "items_final": len(gold),
        "labels": len(labels),
        "strata": strata,
        "rates": _rates(rubric, gold, stratum_of, covered),
        "agreement": _agreement(rubric.questions, labels, seed=run.pk),
        "reviewers": _reviewers(rubric, labels, gold, methods),
    }


def _rates(rubric: Rubric, gold, stratum_of, covered) -> dict[str, Any]:
    by_stratum: dict[str, list[dict]] = defaultdict(list)
    for pk, answers in gold.items():
        by_stratum[stratum_of[pk]].append(answers)
    found = {}
    for key, rate in rates(rubric).items():
        positives = {s["name"]: sum(1 for answers in by_stratum[s["name"]] if rate.test(answers)) for s in covered}
        entry: dict[str, Any] = {"label": rate.label, "higher_is_better": rate.higher_is_better}
        if covered:
            entry["weighted"] = _estimate(sampling.estimate_proportion(
                [sampling.StratumCount(s["name"], s["population"], s["final"], positives[s["name"]]) for s in covered],
                conservative=True))
            entry["naive"] = _wilson(sum(positives.values()), sum(s["final"] for s in covered))
            entry["strata"] = {s["name"]: _wilson(positives[s["name"]], s["final"]) for s in covered}
        found[key] = entry
    return found


def _agreement(questions: tuple[Question, ...], labels, *, seed: int) -> dict[str, Any]:
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
        entry: dict[str, Any] = {"label": q.label, "level": level, "items": len(rated), "reviewers": len(reviewers)}
        if rated:
            data = [[value[pk].get(r) for pk in rated] for r in reviewers]
            if level == "nominal":  # one type per question: answers may mix None, str and bool
                data = [[None if v is None else str(v) for v in row] for row in data]
            entry["percent"] = _num(sampling.percent_agreement(data))
            entry["fleiss"] = _num(_fleiss(value))
            alpha = sampling.krippendorff_alpha_interval(data, level=level, n_boot=BOOTSTRAP, seed=seed)
            # enough False: below the library's minimum rule, no interval (lower/upper null) and the note says
            # why; one_sided: no disagreement, so "at least lower" rather than a [1, 1] interval.
            entry["alpha"] = {"value": _num(alpha.value), "lower": _num(alpha.lower), "upper": _num(alpha.upper),
                              "enough": alpha.enough, "one_sided": alpha.one_sided, "note": alpha.note,
                              "min_items": MIN_AGREEMENT_ITEMS}
            entry["pairs"] = _pairs(value, reviewers, names)
        found[q.key] = entry
    return found


def _fleiss(value: dict[int, dict[int, Any]]) -> float | None:
    """Fleiss' kappa needs the same number of ratings per item: the items with the usual number."""
    m = Counter(len(v) for v in value.values()).most_common(1)[0][0]
    rows = [[str(x) for x in v.values()] for v in value.values() if len(v) == m]
    categories = sorted({x for row in rows for x in row})
    if len(rows) < 2 or len(categories) < 2:
        return None
    return sampling.fleiss_kappa([[row.count(c) for c in categories] for row in rows])


def _pairs(value, reviewers, names) -> list[dict[str, Any]]:
    pairs = []
    for a, b in itertools.combinations(reviewers, 2):
        both = [pk for pk, v in value.items() if a in v and b in v]
        if len(both) < 2:
            continue
        ratings_a, ratings_b = [str(value[pk][a]) for pk in both], [str(value[pk][b]) for pk in both]
        agree = sum(x == y for x, y in zip(ratings_a, ratings_b))
        pairs.append({"a": names[a], "b": names[b], "n": len(both), "percent": agree / len(both),
                      "kappa": _num(sampling.cohens_kappa(ratings_a, ratings_b))})
    return pairs


def _reviewers(rubric: Rubric, labels, gold, methods) -> list[dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    for item_id, _, username, answers, ms in labels:
        row = rows.setdefault(username, {"name": username, "labels": 0, "times": [], "gold_n": 0, "gold_agree": 0})
        row["labels"] += 1
        if ms is not None:
            row["times"].append(ms / 1000)
        if methods.get(item_id) == GoldLabel.Method.ADJUDICATED:  # agreeing with the lead's ruling
            row["gold_n"] += 1
            row["gold_agree"] += rubric.verdict_of(answers) == rubric.verdict_of(gold[item_id])
    found = []
    for row in sorted(rows.values(), key=lambda r: r["name"]):
        times = row.pop("times")
        row["median_seconds"] = statistics.median(times) if times else None
        row["per_hour"] = row["labels"] / (sum(times) / 3600) if times and sum(times) > 0 else None
        row["gold_rate"] = row["gold_agree"] / row["gold_n"] if row["gold_n"] else None
        found.append(row)
    return found
