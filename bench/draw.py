"""Draw benchmark: wall time and peak RSS of one weekly draw over a large week.

    python -m bench.draw --n 1000000

Loads a week (2026-W47) of N outputs in 6 task categories into the configured database
(DATABASE_URL; PostgreSQL is the case that matters) through the ingest path, saves a plan with
6 strata sized for about 2,000 items, then runs `manage.py draw_audit` in a child process and
prints the draw's own wall time (as the command reports it), the child's peak RSS, and the
stratum sizes. The project bench-draw is removed afterwards unless --keep.
"""
from __future__ import annotations

import argparse
import random
import re
import sys
import time
from datetime import UTC, datetime, timedelta

from bench.common import drop_project, fresh_project, run_child, setup_django

WEEK = "2026-W47"
MONDAY = datetime(2026, 11, 16, tzinfo=UTC)
MIX = (("billing", "medium", 30), ("account", "low", 25), ("general", "low", 20), ("shipping", "low", 13),
       ("medical", "high", 7), ("legal", "high", 5))
STRATA = [{"name": c, "match": {"category": [c]}, "weight": {"high": 5, "medium": 2}.get(t, 1), "minimum": 20}
          for c, t, _ in MIX]


def records(n: int, seed: int = 7):
    from reviewapp.ingest.formats import SourceRecord

    rng = random.Random(seed)
    categories = [(c, t) for c, t, share in MIX for _ in range(share)]
    week_seconds = 7 * 24 * 3600
    for i in range(n):
        category, tier = categories[i % len(categories)]
        at = MONDAY + timedelta(seconds=rng.randrange(week_seconds))
        yield SourceRecord(i, data={
            "external_id": f"draw-{i:08d}", "occurred_at": at.isoformat(), "input": "question " * 30,
            "output": "answer " * 100, "category": category, "risk_tier": tier,
        })


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1_000_000, help="outputs in the week")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    env = setup_django()
    from django.db import connection

    from reviewapp.audits.models import AuditRun, SamplingPlan
    from reviewapp.ingest.actions import ingest

    project, _ = fresh_project("bench-draw")
    started = time.perf_counter()
    report = ingest(project=project, records=records(args.n), chunk_size=10_000, prefetch=True)
    print(f"loaded {report.created:,} outputs into {WEEK} in {time.perf_counter() - started:.1f} s "
          f"(database: {connection.vendor})")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE ingest_output")
    SamplingPlan(project=project, strata=STRATA, goal="margin", margin=0.022, expected_rate=0.5,
                 allocation_method="risk").save_as_new_version()

    command = [sys.executable, "manage.py", "draw_audit", "--project", "bench-draw", "--week", WEEK]
    wall, rss, out = run_child(command, env)
    reported = float(re.search(r"in ([\d.]+) s", out)[1])
    run = AuditRun.objects.get(project=project)
    print(out.rstrip())
    print(f"\ndraw of {run.size:,} from {run.population:,} outputs in {len(run.allocation)} strata (incl. the catch-all):")
    print(f"  draw wall time          {reported:8.2f} s   (the command's own timing)")
    print(f"  process wall time       {wall:8.2f} s   (with Python and Django start-up)")
    print(f"  process peak RSS        {rss / 2**20:8.0f} MB")
    if not args.keep:
        drop_project("bench-draw")


if __name__ == "__main__":
    main()
