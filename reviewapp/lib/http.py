"""The request a page view receives, typed as the middleware leaves it.

HttpRequest types `user` as possibly anonymous and knows nothing of `htmx`. Under
LoginRequiredMiddleware every page view not marked login_not_required is reached only by a
signed-in user, and django-htmx's middleware sets `htmx` on every request; annotating a view's
request with this class tells the type checker so, with no check at run time.
"""
from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class AuthenticatedHttpRequest(HttpRequest):
    user: User
    htmx: HtmxDetails
