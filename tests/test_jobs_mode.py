"""Only reviewapp/jobs.py interprets the jobs mode; everything else asks it."""
from __future__ import annotations

import pytest
from django.test import RequestFactory

from reviewapp import jobs
from reviewapp.context_processors import runtime


@pytest.mark.parametrize("mode,background", [("rq", True), ("inprocess", False)])
def test_jobs_say_whether_they_run_in_the_background(settings, mode, background):
    settings.JOBS_MODE = mode
    assert jobs.runs_in_background() is background
    assert jobs.mode() == mode
    context = runtime(RequestFactory().get("/"))
    assert context["jobs_in_background"] is background and context["jobs_mode"] == mode
