"""An evaluator's certification against the reviewers (docs/judge.md, "The certification page").

Weekly figures are the runs' cached reports (report.judged[rate].agreement: design-weighted over
the week's probability sample, N_h / n_h per item). The headline verdict pools the reviewed items
of the last POOLED_WEEKS complete weeks, each item with its own week's design weight, through
sampling.judge_agreement. The drift signal compares a complete week with the weeks before it.

Verdict rule (AGREE_AT): "agrees" when the lower ends of both the TPR and the TNR intervals are at
least AGREE_AT; "disagrees" when the upper end of either is below AGREE_AT (the data rule out
agreement); otherwise "not enough evidence yet" (the intervals straddle the bar, or no reviewed
failure / non-failure to measure one of them).

Drift rule: a complete week "falls" when its kappa, or its TPR, is below the inverse-variance pooled
figure of up to DRIFT_WEEKS complete weeks before it (at least DRIFT_MIN_WEEKS) by more than
DRIFT_Z standard errors of the difference, se = interval half-width / 1.96 for each side. Each of
the two one-sided tests runs at 2.5 %, so a stable judge raises a false drift signal in at most
5 % of weeks.
"""
from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from reviewapp.audits.models import AuditRun
from reviewapp.ingest.models import Evaluator
from reviewapp.review.models import GoldLabel, LabelSchema

from .catalogue import rates
from .judging import ReviewedPair, reviewed_pairs
from .models import JudgeMapping
from .report import JudgeAgreementReport, RunReport

AGREE_AT = 0.8  # the TPR and TNR a judge must be shown to reach to "agree"
POOLED_WEEKS = 4  # the complete weeks the headline verdict pools
DRIFT_WEEKS = 4  # the complete weeks before a week that make its drift baseline
DRIFT_MIN_WEEKS = 2  # fewer earlier complete weeks: no drift test (a one-week baseline is too noisy)
DRIFT_Z = 1.96  # one-sided 2.5 % for each of kappa and TPR: at most 5 % false signals together
INTERVAL_Z = 1.96  # the reports' intervals are at 95 %
DISAGREEMENTS_SHOWN = 20

AGREES, DISAGREES, UNDECIDED = "agrees", "disagrees", "not enough evidence yet"


def figure(value: float | None, interval: tuple[float | None, float | None] | None = None) -> str:
    """0.91 [0.84, 0.95]; a dash for no value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    text = f"{value:.2f}"
    if interval is not None and interval[0] is not None and interval[1] is not None:
        text += f" [{interval[0]:.2f}, {interval[1]:.2f}]"
    return text


@dataclass(frozen=True)
class Week:
    """One run's agreement for the evaluator, from its cached report (None: no reviewed item judged)."""

    run: AuditRun
    report: RunReport
    agreement: JudgeAgreementReport | None

    @property
    def week(self) -> str:
        return str(self.run.week)

    @property
    def complete(self) -> bool:
        return self.report.complete


@dataclass(frozen=True)
class Verdict:
    state: str  # AGREES, DISAGREES, UNDECIDED
    sentence: str
    weeks: tuple[str, ...]
    agreement: JudgeAgreementReport | None


@dataclass(frozen=True)
class Drift:
    """A week's kappa and TPR against the pooled weeks before it; `fell` names what fell."""

    week: str
    baseline_weeks: tuple[str, ...]
    kappa: float | None
    kappa_baseline: float | None
    tpr: float | None
    tpr_baseline: float | None
    fell: tuple[str, ...]
    rule: str

    @property
    def signal(self) -> bool:
        return bool(self.fell)


@dataclass(frozen=True)
class Disagreement:
    item_id: int
    stratum: str
    human: int
    judge: float | None
    judge_yes: int | None
    gap: float


def weeks_of(evaluator_id: int, rate: str, runs_with_reports: Iterable[tuple[AuditRun, RunReport]]) -> list[Week]:
    """The runs whose report judged ``rate`` with this evaluator, in the order given."""
    found = []
    for run, report in runs_with_reports:
        judged = report.judged.get(rate)
        if judged is not None and judged.evaluator_id == evaluator_id:
            found.append(Week(run, report, judged.agreement))
    return found


def verdict(evaluator: Evaluator, mapping: JudgeMapping | None, weeks: Sequence[Week]) -> Verdict:
    """The headline: the last POOLED_WEEKS complete weeks (``weeks`` newest first), pooled with
    each item's own week's design weight, judged by the rule in the module's docstring."""
    chosen = [w for w in weeks if w.complete and w.agreement is not None][:POOLED_WEEKS]
    if mapping is None:
        return Verdict(UNDECIDED, f"{evaluator} is not mapped to a rate: map it to certify it.", (), None)
    if not chosen:
        return Verdict(UNDECIDED, f"{evaluator}: not enough evidence yet, no complete week has reviewed items it judged.",
                       (), None)
    pairs, weights = pooled_pairs(mapping, [w.run for w in chosen])
    if not pairs:
        return Verdict(UNDECIDED, f"{evaluator}: not enough evidence yet, no reviewed item it judged.", (), None)
    pooled = JudgeAgreementReport.of(pairs, weights)
    state = state_of(pooled)
    names = tuple(w.week for w in chosen)
    span = names[0] if len(names) == 1 else f"{names[-1]} to {names[0]}"
    said = {AGREES: " agrees with reviewers", DISAGREES: " disagrees with reviewers",
            UNDECIDED: ": not enough evidence yet"}[state]
    sentence = (f"{evaluator}{said}: TPR {figure(pooled.tpr, pooled.tpr_interval)}, "
                f"TNR {figure(pooled.tnr, pooled.tnr_interval)} over {pooled.n} reviewed items "
                f"({len(names)} complete {'week' if len(names) == 1 else 'weeks'}, {span})")
    return Verdict(state, sentence, names, pooled)


def state_of(agreement: JudgeAgreementReport) -> str:
    """AGREES, DISAGREES or UNDECIDED by the rule in the module's docstring."""
    (tpr_low, tpr_high), (tnr_low, tnr_high) = agreement.tpr_interval, agreement.tnr_interval
    if None in (tpr_low, tpr_high, tnr_low, tnr_high):
        return UNDECIDED
    if tpr_low >= AGREE_AT and tnr_low >= AGREE_AT:  # type: ignore[operator]
        return AGREES
    if tpr_high < AGREE_AT or tnr_high < AGREE_AT:  # type: ignore[operator]
        return DISAGREES
    return UNDECIDED


def gold_of(run: AuditRun) -> dict[int, dict]:
    return dict(GoldLabel.objects.filter(item__run=run).values_list("item_id", "answers"))


def run_pairs(mapping: JudgeMapping, run: AuditRun) -> list[ReviewedPair]:
    """The run's reviewed items with the human answer to the mapped rate beside the judge's."""
    rate = rates(LabelSchema.current(run.project).rubric).get(mapping.rate)
    gold = gold_of(run)
    if rate is None or not gold:
        return []
    return reviewed_pairs(run, mapping, rate, gold)


def design_weights(pairs: Sequence[ReviewedPair], populations: dict[str, int]) -> tuple[list[ReviewedPair], list[float]]:
    """The usable pairs (a judge yes/no, a stratum with outputs) and N_h / n_h of each, as judging._agreement."""
    usable = [p for p in pairs if p.judge_yes is not None and populations.get(p.stratum, 0) > 0]
    reviewed: dict[str, int] = defaultdict(int)
    for p in usable:
        reviewed[p.stratum] += 1
    return usable, [populations[p.stratum] / reviewed[p.stratum] for p in usable]


def pooled_pairs(mapping: JudgeMapping, runs: Sequence[AuditRun]) -> tuple[list[ReviewedPair], list[float]]:
    """Every run's usable pairs, each with its own week's design weight."""
    pairs: list[ReviewedPair] = []
    weights: list[float] = []
    for run in runs:
        usable, w = design_weights(run_pairs(mapping, run), run.populations)
        pairs += usable
        weights += w
    return pairs, weights


def _se(interval: tuple[float | None, float | None]) -> float | None:
    low, high = interval
    if low is None or high is None:
        return None
    return (high - low) / (2 * INTERVAL_Z)


def _pooled(values: Sequence[tuple[float | None, float | None]]) -> tuple[float | None, float | None]:
    """Inverse-variance pooled value and its se over weeks with a value and a positive se."""
    usable = [(v, se) for v, se in values if v is not None and se is not None and se > 0 and not math.isnan(v)]
    if not usable:
        return None, None
    total = sum(1 / se**2 for _, se in usable)
    return sum(v / se**2 for v, se in usable) / total, math.sqrt(1 / total)


def drift(week: Week, before: Sequence[Week]) -> Drift | None:
    """The drift test of a complete ``week`` against up to DRIFT_WEEKS complete weeks ``before`` it
    (newest first); None when it cannot be run (week open, too few earlier weeks, no figures)."""
    if not week.complete or week.agreement is None:
        return None
    base = [w for w in before if w.complete and w.agreement is not None][:DRIFT_WEEKS]
    if len(base) < DRIFT_MIN_WEEKS:
        return None
    a = week.agreement
    fell, parts = [], []
    found: dict[str, tuple[float | None, float | None]] = {}
    for name, value, interval in (("kappa", a.kappa, a.kappa_interval), ("TPR", a.tpr, a.tpr_interval)):
        pooled, pooled_se = _pooled([(getattr(w.agreement, name.lower()),
                                      _se(getattr(w.agreement, f"{name.lower()}_interval"))) for w in base])
        found[name] = (value, pooled)
        se = _se(interval)
        if value is None or pooled is None or se is None or pooled_se is None or math.isnan(value):
            continue
        margin = DRIFT_Z * math.sqrt(se**2 + pooled_se**2)
        if pooled - value > margin:
            fell.append(name)
            parts.append(f"{name} {value:.2f} against {pooled:.2f} before, a fall of {pooled - value:.2f} "
                         f"beyond the {margin:.2f} chance allows")
    weeks = tuple(w.week for w in base)
    rule = (f"{week.week} against the pooled {len(weeks)} complete weeks before it ({', '.join(weeks)}): "
            + ("; ".join(parts) if parts else "no significant fall of kappa or TPR")
            + f" (one-sided z test at 2.5 % each, z {DRIFT_Z})")
    return Drift(week.week, weeks, found["kappa"][0], found["kappa"][1], found["TPR"][0], found["TPR"][1],
                 tuple(fell), rule)


def disagreements(mapping: JudgeMapping, run: AuditRun, report: RunReport) -> list[Disagreement]:
    """The items of the run where judge and final label differ most: for a score reading the largest
    |human - judge value|; for a label reading every disagreement, riskiest strata first."""
    risk = {s.name: s.risk_weight for s in report.strata}
    found = []
    for p in run_pairs(mapping, run):
        if p.judge is None:
            continue
        if mapping.reading == JudgeMapping.Reading.LABEL:
            if p.judge_yes == p.human:
                continue
            gap = 1.0
        else:
            gap = abs(p.human - p.judge)
            if gap <= 0:
                continue
        found.append(Disagreement(p.item_id, p.stratum, p.human, p.judge, p.judge_yes, gap))
    found.sort(key=lambda d: (-d.gap, -risk.get(d.stratum, 1.0), d.stratum, d.item_id))
    return found[:DISAGREEMENTS_SHOWN]
