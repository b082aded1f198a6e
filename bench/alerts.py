"""False alerts and detection of the mid-week alert rule, by seeded simulation (no database).

An in-control project (every stratum's week exactly at the baseline) with a risk-allocated design
(sampling.allocate, method "risk") is looked at after every label for 52 weeks a year. Printed:
the share of weeks and of years with at least one false alert for
  (a) the product's rule: sampling.sequential_rise mid-week (Wald's SPRT per stratum for sampling
      without replacement, alpha split over the strata) and sampling.rise_verdict at the week's
      close, each alone and together;
  (b) the naive rule: the design-weighted interval's lower bound (sampling.estimate_proportion over
      the strata reviewed so far) above the baseline at any look;
and, for weeks whose rate rose from the baseline to the alert rate (everywhere, only in the
under-sampled bulk stratum, only in the over-sampled risky one), the share of weeks the rule
detects and the median number of reviews until its alert.

Reviewed items in a stratum are its first n_h items in a random order of the week (errors placed
at random: the hypergeometric law); labels arrive interleaved evenly across strata (a fixed order,
so the naive rule's limits can be cached by the counts). The product rule's boundaries come from
sequential_rise itself (the fewest errors that alert after t items of a stratum); a sample of
weeks is replayed through sequential_rise at every look to check the tables agree.

    python -m bench.alerts            # 500 years (26,000 weeks) per scenario
    python -m bench.alerts --short    # 40 years, for CI
"""
from __future__ import annotations

import argparse
import functools
import statistics
import sys
import time

import numpy as np

import sampling
from sampling import Stratum, StratumCount

SEED = 20261216
WEEKS_PER_YEAR = 52
STRATA = (Stratum("bulk", 6000, 1.0), Stratum("mid", 3000, 3.0), Stratum("risky", 1000, 6.0))
REVIEWS = 300
BASELINE, ALERT_RATE, ALPHA = 0.01, 0.03, 0.05


def interleave(sizes: list[int]) -> np.ndarray:
    """The stratum index of each look's label: stratum h's t-th item at (t + 0.5) / n_h of the week."""
    keys = [((t + 0.5) / n, h) for h, n in enumerate(sizes) for t in range(n)]
    return np.array([h for _, h in sorted(keys)], dtype=int)


def boundaries(sizes: list[int], alpha: float) -> list[np.ndarray]:
    """Per stratum, the fewest errors among t reviewed items that alert (t = 0..n_h; n_h + 1: never),
    read off sampling.sequential_rise."""
    found = []
    for h, n in enumerate(sizes):
        row = []
        for t in range(n + 1):
            counts = [StratumCount(s.name, s.population, t if i == h else 0, 0) for i, s in enumerate(STRATA)]
            b = sampling.sequential_rise(counts, BASELINE, ALERT_RATE, alpha=alpha).strata[h].boundary
            row.append(n + 1 if b is None else b)
        found.append(np.array(row))
    return found


def reviewed_errors(rng: np.random.Generator, weeks: int, population: int, errors: int, n: int) -> np.ndarray:
    """weeks x n 0/1: the first n items of a random order of a stratum holding `errors` errors."""
    found = np.zeros((weeks, n), dtype=np.int8)
    seen = np.zeros(weeks)
    draws = rng.random((weeks, n))
    for t in range(n):
        hit = draws[:, t] < (errors - seen) / (population - t)
        found[:, t] = hit
        seen += hit
    return found


NAIVE = (  # (what the rule reads, the interval's confidence, weighted)
    ("weighted 95% interval (the scorecard's)", 0.95, True),
    ("weighted 90% interval (one-sided 5%)", 0.90, True),
    ("unweighted Wilson 90% interval", 0.90, False),
)


@functools.cache
def naive_lower(reviewed: tuple[int, ...], errors: tuple[int, ...], confidence: float, weighted: bool) -> float:
    if not weighted:
        return sampling.proportion_interval(sum(errors), sum(reviewed), confidence=confidence, method="wilson")[0]
    counts = [StratumCount(s.name, s.population, n, x)
              for s, n, x in zip(STRATA, reviewed, errors, strict=True) if n]
    return sampling.estimate_proportion(counts, confidence=confidence).lower


@functools.cache
def close_alert(reviewed: tuple[int, ...], errors: tuple[int, ...], confidence: float) -> bool:
    counts = [StratumCount(s.name, s.population, n, x) for s, n, x in zip(STRATA, reviewed, errors, strict=True)]
    return sampling.rise_verdict(counts, BASELINE, confidence=confidence)


def simulate(rng: np.random.Generator, weeks: int, rates: list[float], sizes: list[int], order: np.ndarray,
             tables: list[np.ndarray], *, close_confidence: float, naive: bool) -> dict:
    """Per week: the look of the product rule's first mid-week alert (or None), the week-close alert,
    and the naive rule's first look (or None)."""
    seqs = [reviewed_errors(rng, weeks, s.population, int(round(p * s.population)), n)
            for s, p, n in zip(STRATA, rates, sizes, strict=True)]
    position = [np.flatnonzero(order == h) for h in range(len(sizes))]  # look (0-based) of each stratum's t-th item
    first_mid = np.full(weeks, np.inf)
    for h, seq in enumerate(seqs):
        cumulative = np.cumsum(seq, axis=1)  # errors after t + 1 items
        crossed = cumulative >= tables[h][1:][None, :]
        any_cross = crossed.any(axis=1)
        t_first = crossed.argmax(axis=1)
        looks = np.where(any_cross, position[h][t_first] + 1, np.inf)
        first_mid = np.minimum(first_mid, looks)
    finals = np.stack([seq.sum(axis=1) for seq in seqs], axis=1)
    close = np.array([close_alert(tuple(sizes), tuple(int(x) for x in row), close_confidence) for row in finals])
    first_naive = [np.full(weeks, np.inf) for _ in NAIVE]
    if naive:
        stratum_of = order.tolist()
        for w in range(weeks):
            week_seqs = [seq[w] for seq in seqs]
            for rule, (_, confidence, weighted) in enumerate(NAIVE):
                reviewed, errors = [0] * len(sizes), [0] * len(sizes)
                for look, h in enumerate(stratum_of):
                    errors[h] += int(week_seqs[h][reviewed[h]])
                    reviewed[h] += 1
                    if sum(errors) and naive_lower(tuple(reviewed), tuple(errors), confidence, weighted) > BASELINE:
                        first_naive[rule][w] = look + 1
                        break
    return {"mid": first_mid, "close": close, "naive": first_naive, "seqs": seqs}


def replay(result: dict, sizes: list[int], order: np.ndarray, weeks: int, alpha: float) -> int:
    """Weeks (of the first `weeks`) where sequential_rise at every look disagrees with the tables."""
    disagreements = 0
    for w in range(weeks):
        reviewed, errors, first = [0] * len(sizes), [0] * len(sizes), np.inf
        for look, h in enumerate(order.tolist()):
            errors[h] += int(result["seqs"][h][w][reviewed[h]])
            reviewed[h] += 1
            counts = [StratumCount(s.name, s.population, n, x)
                      for s, n, x in zip(STRATA, reviewed, errors, strict=True)]
            if sampling.sequential_rise(counts, BASELINE, ALERT_RATE, alpha=alpha).decided:
                first = look + 1
                break
        disagreements += first != result["mid"][w]
    return disagreements


def share_of_years(alerted: np.ndarray) -> float:
    years = len(alerted) // WEEKS_PER_YEAR
    return float(alerted[: years * WEEKS_PER_YEAR].reshape(years, WEEKS_PER_YEAR).any(axis=1).mean())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--short", action="store_true", help="40 simulated years instead of 500 (for CI)")
    parser.add_argument("--years", type=int, help="simulated years per scenario")
    args = parser.parse_args(argv)
    years = args.years or (40 if args.short else 500)
    weeks = years * WEEKS_PER_YEAR
    started = time.perf_counter()
    rng = np.random.default_rng(SEED)
    sizes_by_name = sampling.allocate(REVIEWS, STRATA, method="risk")
    sizes = [sizes_by_name[s.name] for s in STRATA]
    order = interleave(sizes)
    mid_alpha, close_confidence = ALPHA / 2, 1 - ALPHA / 2
    tables = boundaries(sizes, mid_alpha)
    k = len(STRATA)
    print(f"Design: {', '.join(f'{s.name} {n} of {s.population} (risk {s.weight:g})' for s, n in zip(STRATA, sizes, strict=True))}; "
          f"{sum(sizes)} reviews a week, looked at after every label.")
    print(f"Baseline {BASELINE:.0%}, alert rate {ALERT_RATE:.0%}; product rule: sequential_rise at alpha "
          f"{mid_alpha:.1%} (alpha/K = {mid_alpha / k:.2%} per stratum, K = {k}) mid-week, and rise_verdict at "
          f"{close_confidence:.1%} confidence on the week's final counts: {ALPHA:.0%} for the week in all.")
    print(f"Simulated: {years} years ({weeks} weeks) per scenario, seed {SEED}.\n")

    calm = simulate(rng, weeks, [BASELINE] * k, sizes, order, tables, close_confidence=close_confidence, naive=True)
    mid, close = np.isfinite(calm["mid"]), calm["close"]
    checked = min(weeks, 100 if args.short else 400)
    mismatches = replay(calm, sizes, order, checked, mid_alpha)
    se = (ALPHA * (1 - ALPHA) / weeks) ** 0.5
    print(f"In control (every stratum at {BASELINE:.0%}): weeks and years with at least one false alert")
    print(f"  {'rule':<90} {'weeks':>7} {'years':>7}")
    for name, alerted in (
        (f"(a) mid-week: sequential_rise, alpha {mid_alpha:.1%}", mid),
        (f"(a) week close: rise_verdict, {close_confidence:.1%} confidence", close),
        ("(a) product rule: either of the two", mid | close),
        *((f"(b) naive, any look: lower bound of the {name} > baseline", np.isfinite(first))
          for (name, _, _), first in zip(NAIVE, calm["naive"], strict=True)),
    ):
        print(f"  {name:<90} {alerted.mean():>7.1%} {share_of_years(alerted):>7.1%}")
    print(f"  (simulation standard error at 5%: {se:.1%} of weeks; sequential_rise replayed at every look on "
          f"{checked} weeks: {mismatches} disagreements with its tables)\n")

    print(f"A rise from {BASELINE:.0%} to {ALERT_RATE:.0%}: weeks detected and reviews until the alert")
    print(f"  {'where the rate rose':<34} {'mid-week':>9} {'median reviews':>15} {'by close':>9}")
    for name, rates in (("every stratum", [ALERT_RATE] * k),
                        ("bulk only (under-sampled)", [ALERT_RATE, BASELINE, BASELINE]),
                        ("risky only (over-sampled)", [BASELINE, BASELINE, ALERT_RATE])):
        risen = simulate(rng, weeks, rates, sizes, order, tables, close_confidence=close_confidence, naive=False)
        found = np.isfinite(risen["mid"])
        median = f"{statistics.median(risen['mid'][found]):.0f}" if found.any() else "-"
        either = found | risen["close"]
        print(f"  {name:<34} {found.mean():>9.1%} {median:>15} {either.mean():>9.1%}")
    print(f"\n({time.perf_counter() - started:.0f} s)")
    if mismatches:
        sys.exit("sequential_rise disagrees with its boundary tables")


if __name__ == "__main__":
    main()
