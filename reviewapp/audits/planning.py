"""What a plan asks for and what it buys: the numbers behind the plan page and the draw.

Pure functions of a plan and the week's stratum populations; sampling/ does the statistics.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

# Imported here, not on first use: a worker pays for scipy once, at start-up, not inside a draw.
import sampling
import sampling.sizing  # noqa: F401

from .strata import CATCH_ALL


@dataclass
class StratumFigure:
    name: str
    population: int
    weight: float
    minimum: int
    size: int

    @property
    def probability(self) -> float:
        return self.size / self.population if self.population else 0.0


@dataclass
class PlanFigures:
    population: int
    required: int  # what the goal asks for
    size: int  # what will be drawn (after minimums and the capacity cap)
    capped: bool
    strata: list[StratumFigure]
    margin: float  # +/- of the stratified estimate at the planning rate
    margin_uncapped: float | None
    overlap_items: int
    reviews: int
    detection: sampling.Power | None
    power_curve: list[tuple[float, float]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def allocation(self) -> dict[str, int]:
        return {s.name: s.size for s in self.strata}


def planning_rate(plan) -> float:
    """The error rate sizes are planned with: what the goal assumes."""
    return {"margin": plan.expected_rate, "budget": plan.max_rate}.get(plan.goal, plan.baseline_rate)


def required_size(plan, population: int) -> int:
    if population == 0:
        return 0
    if plan.goal == "margin":
        return sampling.sample_size_for_margin(plan.margin, confidence=plan.confidence,
                                               expected_rate=plan.expected_rate, population=population)
    if plan.goal == "budget":
        return sampling.sample_size_for_budget(plan.max_rate, confidence=plan.confidence,
                                               allowed_errors=plan.allowed_errors, population=population)
    return sampling.sample_size_for_change(plan.baseline_rate, plan.alert_rate, alpha=1 - plan.confidence,
                                           power=plan.power, population=population)


def reviews_per_item(plan) -> float:
    return 1 + plan.overlap_share * (plan.overlap_reviewers - 1)


def figures(plan, populations: dict[str, int]) -> PlanFigures:
    """Sizes per stratum for these populations, and what they can and cannot show."""
    rules = plan.rules()
    weights = {r.name: r.weight for r in rules} | {CATCH_ALL: 1.0}
    minimums = {r.name: r.minimum for r in rules} | {CATCH_ALL: 0}
    names = [r.name for r in rules] + [CATCH_ALL]
    population = sum(populations.get(n, 0) for n in names)
    rate = planning_rate(plan)
    problems: list[str] = []
    try:
        required = required_size(plan, population)
    except ValueError as exc:
        required, problems = population, [str(exc)]
    floors = sum(min(minimums[n], populations.get(n, 0)) for n in names)
    size = min(max(required, floors), population)
    capped = False
    if plan.capacity is not None:
        limit = math.floor(plan.capacity / reviews_per_item(plan))
        if size > limit:
            size, capped = limit, True
            if limit < floors:
                problems.append(f"the capacity of {plan.capacity} reviews is below the strata minimums ({floors} items)")
                size = floors
    strata = [sampling.Stratum(n, populations.get(n, 0), weights[n], minimums[n], expected_rate=rate) for n in names]
    allocation = sampling.allocate(size, strata, method=plan.allocation_method)
    margin = sampling.margin_of_allocation(allocation, {n: populations.get(n, 0) for n in names},
                                           expected_rate=rate, confidence=plan.confidence)
    margin_uncapped = None
    if capped:
        full = sampling.allocate(min(max(required, floors), population), strata, method=plan.allocation_method)
        margin_uncapped = sampling.margin_of_allocation(full, {n: populations.get(n, 0) for n in names},
                                                        expected_rate=rate, confidence=plan.confidence)
    overlap = sum(overlap_counts(plan.overlap_share, allocation).values())
    detection = curve = None
    if size:
        detection = sampling.power_of_sample(size, plan.baseline_rate, plan.alert_rate, alpha=1 - plan.confidence)
        curve = power_curve(size, plan.baseline_rate, alpha=1 - plan.confidence)
    return PlanFigures(
        population=population, required=required, size=size, capped=capped,
        strata=[StratumFigure(s.name, s.population, s.weight, s.minimum, allocation[s.name]) for s in strata],
        margin=margin, margin_uncapped=margin_uncapped, overlap_items=overlap,
        reviews=size + overlap * (plan.overlap_reviewers - 1), detection=detection,
        power_curve=curve or [], problems=problems,
    )


def overlap_counts(share: float, allocation: dict[str, int]) -> dict[str, int]:
    """Items per stratum reviewed blind by several reviewers: floor(share x total) overall, so the
    reviews never exceed the capacity, spread over strata in proportion to their sizes."""
    total = sum(allocation.values())
    strata = [sampling.Stratum(name, n) for name, n in allocation.items()]
    return sampling.allocate(math.floor(share * total + 1e-9), strata, method="proportional")


def power_curve(n: int, baseline: float, *, alpha: float, points: int = 12) -> list[tuple[float, float]]:
    """(alert rate, power) from the baseline up to six times it, for the plan page's chart."""
    top = min(0.999, max(baseline * 6, baseline + 0.05))
    rates = [baseline + (top - baseline) * i / (points - 1) for i in range(points)]
    return [(r, sampling.power_of_sample(n, baseline, r, alpha=alpha).power) for r in rates]


def times_in(power: float) -> str:
    """0.32 -> "about 1 time in 3": odds people can picture."""
    if power >= 0.995:
        return "almost every time"
    if power < 0.005:
        return "almost never"
    fractions = [(k, d) for d in (2, 3, 4, 5, 10, 20, 100) for k in range(1, d)]
    tolerance = min(0.03, 0.15 * power)
    close = [kd for kd in fractions if abs(kd[0] / kd[1] - power) <= tolerance]  # the simplest close enough
    k, d = close[0] if close else min(fractions, key=lambda kd: abs(kd[0] / kd[1] - power))
    return f"about {k} time{'s' if k > 1 else ''} in {d}"


def plain_words(plan, fig: PlanFigures) -> list[str]:
    """The figures as sentences a QA lead can repeat in a meeting."""
    if not fig.population:
        return ["There are no outputs in this week yet, so there is nothing to size."]
    lines = [f"{fig.size} of {fig.population:,} outputs will be reviewed ({fig.reviews} reviews with the blind overlap)."]
    conf = f"{plan.confidence:.0%}"
    if plan.goal == "budget":
        found = "none of them is" if plan.allowed_errors == 0 else f"at most {plan.allowed_errors} of them are"
        lines.append(f"If {found} wrong, you can say the error rate is below {plan.max_rate:.2%} with {conf} confidence.")
    lines.append(f"The week's error rate will be known within ±{fig.margin:.2%} ({conf} confidence) "
                 f"if it is near {planning_rate(plan):.2%}." if math.isfinite(fig.margin) else
                 "Some stratum gets no items, so the overall rate cannot be estimated without bias.")
    if fig.detection:
        lines.append(f"With {fig.size} items you will notice a rise from {plan.baseline_rate:.2%} to "
                     f"{plan.alert_rate:.2%} {times_in(fig.detection.power)} (alarm at {fig.detection.critical_count} "
                     f"or more errors).")
    if fig.capped and fig.margin_uncapped is not None:
        lines.append(f"The capacity cap cuts the sample from {fig.required} to {fig.size} items: "
                     f"the margin widens from ±{fig.margin_uncapped:.2%} to ±{fig.margin:.2%}.")
    return lines + fig.problems
