"""Cutting a ground-truth snapshot: choose the rows, write every format, seal it with a manifest.

A build writes into `<dir>.partial` and renames it into place only when every file and the
manifest are written, then marks the snapshot done: a build killed half way leaves no snapshot
behind, only a partial directory the next attempt clears. Rows are read as of the snapshot's
moment (selection.py), so the retried build writes the same bytes.
"""
from __future__ import annotations

import hashlib
import logging
import os
import shutil
import time
import uuid
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
from django.db import transaction
from django.utils import timezone

from reviewapp import jobs
from reviewapp.lib.dbrouter import lagging_reads
from reviewapp.review.models import LabelSchema

from . import sql_rows
from .formats import FORMATS, Context, dumps
from .models import Snapshot
from .rows import SCHEMA_VERSION, ExportRow
from .selection import EmptySelection, Filters, SelectionError, any_row, design, rows
from .spool import Spool

logger = logging.getLogger("reviewapp.exports")
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed, so archives of the same files are byte-identical


EMPTY = ("filters: they select no item with a final label, so there is nothing to export; "
         "widen the weeks, strata, verdicts or agreement")


def check_formats(formats: list[str]) -> list[str]:
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise SelectionError(f"format {unknown[0]!r} is not one of {', '.join(FORMATS)}")
    return sorted(set(formats) | {"jsonl"}, key=list(FORMATS).index)


def create(*, project, filters: dict, formats: list[str], user=None, queue: bool = True) -> Snapshot:
    """A new snapshot version; queued for building (a job with a worker, right away without)
    unless `queue` is false (the CLI builds it itself, with a progress bar). Filters that select no
    row as of now raise EmptySelection: an empty snapshot is never cut (the moment checked is the
    snapshot's `as_of`, so its build reads the rows that were found)."""
    parsed = Filters.parse(filters, verdicts=LabelSchema.current(project).rubric.verdict_values)
    formats = check_formats(formats or list(FORMATS))
    as_of = timezone.now()
    if not any_row(project, parsed, as_of):
        raise EmptySelection(EMPTY)
    snapshot = Snapshot.create_next(project=project, filters=parsed.as_dict(), formats=formats, created_by=user,
                                    as_of=as_of)
    if queue:
        jobs.enqueue(build_job, snapshot.pk, queue="default")
    return snapshot


def build_job(snapshot_id: int) -> None:
    snapshot = Snapshot.objects.select_related("project", "created_by").filter(pk=snapshot_id).first()
    if snapshot is not None:
        build(snapshot)


def build(snapshot: Snapshot, *, on_rows: Callable[[int, int | None], None] | None = None) -> Snapshot:
    """Write the snapshot's files; safe to run again, and even twice at once (a worker presumed dead
    may still be running): each attempt writes its own partial folder, the first to finish renames
    it into place, and any other, having written the same bytes, discards its own."""
    if snapshot.status == Snapshot.Status.DONE:
        return snapshot
    with lagging_reads():  # rows as of snapshot.as_of: the replica once it has replayed past now (lib/dbrouter.py)
        return _build(snapshot, on_rows)


def _build(snapshot: Snapshot, on_rows: Callable[[int, int | None], None] | None) -> Snapshot:
    final = snapshot.directory
    final.parent.mkdir(parents=True, exist_ok=True)
    _clear_abandoned(final)
    partial = final.with_name(f"{final.name}.partial-{uuid.uuid4().hex[:12]}")
    filters = Filters.from_stored(snapshot.filters)
    weeks = design(snapshot.project, filters, snapshot.as_of)  # the weights' N_h and r_h, as of the cut
    # The progress bar's total: the items with a final label as of the cut in the chosen weeks and
    # strata (r_h, summed), which are the rows unless a filter reads the labels.
    total = sum(stratum.final for week in weeks.values() for name, stratum in week.strata.items()
                if not filters.strata or name in filters.strata)
    Snapshot.objects.filter(pk=snapshot.pk).exclude(status=Snapshot.Status.DONE).update(
        status=Snapshot.Status.RUNNING, rows_total=total, rows_done=0, error="")
    try:
        (partial / "jsonl").mkdir(parents=True)
        canonical = partial / "jsonl" / "evalset.jsonl"
        counts, digest = _write_canonical(snapshot, filters, weeks, canonical, total, on_rows)
        ctx = Context(name=snapshot.name, project=snapshot.project.slug, version=snapshot.version, counts=counts)
        for name in snapshot.formats:
            if name != "jsonl":
                _render_into(name, canonical, partial / name, ctx)
        manifest = _manifest(snapshot, filters, counts, weeks, partial, {canonical: digest})
        (partial / "manifest.json").write_bytes(orjson.dumps(manifest, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2))
        try:
            os.rename(partial, final)  # atomic; refused if another attempt got there first
        except OSError:
            if not (final / "manifest.json").exists():
                raise
            shutil.rmtree(partial, ignore_errors=True)
    except Exception as exc:
        shutil.rmtree(partial, ignore_errors=True)
        Snapshot.objects.filter(pk=snapshot.pk).exclude(status=Snapshot.Status.DONE).update(
            status=Snapshot.Status.FAILED, error=str(exc)[:2000])
        logger.exception("export %s failed", snapshot)
        raise
    Snapshot.objects.filter(pk=snapshot.pk).update(status=Snapshot.Status.DONE, manifest=manifest,
                                                   rows_done=counts["rows"], finished_at=timezone.now())
    snapshot.refresh_from_db()
    logger.info("export %s: %d rows, %d files", snapshot, counts["rows"], len(manifest["files"]))
    return snapshot


ABANDONED = 6 * 3600  # seconds: a partial folder older than any build takes is left from a killed one


def _clear_abandoned(final: Path) -> None:
    for partial in final.parent.glob(f"{final.name}.partial-*"):
        if time.time() - partial.stat().st_mtime > ABANDONED:
            shutil.rmtree(partial, ignore_errors=True)


def _write_canonical(snapshot, filters, weeks, path: Path, total: int, on_rows) -> tuple[dict, str]:
    """Write the canonical lines; returns the manifest's counts and the file's sha256."""
    tally: dict[tuple, int] = {}
    n = 0

    def progress() -> None:
        Snapshot.objects.filter(pk=snapshot.pk).update(rows_done=n)
        if on_rows:
            on_rows(n, total)

    in_sql = sql_rows.available()
    with Spool(path) as out:
        for line in _lines(snapshot, filters, weeks, progress):
            out.write(line.data)
            n += 1
            tally[line.counted] = tally.get(line.counted, 0) + 1
            if n % 5000 == 0 and not in_sql:  # the SQL path reports between its parts
                progress()
        digest = out.close()
    if on_rows:
        on_rows(n, total)
    by_verdict: Counter[str] = Counter()
    by_stratum: Counter[str] = Counter()
    by_week: Counter[str] = Counter()
    by_evaluator: Counter[tuple[str, str]] = Counter()
    corrected = 0
    for (verdict, stratum, week, with_correction, evaluators), count in tally.items():
        by_verdict[verdict] += count
        by_stratum[stratum] += count
        by_week[week] += count
        corrected += count if with_correction else 0
        for evaluator in evaluators:
            by_evaluator[evaluator] += count
    counts = {"rows": n, "by_verdict": dict(sorted(by_verdict.items())),
              "by_stratum": dict(sorted(by_stratum.items())), "by_week": dict(sorted(by_week.items())),
              "with_corrected_output": corrected,
              # Every judge that scored an exported output, and on how many rows: the CSV's judge columns.
              "evaluators": [{"name": name, "version": version, "rows": count}
                             for (name, version), count in sorted(by_evaluator.items())]}
    return counts, digest


def _lines(snapshot, filters, weeks, between: Callable[[], None]) -> Iterator[sql_rows.Line]:
    """The canonical lines: built by the database on PostgreSQL (sql_rows.py), row by row in Python
    elsewhere; the same bytes either way."""
    if sql_rows.available():
        yield from sql_rows.lines(snapshot.project, filters, snapshot.as_of, weeks, between)
        return
    for row in rows(snapshot.project, filters, snapshot.as_of, weeks):
        yield sql_rows.Line(dumps(row.to_json()) + b"\n", (
            str(row.verdict), row.sampling.stratum, row.sampling.run, row.corrected_output is not None,
            tuple([(e["name"], e["version"]) for e in row.evaluations or []])))


def _read(path: Path) -> Iterator[ExportRow]:
    with path.open("rb") as lines:
        for line in lines:
            yield ExportRow.from_json(orjson.loads(line))


def _archive(folder: Path, target: Path) -> None:
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(f"{folder.name}/{path.relative_to(folder).as_posix()}", date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            with path.open("rb") as source, archive.open(info, "w") as sink:
                shutil.copyfileobj(source, sink, 1 << 20)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _manifest(snapshot: Snapshot, filters: Filters, counts: dict, weeks: dict, folder: Path,
              hashed: dict[Path, str]) -> dict:
    """`hashed`: the digests of files hashed as they were written (the canonical file's, by its Spool)."""
    files = {p.relative_to(folder).as_posix(): {"sha256": hashed.get(p) or sha256(p), "bytes": p.stat().st_size}
             for p in sorted(folder.rglob("*")) if p.is_file() and p.name != "manifest.json"}
    # Each exported week's design as of the cut: the N_h and r_h the rows' weights are made of.
    exported = set(counts["by_week"])
    weights = {week.name: week.as_dict() for week in weeks.values() if week.name in exported}
    return {
        "schema_version": SCHEMA_VERSION, "name": snapshot.name, "project": snapshot.project.slug,
        "version": snapshot.version, "filters": filters.as_dict(), "formats": snapshot.formats,
        "rubric_version": LabelSchema.current(snapshot.project).version,
        "as_of": snapshot.as_of.isoformat(), "created_at": snapshot.created_at.isoformat(),
        "created_by": snapshot.created_by.username if snapshot.created_by else None,
        "counts": counts, "design": dict(sorted(weights.items())), "files": files,
    }


def _render_into(name: str, canonical: Path, folder: Path, ctx: Context) -> list[Path]:
    """Render one format into its folder; a format of several files (a dataset, a task beside its data)
    gets a zip of the folder beside it, `<name>.zip`, which is what a download hands out."""
    folder.mkdir(parents=True)
    written = FORMATS[name][1](_read(canonical), folder, ctx)
    if len(written) > 1:
        _archive(folder, folder.with_name(f"{name}.zip"))
    return written


def render(snapshot: Snapshot, name: str, out: Path) -> list[Path]:
    """Render one format of a built snapshot again, from its canonical rows, into `out` (a scratch folder)."""
    check_formats([name])
    ctx = Context(name=snapshot.name, project=snapshot.project.slug, version=snapshot.version,
                  counts=(snapshot.manifest or {}).get("counts", {}))
    out.mkdir(parents=True, exist_ok=True)
    return FORMATS[name][1](_read(snapshot.directory / "jsonl" / "evalset.jsonl"), out, ctx)


def add_format(snapshot: Snapshot, name: str) -> Path:
    """A format of a built snapshot, rendered from its canonical rows into the snapshot's folder if it was
    cut without it, and recorded in its manifest (files and SHA-256) like the formats cut with it.

    Safe when two renders of the same format race: each writes its own partial folder and the first
    rename wins; the manifest is rewritten under the snapshot's row lock, through a temporary file
    and an atomic replace, so a reader sees the old manifest or the new one, never half of it."""
    check_formats([name])
    final = snapshot.directory / name
    if name == "jsonl" or final.is_dir():
        return final
    canonical = snapshot.directory / "jsonl" / "evalset.jsonl"
    ctx = Context(name=snapshot.name, project=snapshot.project.slug, version=snapshot.version,
                  counts=(snapshot.manifest or {}).get("counts", {}))
    partial = snapshot.directory / f"{name}.partial-{uuid.uuid4().hex[:12]}"
    try:
        written = _render_into(name, canonical, partial / name, ctx)
        archive = partial / f"{name}.zip"
        if archive.exists():
            os.replace(archive, snapshot.directory / f"{name}.zip")
        os.rename(partial / name, final)
    except OSError:
        if not final.is_dir():
            raise
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    _record(snapshot, name, [final / p.name for p in written])
    return final


def _record(snapshot: Snapshot, name: str, paths: list[Path]) -> None:
    folder = snapshot.directory
    archive = folder / f"{name}.zip"
    added = {p.relative_to(folder).as_posix(): {"sha256": sha256(p), "bytes": p.stat().st_size}
             for p in [*paths, *([archive] if archive.exists() else [])]}
    with transaction.atomic():
        locked = Snapshot.objects.select_for_update().get(pk=snapshot.pk)
        manifest = dict(locked.manifest or {})
        manifest["files"] = dict(sorted({**manifest.get("files", {}), **added}.items()))
        manifest["formats"] = [*manifest.get("formats", []), *([name] if name not in manifest.get("formats", []) else [])]
        temporary = folder / f"manifest.json.{uuid.uuid4().hex[:12]}"
        temporary.write_bytes(orjson.dumps(manifest, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2))
        os.replace(temporary, folder / "manifest.json")
        formats = [*locked.formats, *([name] if name not in locked.formats else [])]
        Snapshot.objects.filter(pk=snapshot.pk).update(manifest=manifest, formats=formats)
    snapshot.manifest, snapshot.formats = manifest, formats


def download_path(snapshot: Snapshot, name: str) -> Path:
    """The file to hand out for a format: the archive for a folder format, else its one file."""
    if name == "manifest":
        return snapshot.directory / "manifest.json"
    archive = snapshot.directory / f"{name}.zip"
    if archive.exists():
        return archive
    files = sorted(p for p in (snapshot.directory / name).iterdir() if p.is_file())
    return files[0]


@dataclass(frozen=True)
class Download:
    """One file of a built snapshot as its pages offer it."""

    name: str           # the format's key, or "manifest"
    label: str
    size: int | None    # bytes, None when unknown


MANIFEST_LABEL = "Manifest (filters, counts, SHA-256 of every file)"


def _manifest_path(name: str, files: dict) -> str | None:
    """The manifest's key of the file `download_path` hands out for a format."""
    if f"{name}.zip" in files:
        return f"{name}.zip"
    inside = sorted(p for p in files if p.startswith(f"{name}/") and "/" not in p[len(name) + 1:])
    return inside[0] if inside else None


def downloads(snapshot: Snapshot) -> list[Download]:
    """The snapshot's files with their sizes, read from its manifest (no file opened; the manifest's own
    size from disk), so the list page can show them for fifty snapshots."""
    files = (snapshot.manifest or {}).get("files", {})
    found = []
    for name in snapshot.formats:
        path = _manifest_path(name, files)
        found.append(Download(name, FORMATS[name][0], files[path]["bytes"] if path in files else None))
    manifest = snapshot.directory / "manifest.json"
    found.append(Download("manifest", MANIFEST_LABEL, manifest.stat().st_size if manifest.exists() else None))
    return found
