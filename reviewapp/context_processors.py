from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from reviewapp import jobs


def runtime(request: HttpRequest) -> dict:
    """Every page states how background jobs run, so nobody mistakes in-process mode for production."""
    return {"jobs_mode": jobs.mode(), "jobs_in_background": jobs.runs_in_background(), "debug": settings.DEBUG}
