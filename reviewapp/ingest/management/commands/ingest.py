from __future__ import annotations

import gzip
import io
import os
import sys
from typing import cast

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from reviewapp.ingest.actions import IngestReport, ingest
from reviewapp.ingest.formats import FORMATS, BinaryStream, open_reader
from reviewapp.projects.models import Project


class _Counting(io.RawIOBase):
    """A binary stream that counts the bytes read through it, for an honest progress bar."""

    def __init__(self, inner):
        self.inner, self.count = inner, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self.inner.readinto(buffer)
        self.count += n or 0
        return n


class Command(BaseCommand):
    help = "Ingest production outputs from a file (JSONL, CSV or OpenAI chat logs; .gz too), streaming."

    def add_arguments(self, parser):
        parser.add_argument("path", help="File to read, or - for standard input")
        parser.add_argument("--project", required=True, help="Project slug")
        parser.add_argument("--format", choices=FORMATS, help="Default: from the file name (.csv → csv, else jsonl)")
        parser.add_argument("--atomic", action="store_true", help="All or nothing: store none if any record is rejected")
        parser.add_argument("--chunk-size", type=int, default=10_000, help="Records per transaction")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, path, project, format, atomic, chunk_size, no_progress, **options):
        target = Project.objects.filter(slug=project).first()
        if target is None:
            raise CommandError(f"no project {project!r}")
        fmt = format or ("csv" if path.removesuffix(".gz").endswith(".csv") else "jsonl")
        raw, size = self._open(path)
        counting = _Counting(raw)
        stream: BinaryStream = io.BufferedReader(counting, buffer_size=1 << 20)
        if path.endswith(".gz"):
            stream = gzip.GzipFile(fileobj=stream)
        bar = tqdm(total=size, unit="B", unit_scale=True, disable=no_progress, desc=f"ingest {os.path.basename(path)}")

        def on_chunk(report: IngestReport) -> None:
            bar.update(counting.count - bar.n)
            bar.set_postfix(created=report.created, present=report.already_present, rejected=report.rejected)

        with stream:
            records = open_reader(fmt, stream, max_record_bytes=settings.INGEST_MAX_RECORD_BYTES)
            report = ingest(project=target, records=records, atomic=atomic, chunk_size=chunk_size,
                            prefetch=True, on_chunk=on_chunk)
        bar.close()
        self._print(report)
        if report.format_error:
            raise CommandError(report.format_error)
        if report.rejected and atomic:
            raise CommandError(f"{report.rejected} record(s) rejected; nothing was stored (--atomic)")

    def _open(self, path: str) -> tuple[io.RawIOBase, int | None]:
        if path == "-":
            # The interpreter's stdin is a text wrapper over a BufferedReader of a FileIO (typed only as BinaryIO).
            return cast("io.BufferedReader[io.FileIO]", sys.stdin.buffer).raw, None
        try:
            return io.FileIO(path, "r"), os.path.getsize(path)
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from None

    def _print(self, report: IngestReport) -> None:
        """The report, each error at its position as the input numbers it (line, or index of a JSON array)."""
        for error in report.errors:
            ident = f" ({error.external_id})" if error.external_id else ""
            self.stderr.write(f"{report.position_name} {error.position}{ident}: {error.field}: {error.reason}")
        if report.errors_truncated:
            self.stderr.write("… more errors not shown")
        self.stdout.write(
            f"received {report.received}, created {report.created}, already present {report.already_present}, "
            f"rejected {report.rejected}" + ("" if report.stored else " (nothing stored)")
        )
