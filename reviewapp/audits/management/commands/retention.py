from __future__ import annotations

from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError

from reviewapp.audits import retention
from reviewapp.ingest import partitions
from reviewapp.projects.models import Project


class Command(BaseCommand):
    help = ("Retire the outputs older than each project's retention setting (docs/scaling.md, 'Retention'). "
            "Drawn outputs stay as frozen copies with their labels; on PostgreSQL a week nobody keeps is "
            "dropped as a partition. --dry-run says what would go and changes nothing.")

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Say what would go; change nothing")
        parser.add_argument("--project", action="append", default=[], help="Only this project (repeatable)")
        parser.add_argument("--now", help="Pretend it is this UTC time (ISO 8601), e.g. to preview next month")

    def handle(self, dry_run, project, now, **options):
        moment = None
        if now:
            try:
                moment = datetime.fromisoformat(now)
            except ValueError:
                raise CommandError(f"--now {now!r} is not an ISO 8601 time, e.g. 2027-01-04T00:00") from None
            moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        projects = None
        if project:
            projects = list(Project.objects.filter(slug__in=project))
            missing = set(project) - {p.slug for p in projects}
            if missing:
                raise CommandError(f"no project {sorted(missing)[0]!r}")
            unset = [p.slug for p in projects if not p.retention_weeks]
            if unset:
                raise CommandError(f"project {unset[0]!r} keeps everything: set its retention first "
                                   f"(its Retention page, or Project.retention_weeks)")
        if dry_run:
            plans = retention.plan(projects, moment)
            if not plans:
                self.stdout.write("No project has a retention setting: nothing would go.")
            for found in plans:
                self.stdout.write(found.in_words())
            if partitions.is_partitioned():
                ahead = partitions.missing_ahead(moment)
                if ahead:
                    self.stdout.write("Partitions that would be created ahead: "
                                      + ", ".join(partitions.name_of(low) for low in ahead))
            self.stdout.write("Dry run: nothing was changed.")
            return
        plans = retention.retire(moment, projects, progress=self.stdout.write)
        self.stdout.write(f"Retention done for {len(plans)} project{'s' if len(plans) != 1 else ''}.")
