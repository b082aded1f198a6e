"""Spotcheck's statistics: sample sizing, risk-weighted allocation, reproducible draws,
design-weighted estimation, agreement and monitoring.

Pure Python over numpy, scipy and statsmodels; it never imports Django, so the product's
statistics can be used, tested and audited on their own. Inputs are ids, counts, weights and
seeds; outputs are frozen dataclasses.

Names load on first use (PEP 562): every ingest process needs draw_key, few need scipy.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "METHODS": "allocation",
    "allocate": "allocation",
    "draw": "draws",
    "draw_key": "draws",
    "margin_of_allocation": "sizing",
    "margin_of_sample": "sizing",
    "power_of_sample": "sizing",
    "sample_size_for_budget": "sizing",
    "sample_size_for_change": "sizing",
    "sample_size_for_margin": "sizing",
    "Draw": "types",
    "Power": "types",
    "Stratum": "types",
}
__all__ = [
    "METHODS", "Draw", "Power", "Stratum", "allocate", "draw", "draw_key", "margin_of_allocation",
    "margin_of_sample", "power_of_sample", "sample_size_for_budget", "sample_size_for_change",
    "sample_size_for_margin",
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
    from .allocation import METHODS, allocate
    from .draws import draw, draw_key
    from .sizing import (
        margin_of_allocation,
        margin_of_sample,
        power_of_sample,
        sample_size_for_budget,
        sample_size_for_change,
        sample_size_for_margin,
    )
    from .types import Draw, Power, Stratum
