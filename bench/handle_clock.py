"""Run a Django management command and print how long its handle() took, apart from start-up.

    python -m bench.handle_clock manage.py ingest FILE --project P

Start-up (the interpreter, Django's set-up, the system checks) costs a CLI run about two seconds
whatever the input; a rate over the whole run then mostly measures that at small N. This wraps the
command's handle() (BaseCommand.execute is patched before the command is loaded) and prints one
line to stdout at its end: `bench-handle-seconds S`. The product's commands are not changed.
"""
from __future__ import annotations

import runpy
import sys
import time
from pathlib import Path

MARK = "bench-handle-seconds"


def main() -> None:
    from django.core.management.base import BaseCommand

    execute = BaseCommand.execute

    def timed_execute(self, *args, **options):
        handle = self.handle

        def timed_handle(*a, **k):
            started = time.perf_counter()
            try:
                return handle(*a, **k)
            finally:
                print(f"{MARK} {time.perf_counter() - started:.6f}", flush=True)

        self.handle = timed_handle
        return execute(self, *args, **options)

    BaseCommand.execute = timed_execute  # type: ignore[method-assign]
    sys.argv = sys.argv[1:]
    sys.path.insert(0, str(Path(sys.argv[0]).resolve().parent))
    runpy.run_path(sys.argv[0], run_name="__main__")


def handle_seconds(stdout: str) -> float:
    """The handle() time a run printed (its last one)."""
    marks = [float(line.split()[1]) for line in stdout.splitlines() if line.startswith(MARK)]
    if not marks:
        sys.exit(f"the command printed no {MARK} line (run it through python -m bench.handle_clock)")
    return marks[-1]


if __name__ == "__main__":
    main()
