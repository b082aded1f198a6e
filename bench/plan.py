"""Plan benchmark: how long sizing takes, whether the plan page's claims hold, and how designs compare.

    python -m bench.plan --population 10000000            # sizing time, full simulation, design comparison
    python -m bench.plan --population 100000 --short      # CI: fewer simulated weeks

1. Sizing time: each goal sized on a six-stratum risk plan (the riskiest strata at 25x the bulk's
   risk weight, so about 5x its sampling fraction) at the given weekly volume, through
   sampling.size_for_* and through the whole plan page (planning.figures: sizing plus every
   claim and the power curve). Median and worst of --repeat runs.
2. The claims, simulated: on four risk-allocated designs (5-7 strata; bulk, risky strata and
   capped cases), weeks are drawn (hypergeometric, errors fixed in the week) with the errors all
   in the bulk, all in the most over-sampled strata, or spread, and the verdicts of
   sampling.verdicts are applied: false certification (true rate = the budget), false alarms
   (true rate = the baseline), and the stated chance and power against the simulated ones.
3. Designs compared for docs/sampling.md: the total each approach needs for a budget, a clean
   week and a rise, and what it achieves.
"""
from __future__ import annotations

import argparse
import functools
import math
import os
import statistics
import time

import numpy as np

import sampling
from sampling import Stratum
from sampling.verdicts import _design, _true

SHARES = {"bulk": 0.55, "billing": 0.15, "account": 0.12, "medical": 0.08, "legal": 0.06, "security": 0.04}
WEIGHTS = {"bulk": 1, "billing": 2, "account": 4, "medical": 25, "legal": 25, "security": 25}


def plan_strata(population: int) -> list[Stratum]:
    return [Stratum(n, round(population * s), WEIGHTS[n]) for n, s in SHARES.items()]


def timed(function, repeat: int) -> tuple[float, float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), max(times), result


def sizing_time(population: int, repeat: int) -> None:
    strata = plan_strata(population)
    print(f"== sizing time, six strata, {population:,} outputs a week, {repeat} runs each")
    goals = {
        "budget 0.5% (a week at 0.125% shown under it, 80%)": lambda: sampling.size_for_budget(strata, 0.005),
        "clean week under 0.5%": lambda: sampling.size_for_clean_week(strata, 0.005),
        "rise 0.5% -> 1.5% (80% power)": lambda: sampling.size_for_rise(strata, 0.005, 0.015),
        "rise 2% -> 4% (80% power)": lambda: sampling.size_for_rise(strata, 0.02, 0.04),
        "margin +/-1% at 5%": lambda: sampling.size_for_margin(strata, 0.01, expected_rate=0.05),
    }
    for name, function in goals.items():
        function()  # first call pays for imports and the cached uniforms
        median, worst, sized = timed(function, repeat)
        print(f"  {name:52s} {sized.total:>6} items  median {median:6.1f} ms  worst {worst:6.1f} ms")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reviewapp.settings")
    import django

    django.setup()
    from reviewapp.audits import planning
    from reviewapp.audits.models import SamplingPlan

    rules = [{"name": n, "match": {"category": [n]}, "weight": WEIGHTS[n], "minimum": 0} for n in SHARES if n != "bulk"]
    populations = {s.name if s.name != "bulk" else "other": s.population for s in strata}
    for goal, extra in (("budget", {"max_rate": 0.005}), ("change", {"baseline_rate": 0.005, "alert_rate": 0.015}),
                        ("margin", {"margin": 0.01, "expected_rate": 0.05})):
        plan = SamplingPlan(strata=rules, goal=goal, **extra)
        median, worst, fig = timed(functools.partial(planning.figures, plan, populations), repeat)
        print(f"  plan page, {goal} goal (sizing, claims, power curve){'':14s} {fig.size:>6} items  "
              f"median {median:6.1f} ms  worst {worst:6.1f} ms")


DESIGNS = {
    "6 strata, risky at 5x, 100k": ({"bulk": 60_000, "billing": 15_000, "account": 10_000, "medical": 8_000,
                                     "legal": 4_000, "security": 3_000},
                                    {"bulk": 240, "billing": 90, "account": 80, "medical": 96, "legal": 80,
                                     "security": 60}),
    "5 strata, capped at 50": ({"bulk": 7_000, "a": 1_500, "b": 800, "c": 400, "d": 300},
                               {"bulk": 20, "a": 12, "b": 9, "c": 5, "d": 4}),
    "3 strata, mid-week (bulk 15 of 9,000)": ({"bulk": 9_000, "x": 500, "y": 500}, {"bulk": 15, "x": 60, "y": 60}),
    "7 strata, 1M": ({"bulk": 700_000, "a": 100_000, "b": 80_000, "c": 50_000, "d": 40_000, "e": 20_000,
                      "f": 10_000}, {"bulk": 350, "a": 80, "b": 70, "c": 55, "d": 45, "e": 50, "f": 25}),
}


def placements(populations: dict[str, int], sizes: dict[str, int], rate: float) -> dict[str, dict[str, float]]:
    total = sum(populations.values())
    fraction = {n: sizes[n] / populations[n] for n in populations}
    bulk = min(populations, key=fraction.get)
    risky = [n for n in populations if fraction[n] >= max(fraction.values()) * 0.99]
    found = {"spread": {n: rate for n in populations}}
    if rate * total <= populations[bulk]:
        found["bulk"] = {n: rate * total / populations[bulk] if n == bulk else 0.0 for n in populations}
    risky_total = sum(populations[n] for n in risky)
    if rate * total <= risky_total:
        found["risky"] = {n: rate * total / risky_total if n in risky else 0.0 for n in populations}
    return found


def simulated(verdict: str, populations, sizes, rates, threshold, weeks: int, rng) -> tuple[float, float]:
    """Share of simulated weeks whose verdict is True, and the week's true rate."""
    names = list(populations)
    bad = [round(rates[n] * populations[n]) for n in names]
    x = np.column_stack([rng.hypergeometric(b, populations[n] - b, sizes[n], size=weeks) if sizes[n] else
                         np.zeros(weeks, dtype=int) for n, b in zip(names, bad, strict=True)]).astype(float)
    design = _design([populations[n] for n in names], [sizes[n] for n in names])
    true_rate = sum(bad) / sum(populations.values())
    return float(_true(verdict, design, x, threshold if threshold is not None else true_rate, 0.95).mean()), true_rate


def claims(weeks: int) -> None:
    rng = np.random.default_rng(20261206)
    print(f"\n== the claims on risk-allocated designs, {weeks:,} simulated weeks each (promise: at most 5%)")
    worst = {"budget": 0.0, "rise": 0.0}
    for name, (populations, sizes) in DESIGNS.items():
        for rate in (0.005, 0.02, 0.1):
            for where, rates in placements(populations, sizes, rate).items():
                cert, _ = simulated("budget", populations, sizes, rates, None, weeks, rng)
                alarm, _ = simulated("rise", populations, sizes, rates, None, weeks, rng)
                worst["budget"], worst["rise"] = max(worst["budget"], cert), max(worst["rise"], alarm)
                print(f"  {name:38s} rate {rate:>5.1%} errors {where:6s}  false certification {cert:6.2%}  "
                      f"false alarm {alarm:6.2%}")
    print(f"  worst: false certification {worst['budget']:.2%}, false alarm {worst['rise']:.2%}")

    print(f"\n== stated chance and power against simulation ({weeks:,} weeks), errors spread as planned")
    for population in (20_000, 1_000_000):
        strata = plan_strata(population)
        populations = {s.name: s.population for s in strata}
        cases = [("budget 1% (good week 0.25%)", sampling.size_for_budget(strata, 0.01), "budget", 0.0025, 0.01),
                 ("rise 1% -> 3%", sampling.size_for_rise(strata, 0.01, 0.03), "rise", 0.03, 0.01),
                 ("rise 0.5% -> 1.5%", sampling.size_for_rise(strata, 0.005, 0.015), "rise", 0.015, 0.005)]
        capped = sampling.allocate(150, strata)
        cases.append(("rise 1% -> 3%, capped at 150", sampling.DesignSize(
            "rise", 150, capped, sampling.rise_power(capped, strata, 0.01, 0.03), 0.8, False), "rise", 0.03, 0.01))
        for label, sized, verdict, rate, threshold in cases:
            got, _ = simulated(verdict, populations, sized.allocation, {n: rate for n in populations}, threshold,
                               weeks, rng)
            print(f"  {population:>9,} outputs, {label:30s} {sized.total:>5} items  stated {sized.achieved:6.1%}  "
                  f"simulated {got:6.1%}  gap {100 * (got - sized.achieved):+5.1f} points")


def designs() -> None:
    """The comparison behind docs/sampling.md: each allocation sized on itself (proportional, pure
    risk, and the floored one Spotcheck plans by default), and a design-effect inflation of the
    equal-probability size."""
    print("\n== designs compared (six strata, 100,000 outputs; budget 0.5%, clean week 0.5%, rise 0.5% -> 1.5%)")
    strata = plan_strata(100_000)
    populations = {s.name: s.population for s in strata}
    total = sum(populations.values())
    goals = {
        "clean week shows < 0.5%": (sampling.size_for_clean_week, (0.005,),
                                    lambda a: sampling.clean_week_bound(a, populations), "bound"),
        "good week (0.125%) shown < 0.5%": (sampling.size_for_budget, (0.005,),
                                           lambda a: sampling.budget_chance(a, strata, 0.005, 0.00125), "chance"),
        "rise 0.5% -> 1.5% shown": (sampling.size_for_rise, (0.005, 0.015),
                                    lambda a: sampling.rise_power(a, strata, 0.005, 0.015), "power"),
    }
    print(f"  {'goal':34s} {'approach':50s} {'items':>6} {'bulk':>5} {'risky 3':>7}  achieved")
    for goal, (size, args, achieved, what) in goals.items():
        equal = size(strata, *args, method="proportional")
        risk = size(strata, *args, method="risk")
        floored = size(strata, *args, method="floored").allocation
        kish = total**2 / sum(populations[n] ** 2 / risk_n for n, risk_n in
                              sampling.allocate(equal.total, strata, method="risk").items()) if equal.total else 0
        deff = equal.total / kish
        inflated = sampling.allocate(math.ceil(equal.total * deff), strata, method="risk")
        rows = [("equal probability (proportional)", equal.allocation),
                ("pure risk allocation, sized on itself", risk.allocation),
                ("floored: equal-prob. floor + risk on top (default)", floored),
                (f"risk allocation, n_eq x Kish deff {deff:.2f}", inflated)]
        for approach, allocation in rows:
            risky = sum(allocation[n] for n in ("medical", "legal", "security"))
            value = achieved(allocation)
            shown = f"{value:.3%}" if what == "bound" else f"{value:.0%}"
            print(f"  {goal:34s} {approach:50s} {sum(allocation.values()):>6} {allocation['bulk']:>5} {risky:>7}  "
                  f"{what} {shown}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--population", type=int, default=10_000_000, help="weekly outputs for the sizing time")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--weeks", type=int, default=20_000, help="simulated weeks per claim")
    parser.add_argument("--short", action="store_true", help="CI: 2,000 simulated weeks, 3 timing runs")
    args = parser.parse_args()
    if args.short:
        args.weeks, args.repeat = 2_000, 3
    sizing_time(args.population, args.repeat)
    claims(args.weeks)
    designs()


if __name__ == "__main__":
    main()
