"""A lead maps an evaluator to a rubric rate, or removes the mapping (docs/judge.md, "Mapping").

A mapping changes what every run's judged figures mean, so each change stamps the project's cached
metrics as changed (RunMetrics.changed_at): pages recompute them when read, or a job does (the
same path as a label change, actions.py)."""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from reviewapp import jobs
from reviewapp.ingest.models import Evaluator
from reviewapp.projects.models import Project
from reviewapp.review.models import LabelSchema

from . import actions
from .catalogue import rates
from .models import JudgeMapping, RunMetrics


class MappingRefused(ValueError):
    """A mapping that cannot be stored, with the form field at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Mapped:
    """What map_judge did: the mapping stored and the evaluator it replaced on that rate, if any."""

    mapping: JudgeMapping
    replaced: Evaluator | None


def map_judge(*, project: Project, evaluator: Evaluator, rate: str, reading: str, labels: Sequence[str] = (),
              threshold: float | None = None, user=None) -> Mapped:
    """Read ``evaluator`` as the rubric's ``rate``. A rate has one judge at a time: mapping another
    evaluator to it replaces the one before (said in the result). Raises MappingRefused."""
    if evaluator.project_id != project.pk:
        raise MappingRefused("evaluator", "no such evaluator in this project")
    known = rates(LabelSchema.current(project).rubric)
    if rate not in known:
        raise MappingRefused("rate", f"{rate!r} is not a rate of the project's rubric (one of: {', '.join(known)})")
    if reading not in JudgeMapping.Reading.values:
        raise MappingRefused("reading", f"{reading!r} is not a reading (label, score or inverted)")
    cleaned = sorted({str(label).strip() for label in labels if str(label).strip()})
    if reading == JudgeMapping.Reading.LABEL:
        if not cleaned:
            raise MappingRefused("labels", "a label reading needs at least one label that means yes")
        if any(len(label) > 100 for label in cleaned):
            raise MappingRefused("labels", "a label is at most 100 characters")
        threshold = 0.5  # unused by a label reading
    else:
        cleaned = []
        if threshold is None or not isinstance(threshold, int | float) or math.isnan(threshold) \
                or not 0.0 <= threshold <= 1.0:
            raise MappingRefused("threshold", "a score reading needs a threshold between 0 and 1")
    with transaction.atomic():
        before = JudgeMapping.objects.filter(project=project, rate=rate).select_related("evaluator").first()
        replaced = before.evaluator if before is not None and before.evaluator_id != evaluator.pk else None
        mapping, _ = JudgeMapping.objects.update_or_create(project=project, rate=rate, defaults={
            "evaluator": evaluator, "reading": reading, "labels": cleaned, "threshold": float(threshold),
            "created_by": user, "created_at": timezone.now()})
        mark_stale(project)
    return Mapped(mapping, replaced)


def unmap_judge(*, project: Project, mapping_id: int) -> JudgeMapping:
    """Remove one mapping of the project; raises MappingRefused when there is no such mapping."""
    with transaction.atomic():
        mapping = JudgeMapping.objects.filter(project=project, pk=mapping_id).select_related("evaluator").first()
        if mapping is None:
            raise MappingRefused("mapping", "no such mapping in this project (removed already?)")
        mapping.delete()
        mark_stale(project)
    return mapping


def mark_stale(project: Project) -> None:
    """Every run of the project is computed again: its judged figures follow the mappings. With a
    worker, a recompute of each is queued after the commit; in-process, pages recompute on read."""
    RunMetrics.objects.filter(run__project=project).update(changed_at=timezone.now())
    if jobs.runs_in_background():
        run_ids = list(RunMetrics.objects.filter(run__project=project).values_list("run_id", flat=True))
        transaction.on_commit(lambda: [actions.request(run_id) for run_id in run_ids])
