"""The plan sized with the judge: how many reviews a mapped evaluator saves, measured on past weeks.

For each JudgeMapping of the project, the reviewed items of the last WEEKS runs (their final
labels, the human answer to the mapped rate beside the judge's value: judging.reviewed_pairs)
give each stratum's variance factor (sampling.judge_variance_factor, about 1 - rho^2; 1 where a
stratum has too few items or no past items at all). Then, on the plan's own strata, method and
confidence, at the planning rate:

- the margin the plan's allocation reaches (PlanFigures.margin) costs sampling.size_for_margin
  items from the reviews alone and sampling.size_for_margin_with_judge items with the judge, so
  the two totals answer the same question;
- a capped plan's allocation reaches PlanFigures.margin from the reviews alone and
  sampling.margin_with_judge with the judge: what the cap costs either way.

A planning figure: the week's estimate tunes the judge again on its own items (docs/judge.md).
The plan page (audits) comes before metrics in the stage order, so it shows this through the
`{% judge_sizing plan fig %}` tag (templatetags/judge_pages.py).
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field, replace

from django.db.models import Exists, OuterRef

import sampling
import sampling.judge
from reviewapp.audits import planning
from reviewapp.audits.models import AuditRun
from reviewapp.review.models import GoldLabel, LabelSchema

from .catalogue import Rate, rates
from .judging import reviewed_pairs
from .models import JudgeMapping

WEEKS = 4  # the past runs the judge's correlation is measured on
MIN_ITEMS = 10  # past reviewed items with a judge value below which the plan says nothing of the judge


@dataclass(frozen=True)
class JudgeSizing:
    """One mapped judge against the plan: the totals for the same margin, and the cap's cost."""

    evaluator: str
    rate: str  # the mapped rate's key
    rate_label: str
    items: int  # past reviewed items with a judge value
    weeks: int  # past runs they come from
    factors: dict[str, float] = field(default_factory=dict)  # stratum -> variance factor
    margin: float | None = None  # the plan's margin at the planning rate
    human_total: int | None = None  # sampling.size_for_margin for that margin
    judge_total: int | None = None  # sampling.size_for_margin_with_judge for that margin
    capped_human: float | None = None  # the capped allocation's margin, from the reviews alone
    capped_judge: float | None = None  # and with the judge
    reason: str = ""  # why there is no sizing, when there is none

    @property
    def sentences(self) -> list[str]:
        """The figures in words, for the plan page."""
        if self.reason:
            return [f"{self.evaluator} ({self.rate_label}): {self.reason}."]
        assert self.margin is not None and self.human_total is not None and self.judge_total is not None
        weeks = "the last week" if self.weeks == 1 else f"the last {self.weeks} weeks"
        source = f"measured on {self.items} reviewed item{'s' if self.items != 1 else ''} of {weeks}"
        if self.judge_total < self.human_total:
            lines = [f"With {self.evaluator} ({source}) you need {self.judge_total} reviewed items instead of "
                     f"{self.human_total} for ±{_pct(self.margin)}."]
        else:
            why = ("the plan expects too few errors (or non-errors) per stratum at its planning rate for the "
                   f"judge to narrow the margin (at least {sampling.judge.PLAN_MINORITY} in a stratum)"
                   if any(f < 1 for f in self.factors.values()) else
                   "on those items it does not explain the final labels")
            lines = [f"With {self.evaluator} ({source}) you still need {self.human_total} reviewed items for "
                     f"±{_pct(self.margin)}: {why}."]
        if self.capped_human is not None and self.capped_judge is not None:
            lines.append(f"The cap leaves ±{_pct(self.capped_human)} from the reviews alone, "
                         f"±{_pct(self.capped_judge)} with {self.evaluator}.")
        return lines


def _pct(rate: float) -> str:
    """As the plan page writes rates (planning.plain_words): 0.50%, 5.8%, 12%."""
    if rate < 0.001:
        return f"{rate * 100:.2g}%"
    if rate < 0.1:
        return f"{rate:.2%}" if rate < 0.01 else f"{rate:.1%}"
    return f"{rate:.0%}"


@dataclass(frozen=True)
class PastPairs:
    """Per stratum, the human answers and the judge's values of past reviewed items."""

    human: dict[str, list[float]]
    judge: dict[str, list[float]]
    weeks: int

    @property
    def items(self) -> int:
        return sum(len(values) for values in self.human.values())

    def factors(self) -> dict[str, float]:
        return {name: sampling.judge_variance_factor(self.human[name], self.judge[name]) for name in self.human}


def past_pairs(project, mapping: JudgeMapping, rate: Rate | None, *, weeks: int = WEEKS) -> PastPairs:
    """The reviewed items (final labels) of the project's last `weeks` runs that have any, with a
    judge value: per stratum, as each run's plan named its strata. rate: the mapped rate of the
    current rubric (None: the rubric has no such rate any more, nothing to measure)."""
    human: dict[str, list[float]] = defaultdict(list)
    judge: dict[str, list[float]] = defaultdict(list)
    used = 0
    if rate is None:
        return PastPairs({}, {}, 0)
    reviewed = GoldLabel.objects.filter(item__run=OuterRef("pk"))
    runs = AuditRun.objects.filter(Exists(reviewed), project=project).order_by("-week_start")
    for run in runs[:weeks]:
        gold = dict(GoldLabel.objects.filter(item__run=run).values_list("item_id", "answers"))
        used += 1
        for pair in reviewed_pairs(run, mapping, rate, gold):
            if pair.judge is not None:
                human[pair.stratum].append(float(pair.human))
                judge[pair.stratum].append(pair.judge)
    return PastPairs(dict(human), dict(judge), used)


def size_with_judge(plan, fig: planning.PlanFigures, mapping: JudgeMapping, past: PastPairs,
                    rate_label: str = "") -> JudgeSizing:
    """The plan's figures with this judge, from past reviewed items (past_pairs)."""
    evaluator, label = str(mapping.evaluator), rate_label or mapping.rate
    base = JudgeSizing(evaluator, mapping.rate, label, past.items, past.weeks)
    if past.items < MIN_ITEMS:
        return replace(base, reason=f"only {past.items} reviewed item{'s' if past.items != 1 else ''} "
                                          f"with its value in the last {WEEKS} weeks, too few to size with it")
    if not fig.population or not fig.size or not math.isfinite(fig.margin) or not 0 < fig.margin < 1:
        return replace(base, reason="the plan's sample has no margin to compare")
    strata = planning.plan_strata(plan, fig.populations)
    rate, confidence, method = planning.planning_rate(plan), plan.confidence, plan.allocation_method
    factors = past.factors()
    human = sampling.size_for_margin(strata, fig.margin, expected_rate=rate, confidence=confidence, method=method)
    judged = sampling.size_for_margin_with_judge(strata, fig.margin, factors, expected_rate=rate,
                                                 confidence=confidence, method=method)
    capped_human = capped_judge = None
    if fig.capped:
        capped_human = fig.margin
        capped_judge = sampling.margin_with_judge(fig.allocation, fig.populations, factors, expected_rate=rate,
                                                  confidence=confidence)
    return replace(base, factors=factors, margin=fig.margin, human_total=human.total, judge_total=judged.total,
                       capped_human=capped_human, capped_judge=capped_judge)


def plan_sizings(project, plan, fig: planning.PlanFigures) -> list[JudgeSizing]:
    """One JudgeSizing per judge mapped to a rate of the project (none mapped: none)."""
    mappings = list(JudgeMapping.objects.of_project(project))
    if not mappings:
        return []
    known = rates(LabelSchema.current(project).rubric)
    return [size_with_judge(plan, fig, m, past_pairs(project, m, known.get(m.rate)),
                            known[m.rate].label if m.rate in known else m.rate) for m in mappings]
