"""Mid-week alerts that stay honest when someone looks after every label: Wald's SPRT per stratum.

The week's error-rate line is watched stratum by stratum. Stratum h holds N_h outputs, D_h of
them errors; its reviewed items are drawn at random without replacement (the queue's key order),
so after t reviewed items with S errors the next is an error with probability
(D_h - S) / (N_h - t). The rule tests, in each stratum,

    H0: D_h <= D0 = floor(p0 N_h)   (the stratum's week is at or below the baseline p0)
    H1: D_h  = D1 = max(D0 + 1, ceil(p1 N_h))   (it is at the alert rate p1)

by the likelihood ratio of the reviewed sequence, which is hypergeometric (falling factorials
[a]_k = a (a - 1) ... (a - k + 1)):

    LR_h(t, S) = [D1]_S [N_h - D1]_(t - S) / ([D0]_S [N_h - D0]_(t - S)),

infinite once S > D0 (more errors seen than the baseline allows: the rise is proven), and alerts
as soon as LR_h >= K / alpha for some stratum, K being the number of strata the design watches.
This is Wald's SPRT (Wald 1945, 1947) with the rejection bound at 1/alpha (beta = 0: watching goes
on after the acceptance line, so the acceptance bound is not used) and sampling without
replacement in place of Bernoulli trials; for large N_h it is Wald's linear rule d >= h2 + s n
with h2 = ln(K / alpha) / k, s = ln(q0 / q1) / k, k = ln(p1 q0 / (p0 q1)) (NIST/SEMATECH
e-Handbook 6.2.3.1 gives the same s and h2 for alpha and beta).

The guarantee. Under D_h = D0 the ratio is a nonnegative martingale with mean 1 (a likelihood
ratio of the true law), so by Ville's inequality (Ville 1939) P(LR_h >= K / alpha at any t) <=
alpha / K. For D_h < D0 it is smaller still: put the week's items in one random order and the
D_h errors among the D0; then S is never larger at any t, and LR_h(t, S) rises with S. Over the K
strata (Bonferroni) the chance that an in-control week (every stratum at or below its baseline)
raises any mid-week alert, however often it is looked at (after every label, or at any other
times, chosen from what was seen so far), is at most alpha. Assumptions: within a stratum the
reviewed items are an equal-probability sample without replacement taken in random order (the
draw's key order); K is fixed by the design before the week (every stratum with drawn items,
whether or not reviewed yet); the baseline and alert rate are fixed before the week. It says
nothing about strata whose rate rose but were not sampled.
The sequential martingale view for sampling without replacement is Waudby-Smith & Ramdas (2020,
"Confidence sequences for sampling without replacement", NeurIPS 33); the hypergeometric ratio is
the bet of their Section 3 with the alternative's conditional mean.

The week's close is judged by sampling.rise_verdict on the final counts (a fixed-sample test);
the bench (python -m bench.alerts) measures both rules and the naive "interval crosses at any look".
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from .estimation import StratumCount
from .sizing import _check_probability


@dataclass(frozen=True)
class StratumRise:
    """One stratum's test now: n reviewed, errors among them, the fewest errors among n that would
    alert (None: n items cannot alert yet), the log likelihood ratio, and whether it alerts."""

    name: str
    population: int
    n: int
    errors: int
    boundary: int | None
    log_ratio: float
    decided: bool


@dataclass(frozen=True)
class SequentialRise:
    """The mid-week rule on a week's counts.

    decided: some stratum's rate is already shown above the baseline. stratum, n, errors, boundary:
    that stratum (the one with the strongest evidence when several are), its reviewed items and
    errors, and the fewest errors among n that alert; when nothing is decided, stratum and boundary
    are None and n, errors are the totals so far. baseline p0, alert_rate p1, alpha (the whole
    week's false-alarm risk) and tested K (alpha / K per stratum) say which rule it was.
    """

    decided: bool
    stratum: str | None
    n: int
    errors: int
    boundary: int | None
    baseline: float
    alert_rate: float
    alpha: float
    tested: int
    strata: tuple[StratumRise, ...]

    @property
    def per_stratum_alpha(self) -> float:
        return self.alpha / self.tested


def _log_falling(a: int, k: int) -> float:
    """ln [a]_k = ln a! - ln (a - k)!; needs 0 <= k <= a."""
    return math.lgamma(a + 1) - math.lgamma(a - k + 1)


def _null_errors(population: int, baseline: float) -> int:
    return math.floor(baseline * population + 1e-9)


def _alt_errors(population: int, baseline: float, alert_rate: float) -> int:
    return min(population, max(_null_errors(population, baseline) + 1, math.ceil(alert_rate * population - 1e-9)))


def _log_ratio(population: int, d0: int, d1: int, n: int, errors: int) -> float:
    """ln LR(n, errors) of D1 against D0 errors among population; +inf when D0 cannot give it,
    -inf when D1 cannot."""
    clean = n - errors
    if errors > d0:  # more errors than the baseline allows: the rise is proven
        return math.inf
    if clean > population - d1:  # more clean items than the alert rate allows
        return -math.inf
    return (_log_falling(d1, errors) + _log_falling(population - d1, clean)
            - _log_falling(d0, errors) - _log_falling(population - d0, clean))


def _boundary(population: int, d0: int, d1: int, n: int, log_threshold: float) -> int | None:
    """The fewest errors among n that reach the threshold (the ratio rises with the errors)."""
    for errors in range(0, n + 1):
        if _log_ratio(population, d0, d1, n, errors) >= log_threshold:
            return errors
    return None


def sequential_rise(
    counts: Sequence[StratumCount], baseline: float, alert_rate: float, *, alpha: float = 0.05,
    tested: int | None = None,
) -> SequentialRise:
    """Does a stratum's reviewed sample already show its rate above ``baseline``? Valid at every look.

    counts: every stratum the design watches, with its week's population N_h, items reviewed so far
    (sampled) and errors among them (positives); one not reviewed yet has sampled 0 and still counts
    in K. baseline p0 < alert_rate p1: the usual rate and the rate the test is tuned to catch.
    alpha: the chance, for a week whose every stratum is at or below the baseline, that the rule
    ever decides, however often and whenever it is looked at; split as alpha / K over the K =
    ``tested`` (default len(counts)) strata. See the module docstring for the rule and assumptions.
    """
    _check_probability("baseline", baseline)
    _check_probability("alert_rate", alert_rate)
    _check_probability("alpha", alpha)
    if not alert_rate > baseline:
        raise ValueError(f"alert_rate ({alert_rate}) must be above baseline ({baseline})")
    counts = list(counts)
    if not counts:
        raise ValueError("counts must hold at least one stratum")
    names = [c.name for c in counts]
    if len(set(names)) != len(names):
        raise ValueError("stratum names must be unique")
    k = len(counts) if tested is None else tested
    if k < len(counts):
        raise ValueError(f"tested ({k}) must be at least the number of strata given ({len(counts)})")
    log_threshold = math.log(k / alpha)
    rows = []
    for c in counts:
        d0, d1 = _null_errors(c.population, baseline), _alt_errors(c.population, baseline, alert_rate)
        ratio = _log_ratio(c.population, d0, d1, c.sampled, c.positives)
        rows.append(StratumRise(c.name, c.population, c.sampled, c.positives,
                                _boundary(c.population, d0, d1, c.sampled, log_threshold), ratio,
                                ratio >= log_threshold))
    decided = [r for r in rows if r.decided]
    if decided:
        top = max(decided, key=lambda r: (r.log_ratio, r.errors))
        return SequentialRise(True, top.name, top.n, top.errors, top.boundary, baseline, alert_rate, alpha, k,
                              tuple(rows))
    return SequentialRise(False, None, sum(r.n for r in rows), sum(r.errors for r in rows), None, baseline,
                          alert_rate, alpha, k, tuple(rows))
