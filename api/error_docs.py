"""The error answers the app really gives, documented on every operation of /openapi.json.

FastAPI documents a 422 body shaped as its own HTTPValidationError, but api/errors.py answers
`{"error": "invalid", "detail": [{"loc": "query.limit", "msg": ...}]}`; and 401, 403, 404, 409,
413 and 429 were not documented at all. `document_errors(app)` replaces the generated schema's
error responses with one shared model, `Error`, that fits every error body the app sends:

    {"detail": "unknown API key"}                                 401, 403, 404 (HTTPException)
    {"error": "not_found", "detail": "carrier bill ... not found"}  404, 409 (domain errors)
    {"error": "invalid", "detail": [{"loc": ..., "msg": ...}]}      422 (anything invalid)
    {"error": "too_large", "detail": ..., "limit": ..., "setting": ...}   413 (api/limits.py)

Errors may carry more fields (a duplicate's `differences`, a scan's `expected`); the model
allows them. A body FastAPI cannot decode (its bare 400) is answered 422 like any other bad
input. tests/e2e/test_fuzz_openapi.py checks real answers against the schema.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request


class ErrorItem(BaseModel):
    """One thing wrong with the input: where (`loc`, e.g. "query.offset", "line 3: base",
    "lines[0].quantity") and what."""

    model_config = ConfigDict(extra="allow")
    loc: str
    msg: str


class ErrorBody(BaseModel):
    """Every error answer: `detail` says what was wrong (a list of items for invalid input),
    `error` names the kind where the app knows it."""

    model_config = ConfigDict(extra="allow", title="Error")
    error: str | None = Field(
        None, description="invalid, not_found, conflict, too_large, duplicate_external_id, ..."
    )
    detail: str | list[ErrorItem]


ERRORS: dict[str, str] = {
    "401": "no API key, or one we do not know",
    "403": "the key's role may not do this",
    "404": "not found (or not visible to this key)",
    "409": "conflicts with the current state; nothing was changed",
    "413": "the request body or upload is over a limit; the answer names it",
    "422": "invalid input; each item names where (loc) and what (msg)",
    "429": "too many requests; retry later",
}
OPEN = ("413", "422", "429")  # what an operation without a key can still answer


async def _unreadable_body(_: Request, exc: Exception) -> JSONResponse:
    """FastAPI answers a JSON body it cannot decode with a bare 400; the app's answer for bad
    input is 422 saying where, as for any other."""
    detail = getattr(exc, "detail", None)
    if detail == "There was an error parsing the body":
        detail = "not valid JSON (or not UTF-8 text)"
    return JSONResponse(
        status_code=422,
        content={"error": "invalid", "detail": [{"loc": "body", "msg": str(detail)}]},
    )


def install(app: FastAPI) -> None:
    """An unreadable body answered 422 like other bad input, and the errors documented."""
    app.add_exception_handler(400, _unreadable_body)
    document_errors(app)


def document_errors(app: FastAPI) -> None:
    """Make `app.openapi()` document the shared error body on every operation."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            openapi_version=app.openapi_version,
            description=app.description,
            routes=app.routes,
            tags=app.openapi_tags,
            servers=app.servers,
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in (ErrorItem, ErrorBody):
            model_schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, sub in model_schema.pop("$defs", {}).items():
                components[name] = sub
            components[model.model_config.get("title") or model.__name__] = model_schema
        ref = {"$ref": "#/components/schemas/Error"}
        for ops in schema.get("paths", {}).values():
            for op in ops.values():
                if not isinstance(op, dict) or "responses" not in op:
                    continue
                codes = ERRORS if op.get("security") else {c: ERRORS[c] for c in OPEN}
                for code, description in codes.items():
                    documented = op["responses"].setdefault(code, {"description": description})
                    if documented.get("description") == "Validation Error":  # FastAPI's own
                        documented["description"] = description
                    documented["content"] = {"application/json": {"schema": ref}}
        used = repr(schema["paths"])
        for name in ("HTTPValidationError", "ValidationError"):
            if f"/{name}'" not in used:
                components.pop(name, None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
