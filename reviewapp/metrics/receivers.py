"""How metrics hears about review: connected in MetricsConfig.ready()."""
from __future__ import annotations

from typing import Any

from . import actions


def stamp_run(sender: Any, *, run_id: int, **kwargs: Any) -> None:
    """review.signals.label_changed: the run's cached metrics are stale once the change commits."""
    actions.label_changed(run_id)


def keep_judge_frames(sender: Any, *, project: Any, cutoff: Any, **kwargs: Any) -> None:
    """audits.signals.outputs_retiring: keep the judge's per-stratum means before the outputs go."""
    from .judging import freeze_frames

    freeze_frames(project, cutoff)
