from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

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
