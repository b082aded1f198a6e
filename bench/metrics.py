"""Metrics benchmark: how long a run's metrics take to compute from its labels.

    python -m bench.metrics --labels 10000

Loads outputs into one week (the configured database), draws an audit sized so that its items
need about the requested number of reviews in six risk strata (5 % of items double-reviewed,
by pairs of ten reviewers), and stores labels and gold labels for all of them directly (set-up, not the code
measured). Then times the metrics computation (reviewapp.metrics.compute.run_metrics: reading
the labels, every rate with its Korn-Graubard interval per stratum and overall, agreement per
question with a 1,000-resample bootstrap of Krippendorff's alpha, reviewers) and a full refresh
(computation plus storing the JSON). Prints min/median/max over --repeat runs and the peak RSS.
The project bench-metrics is removed afterwards unless --keep.
"""
from __future__ import annotations

import argparse
import random
import resource
import statistics
import time

from bench.common import drop_project, fresh_project, setup_django
from bench.draw import STRATA, records

VERDICTS = ("success", "success", "success", "success", "success", "success", "partial", "failure")


def answers(rng: random.Random) -> dict:
    verdict = rng.choice(VERDICTS)
    return {"verdict": verdict, "errors": ["factual_error"] if verdict == "failure" else [],
            "harm": "near_miss" if verdict == "failure" and rng.random() < 0.3 else "none",
            "escalate": verdict == "failure" and rng.random() < 0.2,
            "corrected_output": "fixed" if verdict != "success" and rng.random() < 0.5 else "", "notes": ""}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--labels", type=int, default=10_000, help="labels in the run (about)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    setup_django()
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from reviewapp.audits import actions as audit_actions
    from reviewapp.audits.models import SamplingPlan
    from reviewapp.audits.weeks import IsoWeek
    from reviewapp.ingest.actions import ingest
    from reviewapp.metrics.actions import refresh
    from reviewapp.metrics.compute import run_metrics
    from reviewapp.projects.models import Membership
    from reviewapp.review.models import GoldLabel, Label, LabelSchema

    project, _ = fresh_project("bench-metrics")
    ingest(project=project, records=records(args.labels * 5), chunk_size=10_000)
    # A precision goal the reviewer capacity cuts to the wanted number of reviews.
    SamplingPlan(project=project, strata=STRATA, goal="margin", margin=0.001, expected_rate=0.5, capacity=args.labels,
                 overlap_share=0.05, overlap_reviewers=2).save_as_new_version()
    run, _ = audit_actions.draw_audit(project=project, week=IsoWeek.parse("2026-W47"))
    User = get_user_model()
    reviewers = []
    for i in range(10):
        user, _ = User.objects.get_or_create(username=f"bench-metrics-{i}")
        Membership.objects.get_or_create(user=user, project=project, defaults={"role": Membership.Role.REVIEWER})
        reviewers.append(user)
    schema = LabelSchema.current(project)
    rng = random.Random(11)
    now = timezone.now()
    labels, golds = [], []
    for n, (pk, required) in enumerate(run.items.values_list("id", "required_reviews")):
        first = answers(rng)
        pair = rng.sample(reviewers, required)
        for k, reviewer in enumerate(pair):
            given = first if k == 0 or rng.random() < 0.85 else answers(rng)
            labels.append(Label(item_id=pk, reviewer=reviewer, schema=schema, answers=given, verdict=given["verdict"],
                                time_on_task_ms=rng.randint(10_000, 120_000), created_at=now, updated_at=now))
        golds.append(GoldLabel(item_id=pk, answers=first, verdict=first["verdict"],
                               method="single" if required == 1 else "agreed"))
    with transaction.atomic():
        Label.objects.bulk_create(labels, batch_size=2000)
        GoldLabel.objects.bulk_create(golds, batch_size=2000)
        run.items.update(status="labelled")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"run {run.week}: {run.size:,} items drawn from {run.population:,} outputs in "
          f"{len(run.allocation)} strata; {len(labels):,} labels, "
          f"{sum(1 for g in golds if g.method == 'agreed'):,} items double-reviewed; database: {connection.vendor}")

    timings: dict[str, list[float]] = {"compute (run_metrics)": [], "refresh (compute + store)": []}
    for _ in range(args.repeat):
        started = time.perf_counter()
        data = run_metrics(run)
        timings["compute (run_metrics)"].append(time.perf_counter() - started)
        started = time.perf_counter()
        refresh(run)
        timings["refresh (compute + store)"].append(time.perf_counter() - started)
    print(f"{'step':<28} {'min s':>7} {'median s':>9} {'max s':>7}")
    for name, values in timings.items():
        print(f"{name:<28} {min(values):>7.3f} {statistics.median(values):>9.3f} {max(values):>7.3f}")
    print(f"rates: {len(data['rates'])}; agreement questions: {len(data['agreement'])}; "
          f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    failure = data["rates"]["verdict:failure"]["weighted"]
    print(f"error rate {failure['value']:.4f} [{failure['lower']:.4f}, {failure['upper']:.4f}], "
          f"alpha(verdict) {data['agreement']['verdict']['alpha']['value']:.3f}")
    if not args.keep:
        drop_project("bench-metrics")


if __name__ == "__main__":
    main()
