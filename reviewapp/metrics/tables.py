"""The scorecard and a week's metrics as CSV (the pages' "Download CSV"), through django-tables2's
export like the other lists (reviewapp.lib.tables). Rates are shares from 0 to 1, unrounded."""
from __future__ import annotations

from typing import Any

import django_tables2 as tables

from .report import RunReport
from .scorecard import Scorecard, figures


def _column(name: str) -> tables.Column:
    return tables.Column(verbose_name=name, default="")  # an empty cell, not the page's dash


class ScorecardTable(tables.Table):
    week = _column("week")
    metric = _column("metric")
    label = _column("label")
    higher_is_better = _column("higher_is_better")
    estimate = _column("estimate")
    lower = _column("lower")
    upper = _column("upper")
    confidence = _column("confidence")
    n_eff = _column("n_eff")
    n = _column("n")
    positives = _column("positives")
    unweighted = _column("unweighted")
    threshold = _column("threshold")
    guardrail = _column("guardrail")
    baseline = _column("baseline")
    status = _column("status")
    verdict = _column("verdict")
    finality = _column("finality")
    reason = _column("reason")
    status_from = _column("status_from")
    signals = _column("signals")

    @classmethod
    def of(cls, card: Scorecard) -> ScorecardTable:
        week = card.judged.week if card.judged else ""
        rows: list[dict[str, Any]] = []
        for line in card.lines:
            row: dict[str, Any] = dict(figures(line))
            row.update(week=week, signals="; ".join(row["signals"]), higher_is_better="yes" if line.higher_is_better else "no")
            rows.append(row)
        return cls(rows)


class RatesTable(tables.Table):
    """Every rate of a week: its design-weighted figure, the unweighted one, then one row per stratum."""

    week = _column("week")
    metric = _column("metric")
    label = _column("label")
    scope = _column("scope")  # weighted, unweighted or stratum
    stratum = _column("stratum")
    estimate = _column("estimate")
    lower = _column("lower")
    upper = _column("upper")
    n_eff = _column("n_eff")
    n = _column("n")
    positives = _column("positives")

    @classmethod
    def of(cls, report: RunReport, week: str) -> RatesTable:
        rows: list[dict[str, Any]] = []
        for key, rate in report.rates.items():
            base = {"week": week, "metric": key, "label": rate.label}
            if rate.weighted:
                e = rate.weighted
                rows.append(base | {"scope": "weighted", "estimate": e.value, "lower": e.lower, "upper": e.upper,
                                    "n_eff": e.n_eff, "n": e.n, "positives": e.positives})
            if rate.naive:
                p = rate.naive
                rows.append(base | {"scope": "unweighted", "estimate": p.value, "lower": p.lower, "upper": p.upper,
                                    "n": p.n, "positives": p.positives})
            for name, cell in rate.strata.items():
                rows.append(base | {"scope": "stratum", "stratum": name, "estimate": cell.value, "lower": cell.lower,
                                    "upper": cell.upper, "n": cell.n, "positives": cell.positives})
        return cls(rows)
