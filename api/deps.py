"""Request-scoped dependencies: the running services and the caller's identity."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from fastapi import Depends, HTTPException, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.auth import KeyStore, Principal
from domains.application import Crossdock
from projections import ProjectionRunner, ViewDB


@dataclass
class Services:
    app: Crossdock
    db: ViewDB
    runner: ProjectionRunner
    keys: KeyStore
    inline_projection: bool = True
    batcher: Any = None  # api.batcher.IntakeBatcher: group commit for HTTP intake

    def fresh_views(self, until: int | None = None) -> None:
        """Read-your-writes: bring the views up to the log's end (or a given position)."""
        if self.inline_projection or until is not None:
            self.runner.catch_up(until=until)


# The dependencies below are `async def` on purpose: they only read memory, and FastAPI runs a
# plain `def` dependency in the thread pool, a thread hop per dependency per request.
async def services(request: Request) -> Services:
    return request.app.state.services


_bearer = HTTPBearer(auto_error=False)


def _authenticate(request: Request, creds: HTTPAuthorizationCredentials | None) -> Principal:
    if creds is None or creds.scheme.lower() != "bearer":
        raise HTTPException(
            status_code=401,
            detail="missing API key: send 'Authorization: Bearer <key>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    who = request.app.state.services.keys.authenticate(creds.credentials)
    if who is None:
        raise HTTPException(
            status_code=401, detail="unknown API key", headers={"WWW-Authenticate": "Bearer"}
        )
    return who


async def principal(
    request: Request,
    creds: HTTPAuthorizationCredentials | None = Depends(_bearer),
) -> Principal:
    return _authenticate(request, creds)


def require(*roles: str) -> Callable[..., Principal]:
    # One dependency level (not principal -> check): FastAPI's dependency resolution costs
    # a noticeable share of a request on the intake hot path.
    async def check(
        request: Request,
        creds: HTTPAuthorizationCredentials | None = Depends(_bearer),
    ) -> Principal:
        who = _authenticate(request, creds)
        if who.role not in roles:
            raise HTTPException(
                status_code=403,
                detail=f"role {who.role!r} may not do this; needs one of {', '.join(roles)}",
            )
        return who

    return check  # type: ignore[return-value]


def scoped_channel(who: Principal, channel: str) -> None:
    """A connector only sees its own channel; another channel's things do not exist for it."""
    if who.role == "connector" and who.scope != channel:
        raise HTTPException(status_code=404, detail="not found")


def json_response(
    content: Any, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A JSON response serialised by orjson, skipping FastAPI's generic response encoding
    (jsonable_encoder walks every nested value in Python; order bodies are deep)."""
    return Response(
        orjson.dumps(content, default=_json_default, option=orjson.OPT_NON_STR_KEYS),
        status_code=status_code,
        headers=headers,
        media_type="application/json",
    )


def _json_default(value: Any) -> Any:
    """What orjson does not encode itself (it does UUIDs and datetimes), as `as_json` does."""
    from decimal import Decimal

    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def as_json(value: Any) -> Any:
    """Decimals and other domain values into JSON-friendly shapes."""
    from decimal import Decimal
    from uuid import UUID

    if isinstance(value, dict):
        return {str(k): as_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [as_json(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, UUID):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
