"""reviewapp.wsgi's application as the benchmarks serve it: one more response header, naming the
gunicorn worker that answered (bench.served counts the warm workers by it). Nothing else changes,
and the product's own WSGI module stays free of benchmark code."""
from __future__ import annotations

import os

from bench.served import WORKER_HEADER
from reviewapp.wsgi import application as _application


def application(environ, start_response):
    pid = str(os.getpid())

    def start(status, headers, exc_info=None):
        return start_response(status, [*headers, (WORKER_HEADER, pid)], exc_info)

    return _application(environ, start)
