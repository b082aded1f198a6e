"""A run's stored metrics as typed values: the one definition of the JSON cached in RunMetrics.data.

compute.py builds a RunReport, RunMetrics.data stores its `to_json()`, and the pages read
`RunReport.from_json(...)` (RunMetrics.report), so a key is spelled once, here. The JSON is plain
(NaN becomes null: PostgreSQL's jsonb refuses NaN). SCHEMA_VERSION changes whenever its shape does:
a cache written under another version is stale (RunMetrics.stale) and recomputed on read, and
`from_json` refuses it rather than guessing at keys it may lack.

Optional parts are written only when they exist, as compute has always done: a rate has
`weighted`, `naive` and `strata` only once a stratum has a final label; an agreement entry has
`percent`, `fleiss`, `alpha` and `pairs` only once an item was rated by two reviewers.
"""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # sampling's estimation loads scipy, which reading a cached report never needs
    from sampling import Agreement, Estimate

SCHEMA_VERSION = 3  # 2: agreement's minimum rule and one-sided bounds; 3: judge-assisted rates (judged)

JSON = dict[str, Any]


def plain(value: float | None) -> float | None:
    """A float as JSON can hold it: NaN (an undefined coefficient) becomes None."""
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def is_current(data: Mapping[str, Any] | None) -> bool:
    """The cached JSON was written under this module's schema."""
    return data is not None and data.get("schema") == SCHEMA_VERSION


@dataclass(frozen=True)
class WeightedEstimate:
    """sampling.Estimate as stored (the design-weighted rate), with its one-sided upper bound
    computed once, when the metrics are: a page never recomputes it."""

    value: float
    se: float | None
    lower: float
    upper: float
    n_eff: float | None
    confidence: float
    n: int
    positives: int
    method: str
    df: int | None
    population: int | None
    upper_one_sided: float | None

    @classmethod
    def of(cls, e: Estimate) -> WeightedEstimate:
        return cls(float(e.value), plain(e.se), float(e.lower), float(e.upper), plain(e.n_eff), float(e.confidence),
                   e.n, e.positives, e.method, e.df, e.population, plain(e.upper_one_sided))

    def to_estimate(self) -> Estimate:
        """Back to sampling's type, for its tests (change_test)."""
        from sampling import Estimate

        return Estimate(**{f.name: getattr(self, f.name) for f in dataclasses.fields(Estimate)})

    def to_json(self) -> JSON:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> WeightedEstimate:
        return cls(**data)


@dataclass(frozen=True)
class Proportion:
    """An unweighted rate, positives of n, with its Wilson interval (the naive rate, a stratum's rate)."""

    value: float
    lower: float
    upper: float
    positives: int
    n: int

    @classmethod
    def wilson(cls, positives: int, n: int) -> Proportion:
        import sampling

        lower, upper = sampling.proportion_interval(positives, n, method="wilson")
        return cls(positives / n, lower, upper, positives, n)

    def to_json(self) -> JSON:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Proportion:
        return cls(**data)


@dataclass(frozen=True)
class StratumRow:
    """A stratum of the run: its outputs that week, items drawn, items with a final label."""

    name: str
    population: int
    drawn: int
    final: int
    risk_weight: float

    def to_json(self) -> JSON:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StratumRow:
        return cls(**data)


@dataclass(frozen=True)
class RateReport:
    """One rate of the catalogue: weighted over the covered strata, naive, and per stratum."""

    label: str
    higher_is_better: bool
    weighted: WeightedEstimate | None = None
    naive: Proportion | None = None
    strata: Mapping[str, Proportion] = field(default_factory=dict)

    def to_json(self) -> JSON:
        found: JSON = {"label": self.label, "higher_is_better": self.higher_is_better}
        if self.weighted is not None:
            found["weighted"] = self.weighted.to_json()
        if self.naive is not None:
            found["naive"] = self.naive.to_json()
        if self.strata:
            found["strata"] = {name: cell.to_json() for name, cell in self.strata.items()}
        return found

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RateReport:
        weighted, naive = data.get("weighted"), data.get("naive")
        return cls(data["label"], data["higher_is_better"],
                   WeightedEstimate.from_json(weighted) if weighted is not None else None,
                   Proportion.from_json(naive) if naive is not None else None,
                   {name: Proportion.from_json(cell) for name, cell in (data.get("strata") or {}).items()})


@dataclass(frozen=True)
class AlphaReport:
    """Krippendorff's alpha with its bootstrap interval. enough False: below the library's minimum
    rule, no interval (lower/upper None) and `note` says why; one_sided: no disagreement, so
    "at least lower" rather than a [1, 1] interval."""

    value: float | None
    lower: float | None
    upper: float | None
    enough: bool
    one_sided: bool
    note: str
    min_items: int

    @classmethod
    def of(cls, alpha: Agreement, min_items: int) -> AlphaReport:
        return cls(plain(alpha.value), plain(alpha.lower), plain(alpha.upper), alpha.enough, alpha.one_sided,
                   alpha.note, min_items)

    def to_json(self) -> JSON:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AlphaReport:
        return cls(**data)


@dataclass(frozen=True)
class PairRow:
    """Two reviewers on the items both rated: percent agreement and Cohen's kappa."""

    a: str
    b: str
    n: int
    percent: float
    kappa: float | None

    def to_json(self) -> JSON:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PairRow:
        return cls(**data)


@dataclass(frozen=True)
class AgreementReport:
    """One rubric question's agreement over the items two or more reviewers answered."""

    label: str
    level: str
    items: int
    reviewers: int
    percent: float | None = None
    fleiss: float | None = None
    alpha: AlphaReport | None = None  # None: no item rated by two reviewers, nor percent, fleiss or pairs
    pairs: tuple[PairRow, ...] = ()

    def to_json(self) -> JSON:
        found: JSON = {"label": self.label, "level": self.level, "items": self.items, "reviewers": self.reviewers}
        if self.alpha is not None:
            found.update({"percent": self.percent, "fleiss": self.fleiss, "alpha": self.alpha.to_json(),
                          "pairs": [pair.to_json() for pair in self.pairs]})
        return found

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AgreementReport:
        alpha = data.get("alpha")
        return cls(data["label"], data["level"], data["items"], data["reviewers"], data.get("percent"),
                   data.get("fleiss"), AlphaReport.from_json(alpha) if alpha is not None else None,
                   tuple(PairRow.from_json(pair) for pair in data.get("pairs") or ()))


@dataclass(frozen=True)
class ReviewerRow:
    """A reviewer's output in the run, and their agreement with the adjudicated gold labels."""

    name: str
    labels: int
    gold_n: int
    gold_agree: int
    median_seconds: float | None
    per_hour: float | None
    gold_rate: float | None

    def to_json(self) -> JSON:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ReviewerRow:
        return cls(**data)


@dataclass(frozen=True)
class JudgedStratumRow:
    """A stratum of a judge-assisted rate: its outputs, how many the judge scored, the reviewed items,
    the judge's mean over the stratum (None where it was not used) and whether it was used."""

    name: str
    population: int
    scored: int
    reviewed: int
    judge_mean: float | None
    used: bool

    def to_json(self) -> JSON:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> JudgedStratumRow:
        return cls(**data)


@dataclass(frozen=True)
class JudgeAgreementReport:
    """sampling.judge_agreement as stored: TPR, TNR, precision and kappa with their intervals, the
    confusion matrix in counts ([[TN, FP], [FN, TP]], human by judge) and in weighted shares, and
    per stratum (unweighted within a stratum: its items share one weight)."""

    tpr: float | None
    tpr_interval: tuple[float | None, float | None]
    tnr: float | None
    tnr_interval: tuple[float | None, float | None]
    precision: float | None
    precision_interval: tuple[float | None, float | None]
    kappa: float | None
    kappa_interval: tuple[float | None, float | None]
    n: int
    n_eff: float
    counts: tuple[tuple[int, int], tuple[int, int]]
    shares: tuple[tuple[float, float], tuple[float, float]]
    strata: Mapping[str, JudgeAgreementReport] = field(default_factory=dict)

    @classmethod
    def of(cls, pairs, weights) -> JudgeAgreementReport:
        """From reviewed pairs (judging.ReviewedPair: human, judge_yes) and their design weights."""
        import sampling

        human = [p.human for p in pairs]
        judge = [p.judge_yes for p in pairs]
        w = list(weights) if weights is not None else [1.0] * len(pairs)
        a = sampling.judge_agreement(human, judge, weights=w)
        counts = [[0, 0], [0, 0]]
        shares = [[0.0, 0.0], [0.0, 0.0]]
        for h, j, weight in zip(human, judge, w, strict=True):
            counts[h][j] += 1
            shares[h][j] += weight
        total = sum(w) or 1.0

        def pair(interval) -> tuple[float | None, float | None]:
            return plain(interval[0]), plain(interval[1])

        return cls(plain(a.sensitivity), pair(a.sensitivity_interval), plain(a.specificity),
                   pair(a.specificity_interval), plain(a.precision), pair(a.precision_interval), plain(a.kappa),
                   pair(a.kappa_interval), a.n, float(a.n_eff),
                   (tuple(counts[0]), tuple(counts[1])),  # type: ignore[arg-type]
                   ((shares[0][0] / total, shares[0][1] / total), (shares[1][0] / total, shares[1][1] / total)))

    def with_strata(self, strata: Mapping[str, JudgeAgreementReport]) -> JudgeAgreementReport:
        return dataclasses.replace(self, strata=dict(strata))

    def to_json(self) -> JSON:
        found = dataclasses.asdict(self)
        found["strata"] = {name: cell.to_json() for name, cell in self.strata.items()}
        return found

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> JudgeAgreementReport:
        values = dict(data)
        for key in ("tpr_interval", "tnr_interval", "precision_interval", "kappa_interval"):
            values[key] = tuple(values[key])
        values["counts"] = tuple(tuple(row) for row in values["counts"])
        values["shares"] = tuple(tuple(row) for row in values["shares"])
        values["strata"] = {name: cls.from_json(cell) for name, cell in (values.get("strata") or {}).items()}
        return cls(**values)


@dataclass(frozen=True)
class JudgedRate:
    """A rate estimated with a mapped evaluator (metrics/judging.py): the judge-assisted estimate over
    the same strata as the human-only one, the strata that used the judge, those that did not (name
    -> reason), one-sided bounds at the plan's confidence for the status, and the judge's agreement."""

    rate: str
    evaluator_id: int
    evaluator: str
    estimate: WeightedEstimate | None
    human_n_eff: float | None
    lower_one_sided: float | None
    upper_one_sided: float | None
    strata: tuple[JudgedStratumRow, ...]
    fallback: Mapping[str, str]
    agreement: JudgeAgreementReport | None

    @property
    def used(self) -> bool:
        """The judge was used in at least one stratum: the estimate is judge-assisted."""
        return self.estimate is not None and any(row.used for row in self.strata)

    @property
    def gain(self) -> float | None:
        """Extra human reviews the judge is worth this week: n_eff with the judge minus without."""
        if not self.used or self.estimate is None or self.estimate.n_eff is None or self.human_n_eff is None:
            return None
        return self.estimate.n_eff - self.human_n_eff

    def to_json(self) -> JSON:
        return {
            "rate": self.rate, "evaluator_id": self.evaluator_id, "evaluator": self.evaluator,
            "estimate": self.estimate.to_json() if self.estimate else None, "human_n_eff": self.human_n_eff,
            "lower_one_sided": self.lower_one_sided, "upper_one_sided": self.upper_one_sided,
            "strata": [row.to_json() for row in self.strata], "fallback": dict(self.fallback),
            "agreement": self.agreement.to_json() if self.agreement else None,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> JudgedRate:
        estimate, agreement = data.get("estimate"), data.get("agreement")
        return cls(data["rate"], data["evaluator_id"], data["evaluator"],
                   WeightedEstimate.from_json(estimate) if estimate else None, data.get("human_n_eff"),
                   data.get("lower_one_sided"), data.get("upper_one_sided"),
                   tuple(JudgedStratumRow.from_json(row) for row in data.get("strata") or ()),
                   dict(data.get("fallback") or {}),
                   JudgeAgreementReport.from_json(agreement) if agreement else None)


@dataclass(frozen=True)
class RunReport:
    """A run's metrics: its design and progress, the rates, agreement and reviewers.

    items: drawn items by review status; items_final: those with a final label;
    covered_population: the outputs of the strata with a final label, what the weighted rates are about."""

    week: str
    population: int
    covered_population: int
    items: Mapping[str, int]
    items_final: int
    strata: tuple[StratumRow, ...]
    rates: Mapping[str, RateReport]
    labels: int = 0
    agreement: Mapping[str, AgreementReport] = field(default_factory=dict)
    reviewers: tuple[ReviewerRow, ...] = ()
    judged: Mapping[str, JudgedRate] = field(default_factory=dict)  # rate key -> judge-assisted figures

    @property
    def drawn(self) -> int:
        return sum(s.drawn for s in self.strata)

    @property
    def has_labels(self) -> bool:
        """The metrics say something: at least one item has a final label."""
        return self.items_final > 0

    @property
    def complete(self) -> bool:
        """Every drawn item has a final label (nothing open, nothing disputed) or left the queue with its
        stratum, closed early (docs/sampling.md §4.1: the stratum's sample is then its reviewed items)."""
        return self.drawn > 0 and self.items_final + self.items.get("closed", 0) >= self.drawn

    @property
    def covered_share(self) -> float | None:
        """The share of the week's outputs in strata with a final label: what the estimates are about."""
        return self.covered_population / self.population if self.population else None

    @property
    def disputed(self) -> int:
        """Drawn items waiting for adjudication."""
        return self.items.get("disputed", 0)

    @property
    def open(self) -> int:
        """Drawn items still waiting for reviews."""
        return self.items.get("open", 0)

    def to_json(self) -> JSON:
        return {
            "schema": SCHEMA_VERSION, "week": self.week, "population": self.population,
            "covered_population": self.covered_population, "items": dict(self.items),
            "items_final": self.items_final, "labels": self.labels, "strata": [s.to_json() for s in self.strata],
            "rates": {key: rate.to_json() for key, rate in self.rates.items()},
            "agreement": {key: entry.to_json() for key, entry in self.agreement.items()},
            "reviewers": [r.to_json() for r in self.reviewers],
            "judged": {key: entry.to_json() for key, entry in self.judged.items()},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RunReport:
        if data.get("schema") != SCHEMA_VERSION:
            raise ValueError(f"metrics of schema {data.get('schema')!r}, not {SCHEMA_VERSION}: recompute them")
        return cls(
            data["week"], data["population"], data["covered_population"], dict(data.get("items") or {}),
            data["items_final"], tuple(StratumRow.from_json(s) for s in data["strata"]),
            {key: RateReport.from_json(rate) for key, rate in data["rates"].items()}, data.get("labels", 0),
            {key: AgreementReport.from_json(entry) for key, entry in (data.get("agreement") or {}).items()},
            tuple(ReviewerRow.from_json(r) for r in data.get("reviewers") or ()),
            {key: JudgedRate.from_json(entry) for key, entry in (data.get("judged") or {}).items()})
