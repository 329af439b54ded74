"""Sign-in (the API key pasted once), sign-out, the language switch and the start page."""

from __future__ import annotations

import secrets
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.auth import KeyRefused, Principal, hash_key
from api.deps import Services, caller, services
from api.pages.i18n import LANG_COOKIE, LANGUAGES
from api.pages.render import page
from api.pages.session import (
    SESSION_COOKIE,
    SIGN_IN_COOKIE,
    csrf_protect,
    current_session,
    sessions_of,
    set_page_cookie,
)

router = APIRouter(prefix="/pages", include_in_schema=False, dependencies=[Depends(csrf_protect)])


def safe_next(target: str | None) -> str:
    """Only a page of this site (no open redirect to another host)."""
    if target and target.startswith("/pages") and not target.startswith("//"):
        return target
    return "/pages"


def _sign_in_form(
    request: Request, next_url: str, error: str | None = None, status_code: int = 200
) -> HTMLResponse:
    nonce = secrets.token_urlsafe(16)
    values = {
        "next_url": safe_next(next_url),
        "error": error,
        "sign_in_token": sessions_of(request).sign_in_token(nonce),
    }
    response = page(request, "sign_in.html", "pages", values, status_code)
    set_page_cookie(response, request, SIGN_IN_COOKIE, nonce, 3600)
    return response


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request, next: str = "/pages", reason: str | None = None) -> Response:
    return _sign_in_form(request, next, reason)


@router.post("/sign-in")
def sign_in(
    request: Request,
    api_key: str = Form("", max_length=200),
    next: str = Form("/pages", max_length=500),
    svc: Services = Depends(services),
) -> Response:
    """The key's principal, checked as a Bearer key is; a session cookie for it."""
    key = api_key.strip()
    if not key:
        return _sign_in_form(request, next, "Paste your API key.", 422)
    try:
        svc.keys.identify(key)
    except KeyRefused as refused:
        return _sign_in_form(request, next, str(refused), 401)
    response = RedirectResponse(safe_next(next), status_code=303)
    sessions = sessions_of(request)
    set_page_cookie(
        response, request, SESSION_COOKIE, sessions.issue(hash_key(key)), sessions.max_age
    )
    response.delete_cookie(SIGN_IN_COOKIE, path="/pages")
    return response


@router.post("/sign-out")
def sign_out(request: Request, who: Principal = Depends(caller)) -> Response:
    session = current_session(request)
    if session is not None:
        sessions_of(request).end(session)
    response = RedirectResponse("/pages/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/pages")
    return response


@router.get("/language")
def switch_language(
    lang: str = Query(pattern="^(" + "|".join(LANGUAGES) + ")$"),
    next: str = "/pages",
) -> Response:
    """Remember the chosen language (a preference cookie, a year) and go back."""
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax", path="/")
    return response


@router.get("", response_class=HTMLResponse)
def start(request: Request, who: Principal = Depends(caller)) -> Response:
    return page(request, "start.html", "pages")


def sign_in_url(next_url: str, reason: str | None = None) -> str:
    query = {"next": safe_next(next_url)}
    if reason:
        query["reason"] = reason
    return "/pages/sign-in?" + urlencode(query)
