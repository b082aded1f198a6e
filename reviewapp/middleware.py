"""Answers for a service (the database, the job queue) that went away mid-request."""
from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from redis.exceptions import ConnectionError as RedisConnectionError

logger = logging.getLogger("reviewapp")
MESSAGE = ("The database could not complete this request (the connection was lost, or it was busy); nothing of "
           "it was stored. Please try again.")
QUEUE_MESSAGE = "The job queue (Redis) is unreachable; nothing was queued. Please try again in a moment."


class ServiceUnavailableMiddleware:
    """A lost connection, a refused one or a busy database (OperationalError, InterfaceError) is a
    503 that says nothing was stored and to retry, not a bare 500. Safe because writes run in
    transactions, which these errors roll back, and label submits are idempotent. Connections
    left unusable are closed, so the next request opens a fresh one. An unreachable Redis when a
    job is queued is a 503 too: jobs are queued after their transaction commits, so the request's
    own writes stand and only the job is missing, which the retry queues (every job is safe to
    run twice)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, (OperationalError, InterfaceError)):
            logger.error("database error during %s %s: %s", request.method, request.path, exception)
            for connection in connections.all(initialized_only=True):
                connection.close_if_unusable_or_obsolete()
            return _unavailable(request, MESSAGE)
        if isinstance(exception, RedisConnectionError):
            logger.error("job queue unreachable during %s %s: %s", request.method, request.path, exception)
            return _unavailable(request, QUEUE_MESSAGE)
        return None


def _unavailable(request: HttpRequest, message: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"detail": message}, status=503)
    else:
        response = HttpResponse(render_to_string("503.html", {"message": message}), status=503)
    response["Retry-After"] = "5"
    return response
