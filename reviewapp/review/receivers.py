"""What review does when earlier stages announce something: it may import them, they may not
import review, so review listens (connected in apps.ready)."""
from __future__ import annotations

from typing import Any

from .models import LabelSchema


def start_rubric(sender: type, instance: Any, created: bool, raw: bool = False, **kwargs: Any) -> None:
    """A new project gets its rubric's version 1 at once, so reading the rubric never writes. Not for
    fixtures being loaded (raw): they bring their own rows."""
    if created and not raw:
        LabelSchema.start(instance)


def verdict_options(sender: type, project: Any, **kwargs: Any) -> list[tuple[str, str]]:
    """The project's verdicts, as (value, label), for the run page's filter (audits asks)."""
    return LabelSchema.current(project).rubric.verdict_options
