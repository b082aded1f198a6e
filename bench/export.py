"""Export benchmark: a ground-truth snapshot of 100,000 labelled items, to JSONL and to Parquet.

    python -m bench.export --items 100000

Builds a project with one audited week of about N labelled items (the configured database;
PostgreSQL is the case that matters), then runs `manage.py export_evalset` as a child process for
each format and reports the build's rows/s (the command's own timing: reading the database and
writing every file, manifest included), the process's wall time with Python start-up, and its
peak RSS. `jsonl` writes the canonical rows; `hf` writes them and then the Hugging Face folder
(Parquet via pyarrow, a JSONL mirror, the dataset card) and its zip. The project bench-export is
removed afterwards unless --keep; --reuse exports the kept one again instead of building it (the
build takes minutes, the export seconds).
"""
from __future__ import annotations

import argparse
import re
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from bench.common import drop_project, labelled_run, run_child, setup_django


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=100_000, help="labelled items (about)")
    parser.add_argument("--formats", default="jsonl,hf")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse", action="store_true",
                        help="export the project a --keep run left instead of building it again (minutes at 100,000)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="exports per format, each printed, then their median (the machine's speed varies "
                             "by a quarter from minute to minute)")
    args = parser.parse_args()
    env = setup_django()
    from django.db import connection

    project, run = _project(args.items, args.reuse)
    print(f"{run.size:,} labelled items in {len(run.allocation)} strata, database: {connection.vendor}")
    print(f"{'format':<8} {'rows':>9} {'build s':>8} {'rows/s':>9} {'process s':>10} {'peak RSS':>9}")
    with tempfile.TemporaryDirectory() as scratch:
        for name in args.formats.split(","):
            rates = []
            for attempt in range(args.repeat):
                out = Path(scratch) / f"{attempt}-{name}" / (name if name == "hf" else f"{name}.out")
                out.parent.mkdir()
                wall, rss, stdout = run_child([sys.executable, "manage.py", "export_evalset", "--project",
                                               "bench-export", "--format", name, "--out", str(out), "--no-progress"],
                                              env)
                shutil.rmtree(out.parent)
                _clear_files()
                built = re.search(r"built in ([\d.]+) s", stdout)
                rows = int(re.search(r": (\d+) rows", stdout).group(1))
                seconds = float(built.group(1))
                rates.append(rows / seconds)
                print(f"{name:<8} {rows:>9,} {seconds:>8.2f} {rows / seconds:>9,.0f} {wall:>10.2f} "
                      f"{rss / 2**20:>7.0f} MB")
            if len(rates) > 1:
                print(f"{name:<8} median of {len(rates)}: {statistics.median(rates):,.0f} rows/s "
                      f"(from {min(rates):,.0f} to {max(rates):,.0f})")
    if not args.keep:
        drop_project("bench-export")


def _clear_files() -> None:
    """The built snapshots' folders (250 MB each at 100,000 rows): left on disk, each run's write-back
    would slow the next."""
    from reviewapp.exports.models import Snapshot

    for snapshot in Snapshot.objects.filter(project__slug="bench-export"):
        shutil.rmtree(snapshot.directory, ignore_errors=True)


def _project(items: int, reuse: bool):
    """The labelled project to export: the one a --keep run left when --reuse finds it, else built
    afresh. A reused project keeps the size it was built with, whatever --items says now."""
    from reviewapp.audits.models import AuditRun

    if reuse:
        run = AuditRun.objects.filter(project__slug="bench-export").select_related("project").first()
        if run is not None:
            return run.project, run
    return labelled_run("bench-export", round(items * 1.05))


if __name__ == "__main__":
    main()
