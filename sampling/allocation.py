"""Splitting a sample across strata: proportional, Neyman, risk-weighted Neyman, or risk on a floor.

Shares a_h: proportional N_h; Neyman N_h S_h (Neyman 1934, JRSS 97:558-625; Cochran 1977,
Sampling Techniques, 5.5); risk sqrt(r_h) N_h S_h, the allocation that minimises the variance of
the risk-weighted error index sum_h sqrt(r_h) W_h p_h (the Lagrange argument of Cochran 5.5 with
S_h scaled by sqrt(r_h); see docs/sampling.md §3); floored max(N_h / N, a_h / A) with a_h the risk
share: the risk allocation wherever it gives a stratum more than its equal-probability share,
that share elsewhere, so no stratum is sampled at a lower fraction than an equal-probability
sample of the same total would give it (what budget claims rest on). Bounds m_h <= n_h <= N_h are met by the
recursive method (fix the strata that break a bound, share the rest again; SAS SURVEYSELECT
ALLOCMIN; Wesolowski, Wieczorkowski & Wojciak 2022, JSSAM 10:1263-1275), and the real-valued
allocation is rounded by largest remainder so the sizes sum exactly to the total.
"""
from __future__ import annotations

import math
from collections.abc import Iterable

from .types import Stratum

METHODS = ("proportional", "neyman", "risk", "floored")


def allocate(total: int, strata: Iterable[Stratum], *, method: str = "risk") -> dict[str, int]:
    """Sample sizes per stratum name, summing to min(total, total population).

    Every stratum gets at least min(minimum, population) and at most its population. Raises
    ValueError when the minimums alone exceed the total: the plan must give up one or the other.
    """
    strata = list(strata)
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    if total < 0:
        raise ValueError(f"total must be >= 0, not {total}")
    names = [s.name for s in strata]
    if len(set(names)) != len(names):
        raise ValueError("stratum names must be unique")
    target = min(total, sum(s.population for s in strata))
    floors = {s.name: min(s.minimum, s.population) for s in strata}
    if sum(floors.values()) > target:
        raise ValueError(f"the strata minimums add up to {sum(floors.values())}, more than the total of {target}")
    shares = {s.name: _share(s, method) for s in strata}
    if method == "floored":
        shares = _floored(strata, shares)
    real = _bounded(target, strata, shares, floors)
    return _round_largest_remainder(real, target, strata)


def _share(stratum: Stratum, method: str) -> float:
    if method == "proportional":
        return float(stratum.population)
    share = stratum.population * stratum.spread
    return share * math.sqrt(stratum.weight) if method in ("risk", "floored") else share


def _floored(strata: list[Stratum], risk: dict[str, float]) -> dict[str, float]:
    """Shares max(N_h / N, a_h / A): every stratum keeps at least its equal-probability share of
    the total and the risky ones get their risk share on top where it is larger. A claim about
    the whole week (a clean week, a budget) rests on the least-sampled stratum, which a pure risk
    allocation starves; the floor keeps it at the equal-probability fraction (docs/sampling.md
    compares the totals)."""
    population = sum(s.population for s in strata)
    total_risk = sum(risk.values())
    if not population or not total_risk:
        return {s.name: float(s.population) for s in strata}
    return {s.name: max(s.population / population, risk[s.name] / total_risk) for s in strata}


def _bounded(target: int, strata: list[Stratum], shares: dict[str, float], floors: dict[str, int]) -> dict[str, float]:
    """Real-valued n_h = clip(lambda a_h, floor_h, N_h), with lambda such that they sum to target.

    Strata with no share (no spread) stay at their floors unless the others are all full; then
    they take the rest in proportion to their sizes.
    """
    positive = [s for s in strata if shares[s.name] > 0]
    idle = [s for s in strata if shares[s.name] <= 0]
    at_floor = sum(floors[s.name] for s in idle)
    real = _clipped(min(target - at_floor, sum(s.population for s in positive)), positive, shares, floors)
    rest = target - sum(real.values())
    real |= _clipped(rest, idle, {s.name: float(s.population) for s in idle}, floors)
    return real


def _clipped(target: float, strata: list[Stratum], shares: dict[str, float], floors: dict[str, int]) -> dict[str, float]:
    """Solve sum_h clip(lambda a_h, floor_h, N_h) = target for lambda (a monotone, piecewise-linear
    function of lambda): bisection finds which strata sit at a bound, then the free ones share the
    remainder exactly in proportion to a_h. This is the recursive-Neyman answer, found directly."""
    if not strata:
        return {}
    caps = {s.name: s.population for s in strata}

    def at(lam: float) -> dict[str, float]:
        return {n: min(caps[n], max(floors[n], lam * shares[n])) for n in caps}

    if sum(at(0.0).values()) >= target:
        return {n: float(floors[n]) for n in caps}
    low, high = 0.0, 1.0
    while sum(at(high).values()) < target and high < 1e300:
        high *= 2
    for _ in range(200):  # to relative precision 1e-12: the exact share below settles the rest
        if high - low <= 1e-12 * high:
            break
        mid = (low + high) / 2
        low, high = (mid, high) if sum(at(mid).values()) < target else (low, mid)
    values = at(high)
    free = [n for n in caps if floors[n] < values[n] < caps[n]]
    if free:
        fixed = sum(v for n, v in values.items() if n not in free)
        share = sum(shares[n] for n in free)
        values |= {n: (target - fixed) * shares[n] / share for n in free}
    return values


def _round_largest_remainder(real: dict[str, float], target: int, strata: list[Stratum]) -> dict[str, int]:
    sizes = {name: math.floor(value + 1e-9) for name, value in real.items()}
    population = {s.name: s.population for s in strata}
    short = target - sum(sizes.values())
    # Largest fractional part first; ties go to the earlier stratum, so the result is stable.
    order = sorted(range(len(strata)), key=lambda i: (-(real[strata[i].name] - sizes[strata[i].name]), i))
    for i in order:
        if short <= 0:
            break
        name = strata[i].name
        if sizes[name] < population[name]:
            sizes[name] += 1
            short -= 1
    return {s.name: sizes[s.name] for s in strata}
