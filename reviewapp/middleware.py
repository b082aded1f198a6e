"""Answers for a database that went away, or was too busy, mid-request."""
from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

logger = logging.getLogger("reviewapp")
MESSAGE = ("The database could not complete this request (the connection was lost, or it was busy); nothing of "
           "it was stored. Please try again.")


class DatabaseUnavailableMiddleware:
    """A lost connection, a refused one or a busy database (OperationalError, InterfaceError) is a
    503 that says nothing was stored and to retry, not a bare 500. Safe because writes run in
    transactions, which these errors roll back, and label submits are idempotent. Connections
    left unusable are closed, so the next request opens a fresh one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        logger.error("database error during %s %s: %s", request.method, request.path, exception)
        for connection in connections.all(initialized_only=True):
            connection.close_if_unusable_or_obsolete()
        if request.path.startswith("/api/"):
            response = JsonResponse({"detail": MESSAGE}, status=503)
        else:
            response = HttpResponse(render_to_string("503.html", {"message": MESSAGE}), status=503)
        response["Retry-After"] = "5"
        return response
