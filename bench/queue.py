"""Review queue benchmark: claim-next and submit-label latency over HTTP under gunicorn, and the
queue's table pages, with a large open queue.

    python -m bench.queue --n 1000000 --cycles 2000

Loads N outputs into one week (the configured database; PostgreSQL is the case that matters) and
draws an audit of about 100,000 items. Then two phases against gunicorn:

1. Latency: one reviewer with a personal token claims and labels items through the review API
   (POST .../review/next, POST .../review/items/{id}/label), then the reviewer's queue page (their
   progress and their labels table) and a QA lead's pages of the run's item table are read, one
   request at a time. This is what one person waits for.
2. Throughput: C reviewers at once, with no think time, claim and label; this measures how many
   labels per second the server sustains, and the latency people see when it is saturated.

Prints p50/p95/p99 per endpoint and phase, the error count and labels stored against labels
acknowledged; the project bench-queue is removed afterwards unless --keep.
"""
from __future__ import annotations

import argparse
import http.client
import statistics
import threading
import time

import orjson

from bench.common import (
    drop_project,
    fresh_project,
    open_queue,
    percentile,
    reviewer_tokens,
    setup_django,
    start_gunicorn,
    timed_request,
)

GOOD = {"verdict": "success", "harm": "none"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1_000_000, help="outputs in the week")
    parser.add_argument("--margin", type=float, default=0.0029, help="plan margin; 0.0029 draws ~100,000 of 1M")
    parser.add_argument("--latency-cycles", type=int, default=500, help="claim + label cycles by one reviewer")
    parser.add_argument("--pages", type=int, default=300, help="reads of each table page in the latency phase")
    parser.add_argument("--cycles", type=int, default=2000, help="claim + label cycles in the throughput phase")
    parser.add_argument("--clients", type=int, default=8, help="concurrent reviewers in the throughput phase")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    env = setup_django()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connection

    project, _ = fresh_project("bench-queue")
    started = time.perf_counter()
    run = open_queue(project, args.n, margin=args.margin)
    print(f"loaded {args.n:,} outputs and drew {run.size:,} open queue items in {time.perf_counter() - started:.0f} s "
          f"(database: {connection.vendor})")
    tokens = reviewer_tokens(project, "bench-reviewer", args.clients)

    from django.contrib.auth import get_user_model

    from reviewapp.projects.models import Membership

    User = get_user_model()
    lead, _ = User.objects.get_or_create(username="bench-lead")
    Membership.objects.get_or_create(user=lead, project=project, defaults={"role": Membership.Role.QA_LEAD})
    def session_cookie(user) -> str:
        session = SessionStore()
        session.update({SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: settings.AUTHENTICATION_BACKENDS[-1],
                        HASH_SESSION_KEY: user.get_session_auth_hash()})
        session.create()
        return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"

    first_reviewer = User.objects.get(username="bench-reviewer-0")
    cookies = {"lead": session_cookie(lead), "reviewer": session_cookie(first_reviewer)}

    server, port = start_gunicorn(env, args.workers)
    latency: dict[str, list[float]] = {"claim next": [], "submit label": [], "reviewer's queue page": [],
                                       "run item table page": []}
    throughput: dict[str, list[float]] = {"claim next": [], "submit label": []}
    errors: list[str] = []
    acknowledged = [0]
    lock = threading.Lock()

    def reviewer(token: str, timings: dict, left: list[int]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        while True:
            with lock:
                if left[0] <= 0:
                    return
                left[0] -= 1
            status, body, claim_ms = timed_request(conn, "POST", "/api/v1/projects/bench-queue/review/next",
                                                   headers=headers)
            if status != 200:
                with lock:
                    errors.append(f"next: {status} {body[:200]!r}")
                continue
            item = orjson.loads(body)["id"]
            status, body, label_ms = timed_request(conn, "POST", f"/api/v1/projects/bench-queue/review/items/{item}/label",
                                                   body=orjson.dumps({"answers": GOOD}), headers=headers)
            with lock:
                timings["claim next"].append(claim_ms)
                if status != 201:
                    errors.append(f"label: {status} {body[:200]!r}")
                else:
                    acknowledged[0] += 1
                    timings["submit label"].append(label_ms)

    def pages(name: str, cookie: str, paths: list[str]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for path in paths:
            status, _, ms = timed_request(conn, "GET", path, headers={"Cookie": cookie})
            if status == 200:
                latency[name].append(ms)
            else:
                errors.append(f"{name}: {status}")

    try:
        pages("reviewer's queue page", cookies["reviewer"], ["/p/bench-queue/review/"] * 20)  # warm every worker
        latency["reviewer's queue page"].clear()
        reviewer(tokens[0], latency, [args.latency_cycles])
        pages("reviewer's queue page", cookies["reviewer"], ["/p/bench-queue/review/"] * args.pages)
        pages("run item table page", cookies["lead"],
              [f"/p/bench-queue/audits/2026-W47/?page={i % 200 + 1}" for i in range(args.pages)])
        threads = [threading.Thread(target=reviewer, args=(token, throughput, [args.cycles // args.clients]))
                   for token in tokens]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)

    from reviewapp.review.models import Label

    stored = Label.objects.filter(item__run=run).count()
    cycles = len(throughput["submit label"])
    print(f"\n{'phase':<11} {'endpoint':<22} {'requests':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for phase, timings in (("latency", latency), (f"{args.clients} at once", throughput)):
        for name, values in timings.items():
            print(f"{phase:<11} {name:<22} {len(values):>9,} "
                  f"{statistics.median(values) if values else float('nan'):>8.1f} "
                  f"{percentile(values, 95):>8.1f} {percentile(values, 99):>8.1f}")
    print(f"throughput: {args.clients} reviewers without think time, {cycles:,} labels in {elapsed:.1f} s "
          f"= {cycles / elapsed:,.0f} labels/s; gunicorn workers: {args.workers}")
    print(f"errors: {len(errors)}" + (f" (first: {errors[0]})" if errors else ""))
    print(f"labels stored: {stored:,}; labels acknowledged: {acknowledged[0]:,}")
    if not args.keep:
        drop_project("bench-queue")


if __name__ == "__main__":
    main()
