"""Stratum rules: which outputs belong to which stratum of a sampling plan.

A rule names a stratum and matches outputs on fields: every field listed must match one of its
values (AND across fields, OR within a field). The first matching rule wins; outputs no rule
matches fall into the catch-all stratum, so every output has exactly one stratum.

    {"name": "medical", "match": {"category": ["medical"]}, "weight": 5, "minimum": 30}
    {"name": "high-risk", "match": {"risk_tier": ["high"], "metadata.channel": ["phone"]}, "weight": 3}
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, CharField, Q, Value, When

CATCH_ALL = "other"
FIELDS = ("category", "risk_tier", "kind", "model", "model_version")
_METADATA_KEY = re.compile(r"^metadata\.([A-Za-z0-9_]{1,64})$")
_NAME = re.compile(r"^[\w .:+-]{1,64}$")


class StrataError(ValueError):
    """A stratum definition that cannot be used; the message names the stratum and field."""


@dataclass(frozen=True)
class StratumRule:
    name: str
    match: dict[str, tuple[str, ...]]
    weight: float = 1.0
    minimum: int = 0

    def q(self) -> Q:
        condition = Q()
        for field, values in self.match.items():
            key = _METADATA_KEY.match(field)
            lookup = f"metadata__{key[1]}__in" if key else f"{field}__in"
            condition &= Q(**{lookup: list(values)})
        return condition

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "match": {k: list(v) for k, v in self.match.items()},
                "weight": self.weight, "minimum": self.minimum}


def parse_rules(data: Any) -> list[StratumRule]:
    """Validate a JSON list of stratum rules; every error names the stratum (by position) and field."""
    if not isinstance(data, list):
        raise StrataError("strata must be a JSON list of objects")
    rules, names = [], set()
    for i, item in enumerate(data, start=1):
        where = f"stratum {i}"
        if not isinstance(item, dict):
            raise StrataError(f"{where}: must be an object with name and match")
        unknown = set(item) - {"name", "match", "weight", "minimum"}
        if unknown:
            raise StrataError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        name = item.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            raise StrataError(f"{where}: name must be 1-64 letters, digits, spaces or .:+-_")
        where = f"stratum {i} ({name})"
        if name == CATCH_ALL or name in names:
            raise StrataError(f"{where}: name is {'reserved for the catch-all stratum' if name == CATCH_ALL else 'used twice'}")
        names.add(name)
        match = item.get("match")
        if not isinstance(match, dict) or not match:
            raise StrataError(f"{where}: match must be a non-empty object of field: [values]")
        clean: dict[str, tuple[str, ...]] = {}
        for field, values in match.items():
            if field not in FIELDS and not _METADATA_KEY.match(field):
                raise StrataError(f"{where}: cannot match on {field!r}; use {', '.join(FIELDS)} or metadata.KEY")
            if isinstance(values, str):
                values = [values]
            if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
                raise StrataError(f"{where}: {field} must be a non-empty list of strings")
            clean[field] = tuple(values)
        weight = item.get("weight", 1.0)
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 0 < weight <= 1000:
            raise StrataError(f"{where}: weight must be a number in (0, 1000]")
        minimum = item.get("minimum", 0)
        if isinstance(minimum, bool) or not isinstance(minimum, int) or not 0 <= minimum <= 100_000:
            raise StrataError(f"{where}: minimum must be a whole number from 0 to 100000")
        rules.append(StratumRule(name, clean, float(weight), minimum))
    return rules


def stratum_expression(rules: list[StratumRule]) -> Case:
    """SQL CASE giving each output its stratum name (first matching rule, else the catch-all)."""
    whens = [When(rule.q(), then=Value(rule.name)) for rule in rules]
    return Case(*whens, default=Value(CATCH_ALL), output_field=CharField())

