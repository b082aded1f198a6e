"""What the projects stage tells later stages, so they can act without projects importing them."""
from __future__ import annotations

from django.dispatch import Signal

# Sent by actions.start_project inside its transaction, with `project`, `time_zone` (the name the
# lead chose, e.g. "Europe/Paris") and `by` (the user, or None from the command line). The audits
# stage answers with the project's first sampling plan, so a new project can be drawn at once.
project_started = Signal()
