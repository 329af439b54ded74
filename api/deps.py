"""Request-scoped dependencies: the running services and the caller's identity."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param

from api.auth import KeyRefused, KeyStore, Principal
from domains.crossdock import Crossdock
from projections import ProjectionRunner, ViewDB


@dataclass
class Services:
    app: Crossdock
    db: ViewDB
    runner: ProjectionRunner
    keys: KeyStore
    inline_projection: bool = True
    batcher: Any = None  # api.batcher.IntakeBatcher: group commit for HTTP intake
    outbox: Any = None  # adapters.outbox.worker.Outbox: subscriptions, dead letters, replay
    sessions: Any = None  # api.pages.session.Sessions: the pages' signed-in sessions

    def fresh_views(self, until: int | None = None) -> None:
        """Read-your-writes: bring the views up to the log's end (or a given position)."""
        if self.inline_projection or until is not None:
            self.runner.catch_up(until=until)


# The dependencies below are `async def` on purpose: they only read memory, and FastAPI runs a
# plain `def` dependency in the thread pool, a thread hop per dependency per request.
async def services(request: Request) -> Services:
    return request.app.state.services


_bearer = HTTPBearer(auto_error=False)


def bearer_credentials(authorization: str | None) -> HTTPAuthorizationCredentials | None:
    """What `HTTPBearer(auto_error=False)` makes of an Authorization header, for callers that
    read the header themselves (api/fast_intake.py)."""
    scheme, credentials = get_authorization_scheme_param(authorization)
    if not (authorization and scheme and credentials) or scheme.lower() != "bearer":
        return None
    return HTTPAuthorizationCredentials(scheme=scheme, credentials=credentials)


def authorize(
    keys: KeyStore, creds: HTTPAuthorizationCredentials | None, roles: tuple[str, ...] | None
) -> Principal:
    """The caller behind the key, if its role is one of `roles` (any role when None): 401 without
    a usable key (unknown, expired, revoked), 429 over the key's request rate, 403 for a role
    not in `roles`."""
    if creds is None:  # no header, or not a Bearer one (HTTPBearer / bearer_credentials)
        raise HTTPException(
            status_code=401,
            detail="missing API key: send 'Authorization: Bearer <key>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    try:
        who = keys.identify(creds.credentials)
    except KeyRefused as refused:
        raise HTTPException(
            status_code=401, detail=str(refused), headers={"WWW-Authenticate": "Bearer"}
        ) from None
    return admit_role(keys, who, roles)


def admit_role(keys: KeyStore, who: Principal, roles: tuple[str, ...] | None) -> Principal:
    """An identified caller (by key, or by a page session): 429 over its key's rate, 403 for a
    role not in `roles`."""
    wait = keys.throttle(who)
    if wait is not None:
        seconds, rate = wait
        retry = max(1, math.ceil(seconds))
        raise HTTPException(
            status_code=429,
            detail=f"over this key's rate of {rate}; retry in {retry} s",
            headers={"Retry-After": str(retry)},
        )
    if roles is not None and who.role not in roles:
        raise HTTPException(
            status_code=403,
            detail=f"role {who.role!r} may not do this; needs one of {', '.join(roles)}",
        )
    return who


PRINCIPAL = "crossdock.principal"  # where api/access.py leaves the caller in the request scope


async def caller(
    request: Request,
    _: HTTPAuthorizationCredentials | None = Depends(_bearer),  # documents the Bearer scheme
) -> Principal:
    """The caller the route's access policy admitted (api/access.py runs before the route)."""
    who = request.scope.get(PRINCIPAL)
    if who is None:  # a route the access guard did not run for: deny
        raise HTTPException(status_code=403, detail="no access policy admitted this request")
    return who


principal = caller


def require(*roles: str) -> Callable[..., Principal]:
    """Kept for routes written before api/access.py: the admitted caller, and a second check of
    its role (the policy in api/access.py is what admits it)."""

    async def check(who: Principal = Depends(caller)) -> Principal:
        if who.role not in roles:
            raise HTTPException(
                status_code=403,
                detail=f"role {who.role!r} may not do this; needs one of {', '.join(roles)}",
            )
        return who

    return check  # type: ignore[return-value]


def encode_json(content: Any) -> bytes:
    """JSON by orjson, skipping FastAPI's generic response encoding (jsonable_encoder walks
    every nested value in Python; order bodies are deep)."""
    return orjson.dumps(content, default=_json_default, option=orjson.OPT_NON_STR_KEYS)


def _json_default(value: Any) -> Any:
    """What orjson does not encode itself (it does UUIDs, datetimes and dataclasses)."""
    from decimal import Decimal

    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def as_json(value: Any) -> Any:
    """Decimals and other domain values as JSON types (for responses FastAPI encodes): the same
    rules as `encode_json`, by one round trip through it."""
    return orjson.loads(encode_json(value))
