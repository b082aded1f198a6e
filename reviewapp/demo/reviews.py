"""Simulated reviews of the demo's older weeks, so the scorecard and its trends have history.

The demo reviewers label the older weeks in full and part of the latest, as a team would by
mid-week. Every label goes through the real workflow (claim, submit, settle, adjudicate), so tallies, gold
labels and agreement behave as with people. Each item has a hidden true verdict from its
category's error rate (judge.true_verdict, per output, the one the demo's judge guesses at);
reviewers report it most of the time and slip to a neighbouring verdict otherwise, so
double-reviewed items sometimes disagree and the QA lead settles them. The latest week carries a
regression in medical answers (a new model version, say), for the scorecard to flag.
"""
from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone

from reviewapp.audits.models import AuditRun
from reviewapp.metrics.actions import refresh
from reviewapp.review import actions
from reviewapp.review.models import Claim, Label, LabelRevision

from .judge import true_verdict

VERDICTS = ("success", "partial", "failure")
ERRORS = ("factual_error", "ungrounded_claim", "policy_violation", "tone", "sensitive_data", "format",
          "unwarranted_refusal", "over_permissive")


def _answers(rng: random.Random, verdict: str, category: str, output: str) -> dict:
    risky = category in ("medical", "legal")
    harm = "none"
    if verdict == "failure":
        harm = "incident" if rng.random() < (0.08 if risky else 0.03) else "near_miss" if rng.random() < 0.35 else "none"
    errors = []
    if verdict != "success":
        errors = rng.sample(ERRORS[:3] if verdict == "failure" else ERRORS[3:], k=1 if verdict == "partial" else rng.choice((1, 2)))
    corrected = ""
    if verdict == "failure" and rng.random() < 0.7 or verdict == "partial" and rng.random() < 0.3:
        corrected = output.split(". ")[0].rstrip(".") + ". (Corrected by the reviewer: the rest was inaccurate.)"
    return {"verdict": verdict, "errors": sorted(errors), "harm": harm,
            "escalate": harm == "incident" or (verdict == "failure" and rng.random() < 0.2),
            "corrected_output": corrected, "notes": ""}


def _reviewed(rng: random.Random, truth: str) -> str:
    if rng.random() < 0.9:
        return truth
    i = VERDICTS.index(truth)
    return VERDICTS[i + 1] if i == 0 else VERDICTS[i - 1]


def simulate(project, runs: list[AuditRun], reviewers: list, lead, *, seed: int, latest_share: float, now=None) -> int:
    """Label every item of `runs` but the latest, and `latest_share` of the latest's reviews (the
    queue serves the oldest week first), as the demo's reviewers; return the labels made."""
    if not runs:
        return 0
    rng = random.Random(seed)
    ids = {run.pk for run in runs}
    latest = max(runs, key=lambda r: r.week_start)
    last = latest.pk
    truths: dict[int, str] = {}
    needed = sum(run.reviews_needed for run in runs if run.pk != last) + int(latest_share * latest.reviews_needed)
    made, idle = 0, 0
    def more() -> bool:  # the target, then no item of the latest run left half reviewed
        return made < needed or latest.items.filter(status="open", labels_count__gt=0).exists()

    while idle < len(reviewers) and more():
        reviewer = reviewers[made % len(reviewers)] if idle == 0 else reviewers[(made + idle) % len(reviewers)]
        claim = actions.claim_next(user=reviewer, project=project)
        if claim is None or claim.item.run_id not in ids:
            if claim is not None:  # an item of another run: not ours to label
                Claim.objects.filter(pk=claim.pk).delete()
            idle += 1
            continue
        idle = 0
        item = claim.item
        output = item.output
        if item.pk not in truths:
            truths[item.pk] = true_verdict(seed, output.external_id, output.category, regression=item.run_id == last)
        truth = truths[item.pk]
        seen = _reviewed(rng, truth)
        actions.submit_label(claim=claim, user=reviewer, data=_answers(random.Random(f"{seed}:{item.pk}:{seen}"),
                             seen, output.category, output.output), time_on_task_ms=int(rng.lognormvariate(10.6, 0.5)))
        made += 1
    for item in project.audit_items.filter(run_id__in=ids, status="disputed").select_related("output"):
        truth = truths[item.pk]
        actions.adjudicate(item=item, user=lead, data=_answers(random.Random(f"{seed}:{item.pk}:{truth}"), truth,
                                                              item.output.category, item.output.output))
    _spread_in_time(runs, now=now or timezone.now())
    for run in runs:
        refresh(run)
    return made


def _spread_in_time(runs: list[AuditRun], *, now) -> None:
    """Date the simulated labels as a team would have made them: in the days after their week closed,
    never after `now`. Made in one go at seeding, they would all say "today", and the item page would
    greet a demo reviewer with hundreds of labels today."""
    for run in runs:
        start = run.week_start + timedelta(days=7, hours=8)
        end = min(start + timedelta(days=3), now)
        start = min(start, end)
        labels = list(Label.objects.filter(item__run=run).order_by("pk"))
        step = (end - start) / max(len(labels), 1)
        for n, label in enumerate(labels):
            label.created_at = label.updated_at = start + step * n
        Label.objects.bulk_update(labels, ["created_at", "updated_at"], batch_size=500)
        first = list(LabelRevision.objects.filter(label__in=labels, number=1).select_related("label"))
        for revision in first:
            revision.created_at = revision.label.created_at
        LabelRevision.objects.bulk_update(first, ["created_at"], batch_size=500)
