"""Ingest benchmark: records/s and peak RSS through the CLI path and the HTTP API.

    python -m bench.ingest --n 1000000 [--http-n 200000] [--batch 2000] [--workers 3]

Generates N canonical records shaped like real traffic (input ~300 characters, output ~800,
one of 5 categories) into a JSONL file, then, against the configured database (DATABASE_URL):
1. `manage.py ingest` on it, in a child process: records/s and the child's peak RSS. The rate is
   over the command's handle() (bench.handle_clock); the process's start-up (interpreter, Django,
   checks) is printed separately;
2. the same again: every record must come back "already present" (idempotency);
3. the database's own limit: a raw COPY of the same rows into the outputs table, rolled back;
4. the HTTP API under gunicorn, warm: once every worker has answered (bench.served) and served a
   warm-up batch of other records (not counted), batches POSTed by concurrent clients, records/s;
   then the server's memory: summed RSS of the master and its workers, and the largest worker's peak.
Projects named bench-* are created for the run and removed afterwards (unless --keep).
"""
from __future__ import annotations

import argparse
import http.client
import itertools
import random
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

from bench.common import drop_project, fresh_project, run_child, setup_django, start_gunicorn
from bench.handle_clock import handle_seconds
from bench.served import WORKER_HEADER, ServerMemory, server_memory, wait_for_every_worker

CATEGORIES = ("billing", "account", "medical", "legal", "general")
TIERS = {"billing": "medium", "account": "low", "medical": "high", "legal": "high", "general": "low"}
WORDS = ["refund", "order", "account", "invoice", "charge", "policy", "doctor", "dosage", "contract", "tenant", "delivery", "password", "subscription", "within", "days", "please", "thank", "you", "the", "a", "to", "of", "and", "is", "for", "your", "we", "can", "not", "will"]


def _text(rng: random.Random, length: int) -> str:
    out, n = [], 0
    while n < length:
        word = rng.choice(WORDS)
        out.append(word)
        n += len(word) + 1
    return " ".join(out)[:length]


def generate(path: Path, n: int, *, seed: int = 1) -> None:
    """Write n records; texts come from a pool so generation is not what the benchmark measures."""
    rng = random.Random(seed)
    inputs = [_text(rng, rng.randint(250, 350)) for _ in range(500)]
    outputs = [_text(rng, rng.randint(700, 900)) for _ in range(500)]
    start = datetime(2026, 11, 2, tzinfo=UTC)
    with path.open("wb") as f:
        for i in range(n):
            category = CATEGORIES[i % 5]
            f.write(orjson.dumps({
                "external_id": f"bench-{i:08d}",
                "occurred_at": (start + timedelta(seconds=i % 2_419_200)).isoformat(),
                "input": [{"role": "user", "content": inputs[i % 500]}],
                "output": outputs[(i * 7) % 500],
                "category": category,
                "risk_tier": TIERS[category],
                "model": "support-llm",
                "model_version": "2026-11-05",
                "metadata": {"channel": "chat", "latency_ms": 400 + i % 900},
            }) + b"\n")


def raw_copy_rate(path: Path, project) -> float:
    """Rows/s of the database's part of an ingest of the same rows, rolled back afterwards: the
    chunk's keys claimed in one statement and a plain COPY of the packed rows (writer._copy_insert
    without its Python), in chunks of 10,000 as the CLI writes them."""
    from django.db import connection, transaction
    from django.utils import timezone as djtz

    from reviewapp.ingest.records import to_row, validate_record
    from reviewapp.ingest.writer import _TABLE, COLUMNS, _packed, claim_keys, reserve_ids

    if connection.vendor != "postgresql":
        return float("nan")
    now = djtz.now()
    chunks: list[tuple[list[str], list[int], bytes]] = []
    with transaction.atomic(), connection.cursor() as cursor, path.open("rb") as source:
        # Prepare the COPY text once, outside the timing: this is the database's limit alone.
        rows = []
        for line in source:
            record = validate_record(orjson.loads(line))
            rows.append(_packed([to_row(record, project_id=project.pk, raw=None, ingested_at=now,
                                        sample_key=project.sample_key(record.external_id))])[0])
        for at in range(0, len(rows), 10_000):
            part = rows[at:at + 10_000]
            ids = reserve_ids(cursor, len(part))
            chunks.append(([r[1] for r in part], ids, b"".join(_copy_text((pk, *r)) for pk, r in zip(ids, part, strict=True))))
        columns = ", ".join(("id", *COLUMNS))
        count = 0
        started = time.perf_counter()
        for external_ids, ids, text in chunks:
            claim_keys(cursor, project.pk, external_ids, ids)
            with cursor.cursor.copy(f"COPY {_TABLE} ({columns}) FROM STDIN") as copy:
                copy.write(text)
            count += cursor.rowcount
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    return count / elapsed


def _copy_text(row: tuple) -> bytes:
    def field(value) -> str:
        if value is None:
            return r"\N"
        if isinstance(value, bytes):  # bytea, in COPY's text format: \x and hex, the backslash escaped
            return "\\\\x" + value.hex()
        text = value.isoformat() if isinstance(value, datetime) else str(value)
        return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")

    return ("\t".join(field(v) for v in row) + "\n").encode()


@dataclass(frozen=True)
class HttpResult:
    rate: float  # records/s over the measured batches only
    created: int  # by the measured batches
    warm_created: int  # by the warm-up batches (other external ids)
    workers_seen: int
    memory: ServerMemory


def http_rate(path: Path, n: int, token: str, slug: str, *, batch: int, clients: int, workers: int,
              env: dict) -> HttpResult:
    server, port = start_gunicorn(env, workers, timeout=120, app="bench.wsgi")
    try:
        seen = wait_for_every_worker(port, workers)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"}
        warm_created = _warm_up(port, path, slug, headers, workers)
        created, elapsed = _post_all(port, f"/api/v1/projects/{slug}/outputs", _batches(path, n, batch), headers, clients)
        memory = server_memory(server.pid)
        return HttpResult(created / elapsed, created, warm_created, len(seen), memory)
    finally:
        server.terminate()
        server.wait(timeout=30)


WARM_BATCH = 200  # records per warm-up request: enough to run every step of the ingest path once


def _warm_up(port: int, path: Path, slug: str, headers: dict, workers: int) -> int:
    """POST small batches of other records ("warm-…" ids) until every worker has served one (its
    first ingest: serializers, the COPY path, prepared statements); return how many they created."""
    answered: set[int] = set()
    created, round_ = 0, 0
    while len(answered) < workers:
        round_ += 1
        if round_ > 20:
            sys.exit(f"warm-up: only {len(answered)} of {workers} workers served an ingest batch")
        bodies = iter([_warm_body(path, (round_ * workers + k) * WARM_BATCH) for k in range(workers)])
        made, pids = _post_all(port, f"/api/v1/projects/{slug}/outputs", bodies, headers, workers, pids=True)
        created += made
        answered |= pids
    return created


def _warm_body(path: Path, start: int) -> bytes:
    with path.open("rb") as f:
        lines = list(itertools.islice(f, WARM_BATCH))
    return b"".join(line.replace(b'"bench-', f'"warm-{start:08d}-'.encode(), 1) for line in lines)


def _post_all(port: int, url: str, bodies, headers: dict, clients: int, *, pids: bool = False):
    """POST every body with `clients` concurrent connections: (records created, seconds), and with
    `pids` the set of worker pids that answered instead of the seconds."""
    created = 0
    answered: set[int] = set()
    lock = threading.Lock()
    failures: list[str] = []

    def client() -> None:
        nonlocal created
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        while True:
            with lock:
                body = next(bodies, None)
            if body is None or failures:
                return
            conn.request("POST", url, body=body, headers=headers)
            response = conn.getresponse()
            payload = orjson.loads(response.read())
            with lock:
                if response.status != 200:
                    failures.append(f"{response.status}: {payload}")
                created += payload.get("created", 0)
                answered.add(int(response.getheader(WORKER_HEADER, "0")))

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    if failures:
        sys.exit(f"HTTP ingest failed: {failures[0]}")
    return (created, answered - {0}) if pids else (created, elapsed)


def _batches(path: Path, n: int, batch: int):
    with path.open("rb") as f:
        lines: list[bytes] = []
        for i, line in enumerate(f):
            if i >= n:
                break
            lines.append(line)
            if len(lines) == batch:
                yield b"".join(lines)
                lines = []
        if lines:
            yield b"".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1_000_000, help="records for the CLI path")
    parser.add_argument("--http-n", type=int, default=200_000, help="records for the HTTP path (0 to skip)")
    parser.add_argument("--batch", type=int, default=2000, help="records per HTTP request")
    parser.add_argument("--clients", type=int, default=3, help="concurrent HTTP clients")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--keep", action="store_true", help="keep the bench-* projects afterwards")
    args = parser.parse_args()

    env = setup_django()
    from django.db import connection

    from reviewapp.ingest.models import Output

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "records.jsonl"
        t = time.perf_counter()
        generate(path, max(args.n, args.http_n))
        print(f"generated {max(args.n, args.http_n):,} records ({path.stat().st_size / 1e6:,.0f} MB) "
              f"in {time.perf_counter() - t:.1f} s; database: {connection.vendor}")
        cli_path = path
        if args.n < max(args.n, args.http_n):
            cli_path = Path(tmp) / "cli.jsonl"
            with path.open("rb") as src, cli_path.open("wb") as dst:
                dst.writelines(itertools.islice(src, args.n))

        project, _ = fresh_project("bench-cli")
        command = [sys.executable, "-m", "bench.handle_clock", "manage.py", "ingest", str(cli_path),
                   "--project", "bench-cli", "--no-progress"]
        total, rss, out = run_child(command, env)
        first = handle_seconds(out)
        stored = Output.objects.filter(project=project).count()
        total_again, rss_again, out_again = run_child(command, env)
        again = handle_seconds(out_again)
        assert stored == args.n, f"stored {stored} of {args.n}"
        assert f"created 0, already present {args.n}" in out_again, out_again
        raw_project, _ = fresh_project("bench-raw")
        copy_rate = raw_copy_rate(cli_path, raw_project)

        rows = [("CLI ingest, new records (start-up excluded)", args.n / first, rss),
                ("CLI ingest, same records again, all already present (start-up excluded)", args.n / again, rss_again)]
        served = None
        if args.http_n:
            http_project, token = fresh_project("bench-http")
            served = http_rate(path, args.http_n, token, "bench-http", batch=args.batch,
                               clients=args.clients, workers=args.workers, env=env)
            stored_http = Output.objects.filter(project=http_project).count()
            assert served.created == args.http_n == stored_http - served.warm_created, (served, stored_http)
            rows.append((f"HTTP API, warm, {args.batch}/request, {args.clients} clients, {args.workers} gunicorn workers",
                         served.rate, served.memory.largest_worker_peak))
        if not args.keep:
            for slug in ("bench-cli", "bench-raw", "bench-http"):
                drop_project(slug)

    print(f"\n{'path':<72} {'records/s':>11} {'peak RSS':>10}")
    for name, rate, peak in rows:
        print(f"{name:<72} {rate:>11,.0f} {(f'{peak / 2**20:,.0f} MB' if peak else ''):>10}")
    if copy_rate == copy_rate:  # not NaN: PostgreSQL
        print(f"{'raw COPY of the same rows into the outputs table (the database limit)':<72} {copy_rate:>11,.0f}")
        print(f"CLI path / raw COPY: {args.n / first / copy_rate:.0%}")
    print(f"CLI start-up and exit (interpreter, Django, checks; outside the command's handle()): {total - first:.1f} s, "
          f"left out of the CLI rates above; with it, new records ran at {args.n / total:,.0f} records/s "
          f"({total:.1f} s in all)")
    if served:
        memory = served.memory
        print(f"HTTP server memory after the run ({memory.processes} processes: master and workers): "
              f"RSS summed {memory.rss / 2**20:,.0f} MB, peaks summed {memory.peak_sum / 2**20:,.0f} MB, "
              f"largest worker peak {memory.largest_worker_peak / 2**20:,.0f} MB")
        print(f"HTTP warm-up: all {served.workers_seen} workers answered, then {served.warm_created:,} warm-up "
              f"records (other ids, not timed or counted) until each had served an ingest batch")
    print("idempotency: second run created 0, all already present: ok")


if __name__ == "__main__":
    main()
