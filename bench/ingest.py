"""Ingest benchmark: records/s and peak RSS through the CLI path and the HTTP API.

    python -m bench.ingest --n 1000000 [--http-n 200000] [--batch 2000] [--workers 3]

Generates N canonical records shaped like real traffic (input ~300 characters, output ~800,
one of 5 categories) into a JSONL file, then, against the configured database (DATABASE_URL):
1. `manage.py ingest` on it, in a child process: records/s and the child's peak RSS;
2. the same again: every record must come back "already present" (idempotency);
3. the database's own limit: a raw COPY of the same rows into the outputs table, rolled back;
4. the HTTP API under gunicorn: batches POSTed by concurrent clients, records/s.
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
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

from bench.common import drop_project, fresh_project, run_child, setup_django, start_gunicorn

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
    """Rows/s of a plain COPY of the same rows into the outputs table, rolled back afterwards."""
    from django.db import connection, transaction
    from django.utils import timezone as djtz

    from reviewapp.ingest.records import to_row, validate_record
    from reviewapp.ingest.writer import _TABLE, COLUMNS

    if connection.vendor != "postgresql":
        return float("nan")
    now = djtz.now()
    with tempfile.TemporaryFile() as prepared, path.open("rb") as source:
        # Prepare the COPY text once, outside the timing: this is the database's limit alone.
        if True:
            for line in source:
                record = validate_record(orjson.loads(line))
                row = to_row(record, project_id=project.pk, raw=None, sample_key=project.sample_key(record.external_id),
                             ingested_at=now)
                prepared.write(_copy_text(row))
        prepared.seek(0)
        columns = ", ".join(COLUMNS)
        with transaction.atomic(), connection.cursor() as cursor:
            started = time.perf_counter()
            with cursor.cursor.copy(f"COPY {_TABLE} ({columns}) FROM STDIN") as copy:
                while block := prepared.read(1 << 20):
                    copy.write(block)
            elapsed = time.perf_counter() - started
            count = cursor.rowcount
            transaction.set_rollback(True)
    return count / elapsed


def _copy_text(row: tuple) -> bytes:
    def field(value) -> str:
        if value is None:
            return r"\N"
        text = value.isoformat() if isinstance(value, datetime) else str(value)
        return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")

    return ("\t".join(field(v) for v in row) + "\n").encode()


def http_rate(path: Path, n: int, token: str, slug: str, *, batch: int, clients: int, workers: int, env: dict) -> tuple[float, int]:
    server, port = start_gunicorn(env, workers, timeout=120)
    try:
        bodies = _batches(path, n, batch)
        created = 0
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
                conn.request("POST", f"/api/v1/projects/{slug}/outputs", body=body,
                             headers={"Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"})
                response = conn.getresponse()
                payload = orjson.loads(response.read())
                with lock:
                    if response.status != 200:
                        failures.append(f"{response.status}: {payload}")
                    created += payload.get("created", 0)

        started = time.perf_counter()
        threads = [threading.Thread(target=client) for _ in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        if failures:
            sys.exit(f"HTTP ingest failed: {failures[0]}")
        return created / elapsed, created
    finally:
        server.terminate()
        server.wait(timeout=30)


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
        command = [sys.executable, "manage.py", "ingest", str(cli_path), "--project", "bench-cli", "--no-progress"]
        first, rss, out = run_child(command, env)
        stored = Output.objects.filter(project=project).count()
        again, rss_again, out_again = run_child(command, env)
        assert stored == args.n, f"stored {stored} of {args.n}"
        assert f"created 0, already present {args.n}" in out_again, out_again
        raw_project, _ = fresh_project("bench-raw")
        copy_rate = raw_copy_rate(cli_path, raw_project)

        rows = [("CLI ingest, new records", args.n / first, rss),
                ("CLI ingest, same records again (all already present)", args.n / again, rss_again)]
        if args.http_n:
            http_project, token = fresh_project("bench-http")
            rate, created = http_rate(path, args.http_n, token, "bench-http", batch=args.batch,
                                      clients=args.clients, workers=args.workers, env=env)
            assert created == args.http_n == Output.objects.filter(project=http_project).count()
            rows.append((f"HTTP API, {args.batch}/request, {args.clients} clients, {args.workers} gunicorn workers", rate, None))
        if not args.keep:
            for slug in ("bench-cli", "bench-raw", "bench-http"):
                drop_project(slug)

    print(f"\n{'path':<72} {'records/s':>11} {'peak RSS':>10}")
    for name, rate, peak in rows:
        print(f"{name:<72} {rate:>11,.0f} {(f'{peak / 2**20:,.0f} MB' if peak else ''):>10}")
    if copy_rate == copy_rate:  # not NaN: PostgreSQL
        print(f"{'raw COPY of the same rows into the outputs table (the database limit)':<72} {copy_rate:>11,.0f}")
        print(f"CLI path / raw COPY: {args.n / first / copy_rate:.0%}")
    print("idempotency: second run created 0, all already present: ok")


if __name__ == "__main__":
    main()
