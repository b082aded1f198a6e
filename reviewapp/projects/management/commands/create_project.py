from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from reviewapp.projects.models import ApiToken, Project


class Command(BaseCommand):
    help = "Create a project and print a new API token for it (on the last line)."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--description", default="")

    def handle(self, slug, name, description, **options):
        if Project.objects.filter(slug=slug).exists():
            raise CommandError(f"project {slug!r} already exists; use create_token {slug} for another token")
        with transaction.atomic():
            project = Project.objects.create(slug=slug, name=name, description=description)
            _, plaintext = ApiToken.issue(project=project, name="created with the project")
        self.stderr.write(f"Created project {slug!r}. API token (shown once, store it now):")
        self.stdout.write(plaintext)
