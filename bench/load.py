"""Load test: reviewers labelling while production outputs stream in, against gunicorn (loopback only).

    python -m bench.load --reviewers 50 --rate 1000 --seconds 60

Sets up a project with an open audit, then for --seconds runs, at once:
- R reviewers, each a thread with a personal token, claiming and labelling through the review API
  with a think time (--think seconds, uniform around it), as people do;
- one ingest stream POSTing --rate records per second as NDJSON batches of --batch records.
Prints requests/s and p50/p95/p99 per endpoint and the error count, then checks that the labels
stored equal the labels acknowledged and the outputs stored equal the outputs acknowledged.
Exits non-zero on any error or loss. The project bench-load is removed afterwards unless --keep.
"""
from __future__ import annotations

import argparse
import http.client
import random
import statistics
import sys
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
from bench.draw import records

GOOD = {"verdict": "success", "harm": "none"}
BAD = {"verdict": "failure", "harm": "near_miss", "errors": ["factual_error"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reviewers", type=int, default=50)
    parser.add_argument("--rate", type=int, default=1000, help="ingested records per second")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--batch", type=int, default=100, help="records per ingest request")
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds a reviewer spends per item")
    parser.add_argument("--queue", type=int, default=20_000, help="outputs in the audited week")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    env = setup_django()
    from django.db import connection

    from reviewapp.ingest.models import Output
    from reviewapp.review.models import Label

    project, api_token = fresh_project("bench-load")
    run = open_queue(project, args.queue, margin=0.01, overlap_share=0.1)
    tokens = reviewer_tokens(project, "bench-load", args.reviewers)
    outputs_before = Output.objects.filter(project=project).count()
    print(f"{run.size:,} open items for {args.reviewers} reviewers; ingest {args.rate:,} records/s in batches of "
          f"{args.batch} for {args.seconds:.0f} s; gunicorn workers: {args.workers}; database: {connection.vendor}")

    server, port = start_gunicorn(env, args.workers, timeout=60)
    timings: dict[str, list[float]] = {"claim next": [], "submit label": [], "ingest batch": []}
    errors: list[str] = []
    acknowledged = {"labels": 0, "outputs": 0}
    lock = threading.Lock()
    deadline = [0.0]

    def reviewer(token: str, seed: int) -> None:
        rng = random.Random(seed)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        time.sleep(rng.uniform(0, args.think))  # people do not start in step
        while time.monotonic() < deadline[0]:
            status, data, ms = timed_request(conn, "POST", "/api/v1/projects/bench-load/review/next", headers=headers)
            with lock:
                timings["claim next"].append(ms)
                if status not in (200, 204):
                    errors.append(f"next: {status} {data[:120]!r}")
            if status != 200:
                time.sleep(args.think)
                continue
            item = orjson.loads(data)["id"]
            time.sleep(rng.uniform(0.5, 1.5) * args.think)
            body = orjson.dumps({"answers": BAD if rng.random() < 0.1 else GOOD})
            status, data, ms = timed_request(conn, "POST", f"/api/v1/projects/bench-load/review/items/{item}/label",
                                             body=body, headers=headers)
            with lock:
                timings["submit label"].append(ms)
                if status == 201:
                    acknowledged["labels"] += 1
                else:
                    errors.append(f"label: {status} {data[:120]!r}")

    def ingest_stream() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"Authorization": f"Bearer {api_token}", "Content-Type": "application/x-ndjson"}
        source = records(10_000_000, seed=99)
        sent = 0
        started = time.monotonic()
        while time.monotonic() < deadline[0]:
            batch = []
            for _ in range(args.batch):
                data = next(source).data
                batch.append({**data, "external_id": f"load-{sent}"})
                sent += 1
            body = b"\n".join(orjson.dumps(r) for r in batch)
            status, data, ms = timed_request(conn, "POST", "/api/v1/projects/bench-load/outputs", body=body, headers=headers)
            with lock:
                timings["ingest batch"].append(ms)
                if status == 200:
                    acknowledged["outputs"] += orjson.loads(data)["created"]
                else:
                    errors.append(f"ingest: {status} {data[:120]!r}")
            pause = started + sent / args.rate - time.monotonic()  # hold the rate, catch up when behind
            if pause > 0:
                time.sleep(pause)

    def warm() -> None:  # each worker imports the app on its first request: not what people wait for
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for _ in range(3):
            timed_request(conn, "GET", "/healthz")

    try:
        warmers = [threading.Thread(target=warm) for _ in range(4 * args.workers)]
        for t in warmers:
            t.start()
        for t in warmers:
            t.join()
        deadline[0] = time.monotonic() + args.seconds
        threads = [threading.Thread(target=reviewer, args=(token, i)) for i, token in enumerate(tokens)]
        threads.append(threading.Thread(target=ingest_stream))
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)

    stored_labels = Label.objects.filter(item__run=run).count()
    stored_outputs = Output.objects.filter(project=project).count() - outputs_before
    total = sum(len(v) for v in timings.values())
    print(f"\n{total:,} requests in {elapsed:.1f} s = {total / elapsed:,.0f} requests/s")
    print(f"{'endpoint':<14} {'requests':>9} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for name, values in timings.items():
        print(f"{name:<14} {len(values):>9,} {len(values) / elapsed:>7.1f} "
              f"{statistics.median(values) if values else float('nan'):>8.1f} {percentile(values, 95):>8.1f} "
              f"{percentile(values, 99):>8.1f}")
    print(f"ingested {acknowledged['outputs']:,} records = {acknowledged['outputs'] / elapsed:,.0f} records/s")
    print(f"errors: {len(errors)}" + (f" (first: {errors[0]})" if errors else ""))
    print(f"labels stored {stored_labels:,}, acknowledged {acknowledged['labels']:,}; "
          f"outputs stored {stored_outputs:,}, acknowledged {acknowledged['outputs']:,}")
    lost = stored_labels != acknowledged["labels"] or stored_outputs != acknowledged["outputs"]
    if not args.keep:
        drop_project("bench-load")
    if errors or lost:
        sys.exit("FAILED: " + ("errors" if errors else "") + (" and " if errors and lost else "") + ("loss" if lost else ""))


if __name__ == "__main__":
    main()
