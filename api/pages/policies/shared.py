"""The pages every signed-in person shares: sign-in, sign-out, language, the start page;
the static files of the pages and of /docs."""

from api.auth import ROLES

PAGES = {
    "GET /pages/sign-in": "public",
    "POST /pages/sign-in": "public",
    "GET /pages/language": "public",
    "POST /pages/sign-out": ROLES,
    "GET /pages": ROLES,
    "GET /pages/static": "public",  # htmx, the style sheet (api/pages/static/)
    "GET /static-offline-docs": "public",  # /docs's Swagger UI and ReDoc files
}
NAV = [("/pages", "Start", "pages")]
