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
import resource
import statistics
import time

from bench.common import drop_project, labelled_run, setup_django


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--labels", type=int, default=10_000, help="labels in the run (about)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    setup_django()
    from django.db import connection

    from reviewapp.metrics.actions import refresh
    from reviewapp.metrics.compute import run_metrics

    project, run = labelled_run("bench-metrics", args.labels)
    labels = list(run.items.values_list("labels_count", flat=True))
    print(f"run {run.week}: {run.size:,} items drawn from {run.population:,} outputs in "
          f"{len(run.allocation)} strata; {sum(labels):,} labels, "
          f"{sum(1 for n in labels if n > 1):,} items double-reviewed; database: {connection.vendor}")

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
