from django.core.management.base import BaseCommand, CommandError

from reviewapp.projects.models import ApiToken, Project


class Command(BaseCommand):
    help = "Issue another API token for a project and print it (on the last line)."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--name", default="", help="What the token is for, e.g. 'prod ingest'")

    def handle(self, slug, name, **options):
        project = Project.objects.filter(slug=slug).first()
        if project is None:
            raise CommandError(f"no project {slug!r}")
        _, plaintext = ApiToken.issue(project=project, name=name)
        self.stderr.write(f"New API token for {slug!r} (shown once, store it now):")
        self.stdout.write(plaintext)
