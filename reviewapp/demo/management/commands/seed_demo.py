from datetime import UTC, datetime

from django.core.management.base import BaseCommand
from tqdm import tqdm

from reviewapp.demo.actions import seed_demo


class Command(BaseCommand):
    help = "Build the demo project (slug 'demo'): synthetic outputs over the last 4 ISO weeks and demo users."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--n", type=int, default=20_000, help="Number of outputs")
        parser.add_argument("--now", type=datetime.fromisoformat, default=None,
                            help="Pretend it is this time (ISO 8601), for a fully reproducible data set")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, seed, n, now, no_progress, **options):
        now = (now or datetime.now(UTC)).astimezone(UTC)
        with tqdm(total=n, unit="outputs", desc="demo outputs", disable=no_progress) as bar:
            summary = seed_demo(seed=seed, n=n, now=now, on_chunk=lambda r: bar.update(r.received - bar.n))
        report = summary.report
        self.stdout.write(f"Project 'demo': {report.created} outputs created, {report.already_present} already present.")
        self.stdout.write("Demo logins (username / password / role):")
        for username, password, role in summary.logins:
            self.stdout.write(f"  {username:<10} {password:<16} {role}")
