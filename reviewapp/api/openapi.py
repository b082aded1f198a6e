"""What a generated client needs from the OpenAPI document, beyond what django-ninja writes itself.

Three things: short, stable operation ids (camelCase; set on each route, and derived from the
function name for a route that forgot, never ninja's `reviewapp_api_outputs_ingest_outputs`);
request-body models declared as named components referenced with `$ref` (an inline schema made
generators invent names like `ReviewappApiOutputsIngestOutputsJsonCanonicalRecordInputType1Item`);
and the error statuses every operation can answer, with their schema (`errors`), so that a
generated client parses a 401 as it parses a 200.
"""
from __future__ import annotations

from typing import Any

from ninja import NinjaAPI
from ninja.openapi.schema import REF_TEMPLATE
from ninja.schema import NinjaGenerateJsonSchema
from pydantic import BaseModel

from .schemas import ErrorOut

# Models named in hand-written request bodies (openapi_extra), added to components.schemas.
_BODY_MODELS: dict[str, type[BaseModel]] = {}


def body_ref(model: type[BaseModel]) -> dict[str, str]:
    """A `$ref` to `model` as a named component (its nested models become components too)."""
    _BODY_MODELS[model.__name__] = model
    return {"$ref": REF_TEMPLATE.format(model=model.__name__)}


def errors(*extra: int, schema: Any = ErrorOut) -> dict[int, Any]:
    """The error answers of a project-scoped operation: 401 (no or a wrong token), 403 (a role or
    project the caller lacks, or a browser POST without its CSRF token), 404 (no such project for
    the caller, or no such thing in it), plus the operation's own (400, 409, 413, 422...)."""
    return {code: schema for code in sorted({401, 403, 404, *extra})}


def camel_case(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


class SpotcheckAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation) -> str:
        return camel_case(operation.view_func.__name__)

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for name, model in sorted(_BODY_MODELS.items()):
            spec = model.model_json_schema(ref_template=REF_TEMPLATE, schema_generator=NinjaGenerateJsonSchema)
            for nested, nested_spec in spec.pop("$defs", {}).items():
                components.setdefault(nested, nested_spec)
            components[name] = spec
        return schema
