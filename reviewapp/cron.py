"""Recurring jobs for `python manage.py rqcron reviewapp.cron` (the compose `scheduler` service).

Each entry enqueues a job on django-rq at its time; jobs are safe to run twice, since a
scheduler restart may enqueue one again.
"""
from rq import cron

from reviewapp.audits.tasks import weekly_draw_job

# Monday 02:00 UTC: every project's audit of the ISO week that just ended.
cron.register(weekly_draw_job, queue_name="default", cron="0 2 * * 1", name="weekly-audit-draw")
