"""The audits stage's answers to what earlier stages announce."""
from __future__ import annotations

from .models import SamplingPlan


def first_plan(sender, *, project, time_zone: str, by=None, **kwargs) -> None:
    """A started project gets a first sampling plan (the shipped defaults, one stratum per category
    seen: none yet, so everything is "other") in the lead's time zone, so its first week can be
    drawn without a visit to the plan page; the lead tunes it there."""
    if SamplingPlan.current(project) is None:
        plan = SamplingPlan.default_for(project)
        plan.time_zone = time_zone
        plan.save_as_new_version(user=by if getattr(by, "pk", None) else None)
