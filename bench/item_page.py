"""Item page benchmark: the server time and the number of SQL queries of the review item page, the
page a reviewer waits for a hundred times an hour.

    python -m bench.item_page --n 5000 --repeat 200

Seeds the demo project (its four weeks of synthetic traffic, drawn audits and simulated reviews) in
the configured database unless it is there already, then renders the item page in-process (Django's
test client: the view, its queries and the template, without network or a web server) for three
readers: the QA lead on a labelled item, a reviewer on an item they hold, and a reviewer on an item
they labelled (the read-only view). Prints median and p95 milliseconds and the query count of each.
The demo project is removed afterwards unless --keep, or unless it was there before.
"""
from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime

from bench.common import analyze, percentile, setup_django


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=5000, help="demo outputs to seed (when the demo is not there yet)")
    parser.add_argument("--repeat", type=int, default=200, help="renders of each page")
    parser.add_argument("--keep", action="store_true", help="keep the demo project afterwards")
    args = parser.parse_args()
    setup_django()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from reviewapp.audits.models import AuditItem
    from reviewapp.demo.actions import DEMO_SLUG, seed_demo
    from reviewapp.projects.models import Project
    from reviewapp.review.models import Claim, Label

    existed = Project.objects.filter(slug=DEMO_SLUG).exists()
    if not existed:
        started = time.perf_counter()
        seed_demo(seed=7, n=args.n, now=datetime.now(UTC))
        print(f"seeded the demo project ({args.n:,} outputs) in {time.perf_counter() - started:.1f} s")
        analyze()  # fresh planner statistics, as autovacuum would gather after the load
    project = Project.objects.get(slug=DEMO_SLUG)
    users = get_user_model().objects
    lead, reviewer = users.get(username="qalead"), users.get(username="reviewer1")
    labelled = Label.objects.filter(item__project=project, reviewer=reviewer).order_by("pk").first()
    held = Claim.objects.filter(item__project=project, reviewer=reviewer).exclude(
        item__labels__reviewer=reviewer).order_by("pk").first()
    if held is None:  # the reviewer holds nothing yet: claim an open item of the latest week
        item = AuditItem.objects.filter(project=project, labels__isnull=True, claims__isnull=True).order_by("-pk").first()
        held = Claim.objects.create(item=item, reviewer=reviewer, expires_at=datetime(2999, 1, 1, tzinfo=UTC))
    cases = [("QA lead, a labelled item", lead, labelled.item_id),
             ("reviewer, an item they hold", reviewer, held.item_id),
             ("reviewer, their labelled item (read-only)", reviewer, labelled.item_id)]
    print(f"{'page':44} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
    for name, user, item_id in cases:
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        url = reverse("reviewapp:review-item", args=[project.slug, item_id])
        queries: list[str] = []  # counted by a wrapper: the test client's request_started resets queries_log

        def count(execute, sql, params, many, context, queries=queries):
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            first = client.get(url)
        if first.status_code != 200:
            raise SystemExit(f"{url} answered {first.status_code} for {user.username}")
        times = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - started) * 1000)
        print(f"{name:44} {statistics.median(times):10.1f} {percentile(times, 95):8.1f} {len(queries):8d}")
    if not existed and not args.keep:
        from bench.common import drop_project

        drop_project(DEMO_SLUG)


if __name__ == "__main__":
    main()
