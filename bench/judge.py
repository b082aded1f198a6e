"""Coverage and width of the judge-assisted estimate (sampling.estimate_with_judge), by seeded
simulation of stratified, risk-allocated weeks (no database).

A week has four strata of unequal size and risk (sampling.allocate, method "risk", so sampling
fractions differ by stratum up to ten-fold). Every output gets a human truth y ~ Bernoulli(p_h) and a
0/1 judge value whose correlation with y is rho in every stratum, with the judge flagging as often as
the humans do: P(j = 1 | y = 1) = p_h + rho (1 - p_h), P(j = 1 | y = 0) = p_h (1 - rho). The
week's rate is p = sum_h W_h p_h, with the errors spread evenly, or four times as dense in the
over-sampled risky stratum, or in the under-sampled bulk one. The reviewed items are a simple random
sample without replacement in each stratum; the target is the week's own (finite-population) rate.

Printed per rho, rate and number of reviews: the coverage of the 95 % interval of the judge-assisted
estimate and of the human-only one (sampling.estimate_proportion on the same reviewed items, its
default Clopper-Pearson Korn-Graubard interval), and the ratio of their mean widths. The simulation
error of a coverage near 95 % over R weeks is sqrt(0.95 * 0.05 / R): 0.7 points at R = 1000.

    python -m bench.judge            # 1000 weeks per cell
    python -m bench.judge --short    # 150 weeks per cell
"""
from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

import numpy as np

from sampling import Stratum, StratumCount, allocate, estimate_proportion
from sampling.judge import JudgedStratum, estimate_with_judge

SEED = 20261217
STRATA = (Stratum("bulk", 6000, 1.0, minimum=2), Stratum("mid", 2500, 3.0, minimum=2),
          Stratum("new", 1000, 2.0, minimum=2), Stratum("risky", 500, 8.0, minimum=2))
RHOS = (0.0, 0.5, 0.7, 0.9)
RATES = (0.005, 0.02, 0.05, 0.2)
REVIEWS = (30, 100, 300, 700)
PLACEMENTS = ("even", "over-sampled", "under-sampled")


@dataclass
class Runs:
    """Per simulated week: did each interval cover the week's rate, and how wide was it."""

    judge_covered: np.ndarray
    human_covered: np.ndarray
    judge_width: np.ndarray
    human_width: np.ndarray

    @property
    def width_ratio(self) -> float:
        return float(self.judge_width.mean() / self.human_width.mean())


def stratum_rates(rate: float, placement: str) -> np.ndarray:
    """p_h with sum_h W_h p_h = rate; the placement's stratum four times as dense as the others."""
    total = sum(s.population for s in STRATA)
    weights = np.array([s.population / total for s in STRATA])
    dense = {"even": None, "over-sampled": "risky", "under-sampled": "bulk"}[placement]
    factor = np.array([4.0 if s.name == dense else 1.0 for s in STRATA])
    return np.minimum(0.95, rate * factor / float(weights @ factor))


def simulate(rho: float, rate: float, reviews: int, placement: str, weeks: int, rng: np.random.Generator) -> Runs:
    sizes = allocate(reviews, STRATA, method="risk")
    rates = stratum_rates(rate, placement)
    total = sum(s.population for s in STRATA)
    out = np.zeros((4, weeks))
    for week in range(weeks):
        judged, counts, truth = [], [], 0.0
        for s, p in zip(STRATA, rates, strict=True):
            y = rng.random(s.population) < p
            j = np.where(y, rng.random(s.population) < p + rho * (1 - p), rng.random(s.population) < p * (1 - rho))
            truth += s.population / total * float(y.mean())
            pick = rng.choice(s.population, sizes[s.name], replace=False)
            human, judge = y[pick].astype(float), j[pick].astype(float)
            judged.append(JudgedStratum(s.name, s.population, float(j.mean()), human, judge))
            counts.append(StratumCount(s.name, s.population, sizes[s.name], int(human.sum())))
        with_judge = estimate_with_judge(judged)
        human_only = estimate_proportion(counts)
        out[:, week] = (with_judge.lower <= truth <= with_judge.upper, human_only.lower <= truth <= human_only.upper,
                        with_judge.upper - with_judge.lower, human_only.upper - human_only.lower)
    return Runs(out[0].astype(bool), out[1].astype(bool), out[2], out[3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--short", action="store_true", help="150 weeks per cell instead of 1000")
    parser.add_argument("--weeks", type=int, default=None)
    args = parser.parse_args()
    weeks = args.weeks or (150 if args.short else 1000)
    rng = np.random.default_rng(SEED)
    started = time.perf_counter()
    print(f"{weeks} weeks per cell x {len(PLACEMENTS)} placements of the errors; strata "
          + ", ".join(f"{s.name} N={s.population} r={s.weight:g}" for s in STRATA))
    print(f"coverage simulation error (one cell, at 95%): +-{100 * (0.95 * 0.05 / (weeks * 3)) ** 0.5:.1f} points (1 sd)")
    print(f"{'rho':>4} {'rate':>6} {'n':>4} {'cover judge':>11} {'cover human':>11} {'width ratio':>11}")
    for rho in RHOS:
        pooled = []
        for rate in RATES:
            for reviews in REVIEWS:
                runs = [simulate(rho, rate, reviews, placement, weeks, rng) for placement in PLACEMENTS]
                merged = Runs(*(np.concatenate([getattr(r, f) for r in runs]) for f in
                                ("judge_covered", "human_covered", "judge_width", "human_width")))
                pooled.append(merged)
                print(f"{rho:>4.1f} {rate:>6.3f} {reviews:>4} {100 * merged.judge_covered.mean():>10.1f}% "
                      f"{100 * merged.human_covered.mean():>10.1f}% {merged.width_ratio:>11.3f}")
        every = Runs(*(np.concatenate([getattr(r, f) for r in pooled]) for f in
                       ("judge_covered", "human_covered", "judge_width", "human_width")))
        print(f"{rho:>4.1f} {'all':>6} {'all':>4} {100 * every.judge_covered.mean():>10.1f}% "
              f"{100 * every.human_covered.mean():>10.1f}% {every.width_ratio:>11.3f}")
    print(f"{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
