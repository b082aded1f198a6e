from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from reviewapp.audits import actions
from reviewapp.audits.models import SamplingPlan
from reviewapp.audits.weeks import IsoWeek
from reviewapp.projects.models import Project


class Command(BaseCommand):
    help = "Draw a project's audit for an ISO week (default: the week that just ended). A drawn week is left as is."

    def add_arguments(self, parser):
        parser.add_argument("--project", required=True)
        parser.add_argument("--week", help="ISO week, e.g. 2026-W47")

    def handle(self, project, week, **options):
        target = Project.objects.filter(slug=project).first()
        if target is None:
            raise CommandError(f"no project {project!r}")
        plan = SamplingPlan.current(target)
        if plan is None:
            raise CommandError(f"project {project!r} has no sampling plan; create one on its plan page")
        try:
            iso_week = IsoWeek.parse(week) if week else actions.previous_week(plan)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        started = time.perf_counter()
        run, created = actions.draw_audit(project=target, week=iso_week)
        elapsed = time.perf_counter() - started
        verb = "Drew" if created else "Already drawn:"
        self.stdout.write(f"{verb} {run}: {run.size} of {run.population} outputs (plan v{run.plan.version}, seed {run.seed})"
                          + (f" in {elapsed:.2f} s" if created else ""))
        for name, n in run.allocation.items():
            self.stdout.write(f"  {name:<16} {n:>6} of {run.populations.get(name, 0):>9}")
