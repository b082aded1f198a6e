"""`manage.py ingest_evaluations PATH --project SLUG`: judge scores from a file, as the API takes them.

It is the `ingest` command's sibling and borrows its file handling and its report; NDJSON is read
as a stream, a JSON file (an array, or a Langfuse ``{"data": [...]}`` page) is read whole.
"""
from __future__ import annotations

import gzip
import io

from django.conf import settings
from django.core.management.base import CommandError

from reviewapp.ingest.evaluation_formats import EVALUATION_FORMATS, convert, read_json_body
from reviewapp.ingest.evaluations import ingest_evaluations
from reviewapp.ingest.formats import BinaryStream, read_jsonl
from reviewapp.projects.models import Project

from .ingest import Command as IngestCommand


class Command(IngestCommand):
    help = ("Ingest automatic evaluators' scores (judge scores) of outputs already ingested, from NDJSON or JSON "
            "in our format, Langfuse scores or LangSmith feedback (.gz too).")

    def add_arguments(self, parser):
        parser.add_argument("path", help="File to read, or - for standard input")
        parser.add_argument("--project", required=True, help="Project slug")
        parser.add_argument("--format", choices=EVALUATION_FORMATS, default="jsonl",
                            help="Default jsonl. langfuse and langsmith read a .json file whole, NDJSON otherwise")
        parser.add_argument("--atomic", action="store_true", help="All or nothing: store none if any is rejected")
        parser.add_argument("--chunk-size", type=int, default=10_000, help="Evaluations per transaction")

    def handle(self, path, project, format, atomic, chunk_size, **options):  # type: ignore[override]  # no --no-progress: no bar
        target = Project.objects.filter(slug=project).first()
        if target is None:
            raise CommandError(f"no project {project!r}")
        whole_json = format == "json" or (format != "jsonl" and path.removesuffix(".gz").endswith(".json"))
        raw, _ = self._open(path)
        stream: BinaryStream = io.BufferedReader(raw, buffer_size=1 << 20)
        if path.endswith(".gz"):
            stream = gzip.GzipFile(fileobj=stream)
        limit = settings.INGEST_MAX_RECORD_BYTES
        with stream:
            if whole_json:
                records, position_name = read_json_body(stream.read(), max_record_bytes=limit), "index"
            else:
                records, position_name = read_jsonl(stream, max_record_bytes=limit), "line"
            report = ingest_evaluations(project=target, records=convert(format, records), atomic=atomic,
                                        chunk_size=chunk_size, position_name=position_name)
        self._print(report)
        if report.format_error:
            raise CommandError(report.format_error)
        if report.rejected and atomic:
            raise CommandError(f"{report.rejected} evaluation(s) rejected; nothing was stored (--atomic)")
