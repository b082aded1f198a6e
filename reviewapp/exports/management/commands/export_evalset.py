import shutil
import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from reviewapp.exports import actions
from reviewapp.exports.formats import FORMATS
from reviewapp.exports.models import Snapshot
from reviewapp.exports.selection import SelectionError
from reviewapp.projects.models import Project


class Command(BaseCommand):
    # The system checks import every view, and with them scipy and statsmodels (150 MB) this
    # command never uses; `migrate` and the web process run the checks.
    requires_system_checks = []
    help = ("Export a project's ground truth: cut a new versioned snapshot (or re-render one with --snapshot) "
            "and write one format to --out (a file; a folder for hf).")

    def add_arguments(self, parser):
        parser.add_argument("--project", required=True)
        parser.add_argument("--format", required=True, choices=list(FORMATS))
        parser.add_argument("--out", required=True, type=Path)
        parser.add_argument("--snapshot", type=int, help="Re-render this snapshot version instead of cutting a new one")
        parser.add_argument("--weeks", default="", help="ISO weeks, comma-separated (e.g. 2026-W46,2026-W47)")
        parser.add_argument("--strata", default="")
        parser.add_argument("--verdicts", default="", help="success,partial,failure")
        parser.add_argument("--error-categories", default="", help="any of these, comma-separated")
        parser.add_argument("--agreement", default="any", choices=["any", "settled"],
                            help="settled: only items the reviewers agreed on or a QA lead adjudicated")
        parser.add_argument("--min-agreement", type=float, help="share of reviewers whose verdict is the final one")
        parser.add_argument("--corrected-only", action="store_true")
        parser.add_argument("--pseudonymise", action="store_true", help="reviewer ids as stable pseudonyms")
        parser.add_argument("--user", help="username recorded as the snapshot's author")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, project, format, out, snapshot, no_progress, user, **options):
        target = Project.objects.filter(slug=project).first()
        if target is None:
            raise CommandError(f"no project {project!r}")
        if snapshot:
            found = Snapshot.objects.filter(project=target, version=snapshot, status=Snapshot.Status.DONE).first()
            if found is None:
                raise CommandError(f"project {project!r} has no built snapshot v{snapshot}")
        else:
            author = get_user_model().objects.filter(username=user).first() if user else None
            filters = {"weeks": options["weeks"], "strata": options["strata"], "verdicts": options["verdicts"],
                       "error_categories": options["error_categories"], "agreement": options["agreement"],
                       "min_agreement": options["min_agreement"], "corrected_only": options["corrected_only"],
                       "pseudonymise": options["pseudonymise"]}
            try:
                found = actions.create(project=target, filters=filters, formats=[format], user=author, queue=False)
            except SelectionError as exc:
                raise CommandError(str(exc)) from exc
            started = time.perf_counter()
            with tqdm(unit="rows", desc=f"snapshot v{found.version}", disable=no_progress) as bar:
                def progress(done, total):
                    bar.total = total
                    bar.update(done - bar.n)

                found = actions.build(found, on_rows=progress)
            elapsed = time.perf_counter() - started
            rows = _rows(found)
            self.stdout.write(f"built in {elapsed:.2f} s ({rows / max(elapsed, 1e-9):,.0f} rows/s)")
        self._write(found, format, out)
        rows = _rows(found)
        self.stdout.write(f"{found.name}: {rows} rows as of {found.as_of:%Y-%m-%d %H:%M} UTC; {format} written to {out}")

    def _write(self, snapshot, name: str, out: Path) -> None:
        """Copy the built format out, or render it from the canonical rows if the snapshot was cut without it."""
        source = actions.add_format(snapshot, name)  # recorded in the manifest if the snapshot was cut without it
        files = sorted(p for p in source.iterdir() if p.is_file())
        if name == "hf" or len(files) > 1:
            if out.exists():
                raise CommandError(f"{out} exists; the {name} format writes a new folder")
            shutil.copytree(source, out)
        else:
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(files[0], out)


def _rows(snapshot: Snapshot) -> int:
    assert snapshot.manifest is not None  # both ways here end with a built snapshot, which has its manifest
    return snapshot.manifest["counts"]["rows"]
