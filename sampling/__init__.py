"""Spotcheck's statistics: sample sizing, risk-weighted allocation, reproducible draws,
design-weighted estimation, agreement and monitoring.

Pure Python over numpy, scipy and statsmodels; it never imports Django, so the product's
statistics can be used, tested and audited on their own. Inputs are ids, counts, weights and
seeds; outputs are frozen dataclasses.
"""
from __future__ import annotations

__all__: list[str] = []
