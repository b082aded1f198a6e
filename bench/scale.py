"""Scale benchmark: a project of N outputs over W weeks, and what a person waits for at that size.

    python -m bench.scale --n 10000000 --weeks 10      # the issue's size (PostgreSQL: ~6 min to load)
    python -m bench.scale --short                       # CI: 200,000 outputs over 4 weeks

Loads the project bench-scale through the ingest path (chunks of 10,000, the parser a chunk ahead),
week after week, with outputs of the bench's shape (input about 300 characters, output about 800,
words drawn from a 600-word vocabulary so the text compresses like prose, not like one repeated
word). Prints:

- the ingest rate of the first and of the last week (does it slow down as the table grows?);
- storage per million outputs: the outputs table with its indexes and TOAST, and the hourly rollup,
  divided by the outputs stored (PostgreSQL: pg_total_relation_size; SQLite: the file's pages);
- the last week's draw (wall time, in-process);
- every page a QA lead opens, rendered in-process by Django's test client with DEBUG off: the
  median of 5 renders after one warm-up, and its query count (tests/test_page_queries.py pins that
  the count does not grow with the outputs; this shows the time does not either).

The project is removed afterwards unless --keep (a second run with --reuse skips the load).
"""
from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import UTC, datetime, timedelta

from bench.common import analyze, drop_project, fresh_project, setup_django

SLUG = "bench-scale"
FIRST_MONDAY = datetime(2026, 9, 14, tzinfo=UTC)  # 2026-W38; ten weeks end with 2026-W47
MIX = (("billing", "medium", 30), ("account", "low", 25), ("general", "low", 20), ("shipping", "low", 13),
       ("medical", "high", 7), ("legal", "high", 5))
STRATA = [{"name": c, "match": {"category": [c]}, "weight": {"high": 5, "medium": 2}.get(t, 1), "minimum": 20}
          for c, t, _ in MIX]
PAGES = ("project-detail", "plan-edit", "run-list", "run-detail", "run-metrics", "scorecard", "review-queue",
         "labels", "adjudication", "exports", "judges")


def _vocabulary(rng: random.Random) -> list[str]:
    letters = "etaoinshrdlcumwfgypbvkjxqz"
    return ["".join(rng.choice(letters[:12 if k % 3 else 26]) for _ in range(rng.randint(2, 9))) for k in range(600)]


def _text(rng: random.Random, words: list[str], size: int) -> str:
    parts, length = [], 0
    while length < size:
        word = rng.choice(words)
        parts.append(word)
        length += len(word) + 1
    return " ".join(parts)


def week_records(week: int, per_week: int, seed: int = 11):
    """One week's outputs: ids unique across weeks, times spread over the week."""
    from reviewapp.ingest.formats import SourceRecord

    rng = random.Random(seed * 1_000 + week)
    words = _vocabulary(random.Random(seed))
    categories = [(c, t) for c, t, share in MIX for _ in range(share)]
    monday = FIRST_MONDAY + timedelta(weeks=week)
    for i in range(per_week):
        category, tier = categories[rng.randrange(len(categories))]
        yield SourceRecord(i, data={
            "external_id": f"scale-{week:02d}-{i:08d}", "occurred_at": (monday + timedelta(
                seconds=rng.randrange(7 * 24 * 3600))).isoformat(),
            "input": _text(rng, words, 300), "output": _text(rng, words, 800), "category": category,
            "risk_tier": tier, "model": "assistant", "model_version": f"2026-{week % 3 + 1:02d}",
            "metadata": {"channel": rng.choice(("chat", "email", "phone")), "locale": "en"},
        })


def storage_bytes() -> dict[str, int]:
    """Bytes on disk: PostgreSQL sums the outputs' partitions (tables, indexes, TOAST) and counts the
    key table (idempotency across partitions) apart; SQLite measures the database file."""
    from django.db import connection

    from reviewapp.ingest import partitions
    from reviewapp.ingest.models import OutputVolume, TextDictionary

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            found = {}
            cursor.execute("SELECT coalesce(sum(pg_total_relation_size(relid)), 0) FROM pg_partition_tree(%s)",
                           [partitions.TABLE])
            found["outputs"] = int(cursor.fetchone()[0])
            for name, table in (("output keys", partitions.KEYS), ("rollup", OutputVolume._meta.db_table),
                                ("dictionaries", TextDictionary._meta.db_table)):
                cursor.execute("SELECT pg_total_relation_size(%s)", [table])
                found[name] = int(cursor.fetchone()[0])
            found["all of these"] = sum(found.values())
            return found
        cursor.execute("PRAGMA page_count")
        pages = cursor.fetchone()[0]
        cursor.execute("PRAGMA page_size")
        return {"database file": int(pages * cursor.fetchone()[0])}


def make_partitions(weeks: int) -> None:
    """The bench's weeks lie in the past: give them the partitions the scheduler makes ahead."""
    from reviewapp.ingest import partitions

    if partitions.is_partitioned():
        for week in range(weeks):
            partitions.create_partition(FIRST_MONDAY + timedelta(weeks=week))


def load(project, weeks: int, per_week: int) -> list[float]:
    from reviewapp.ingest.actions import ingest

    rates = []
    for week in range(weeks):
        started = time.perf_counter()
        report = ingest(project=project, records=week_records(week, per_week), chunk_size=10_000, prefetch=True)
        elapsed = time.perf_counter() - started
        rates.append(report.created / elapsed)
        print(f"  week {week + 1:2d}: {report.created:,} outputs in {elapsed:6.1f} s  ({rates[-1]:,.0f} records/s)",
              flush=True)
    return rates


def pages(project, run) -> list[tuple[str, float, int]]:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from reviewapp.projects.models import Membership

    user, _ = get_user_model().objects.get_or_create(username="bench-scale-lead")
    Membership.objects.get_or_create(project=project, user=user, defaults={"role": Membership.Role.QA_LEAD})
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    from reviewapp.ingest.listing import cursor_of
    from reviewapp.ingest.models import Output

    urls = []
    for name in PAGES:
        args = [project.slug] + ([run.iso_year, run.iso_week] if name in ("run-detail", "run-metrics") else [])
        urls.append(reverse(f"reviewapp:{name}", args=args))
    # The outputs list's tenth page (by keyset), an item as its reviewer's lead sees it.
    tenth = Output.objects.filter(project=project).order_by("-occurred_at", "-pk")[499]
    urls.insert(1, reverse("reviewapp:project-detail", args=[project.slug]) + f"?older={cursor_of(tenth)}")
    urls.append(reverse("reviewapp:review-item", args=[project.slug, run.items.order_by("pk").first().pk]))
    found = []
    for url in urls:
        client.get(url)  # warm: caches, the metrics' first computation
        times, queries = [], 0
        for _ in range(5):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(url)
                times.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}")
            queries = len(captured)
        found.append((url, statistics.median(times) * 1000, queries))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10_000_000, help="outputs in all")
    parser.add_argument("--weeks", type=int, default=10)
    parser.add_argument("--short", action="store_true", help="CI: 200,000 outputs over 4 weeks")
    parser.add_argument("--keep", action="store_true", help="keep the project afterwards")
    parser.add_argument("--reuse", action="store_true", help="use the kept project: skip the load")
    args = parser.parse_args()
    if args.short:
        args.n, args.weeks = 200_000, 4
    setup_django()
    from django.db import connection

    from reviewapp.audits.actions import draw_audit
    from reviewapp.audits.models import SamplingPlan
    from reviewapp.ingest.models import Output
    from reviewapp.lib.weeks import IsoWeek
    from reviewapp.projects.models import Project

    per_week = args.n // args.weeks
    if args.reuse and Project.objects.filter(slug=SLUG).exists():
        project = Project.objects.get(slug=SLUG)
        rates: list[float] = []
    else:
        project, _ = fresh_project(SLUG)
        print(f"loading {per_week * args.weeks:,} outputs over {args.weeks} weeks into {connection.vendor} …")
        make_partitions(args.weeks)
        rates = load(project, args.weeks, per_week)
        analyze()
    stored = Output.objects.filter(project=project).count() if connection.vendor != "postgresql" else None
    total = stored if stored is not None else per_week * args.weeks
    SamplingPlan(project=project, strata=STRATA, goal="margin", margin=0.022, expected_rate=0.5,
                 allocation_method="risk").save_as_new_version()
    last = IsoWeek.containing(FIRST_MONDAY + timedelta(weeks=args.weeks - 1, days=2))
    started = time.perf_counter()
    run, _ = draw_audit(project=project, week=last, early=True)
    draw_seconds = time.perf_counter() - started
    sizes = storage_bytes()

    print(f"\nbench.scale: {total:,} outputs over {args.weeks} weeks ({connection.vendor})")
    if rates:
        print(f"  ingest rate, first week   {rates[0]:>10,.0f} records/s")
        print(f"  ingest rate, last week    {rates[-1]:>10,.0f} records/s")
    for name, size in sizes.items():
        print(f"  storage, {name:<16} {size / 2**20 / (total / 1e6):>10,.0f} MB per million outputs "
              f"({size / 2**20:,.0f} MB)")
    print(f"  draw of {last}            {draw_seconds:>10.2f} s  ({run.size:,} of {run.population:,} outputs)")
    print("  pages (median of 5 renders after a warm-up, in-process, DEBUG off):")
    for url, ms, queries in pages(project, run):
        print(f"    {url:<44} {ms:8.1f} ms  {queries:3d} queries")
    if not args.keep:
        drop_project(SLUG)


if __name__ == "__main__":
    main()
