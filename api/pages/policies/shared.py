"""The pages every signed-in person shares: sign-in, sign-out, language, the start page;
the static files (api/pages/static/, /docs's assets) are mounts, public, outside this table."""

from api.auth import ROLES

PAGES = {
    "GET /pages/sign-in": "public",
    "POST /pages/sign-in": "public",
    "GET /pages/language": "public",
    "POST /pages/sign-out": ROLES,
    "GET /pages": ROLES,
}
NAV = [("/pages", "Start", "pages")]
