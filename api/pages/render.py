"""Rendering a page: the Jinja2 environment and what every template gets.

A page handler calls `page(request, "customs/queue.html", "customs", {...})`. Every template has:
`_` (gettext in the area's domain, api/pages/i18n.py), `fmt` (dates, numbers, money per locale),
`lang`, `dir`, `languages`, `who` (the signed-in principal or None), `nav` (the links this role
may open), `csrf_token` (for forms and the htmx header), `request` and `path`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from api.access import POLICIES
from api.auth import Principal
from api.deps import PRINCIPAL, Services, caller, services
from api.pages.i18n import LANG_COOKIE, LANGUAGES, Formatter, Translator, direction, negotiate
from api.pages.policies import NAV
from api.pages.session import current_session, sessions_of

TEMPLATES = Path(__file__).parent / "templates"
env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html", "svg"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def language(request: Request) -> str:
    return negotiate(request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"))


def nav_for(who: Principal | None) -> list[tuple[str, str, str]]:
    """The layout's links this principal's role may open (by the pages' own policies)."""
    if who is None:
        return []
    out = []
    for href, message, domain in NAV:
        policy = POLICIES.get(f"GET {href}")
        if policy is not None and (policy.public or who.role in policy.roles):
            out.append((href, message, domain))
    return out


def context(request: Request, domain: str) -> dict[str, Any]:
    lang = language(request)
    who = request.scope.get(PRINCIPAL)
    session = current_session(request)
    token = sessions_of(request).csrf_token(session.nonce) if session is not None else ""
    return {
        "request": request,
        "path": request.url.path,
        "lang": lang,
        "dir": direction(lang),
        "languages": LANGUAGES,
        "_": Translator(lang, domain),
        "fmt": Formatter(lang),
        "who": who,
        "nav": [(href, Translator(lang, d)(msg)) for href, msg, d in nav_for(who)],
        "csrf_token": token,
    }


@dataclass(frozen=True)
class PageCall:
    """What a page handler works with: the request, the signed-in caller, the services."""

    request: Request
    who: Principal
    svc: Services


async def page_call(
    request: Request, who: Principal = Depends(caller), svc: Services = Depends(services)
) -> PageCall:
    """A page route's dependency: `call: PageCall = Depends(page_call)`."""
    return PageCall(request, who, svc)


def page(
    request: Request,
    template: str,
    domain: str,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    html = env.get_template(template).render({**context(request, domain), **(values or {})})
    return HTMLResponse(html, status_code=status_code)
