"""Recurring jobs for `python manage.py rqcron reviewapp.cron` (the compose `scheduler` service).

Each entry enqueues a job on django-rq at its time; jobs are safe to run twice, since a
scheduler restart may enqueue one again.
"""
from rq import cron

from reviewapp.audits.tasks import retention_job, weekly_draw_job

# Every hour: each project's audit of the latest ISO week whose grace period for late arrivals is
# over, once (a week ends at midnight in its plan's time zone, and is due grace_hours later).
cron.register(weekly_draw_job, queue_name="default", cron="0 * * * *", name="weekly-audit-draw")

# Every day: the outputs table's partitions for the weeks ahead (PostgreSQL), and each project's
# retention (old weeks retired; drawn outputs stay as frozen copies). See docs/scaling.md.
cron.register(retention_job, queue_name="default", cron="17 3 * * *", name="partitions-and-retention")
