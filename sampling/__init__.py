"""Spotcheck's statistics: sample sizing, risk-weighted allocation, reproducible draws,
design-weighted estimation, agreement and monitoring.

Pure Python over numpy, scipy and statsmodels; it never imports Django, so the product's
statistics can be used, tested and audited on their own. Inputs are ids, counts, weights and
seeds; outputs are frozen dataclasses.
"""
from __future__ import annotations

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

__all__ = [
    "METHODS",
    "Draw",
    "Power",
    "Stratum",
    "allocate",
    "draw",
    "draw_key",
    "margin_of_allocation",
    "margin_of_sample",
    "power_of_sample",
    "sample_size_for_budget",
    "sample_size_for_change",
    "sample_size_for_margin",
]
