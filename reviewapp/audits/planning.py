"""What a plan asks for and what it buys: the numbers behind the plan page and the draw.

Pure functions of a plan and the week's stratum populations; sampling/ does the statistics.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

# Imported here, not on first use: a worker pays for scipy once, at start-up, not inside a draw.
import sampling
import sampling.design  # noqa: F401

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
class Detection:
    """What the planned allocation buys against a rise from the baseline to the alert rate, under
    sampling.rise_verdict: its power with errors spread evenly over the strata; its false alarms
    are at most 1 - confidence wherever the errors sit."""

    baseline: float
    alert: float
    power: float
    false_alarm: float


@dataclass
class PlanFigures:
    population: int
    required: int  # what the goal asks for, judged on the planned allocation
    size: int  # what will be drawn (after minimums and the capacity cap)
    capped: bool
    strata: list[StratumFigure]
    margin: float  # +/- of the stratified estimate at the planning rate, at the planned size
    margin_uncapped: float | None
    overlap_items: int
    reviews: int
    detection: Detection | None
    goal_met: bool = True  # False: not even the whole week meets the goal
    clean_bound: float | None = None  # a clean week of this allocation shows the rate is below this
    clean_needed: int | None = None  # budget goal: items whose clean week shows the rate under the budget
    good_rate: float | None = None  # budget goal: the rate a good week has
    chance: float | None = None  # budget goal: P(a week at good_rate is shown under budget), at this size
    chance_uncapped: float | None = None
    power_uncapped: float | None = None  # change goal: the power the uncapped size would have had
    power_curve: list[tuple[float, float]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def allocation(self) -> dict[str, int]:
        return {s.name: s.size for s in self.strata}

    @property
    def populations(self) -> dict[str, int]:
        return {s.name: s.population for s in self.strata}


def planning_rate(plan) -> float:
    """The error rate the margin is planned at: what the goal assumes."""
    return {"margin": plan.expected_rate, "budget": plan.max_rate}.get(plan.goal, plan.baseline_rate)


def good_rate(plan) -> float:
    """A good week's rate for the budget goal: the lead's, or a quarter of the budget."""
    return plan.good_rate if plan.good_rate is not None else plan.max_rate / 4


def design_size(plan, strata: list[sampling.Stratum]) -> sampling.DesignSize:
    """The goal's size, judged on the plan's own allocation under the scorecard's verdict rules."""
    method, confidence = plan.allocation_method, plan.confidence
    if plan.goal == "margin":
        return sampling.size_for_margin(strata, plan.margin, expected_rate=plan.expected_rate,
                                        confidence=confidence, method=method)
    if plan.goal == "budget":
        return sampling.size_for_budget(strata, plan.max_rate, good_rate=good_rate(plan), chance=plan.power,
                                        confidence=confidence, method=method)
    return sampling.size_for_rise(strata, plan.baseline_rate, plan.alert_rate, power=plan.power,
                                  confidence=confidence, method=method)


def required_size(plan, populations: dict[str, int]) -> int:
    """What the goal asks for on this week's strata (the whole week if even that falls short)."""
    strata = plan_strata(plan, populations)
    if not sum(s.population for s in strata):
        return 0
    return design_size(plan, strata).total


def plan_strata(plan, populations: dict[str, int]) -> list[sampling.Stratum]:
    rules = plan.rules()
    weights = {r.name: r.weight for r in rules} | {CATCH_ALL: 1.0}
    minimums = {r.name: r.minimum for r in rules} | {CATCH_ALL: 0}
    names = [r.name for r in rules] + [CATCH_ALL]
    rate = planning_rate(plan)
    return [sampling.Stratum(n, populations.get(n, 0), weights[n], minimums[n], expected_rate=rate) for n in names]


def what_if_populations(plan, counts: dict[str, int], volume: int) -> dict[str, int]:
    """A week of `volume` outputs split over the strata as last week's were (largest remainders, so
    they add up), for sizing a volume the project has not seen. With no outputs to go by, the
    whole volume is one stratum, the catch-all: the plan page says so."""
    names = [r.name for r in plan.rules()] + [CATCH_ALL]
    total = sum(counts.get(n, 0) for n in names)
    if volume == total:
        return {n: counts.get(n, 0) for n in names}
    if not total:
        return {n: volume if n == CATCH_ALL else 0 for n in names}
    shares = {n: volume * counts.get(n, 0) / total for n in names}
    sizes = {n: math.floor(v) for n, v in shares.items()}
    for n in sorted(names, key=lambda n: sizes[n] - shares[n])[:volume - sum(sizes.values())]:
        sizes[n] += 1
    return sizes


@dataclass
class RowCount:
    """How many of a week's outputs a stratum row catches (first match wins, in row order)."""

    name: str
    outputs: int


def row_counts(plan, counts: dict[str, int]) -> list[RowCount]:
    """The rows in the editor's order, the catch-all last, with what each caught: counts are
    actions.populations (one SQL aggregate over the stratum CASE the draw uses)."""
    return [RowCount(n, counts.get(n, 0)) for n in [r.name for r in plan.rules()] + [CATCH_ALL]]


def reviews_per_item(plan) -> float:
    return 1 + plan.overlap_share * (plan.overlap_reviewers - 1)


def figures(plan, populations: dict[str, int], *, claims: bool = True) -> PlanFigures:
    """Sizes per stratum for these populations, and what they can and cannot show.

    Every claim is computed on the allocation that will be drawn, at the size that will be drawn
    (after minimums and the capacity cap), with the verdict rules the scorecard applies. The draw
    needs only the sizes (claims=False): the page's sentences and chart cost a few sizing runs more.
    """
    strata = plan_strata(plan, populations)
    population = sum(s.population for s in strata)
    floors = sum(min(s.minimum, s.population) for s in strata)
    problems: list[str] = []
    if not population:
        return PlanFigures(population=0, required=0, size=0, capped=False,
                           strata=[StratumFigure(s.name, 0, s.weight, s.minimum, 0) for s in strata],
                           margin=0.0, margin_uncapped=None, overlap_items=0, reviews=0, detection=None)
    sized = design_size(plan, strata)
    required = sized.total
    if not sized.met:
        problems.append(_short_of_goal(plan, sized))
    size = min(max(required, floors), population)
    capped = False
    if plan.capacity is not None:
        limit = math.floor(plan.capacity / reviews_per_item(plan))
        if size > limit:
            size, capped = limit, True
            if limit < floors:
                problems.append(f"The team's capacity of {plan.capacity} reviews a week is below the strata minimums "
                                f"({floors} items): the minimums are drawn anyway.")
                size = floors
    method, confidence = plan.allocation_method, plan.confidence
    allocation = sampling.allocate(size, strata, method=method)
    pops = {s.name: s.population for s in strata}
    rate = planning_rate(plan)
    margin = sampling.margin_of_allocation(allocation, pops, expected_rate=rate, confidence=confidence)
    full = sampling.allocate(min(max(required, floors), population), strata, method=method) if capped else None
    margin_uncapped = (sampling.margin_of_allocation(full, pops, expected_rate=rate, confidence=confidence)
                       if full else None)
    overlap = sum(overlap_counts(plan.overlap_share, allocation).values())
    fig = PlanFigures(
        population=population, required=required, size=size, capped=capped,
        strata=[StratumFigure(s.name, s.population, s.weight, s.minimum, allocation[s.name]) for s in strata],
        margin=margin, margin_uncapped=margin_uncapped, overlap_items=overlap,
        reviews=size + overlap * (plan.overlap_reviewers - 1), detection=None, goal_met=sized.met, problems=problems,
    )
    if plan.goal == "budget":
        fig.good_rate = good_rate(plan)
    if not claims or not size:
        return fig

    def at(sizes: dict[str, int], compute) -> float:
        """The goal's chance or power: the sizing already has it for its own allocation."""
        return sized.achieved if sizes == sized.allocation else compute(sizes)

    def rise(sizes: dict[str, int]) -> float:
        return sampling.rise_power(sizes, strata, plan.baseline_rate, plan.alert_rate, confidence=confidence)

    fig.clean_bound = sampling.clean_week_bound(allocation, pops, confidence=confidence)
    power = at(allocation, rise) if plan.goal == "change" else rise(allocation)
    fig.detection = Detection(plan.baseline_rate, plan.alert_rate, power, 1 - confidence)
    fig.power_curve = power_curve(allocation, strata, plan.baseline_rate, confidence=confidence)
    if full and plan.goal == "change":
        fig.power_uncapped = at(full, rise)
    if plan.goal == "budget":
        good = good_rate(plan)

        def budget(sizes: dict[str, int]) -> float:
            return sampling.budget_chance(sizes, strata, plan.max_rate, good, confidence=confidence)

        fig.clean_needed = sampling.size_for_clean_week(strata, plan.max_rate, confidence=confidence, method=method).total
        fig.chance = at(allocation, budget)
        if full:
            fig.chance_uncapped = at(full, budget)
    return fig


def _short_of_goal(plan, sized: sampling.DesignSize) -> str:
    if plan.goal == "margin":
        return f"Even reviewing the whole week gives a margin of only ±{sized.achieved:.2%}."
    what = "show a good week under budget" if plan.goal == "budget" else "catch the rise"
    return f"Even reviewing the whole week gives only a {sized.achieved:.0%} chance to {what}."


def overlap_counts(share: float, allocation: dict[str, int]) -> dict[str, int]:
    """Items per stratum reviewed blind by several reviewers: floor(share x total) overall, so the
    reviews never exceed the capacity, spread over strata in proportion to their sizes."""
    total = sum(allocation.values())
    strata = [sampling.Stratum(name, n) for name, n in allocation.items()]
    return sampling.allocate(math.floor(share * total + 1e-9), strata, method="proportional")


def power_curve(allocation: dict[str, int], strata: list[sampling.Stratum], baseline: float, *, confidence: float,
                points: int = 10) -> list[tuple[float, float]]:
    """(true rate, chance the audit shows a rise above the baseline) from the baseline up to six
    times it, errors spread evenly, for the plan page's chart (rough: 4,000 simulated weeks a
    point where the sum is not exact, so the chart stays live while the lead types)."""
    top = min(0.999, max(baseline * 6, baseline + 0.05))
    rates = [baseline + (top - baseline) * i / (points - 1) for i in range(points)]
    return [(r, sampling.rise_power(allocation, strata, baseline, r, confidence=confidence, _simulations=4_000))
            for r in rates]


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


def _pct(rate: float) -> str:
    """A rate as people read it: 0%, 0.025%, 0.50%, 5.8%, 12% (a tiny rate keeps two significant digits)."""
    if rate == 0:
        return "0%"
    if rate < 0.001:
        return f"{rate * 100:.2g}%"
    if rate < 0.1:
        return f"{rate:.2%}" if rate < 0.01 else f"{rate:.1%}"
    return f"{rate:.0%}"


def plain_words(plan, fig: PlanFigures) -> list[str]:
    """The figures as sentences a QA lead can repeat in a meeting, each true of the sample that
    will be drawn (risk-allocated, capped or not) under the scorecard's own verdict rules."""
    if not fig.population:
        return ["There are no outputs in this week yet, so there is nothing to size: type a weekly volume "
                "to see what the plan would need."]
    lines = [f"{fig.size} of {fig.population:,} outputs will be reviewed ({fig.reviews} reviews with the blind overlap)."]
    conf = f"{plan.confidence:.0%}"
    if not fig.size:
        return lines + fig.problems
    if plan.goal == "budget":
        # figures() sets these for the budget goal whenever there is a size to judge.
        assert fig.good_rate is not None and fig.chance is not None and fig.clean_bound is not None
        lines.append(
            f"If the week's error rate is {_pct(fig.good_rate)} or less (errors spread evenly over the strata), "
            f"the audit shows it is under the {_pct(plan.max_rate)} budget {times_in(fig.chance)} "
            f"({fig.chance:.0%} chance).")
        if fig.clean_bound < plan.max_rate:
            lines.append(f"With {fig.size} items, a clean week (no error found) shows the rate is below "
                         f"{_pct(fig.clean_bound)}, under the budget.")
        else:
            lines.append(f"With {fig.size} items, a clean week (no error found) shows only that the rate is below "
                         f"{_pct(fig.clean_bound)}; to show it is below {_pct(plan.max_rate)} you need "
                         f"{fig.clean_needed} items.")
        lines.append(f"A week at or over the budget is shown under it at most {1 - plan.confidence:.0%} of the time, "
                     "wherever its errors sit.")
    lines.append(f"The week's error rate will be known within ±{_pct(fig.margin)} ({conf} confidence) "
                 f"if it is near {_pct(planning_rate(plan))}." if math.isfinite(fig.margin) else
                 "Some stratum gets no items, so the overall rate cannot be estimated without bias.")
    if fig.detection:
        d = fig.detection
        lines.append(f"If the rate rises from {_pct(d.baseline)} to {_pct(d.alert)} (errors spread evenly), "
                     f"the audit shows a rise {times_in(d.power)} ({d.power:.0%} chance); a week at "
                     f"{_pct(d.baseline)} or less raises a false alarm at most {d.false_alarm:.0%} of the time.")
    if fig.capped:
        cut = f"The capacity cap cuts the sample from {fig.required} to {fig.size} items"
        if plan.goal == "budget" and fig.chance_uncapped is not None:
            lines.append(f"{cut}: the chance to show a good week under budget drops from "
                         f"{fig.chance_uncapped:.0%} to {fig.chance:.0%}.")
        elif plan.goal == "change" and fig.power_uncapped is not None and fig.detection:
            lines.append(f"{cut}: the chance to catch the rise drops from {fig.power_uncapped:.0%} to "
                         f"{fig.detection.power:.0%}.")
        elif fig.margin_uncapped is not None:
            lines.append(f"{cut}: the margin widens from ±{_pct(fig.margin_uncapped)} to ±{_pct(fig.margin)}.")
    return lines + fig.problems
