from django.core.management.base import BaseCommand, CommandError

from reviewapp.projects import actions


class Command(BaseCommand):
    help = ("Create a project (with the shipped rubric and a first sampling plan) and print a new API token for it "
            "(on the last line).")

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--description", default="")
        parser.add_argument("--time-zone", default="UTC", help="Where ISO weeks start, e.g. Europe/Paris (default UTC)")

    def handle(self, slug, name, description, time_zone, **options):
        try:
            started = actions.start_project(name=name, slug=slug, time_zone=time_zone, description=description)
        except actions.PeopleError as exc:
            raise CommandError(str(exc)) from None
        self.stderr.write(f"Created project {slug!r} with a first sampling plan (time zone {time_zone}). "
                          "API token (shown once, store it now):")
        self.stdout.write(started.plaintext)
