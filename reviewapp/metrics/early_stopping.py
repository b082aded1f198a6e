"""May a stratum's audit stop early? Wald's SPRT on its error rate.

The test weighs the budget p0 (the scorecard's error-rate baseline, else its guardrail, else half
the threshold) against the alarm p1 (the threshold), at sampling.SPRT's alpha 5 %, beta 20 %, on
each stratum's reviewed items and errors: "accept" means within budget, the stratum's audit may
stop; "reject" means escalate now; "continue" means keep reviewing.

Every stratum gets the test, not only the high-risk ones (risk weight > 1) as before: the test is
about one stratum's own rate, and each stratum is its own simple random sample, reviewed in the
draw's random order (the queue takes a stratum's items by draw key), so its stream of final labels
is the sequence of independent draws the SPRT assumes (without replacement, which only makes a
large stratum's errors slightly less variable than the binomial the boundaries assume). The risk
weight changes how many items a stratum gets and how soon they are reviewed, not what its labels
say about its rate. Alpha and beta hold per stratum: with several strata, the chance that at least
one of them decides wrongly is larger (up to their sum), so a verdict speaks for its stratum, never
for the week. `high_risk` keeps the former selection for callers that want only those strata.
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
    risk_weight: float = 1.0

    @property
    def high_risk(self) -> bool:
        return self.risk_weight > 1


@dataclass(frozen=True)
class EarlyStopping:
    p0: float  # the budget
    p1: float  # the alarm
    clean_to_accept: int  # error-free items in a row that are enough to accept
    strata: tuple[StratumDecision, ...]


@dataclass(frozen=True)
class SequentialTest:
    """The project's SPRT and the rate it reads: the metric key of the rubric's failing verdict."""

    metric: str
    p0: float
    p1: float
    test: sampling.SPRT


def sequential_test(project) -> SequentialTest | None:
    """None without an error-rate line (the rate of the rubric's failing verdict) or with limits the
    test cannot take (0 < p0 < p1 < 1)."""
    failure = LabelSchema.current(project).rubric.verdict_meaning("failure")
    if failure is None:
        return None
    metric = f"verdict:{failure}"  # the scorecard line the test reads its budget and alarm from
    config = next((c for c in configured(project) if c.metric == metric), None)
    if config is None:
        return None
    p1 = config.threshold
    p0 = config.baseline if config.baseline is not None else (config.guardrail or p1 / 2)
    if not 0 < p0 < p1 < 1:
        return None
    return SequentialTest(metric, p0, p1, sampling.SPRT(p0, p1))


def early_stopping(project, report: RunReport) -> EarlyStopping | None:
    """The decision per stratum with a final label; None without a test (sequential_test) or with
    no such stratum."""
    found = sequential_test(project)
    if found is None:
        return None
    rate = report.rates.get(found.metric)
    if rate is None or not rate.strata:
        return None
    test = found.test
    strata = tuple(StratumDecision(s.name, cell.n, cell.positives, test.decide(cell.n, cell.positives), s.risk_weight)
                   for s in report.strata if (cell := rate.strata.get(s.name)))
    return EarlyStopping(found.p0, found.p1, test.accept_after_clean, strata) if strata else None
