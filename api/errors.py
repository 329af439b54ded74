"""Domain and input errors mapped to HTTP answers that say what was wrong, and where."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from adapters.channels import PayloadError
from domains.common import InsufficientStock, InvalidTransition, NotFound, ValidationFailed
from domains.orders.intake import DuplicateConflict
from domains.transport.rating import RateCardRejected
from domains.warehouse.layout import InvalidBinCode
from domains.warehouse.scanning import ScanRejected


def _loc(parts: tuple | list) -> str:
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += ("." if out else "") + str(p)
    return out


def install(app: FastAPI) -> None:
    @app.exception_handler(ValidationFailed)
    async def _validation(_: Request, exc: ValidationFailed) -> JSONResponse:
        return JSONResponse(status_code=422, content={"error": "invalid", "detail": exc.errors})

    @app.exception_handler(PayloadError)
    async def _payload(_: Request, exc: PayloadError) -> JSONResponse:
        detail = [{"loc": e.loc, "msg": e.msg} for e in exc.errors]
        return JSONResponse(status_code=422, content={"error": "invalid", "detail": detail})

    @app.exception_handler(RequestValidationError)
    async def _request(_: Request, exc: RequestValidationError) -> JSONResponse:
        detail = [
            {"loc": _loc([p for p in e["loc"] if p != "body"]) or "body", "msg": e["msg"]}
            for e in exc.errors()
        ]
        return JSONResponse(status_code=422, content={"error": "invalid", "detail": detail})

    @app.exception_handler(DuplicateConflict)
    async def _duplicate(_: Request, exc: DuplicateConflict) -> JSONResponse:
        return JSONResponse(
            status_code=409,
            content={
                "error": "duplicate_external_id",
                "detail": "an order with this external id exists with different content",
                "order_id": str(exc.order_id),
                "differences": exc.differences,
            },
        )

    @app.exception_handler(ScanRejected)
    async def _scan(_: Request, exc: ScanRejected) -> JSONResponse:
        return JSONResponse(
            status_code=422,
            content={"error": "scan_rejected", "detail": exc.errors, "expected": exc.expected},
        )

    @app.exception_handler(RateCardRejected)
    async def _card(_: Request, exc: RateCardRejected) -> JSONResponse:
        detail = [
            {
                "loc": (f"line {e['line']}: " if e.get("line") else "") + e["field"],
                "msg": e["msg"],
                "line": e.get("line"),
            }
            for e in exc.errors
        ]
        return JSONResponse(status_code=422, content={"error": "invalid", "detail": detail})

    @app.exception_handler(InvalidBinCode)
    async def _bin(_: Request, exc: InvalidBinCode) -> JSONResponse:
        return JSONResponse(
            status_code=422,
            content={"error": "invalid", "detail": [{"loc": "bin", "msg": str(exc)}]},
        )

    @app.exception_handler(NotFound)
    async def _not_found(_: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse(status_code=404, content={"error": "not_found", "detail": str(exc)})

    @app.exception_handler(InvalidTransition)
    async def _conflict(_: Request, exc: InvalidTransition) -> JSONResponse:
        return JSONResponse(status_code=409, content={"error": "conflict", "detail": str(exc)})

    @app.exception_handler(InsufficientStock)
    async def _stock(_: Request, exc: InsufficientStock) -> JSONResponse:
        return JSONResponse(
            status_code=409, content={"error": "insufficient_stock", "detail": str(exc)}
        )
