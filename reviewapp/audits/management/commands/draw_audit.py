from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from reviewapp.audits import actions, lifecycle
from reviewapp.audits.models import SamplingPlan
from reviewapp.lib.weeks import IsoWeek
from reviewapp.projects.models import Project


class Command(BaseCommand):
    help = ("Draw a project's audit for an ISO week (default: the latest week whose grace period for late arrivals "
            "is over, the one the scheduler draws). A drawn week is left as is; future and empty weeks are refused, "
            "and a week still in progress or in its grace period needs --early.")

    def add_arguments(self, parser):
        parser.add_argument("--project", required=True)
        parser.add_argument("--week", help="ISO week, e.g. 2026-W47")
        parser.add_argument("--early", action="store_true",
                            help="Draw a week still in progress or in its grace period: outputs arriving later are not audited")

    def handle(self, project, week, early, **options):
        target = Project.objects.filter(slug=project).first()
        if target is None:
            raise CommandError(f"no project {project!r}")
        plan = SamplingPlan.current(target)
        if plan is None:
            raise CommandError(f"project {project!r} has no sampling plan; create one on its plan page")
        try:
            iso_week = IsoWeek.parse(week) if week else lifecycle.latest_due_week(plan)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        started = time.perf_counter()
        try:
            run, created = actions.draw_audit(project=target, week=iso_week, early=early)
        except lifecycle.DrawRefused as refused:
            hint = " Pass --early to draw it anyway." if refused.status.early_only else ""
            raise CommandError(f"{refused}{hint}") from None
        elapsed = time.perf_counter() - started
        verb = "Drew" if created else "Already drawn:"
        self.stdout.write(f"{verb} {run}: {run.size} of {run.population} outputs (plan v{run.plan.version}, seed {run.seed})"
                          + (f" in {elapsed:.2f} s" if created else "") + (", early" if run.drawn_early else ""))
        for name, n in run.allocation.items():
            self.stdout.write(f"  {name:<16} {n:>6} of {run.populations.get(name, 0):>9}")
        if run.drawn_early and created:
            self.stdout.write("Drawn early: outputs of this week arriving from now on are outside its frame and not audited.")
        elif not created and (late := lifecycle.late_arrivals(run)):
            self.stdout.write(f"{late} output{'s' if late != 1 else ''} of this week arrived after the draw: "
                              "outside its frame, not audited.")
