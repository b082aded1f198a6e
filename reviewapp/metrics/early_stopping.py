"""May a high-risk stratum's audit stop early? Wald's SPRT on its error rate.

The test weighs the budget p0 (the scorecard's error-rate baseline, else its guardrail, else half
the threshold) against the alarm p1 (the threshold), at sampling.SPRT's alpha 5 %, beta 20 %, on
each high-risk stratum's (risk weight > 1) reviewed items and errors: "accept" means within
budget, the stratum's audit may stop; "reject" means escalate now; "continue" means keep reviewing.
"""
from __future__ import annotations

from dataclasses import dataclass

import sampling
from reviewapp.review.models import LabelSchema

from .report import RunReport
from .scorecard import configured


@dataclass(frozen=True)
class StratumDecision:
    name: str
    n: int  # items with a final label
    errors: int
    decision: str  # "accept", "reject" or "continue"


@dataclass(frozen=True)
class EarlyStopping:
    p0: float  # the budget
    p1: float  # the alarm
    clean_to_accept: int  # error-free items in a row that are enough to accept
    strata: tuple[StratumDecision, ...]


def early_stopping(project, report: RunReport) -> EarlyStopping | None:
    """The decision per high-risk stratum with a final label; None without an error-rate line (the
    rate of the rubric's failing verdict), with limits the test cannot take (0 < p0 < p1 < 1), or with
    no such stratum."""
    failure = LabelSchema.current(project).rubric.verdict_meaning("failure")
    if failure is None:
        return None
    metric = f"verdict:{failure}"  # the scorecard line the test reads its budget and alarm from
    config = next((c for c in configured(project) if c.metric == metric), None)
    rate = report.rates.get(metric)
    if config is None or rate is None or not rate.strata:
        return None
    p1 = config.threshold
    p0 = config.baseline if config.baseline is not None else (config.guardrail or p1 / 2)
    if not 0 < p0 < p1 < 1:
        return None
    test = sampling.SPRT(p0, p1)
    strata = tuple(StratumDecision(s.name, cell.n, cell.positives, test.decide(cell.n, cell.positives))
                   for s in report.strata if s.risk_weight > 1 and (cell := rate.strata.get(s.name)))
    return EarlyStopping(p0, p1, test.accept_after_clean, strata) if strata else None
