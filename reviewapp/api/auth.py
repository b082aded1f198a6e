from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from reviewapp.projects.models import ApiToken, UserToken


class ProjectToken(HttpBearer):
    """`Authorization: Bearer spc_…`: a project API token. The endpoint checks the project."""

    openapi_scheme = "bearer"

    def authenticate(self, request, token: str) -> ApiToken | None:
        return ApiToken.authenticate(token)


class ProjectTokenRequest(HttpRequest):
    """A request ProjectToken let in: django-ninja sets `auth` to the token authenticate returned."""

    auth: ApiToken


class PersonalToken(HttpBearer):
    """`Authorization: Bearer spu_…`: a person's token (manage.py create_user_token); it acts as them."""

    openapi_scheme = "bearer"

    def authenticate(self, request, token: str):
        found = UserToken.authenticate(token)
        if found is None or not found.user.is_active:
            return None
        request.user = found.user
        return found.user


class BrowserSession(SessionAuth):
    """The logged-in browser's session cookie, with Django's CSRF check, for the pages' own scripts.

    ninja's django_auth checks CSRF before it knows whether anyone is logged in, so a script with a
    missing or wrong token got `403 CSRF check Failed` on every POST instead of the 401 its client
    expects. Here the session is only tried when there is one and no bearer token was sent: a
    request that presents a token is judged by its token alone (401 when it is wrong), and an
    anonymous request is a 401; a logged-in browser still needs its CSRF token on a POST."""

    def _get_key(self, request: HttpRequest) -> str | None:
        user = getattr(request, "user", None)
        if "HTTP_AUTHORIZATION" in request.META or user is None or not user.is_authenticated:
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return request.user if key is not None and request.user.is_authenticated else None


# The door of every person-facing operation: a personal token, else a logged-in browser session.
PERSON = [PersonalToken(), BrowserSession()]
