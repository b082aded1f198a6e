from __future__ import annotations

from ninja.security import HttpBearer

from reviewapp.projects.models import ApiToken


class ProjectToken(HttpBearer):
    """`Authorization: Bearer spc_…`: a project API token. The endpoint checks the project."""

    openapi_scheme = "bearer"

    def authenticate(self, request, token: str) -> ApiToken | None:
        return ApiToken.authenticate(token)
