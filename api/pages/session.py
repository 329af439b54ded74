"""Signed-in pages: the API key pasted once becomes a session cookie; CSRF tokens per session.

The cookie is `<key sha256>.<expires unix>.<nonce>.<signature>`, signed (HMAC-SHA256) with the
server's secret (`CROSSDOCK_SESSION_SECRET`; without it a random one per process, so sessions end
when the server restarts, and several worker processes need the variable set). It carries no key:
each request resolves the key's SHA-256 through the same `KeyStore` as a Bearer key
(`identify_digest`), so the session has the key's principal, role and scope, and a revoked or
expired key ends its sessions at once. The cookie is HttpOnly, SameSite=Strict, Secure over https,
and expires after `CROSSDOCK_SESSION_HOURS` (8).

CSRF: every form and htmx request that changes something carries the session's token (hidden
field `csrf_token` or header `X-CSRF-Token`), an HMAC of the session's nonce; without it, 403.
The sign-in form, before there is a session, uses a short-lived sign-in cookie the same way.
Sign-out forgets the nonce in this process (and deletes the cookie).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie

from fastapi import HTTPException, Request, Response

from api.auth import KeyRefused, KeyStore, Principal
from api.deps import admit_role

SESSION_COOKIE = "crossdock_session"
SIGN_IN_COOKIE = "crossdock_sign_in"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class SignInRequired(Exception):
    """No usable session: the page answers with a redirect to the sign-in page."""

    def __init__(self, reason: str, next_url: str = "/pages") -> None:
        super().__init__(reason)
        self.reason = reason
        self.next_url = next_url


class PageRefused(Exception):
    """A signed-in user may not see or do this (the page answers 403 with the reason)."""

    def __init__(self, reason: str, status: int = 403) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class Session:
    digest: str
    expires: int
    nonce: str


class Sessions:
    """Signs and reads session cookies and CSRF tokens with one secret."""

    def __init__(self, secret: bytes | None = None, hours: float | None = None) -> None:
        configured = os.environ.get("CROSSDOCK_SESSION_SECRET", "")
        self._secret = secret or (configured.encode() if configured else secrets.token_bytes(32))
        self.max_age = int(3600 * (hours or float(os.environ.get("CROSSDOCK_SESSION_HOURS", 8))))
        self._ended: dict[str, int] = {}  # nonce -> expiry, for sessions signed out

    def _sign(self, text: str) -> str:
        mac = hmac.new(self._secret, text.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def issue(self, digest: str, now: float | None = None) -> str:
        expires = int((now if now is not None else time.time()) + self.max_age)
        body = f"{digest}.{expires}.{secrets.token_urlsafe(16)}"
        return f"{body}.{self._sign(body)}"

    def read(self, cookie: str | None, now: float | None = None) -> Session | None:
        """The session a cookie value holds, or None (absent, forged, expired, signed out)."""
        if not cookie:
            return None
        body, _, signature = cookie.rpartition(".")
        if not hmac.compare_digest(self._sign(body), signature):
            return None
        parts = body.split(".")
        if len(parts) != 3 or not parts[1].isdigit():
            return None
        session = Session(parts[0], int(parts[1]), parts[2])
        if session.expires <= (now if now is not None else time.time()):
            return None
        if session.nonce in self._ended:
            return None
        return session

    def end(self, session: Session) -> None:
        now = time.time()
        self._ended = {n: e for n, e in self._ended.items() if e > now}
        self._ended[session.nonce] = session.expires

    def csrf_token(self, nonce: str) -> str:
        return self._sign("csrf:" + nonce)

    def sign_in_token(self, nonce: str) -> str:
        return self._sign("sign-in:" + nonce)


def cookie_from_header(header: str | None, name: str = SESSION_COOKIE) -> str | None:
    if not header:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header)
    except Exception:  # a malformed Cookie header is no session
        return None
    morsel = jar.get(name)
    return morsel.value if morsel is not None else None


def page_principal(
    sessions: Sessions,
    keys: KeyStore,
    cookie_header: str | None,
    roles: tuple[str, ...],
    path: str = "/pages",
) -> Principal:
    """The signed-in principal for a page whose policy allows `roles`: SignInRequired without
    a session (or when its key was revoked or expired), PageRefused for another role."""
    session = sessions.read(cookie_from_header(cookie_header))
    if session is None:
        raise SignInRequired("please sign in", path)
    try:
        who = keys.identify_digest(session.digest)
    except KeyRefused as refused:
        raise SignInRequired(str(refused), path) from None
    try:
        return admit_role(keys, who, roles)
    except HTTPException as exc:
        raise PageRefused(str(exc.detail), exc.status_code) from None


def sessions_of(request: Request) -> Sessions:
    return request.app.state.services.sessions  # type: ignore[no-any-return]


def current_session(request: Request) -> Session | None:
    return sessions_of(request).read(request.cookies.get(SESSION_COOKIE))


async def csrf_protect(request: Request) -> None:
    """Router dependency of every page route: a request that changes something must carry the
    session's CSRF token (or, for the sign-in form, the sign-in cookie's)."""
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            value = (await request.form()).get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    sessions = sessions_of(request)
    session = current_session(request)
    expected = []
    if session is not None:
        expected.append(sessions.csrf_token(session.nonce))
    pre = request.cookies.get(SIGN_IN_COOKIE)
    if pre:
        expected.append(sessions.sign_in_token(pre))
    if not sent or not any(hmac.compare_digest(sent, e) for e in expected):
        raise PageRefused("this form's security token is missing or stale: reload the page")


def set_page_cookie(
    response: Response, request: Request, name: str, value: str, max_age: int
) -> None:
    """HttpOnly, SameSite=Strict, Secure when the request came over https; sent to /pages only."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/pages",
    )
