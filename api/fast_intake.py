"""The busiest endpoint, served without FastAPI's request machinery.

`POST /v1/channels/{amazon|shopee|shopify|tiktok|web}/orders` is what marketplace connectors hit
all day. Through FastAPI a request passes five middleware layers, the router's scan of every route,
dependency resolution and response wrapping before and after the work itself; measured under 50
concurrent clients that was about half of the server's CPU per order. `CrossdockAPI` is the same
FastAPI application, except that it hands exactly these requests to `take_order` (the code the
documented route in api/routes_orders.py runs) after the same access policy (api/access.py:
key, rate, role and channel, before the body is read). Errors are
answered by the application's own exception handlers, so every status and body is the route's
(tests/e2e/test_fast_intake.py compares the two answer by answer). Everything else, including
any other method or path, goes through FastAPI as before.
"""

from __future__ import annotations

import inspect
import logging
import re
from typing import Any

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from api import access
from api.deps import PRINCIPAL, Services
from api.limits import BodyLimitMiddleware
from api.routes_orders import MAX_JSON_BYTES, take_order

log = logging.getLogger(__name__)
INTAKE_PATH = re.compile(r"/v1/channels/(amazon|shopee|shopify|tiktok|web)/orders")
INTAKE_POLICY = access.POLICIES["POST /v1/channels/{channel}/orders"]


class CrossdockAPI(FastAPI):
    """FastAPI, with a lean dispatcher for order intake (switch off with `fast_intake=False`)."""

    def __init__(self, *args: Any, fast_intake: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fast_intake = fast_intake
        self._access: access.AccessTable | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if self.fast_intake and scope["method"] == "POST":
                match = INTAKE_PATH.fullmatch(scope["path"])
                if match is not None:
                    channel = match[1]

                    async def intake(scope: Scope, receive: Receive, send: Send) -> None:
                        await self._intake(channel, scope, receive, send)

                    # The body limit every other route has (api/limits.py), outside the stack.
                    limited = BodyLimitMiddleware(intake, self.state.body_limits)
                    await limited(scope, receive, send)
                    return
            if not await self._admitted(scope, receive, send):
                return
        await super().__call__(scope, receive, send)

    async def _admitted(self, scope: Scope, receive: Receive, send: Send) -> bool:
        """Every route's access policy (api/access.py), applied before FastAPI routes the
        request, so before any body is read; False when it was answered here (refused)."""
        if self._access is None:  # built at the first request, when every router is included
            self._access = access.AccessTable(self.routes)
        path = scope["path"]
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        found = self._access.match(scope["method"], path)
        if found is None:  # no route takes it: the router answers 404 or 405
            return True
        policy, params = found
        scope["app"] = self  # as Starlette sets it, for the error handlers' Request
        try:
            svc = self.state.services if policy is None or not policy.public else None
            scope[PRINCIPAL] = await access.admit(
                policy, svc, _authorization(scope), params, _header(scope, b"cookie"), path
            )
        except Exception as exc:
            response = await self._handled(exc, scope, receive)
            await response(scope, receive, send)
            return False
        return True

    async def _intake(self, channel: str, scope: Scope, receive: Receive, send: Send) -> None:
        scope["app"] = self  # as Starlette sets it, for the error handlers' Request
        svc: Services = self.state.services
        try:
            who = await access.admit(
                INTAKE_POLICY, svc, _authorization(scope), {"channel": channel}
            )
            assert who is not None  # the intake policy is not public
            body = await _read_body(receive, MAX_JSON_BYTES)
            if body is None:  # the client went away: nobody to answer, nothing taken in
                return
            status, content, location = await take_order(svc, who, channel, body)
        except Exception as exc:
            response = await self._handled(exc, scope, receive)
            await response(scope, receive, send)
            return
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(content)).encode()),
            (b"location", location.encode()),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": content})

    async def _handled(self, exc: Exception, scope: Scope, receive: Receive) -> Any:
        """The response the application's exception handlers give for `exc`; an exception with
        no handler propagates (the server answers 500 and logs it, as for any route)."""
        for cls in type(exc).__mro__:
            handler = self.exception_handlers.get(cls)
            if handler is not None:
                request = Request(scope, receive)
                if inspect.iscoroutinefunction(handler):
                    return await handler(request, exc)
                return await run_in_threadpool(handler, request, exc)
        raise exc


def _authorization(scope: Scope) -> str | None:
    return _header(scope, b"authorization")


def _header(scope: Scope, wanted: bytes) -> str | None:
    for name, value in scope["headers"]:
        if name == wanted:
            return str(value.decode("latin-1"))
    return None


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The request body, but no more than `limit` + 1 bytes of it: enough for the caller to
    refuse an oversized payload without holding all of it. None when the client disconnected."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        if chunk:
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                break
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    return body[: limit + 1]
