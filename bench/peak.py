"""Run a Python program and report its own peak resident memory on stderr.

    python -m bench.peak manage.py export_evalset ...    |    python -m bench.peak -m bench.something ...

A child's ru_maxrss from wait4 starts at its parent's size (the high-water mark survives fork and
exec), so a benchmark that loads data and then measures a child would report its own memory. The
child's VmHWM (Linux) belongs to the program alone.
"""
from __future__ import annotations

import atexit
import runpy
import sys
from pathlib import Path

MARK = "bench-peak-rss-kb"


def _report() -> None:
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                print(f"{MARK} {line.split()[1]}", file=sys.stderr, flush=True)


def main() -> None:
    atexit.register(_report)
    args = sys.argv[1:]
    if args[0] == "-m":
        sys.argv = args[1:]
        runpy.run_module(args[1], run_name="__main__", alter_sys=True)
    else:
        sys.argv = args
        sys.path.insert(0, str(Path(args[0]).resolve().parent))
        runpy.run_path(args[0], run_name="__main__")


if __name__ == "__main__":
    main()
