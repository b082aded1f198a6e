"""The healthcheck of the compose `worker` and `scheduler` services.

A running process proves little: a worker that lost Redis, or a scheduler stuck in a loop, is up
but does nothing. Both write heartbeats to Redis from their main loop (an rq worker at least every
`worker_ttl - 15` seconds while idle, the cron scheduler at least every 60), so a recent heartbeat
from this host is the proof that the loop turns. Only this host's processes count: with
`--scale worker=3`, one healthy worker must not vouch for a dead one in another container.
"""
from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from typing import Any

import django_rq
from django.core.management.base import BaseCommand, CommandError, CommandParser
from redis import RedisError
from rq import Worker
from rq.cron import CronScheduler
from rq.defaults import DEFAULT_CRON_SCHEDULER_TTL, DEFAULT_WORKER_TTL

# rq lets a worker's key expire this long after its last heartbeat; the scheduler's registry
# counts one as stale after DEFAULT_CRON_SCHEDULER_TTL.
WORKER_MAX_AGE = timedelta(seconds=DEFAULT_WORKER_TTL + 60)
SCHEDULER_MAX_AGE = timedelta(seconds=DEFAULT_CRON_SCHEDULER_TTL)


def _fresh(heartbeat: datetime | None, max_age: timedelta, now: datetime) -> bool:
    return heartbeat is not None and now - heartbeat <= max_age


class Command(BaseCommand):
    help = ("Exit 0 when an rq worker (or the rqcron scheduler) on this host sent a heartbeat to Redis "
            "recently, 1 otherwise: the compose healthcheck of `worker` and `scheduler`.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("service", choices=["worker", "scheduler"])
        parser.add_argument("--queue", default="default", help="The queue the worker listens on (default: default).")
        parser.add_argument("--any-host", action="store_true",
                            help="Count processes on any host, not only this one (a check from outside the container).")

    def handle(self, *args: Any, service: str, queue: str, any_host: bool, **options: Any) -> None:
        host = None if any_host else socket.gethostname()
        where = "on any host" if host is None else f"on host {host}"
        what = f"rq worker on queue {queue!r}" if service == "worker" else "rqcron scheduler"
        now = datetime.now(UTC)
        try:
            if service == "worker":
                workers = Worker.all(queue=django_rq.get_queue(queue))
                alive = [w.name for w in workers if (host is None or w.hostname == host)
                         and _fresh(w.last_heartbeat, WORKER_MAX_AGE, now)]
            else:
                schedulers = CronScheduler.all(django_rq.get_connection(queue))
                alive = [s.name for s in schedulers if (host is None or s.hostname == host)
                         and _fresh(s.last_heartbeat, SCHEDULER_MAX_AGE, now)]
        except RedisError as exc:
            raise CommandError(f"Redis is unreachable, so no {what} can be seen alive ({exc})") from exc
        if not alive:
            raise CommandError(f"no {what} {where} has sent a heartbeat to Redis recently")
        self.stdout.write(f"alive: {', '.join(alive)}")
