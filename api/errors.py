"""Domain and input errors mapped to HTTP answers that say what was wrong, and where."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eventsourcing.persistence import IntegrityError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from adapters.orders.channels import PayloadError
from domains.common import InsufficientStock, InvalidTransition, NotFound, ValidationFailed
from domains.customs.tables import NoTariffRules
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


def _invalid(detail: list[dict[str, Any]]) -> Answer:
    return 422, {"error": "invalid", "detail": detail}


def _request_errors(exc: RequestValidationError) -> Answer:
    return _invalid(
        [
            {"loc": _loc([p for p in e["loc"] if p != "body"]) or "body", "msg": e["msg"]}
            for e in exc.errors()
        ]
    )


def _card_errors(exc: RateCardRejected) -> Answer:
    return _invalid(
        [
            {
                "loc": (f"line {e['line']}: " if e.get("line") else "") + e["field"],
                "msg": e["msg"],
                "line": e.get("line"),
            }
            for e in exc.errors
        ]
    )


def _duplicate(exc: DuplicateConflict) -> Answer:
    return 409, {
        "error": "duplicate_external_id",
        "detail": "an order with this external id exists for another buyer or marketplace",
        "order_id": str(exc.order_id),
        "differences": exc.differences,
    }


Answer = tuple[int, dict[str, Any]]
# Each error the app answers for itself: its status and body. Starlette finds the handler by the
# exception's class hierarchy, so the order here does not matter.
ANSWERS: dict[type[Exception], Callable[[Any], Answer]] = {
    ValidationFailed: lambda e: _invalid(e.errors),
    PayloadError: lambda e: _invalid([{"loc": x.loc, "msg": x.msg} for x in e.errors]),
    RequestValidationError: _request_errors,
    DuplicateConflict: _duplicate,
    ScanRejected: lambda e: (
        422,
        {"error": "scan_rejected", "detail": e.errors, "expected": e.expected},
    ),
    RateCardRejected: _card_errors,
    InvalidBinCode: lambda e: _invalid([{"loc": "bin", "msg": str(e)}]),
    NotFound: lambda e: (404, {"error": "not_found", "detail": str(e)}),
    NoTariffRules: lambda e: _invalid([{"loc": "destination", "msg": str(e)}]),
    InvalidTransition: lambda e: (409, {"error": "conflict", "detail": str(e)}),
    InsufficientStock: lambda e: (409, {"error": "insufficient_stock", "detail": str(e)}),
    # Any command that lost an optimistic-concurrency race without retrying it itself: nothing
    # of it was stored, so the caller may simply send it again.
    IntegrityError: lambda e: (
        409,
        {
            "error": "conflict",
            "detail": "another change to the same records was saved first; retry",
        },
    ),
}


def answer_for(exc: Exception) -> Answer | None:
    """The status and body the API answers `exc` with (None: not one of its errors); the pages
    show the same refusal on the page."""
    for cls in type(exc).__mro__:
        if cls in ANSWERS:
            return ANSWERS[cls](exc)
    return None


def _handler(answer: Callable[[Any], Answer]) -> Callable[..., Any]:
    async def handle(_: Request, exc: Exception) -> JSONResponse:
        status, content = answer(exc)
        return JSONResponse(status_code=status, content=content)

    return handle


def install(app: FastAPI) -> None:
    for exc_type, answer in ANSWERS.items():
        app.add_exception_handler(exc_type, _handler(answer))
