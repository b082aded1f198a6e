from __future__ import annotations

from django import template

Number = float | int | str | None  # a template value: "" when the variable is missing

register = template.Library()


@register.filter
def pct(value: Number, digits: int = 2) -> str:
    """A rate as a percentage; small rates keep their precision (0.12 %, not 0 %)."""
    if value is None or value == "":
        return "–"
    return f"{float(value) * 100:.{int(digits)}f} %"


@register.filter
def num(value: Number, digits: int = 3) -> str:
    return "–" if value is None or value == "" else f"{float(value):.{int(digits)}f}"


@register.filter
def points(value: Number) -> str:
    """A change of rate in percentage points, signed."""
    return "–" if value is None else f"{float(value) * 100:+.2f} pts"
