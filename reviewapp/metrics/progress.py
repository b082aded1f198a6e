"""Where a run's audit stands and when a stratum may stop: reviewed of drawn, the interval, the verdict.

Read fresh from the run's items and final labels (a handful of counts), not from the cached
RunMetrics: the queue and the run page show it after every label, and the full metrics (agreement
with its bootstrap) are far too slow for that. The numbers are compute.py's: final labels only,
a stratum's Wilson interval, and the design-weighted estimate over the strata with a final label
(sampling.estimate_proportion, conservative), so the pages agree.

The verdict is the project's sequential test (early_stopping.sequential_test, Wald's SPRT) on each
stratum's final labels, said in words. "Keep going" says what the stratum's remaining items would
buy: the half-width of sampling's own interval (Wilson, as the stratum's interval) on all its
items at the current rate, a projection that assumes the rate stays where it is. There is no
sequential verdict for the week as a whole: the weighted estimate is not the binomial stream
the SPRT reads, so the overall line gives reviewed of drawn and the interval only.

A lead may close a stratum once its verdict is final (close_stratum): docs/sampling.md, "Stopping a
stratum early", says why the estimate stays valid.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime

import sampling
from reviewapp.audits import actions as audit_actions
from reviewapp.audits.actions import CloseRefused  # noqa: F401 (callers catch it from here)
from reviewapp.audits.models import AuditItem, AuditRun, StratumClosure
from reviewapp.review.models import Claim, GoldLabel, LabelSchema

from .actions import label_changed
from .catalogue import rates
from .early_stopping import SequentialTest, sequential_test
from .report import Proportion, WeightedEstimate

FINAL = ("accept", "reject")


def pct(rate: float) -> str:
    """A rate in words' precision: 2%, 0.5%, 1.1%, 12%."""
    return f"{rate * 100:.2g}%"


@dataclass(frozen=True)
class Closure:
    by: str
    at: datetime
    verdict: str


@dataclass(frozen=True)
class StratumProgress:
    name: str
    population: int
    drawn: int
    reviewed: int  # items with a final label
    errors: int
    disputed: int  # waiting for a lead's ruling, not counted yet
    closed_items: int  # left the queue when the stratum was closed
    interval: Proportion | None  # Wilson, as the stratum's rate on the metrics page
    decision: str | None  # the SPRT's "accept", "reject" or "continue"; None without a test or a label
    projected_half_width: float | None  # the interval's half-width on all remaining items, at the current rate
    words: str
    closure: Closure | None = None

    @property
    def remaining(self) -> int:
        """Items still to be reviewed: neither final nor closed (waiting for reviews or a ruling)."""
        return self.drawn - self.reviewed - self.closed_items

    @property
    def final(self) -> bool:
        return self.decision in FINAL

    @property
    def closable(self) -> bool:
        return self.final and self.closure is None and not refusal(self)


@dataclass(frozen=True)
class RunProgress:
    drawn: int
    reviewed: int
    errors: int
    estimate: WeightedEstimate | None  # over the strata with a final label
    covered_population: int
    population: int
    strata: tuple[StratumProgress, ...]
    test: SequentialTest | None
    words: str

    def stratum(self, name: str) -> StratumProgress | None:
        return next((s for s in self.strata if s.name == name), None)


def projected_half_width(errors: int, reviewed: int, remaining: int) -> float:
    """Half the width of the Wilson interval on reviewed + remaining items, the rate staying errors / reviewed."""
    n = reviewed + remaining
    low, high = sampling.proportion_interval(errors / reviewed * n, n, method="wilson")
    return (high - low) / 2


def run_progress(run: AuditRun) -> RunProgress:
    project = run.project
    test = sequential_test(project)
    rubric = LabelSchema.current(project).rubric
    metric = test.metric if test else next(
        (f"verdict:{v}" for v in [rubric.verdict_meaning("failure")] if v is not None), None)
    is_error = rates(rubric)[metric].test if metric in rates(rubric) else None
    statuses = Counter(run.items.values_list("stratum", "status"))
    reviewed: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    for stratum, answers in GoldLabel.objects.filter(item__run=run).values_list("item__stratum", "answers"):
        reviewed[stratum] += 1
        errors[stratum] += bool(is_error and is_error(answers))
    closures = {c.stratum: Closure(c.closed_by.username if c.closed_by else "someone", c.closed_at, c.verdict)
                for c in StratumClosure.objects.filter(run=run).select_related("closed_by")}
    strata = tuple(_stratum(name, run.populations.get(name, 0), drawn, reviewed[name], errors[name],
                            statuses[(name, AuditItem.Status.DISPUTED)], statuses[(name, AuditItem.Status.CLOSED)],
                            closures.get(name), test if is_error else None)
                   for name, drawn in run.allocation.items() if drawn > 0)
    covered = [s for s in strata if s.reviewed > 0 and s.population > 0]
    estimate = WeightedEstimate.of(sampling.estimate_proportion(
        [sampling.StratumCount(s.name, s.population, s.reviewed, s.errors) for s in covered],
        conservative=True)) if covered and is_error else None
    total = sum(s.reviewed for s in strata)
    return RunProgress(
        drawn=run.size, reviewed=total, errors=sum(s.errors for s in strata), estimate=estimate,
        covered_population=sum(s.population for s in covered), population=run.population, strata=strata,
        test=test, words=_overall(run, strata, total, test))


def _stratum(name, population, drawn, reviewed, errors, disputed, closed, closure, test) -> StratumProgress:
    interval = Proportion.wilson(errors, reviewed) if reviewed else None
    decision = test.test.decide(reviewed, errors) if test and reviewed else None
    remaining = drawn - reviewed - closed
    half = projected_half_width(errors, reviewed, remaining) if reviewed and remaining > 0 else None
    row = StratumProgress(name, population, drawn, reviewed, errors, disputed, closed, interval, decision, half, "",
                          closure)
    return replace(row, words=_words(row, test))


def _words(s: StratumProgress, test: SequentialTest | None) -> str:
    if s.closure is not None:
        return f"{s.name}: closed early by {s.closure.by} on {s.closure.at:%Y-%m-%d}: {s.closure.verdict}"
    if not s.reviewed:
        return f"{s.name}: no item has a final label yet (0 of {s.drawn})"
    if test is None:
        return f"{s.name}: {s.reviewed} of {s.drawn} items reviewed (no sequential test: see the scorecard's error-rate line)"
    if s.decision == "accept":
        return (f"{s.name}: enough evidence after {s.reviewed} of {s.drawn} items: the rate is below {pct(test.p1)} "
                f"({s.errors} error{'s' if s.errors != 1 else ''} in {s.reviewed})")
    if s.decision == "reject":
        return (f"{s.name}: the rate is above {pct(test.p0)} already "
                f"({s.errors} error{'s' if s.errors != 1 else ''} in {s.reviewed})")
    if s.projected_half_width is not None:
        return (f"{s.name}: keep going, {s.remaining} more item{'s' if s.remaining != 1 else ''} would narrow the "
                f"interval to ±{pct(s.projected_half_width)} at the current rate")
    return (f"{s.name}: every item reviewed ({s.reviewed} of {s.drawn}) and the test did not decide between "
            f"{pct(test.p0)} and {pct(test.p1)}: the interval is the answer")


def _overall(run: AuditRun, strata: tuple[StratumProgress, ...], total: int, test: SequentialTest | None) -> str:
    words = f"overall: {total} of {run.size} items reviewed"
    if test is None:
        return words
    going = [s.name for s in strata if s.closure is None and not s.final]
    if not going:
        return f"{words}; every stratum has its verdict"
    return f"{words}; keep going in {', '.join(going)}"


def refusal(s: StratumProgress) -> str:
    """Why the stratum cannot be closed now, in words ("" when it can)."""
    if s.closure is not None:
        return f"{s.name} was already closed by {s.closure.by} on {s.closure.at:%Y-%m-%d}"
    if not s.final:
        reason = "no sequential test decides yet" if s.decision is None else "its sequential test has not decided"
        return f"{s.name} cannot be closed: {reason} ({s.words})"
    if s.decision == "accept" and s.disputed:
        return (f"{s.name} cannot be closed on 'below budget' while {s.disputed} disputed item"
                f"{'s wait' if s.disputed != 1 else ' waits'} for a ruling: disputed items are more often errors")
    return ""


def close_stratum(*, run: AuditRun, stratum: str, user) -> StratumClosure:
    """Close a stratum whose verdict is final: its items nobody holds or has labelled leave every
    reviewer's queue, and the run records who, when and the verdict. Raises CloseRefused with the
    reason in words otherwise."""
    row = run_progress(run).stratum(stratum)
    if row is None:
        raise CloseRefused(f"the run of {run.week} has no stratum {stratum!r} with drawn items")
    if reason := refusal(row):
        raise CloseRefused(reason)
    held = Claim.objects.active().filter(item__run=run, item__stratum=stratum).values_list("item_id", flat=True)
    closure = audit_actions.close_stratum(run=run, stratum=stratum, by=user, verdict=row.words.split(": ", 1)[1],
                                          reviewed=row.reviewed, keep=list(held))
    label_changed(run.pk)  # the cached metrics count items by status: they are stale now
    return closure

