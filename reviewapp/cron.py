"""Recurring jobs for `python manage.py rqcron reviewapp.cron` (the compose `scheduler` service).

Each entry enqueues a job on django-rq at its time; the job itself must be safe to run twice,
since a scheduler restart may enqueue it again.
"""
from rq import cron  # noqa: F401  (registrations are added here as stages need them)
