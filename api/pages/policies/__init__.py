"""Who may open each page: one module per page area (shared.py, customs.py, finance.py, ...),
each with `PAGES` ("METHOD /pages/path" -> the roles, or "public") and `NAV` (the links the
layout shows: href, message id, gettext domain; shown to a role its page's policy admits).

api/access.py turns `PAGES` into page policies of the same table as the API's routes, so there is
one source of truth for roles. A new area adds a module here; nothing else to edit.
"""

from __future__ import annotations

import importlib
import pkgutil

PageRoles = tuple[str, ...] | str  # the roles, or "public"
NavLink = tuple[str, str, str]  # href, message id, gettext domain

PAGES: dict[str, PageRoles] = {}
NAV: list[NavLink] = []

for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    _module = importlib.import_module(f"{__name__}.{_info.name}")
    PAGES.update(getattr(_module, "PAGES", {}))
    NAV.extend(getattr(_module, "NAV", []))
NAV.sort(key=lambda link: link[0] != "/pages")  # the start page first, then the areas A-Z
