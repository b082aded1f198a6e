from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from ninja.errors import AuthenticationError, ValidationError

from .audits import router as audits_router
from .discussion import router as discussion_router
from .evaluations import router as evaluations_router
from .exports import router as exports_router
from .metrics import router as metrics_router
from .openapi import SpotcheckAPI
from .outputs import router as outputs_router
from .review import router as review_router
from .rubrics import router as rubrics_router

api = SpotcheckAPI(
    title="Spotcheck API",
    version="1",
    description="Ingest production AI outputs for statistically sized human review.",
    urls_namespace="api",
)
api.add_router("/", outputs_router)
api.add_router("/", evaluations_router)
api.add_router("/", review_router)
api.add_router("/", rubrics_router)
api.add_router("/", discussion_router)
api.add_router("/", exports_router)
api.add_router("/", audits_router)
api.add_router("/", metrics_router)


@api.exception_handler(AuthenticationError)
def _unauthorised(request: HttpRequest, exc: AuthenticationError):
    response = api.create_response(request, {"detail": "missing, invalid or revoked API token"}, status=401)
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied):
    """projects.access refused: a member without the role (the message says which role it takes)."""
    return api.create_response(request, {"detail": str(exc) or "not allowed"}, status=403)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404):
    """projects.access refused an outsider, or the thing asked for does not exist (or is not theirs)."""
    return api.create_response(request, {"detail": str(exc) or "not found"}, status=404)


@api.exception_handler(ValidationError)
def _invalid_parameters(request: HttpRequest, exc: ValidationError):
    problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:]) or 'request'}: {e['msg']}" for e in exc.errors)
    return api.create_response(request, {"detail": problems}, status=400)
