"""Limits on what a request may make the server hold: the size of its body, per route.

`BodyLimitMiddleware` sits in front of every FastAPI route. A request whose Content-Length is
over its route's limit is answered 413 before a byte of its body is read; one without a length
(chunked) is counted as it arrives and answered 413 as soon as the count passes the limit, so an
endless or huge body never reaches memory. The answer names the limit and the setting that
raises it:

    {"error": "too_large", "detail": "request body over 1,000,000 bytes ...",
     "limit": 1000000, "setting": "CROSSDOCK_MAX_BODY_BYTES"}

Limits come from the environment (`BodyLimits.from_env`), read when the app is built:

    CROSSDOCK_MAX_BODY_BYTES  1,000,000   any route not listed below (JSON bodies)
    CROSSDOCK_MAX_BILL_BYTES  10 MiB      POST /v1/finance/carrier-bills (CSV or XLSX), and the
                                          finance page's upload, /pages/finance/bills
    CROSSDOCK_MAX_CSV_BYTES   5,000,000   POST /v1/channels/dealer/orders:csv, /v1/admin/rate-cards,
                                          /v1/receivables/bank-statements

Channel intake (`POST /v1/channels/{channel}/orders`) is served by api/fast_intake.py outside the
middleware stack; it wraps itself in the same middleware, so it answers the same 413 as soon.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapters.uploads import UploadTooLarge

# Paging: the largest `offset` a list route takes (its `limit` has its own bound per route). A
# larger one answers 422 instead of reaching the database (SQLite integers end at 2**63 - 1).
MAX_OFFSET = 10_000_000
DEFAULT_BODY_BYTES = 1_000_000
DEFAULT_BILL_BYTES = 10 * 1024 * 1024
DEFAULT_CSV_BYTES = 5_000_000


@dataclass(frozen=True)
class RouteLimit:
    method: str
    path: re.Pattern[str]
    max_bytes: int
    setting: str  # the environment variable that sets it


@dataclass(frozen=True)
class BodyLimits:
    default_bytes: int
    routes: tuple[RouteLimit, ...]
    default_setting: str = "CROSSDOCK_MAX_BODY_BYTES"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> BodyLimits:
        env = os.environ if env is None else env

        def size(name: str, default: int) -> int:
            raw = env.get(name, "").strip().replace("_", "")
            if not raw:
                return default
            value = int(raw)
            if value <= 0:
                raise ValueError(f"{name} must be a positive number of bytes, not {raw!r}")
            return value

        bill = size("CROSSDOCK_MAX_BILL_BYTES", DEFAULT_BILL_BYTES)
        csv = size("CROSSDOCK_MAX_CSV_BYTES", DEFAULT_CSV_BYTES)
        return cls(
            default_bytes=size("CROSSDOCK_MAX_BODY_BYTES", DEFAULT_BODY_BYTES),
            routes=(
                RouteLimit(
                    "POST",
                    re.compile(r"/v1/finance/carrier-bills|/pages/finance/bills"),
                    bill,
                    "CROSSDOCK_MAX_BILL_BYTES",
                ),
                RouteLimit(
                    "POST",
                    re.compile(r"/v1/channels/dealer/orders:csv"),
                    csv,
                    "CROSSDOCK_MAX_CSV_BYTES",
                ),
                RouteLimit(
                    "POST", re.compile(r"/v1/admin/rate-cards"), csv, "CROSSDOCK_MAX_CSV_BYTES"
                ),
                RouteLimit(
                    "POST",
                    re.compile(r"/v1/receivables/bank-statements"),
                    csv,
                    "CROSSDOCK_MAX_CSV_BYTES",
                ),
                RouteLimit(  # a forwarder's packing list (CSV or XLSX)
                    "POST",
                    re.compile(r"/v1/admin/inbound:packing-list"),
                    csv,
                    "CROSSDOCK_MAX_CSV_BYTES",
                ),
            ),
        )

    def for_request(self, method: str, path: str) -> tuple[int, str]:
        """The byte limit for a request's body, and the setting it comes from."""
        for r in self.routes:
            if r.method == method and r.path.fullmatch(path):
                return r.max_bytes, r.setting
        return self.default_bytes, self.default_setting


class BodyTooLarge(HTTPException):
    """A request body over its route's limit (raised from `receive`, so whoever is reading the
    body stops there; FastAPI passes HTTPExceptions raised while parsing a body through)."""

    def __init__(self, limit: int, setting: str) -> None:
        self.limit = limit
        self.setting = setting
        super().__init__(
            status_code=413,
            detail=f"request body over {limit:,} bytes, the limit for this route "
            f"(set by {setting})",
        )

    def body(self) -> dict[str, Any]:
        return {
            "error": "too_large",
            "detail": self.detail,
            "limit": self.limit,
            "setting": self.setting,
        }


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, limits: BodyLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, setting = self.limits.for_request(scope["method"], scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _answer(BodyTooLarge(limit, setting), send)
            return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit, setting)
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except BodyTooLarge as exc:  # not answered by the app (e.g. read outside a route)
            if started:
                raise
            await _answer(exc, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _answer(exc: BodyTooLarge, send: Send) -> None:
    content = orjson.dumps(exc.body())
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(content)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": content})


async def _too_large(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, BodyTooLarge)
    return JSONResponse(status_code=413, content=exc.body(), headers={"Connection": "close"})


async def _upload_too_large(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, UploadTooLarge)
    return JSONResponse(status_code=413, content=exc.body())


def install(app: FastAPI, limits: BodyLimits | None = None) -> None:
    """Every route's body limited (from the environment unless `limits` is given)."""
    app.state.body_limits = limits or BodyLimits.from_env()
    app.add_exception_handler(BodyTooLarge, _too_large)
    app.add_exception_handler(UploadTooLarge, _upload_too_large)
    app.add_middleware(BodyLimitMiddleware, limits=app.state.body_limits)
