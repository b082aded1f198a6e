"""What a benchmark needs of a running gunicorn beyond its answers: which worker answered, that
every worker is warm before the clock starts, and how much memory the server holds.

The server runs bench.wsgi: reviewapp.wsgi's application plus one response header naming the
worker's pid (start_gunicorn(app="bench.wsgi")). Without --preload each worker imports the app
itself after it forks, and Django loads its URLconf, views and database connection on a worker's first request:
a timer started when the port listens measures those boots, not ingest.
"""
from __future__ import annotations

import http.client
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

WORKER_HEADER = "X-Bench-Worker"  # set by bench.wsgi


def _pid_answering(port: int) -> int | None:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", "/healthz")
        response = conn.getresponse()
        response.read()
        conn.close()
    except OSError:
        return None
    pid = response.getheader(WORKER_HEADER)
    return int(pid) if response.status == 200 and pid else None


def wait_for_every_worker(port: int, workers: int, *, timeout: float = 120) -> set[int]:
    """Return once `workers` distinct worker pids have answered /healthz (which opens the worker's
    database connection and, as its first request, loads the URLconf and every view).

    Requests go in concurrent bursts: a sync worker serves one at a time, so while one answers the
    next connection goes to another; a worker still booting answers nothing and is not counted."""
    seen: set[int] = set()
    deadline = time.monotonic() + timeout
    with ThreadPoolExecutor(2 * workers) as pool:
        while len(seen) < workers:
            if time.monotonic() > deadline:
                sys.exit(f"only {len(seen)} of {workers} gunicorn workers answered within {timeout:.0f} s")
            seen |= {pid for pid in pool.map(_pid_answering, [port] * (4 * workers)) if pid}
            time.sleep(0.05)
    return seen


@dataclass(frozen=True)
class ServerMemory:
    processes: int  # the master and its workers
    rss: int  # bytes resident now, summed over the processes (shared pages counted in each)
    peak_sum: int  # their peaks (VmHWM) summed: an upper bound on the server's peak
    largest_worker_peak: int  # the largest one worker's peak (VmHWM)


def server_memory(master_pid: int) -> ServerMemory:
    """Resident memory of a gunicorn master and its workers, from /proc/<pid>/status."""
    workers = _children(master_pid)
    status = {pid: _status(pid) for pid in [master_pid, *workers]}
    status = {pid: s for pid, s in status.items() if s}  # a worker may have just exited
    return ServerMemory(
        processes=len(status),
        rss=sum(s.get("VmRSS", 0) for s in status.values()),
        peak_sum=sum(s.get("VmHWM", 0) for s in status.values()),
        largest_worker_peak=max((s.get("VmHWM", 0) for pid, s in status.items() if pid != master_pid), default=0),
    )


def _children(pid: int) -> list[int]:
    try:
        import psutil  # type: ignore[import-untyped]
    except ImportError:
        path = Path(f"/proc/{pid}/task/{pid}/children")
        return [int(child) for child in path.read_text().split()] if path.exists() else []
    try:
        return [child.pid for child in psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM in bytes ({} once the process is gone)."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return {}
    return {key: int(rest.split()[0]) * 1024 for key, _, rest in (line.partition(":") for line in lines)
            if key in ("VmRSS", "VmHWM")}
