from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def runtime(request: HttpRequest) -> dict:
    """Every page states how background jobs run, so nobody mistakes in-process mode for production."""
    return {"jobs_mode": settings.JOBS_MODE, "debug": settings.DEBUG}
