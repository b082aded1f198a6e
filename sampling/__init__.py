"""Spotcheck's statistics: sample sizing, risk-weighted allocation, reproducible draws,
design-weighted estimation, agreement, monitoring and alerts.

Pure Python over numpy, scipy and statsmodels; it never imports Django, so the product's
statistics can be used, tested and audited on their own. Inputs are ids, counts, weights and
seeds; outputs are frozen dataclasses.

Names load on first use (PEP 562): every ingest process needs draw_key, few need scipy.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "KAPPA_WEIGHTS": "agreement",
    "MIN_AGREEMENT_ITEMS": "agreement",
    "MIN_MINORITY_RATINGS": "agreement",
    "MEASUREMENT_LEVELS": "agreement",
    "Agreement": "agreement",
    "cohens_kappa": "agreement",
    "cohens_kappa_interval": "agreement",
    "fleiss_kappa": "agreement",
    "fleiss_kappa_interval": "agreement",
    "krippendorff_alpha": "agreement",
    "krippendorff_alpha_interval": "agreement",
    "percent_agreement": "agreement",
    "percent_agreement_interval": "agreement",
    "METHODS": "allocation",
    "allocate": "allocation",
    "draw": "draws",
    "draw_key": "draws",
    "INTERVAL_METHODS": "estimation",
    "Estimate": "estimation",
    "StratumCount": "estimation",
    "JudgeAgreement": "judge",
    "JudgedStratum": "judge",
    "estimate_with_judge": "judge",
    "judge_agreement": "judge",
    "judge_variance_factor": "judge",
    "margin_with_judge": "judge",
    "size_for_margin_with_judge": "judge",
    "estimate_proportion": "estimation",
    "estimate_upper_bound": "estimation",
    "proportion_interval": "estimation",
    "upper_bound": "estimation",
    "SequentialRise": "alerts",
    "StratumRise": "alerts",
    "sequential_rise": "alerts",
    "SPRT": "monitoring",
    "Change": "monitoring",
    "CusumResult": "monitoring",
    "PChart": "monitoring",
    "binomial_cusum": "monitoring",
    "change_test": "monitoring",
    "p_chart": "monitoring",
    "margin_of_allocation": "sizing",
    "margin_of_sample": "sizing",
    "power_of_sample": "sizing",
    "sample_size_for_budget": "sizing",
    "sample_size_for_change": "sizing",
    "sample_size_for_margin": "sizing",
    "DesignSize": "design",
    "budget_chance": "design",
    "clean_week_bound": "design",
    "rise_power": "design",
    "size_for_budget": "design",
    "size_for_clean_week": "design",
    "size_for_margin": "design",
    "size_for_rise": "design",
    "spread_rates": "design",
    "VERDICTS": "verdicts",
    "budget_bound": "verdicts",
    "budget_verdict": "verdicts",
    "rise_bound": "verdicts",
    "rise_verdict": "verdicts",
    "verdict_chance": "verdicts",
    "Draw": "types",
    "Power": "types",
    "Stratum": "types",
}
__all__ = [
    "INTERVAL_METHODS", "KAPPA_WEIGHTS", "MEASUREMENT_LEVELS", "MIN_AGREEMENT_ITEMS", "MIN_MINORITY_RATINGS", "METHODS", "SPRT", "Agreement", "Change",
    "CusumResult", "Draw", "Estimate", "PChart", "Power", "Stratum", "StratumCount", "allocate", "binomial_cusum",
    "change_test", "cohens_kappa", "cohens_kappa_interval", "draw", "draw_key", "estimate_proportion",
    "estimate_upper_bound", "fleiss_kappa", "fleiss_kappa_interval", "krippendorff_alpha",
    "krippendorff_alpha_interval", "margin_of_allocation", "margin_of_sample", "p_chart", "percent_agreement",
    "percent_agreement_interval", "power_of_sample", "proportion_interval", "sample_size_for_budget",
    "sample_size_for_change", "sample_size_for_margin", "upper_bound",
    "DesignSize", "budget_chance", "clean_week_bound", "rise_power", "size_for_budget", "size_for_clean_week",
    "size_for_margin", "size_for_rise", "spread_rates",
    "SequentialRise", "StratumRise", "sequential_rise",
    "VERDICTS", "budget_bound", "budget_verdict", "rise_bound", "rise_verdict", "verdict_chance",
    "JudgeAgreement", "JudgedStratum", "estimate_with_judge", "judge_agreement", "judge_variance_factor",
    "margin_with_judge", "size_for_margin_with_judge",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'sampling' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # for type checkers and IDEs: the same names, imported eagerly
    from .agreement import (
        KAPPA_WEIGHTS,
        MEASUREMENT_LEVELS,
        MIN_AGREEMENT_ITEMS,
        MIN_MINORITY_RATINGS,
        Agreement,
        cohens_kappa,
        cohens_kappa_interval,
        fleiss_kappa,
        fleiss_kappa_interval,
        krippendorff_alpha,
        krippendorff_alpha_interval,
        percent_agreement,
        percent_agreement_interval,
    )
    from .alerts import SequentialRise, StratumRise, sequential_rise
    from .allocation import METHODS, allocate
    from .design import (
        DesignSize,
        budget_chance,
        clean_week_bound,
        rise_power,
        size_for_budget,
        size_for_clean_week,
        size_for_margin,
        size_for_rise,
        spread_rates,
    )
    from .draws import draw, draw_key
    from .estimation import (
        INTERVAL_METHODS,
        Estimate,
        StratumCount,
        estimate_proportion,
        estimate_upper_bound,
        proportion_interval,
        upper_bound,
    )
    from .judge import (
        JudgeAgreement,
        JudgedStratum,
        estimate_with_judge,
        judge_agreement,
        judge_variance_factor,
        margin_with_judge,
        size_for_margin_with_judge,
    )
    from .monitoring import SPRT, Change, CusumResult, PChart, binomial_cusum, change_test, p_chart
    from .sizing import (
        margin_of_allocation,
        margin_of_sample,
        power_of_sample,
        sample_size_for_budget,
        sample_size_for_change,
        sample_size_for_margin,
    )
    from .types import Draw, Power, Stratum
    from .verdicts import VERDICTS, budget_bound, budget_verdict, rise_bound, rise_verdict, verdict_chance
