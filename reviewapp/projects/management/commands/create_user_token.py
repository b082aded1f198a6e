from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from reviewapp.projects.models import UserToken


class Command(BaseCommand):
    help = "Issue a personal token for the review API and print it (on the last line)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="What the token is for, e.g. 'labelling plugin'")

    def handle(self, username, name, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user {username!r}")
        _, plaintext = UserToken.issue(user=user, name=name)
        self.stderr.write(f"New review API token for {username!r} (shown once, store it now):")
        self.stdout.write(plaintext)
