"""The judge on the pages: `{% judged_rate judged %}` beside a rate's human-only figure (scorecard,
week metrics) and `{% judge_sizing plan fig %}` on the plan page.

The plan page (audits) comes before metrics in the stage order, so its view cannot import
judge_sizing; its template loads this library by name and the tag does the reading, as
`{% audit_progress run %}` does for the run page.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template

from sampling import judge

from ..judge_sizing import plan_sizings
from ..report import JudgedRate

register = template.Library()


@register.inclusion_tag("metrics/_judged.html")
def judged_rate(judged: JudgedRate | None | str) -> dict[str, Any]:
    """A rate's judge-assisted estimate, what the judge is worth this week, and where it was used."""
    if not judged:  # None, or "" where the template's variable is missing (a line with no figure)
        return {"judged": None}
    assert isinstance(judged, JudgedRate)
    gain = judged.gain
    worth = round(gain) if gain is not None and round(gain) > 0 else None
    return {"judged": judged, "estimate": judged.estimate if judged.used else None, "worth": worth,
            "used_in": [row.name for row in judged.strata if row.used],
            "fallback": sorted(judged.fallback.items())}


@register.filter
def judged_of(judged: Mapping[str, JudgedRate] | None, key: str) -> JudgedRate | None:
    """report.judged|judged_of:key, the rate's judge-assisted figures if a judge is mapped to it."""
    return judged.get(key) if judged else None


@register.inclusion_tag("metrics/_judge_sizing.html")
def judge_sizing(plan, fig) -> dict[str, Any]:
    """The plan's sample sized with each mapped judge (judge_sizing.plan_sizings); nothing without a mapping."""
    if plan is None or fig is None or getattr(plan, "project_id", None) is None:
        return {"sizings": []}
    return {"sizings": plan_sizings(plan.project, plan, fig), "min_items": judge.MIN_TUNING_REVIEWS,
            "min_minority": judge.MIN_TUNING_MINORITY, "plan_minority": judge.PLAN_MINORITY}
