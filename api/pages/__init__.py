"""Pages for the people at a desk (issue 18): the customs desk, finance, the health dashboard.

Server-rendered Jinja2 templates with htmx (served from api/pages/static/, no CDN), signed in by
session cookie (api/pages/session.py), refused by the same access policies as the API
(api/pages/policies/, merged into api/access.py), in English, Spanish and Arabic
(api/pages/i18n.py). `install(api)` mounts the static files, the offline /docs and every router
in api/pages/routes/ (each module's `router`; a new area adds a module there).
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"


def install(api: FastAPI) -> None:
    from api.pages import docs, routes
    from api.pages.session import PageRefused, SignInRequired

    api.mount("/pages/static", StaticFiles(directory=STATIC), name="pages-static")
    docs.install(api)
    for info in sorted(pkgutil.iter_modules(routes.__path__), key=lambda m: m.name):
        api.include_router(importlib.import_module(f"{routes.__name__}.{info.name}").router)

    @api.exception_handler(SignInRequired)
    async def sign_in_first(request: Request, exc: SignInRequired) -> Response:
        from api.pages.routes.shared import sign_in_url

        target = sign_in_url(exc.next_url)
        if request.headers.get("HX-Request"):  # htmx follows this header, not a 303
            return Response(status_code=401, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @api.exception_handler(PageRefused)
    async def refused(request: Request, exc: PageRefused) -> Response:
        from api.pages.render import page

        values = {"reason": exc.reason}
        return page(request, "refused.html", "pages", values, status_code=exc.status)
