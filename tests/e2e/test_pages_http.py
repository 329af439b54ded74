"""The pages' sign-in, session cookie, CSRF, refusals, languages and the offline /docs, over HTTP
(what needs a real browser is in tests/browser/)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.e2e.test_warehouse_http import floor  # noqa: F401 - fixture


def key_of(c: Any, name: str) -> str:
    return str(c.keys[name]["Authorization"].removeprefix("Bearer "))


def token_in(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found[1]


def sign_in(c: TestClient, key: str, next_url: str = "/pages") -> Any:
    form = c.get("/pages/sign-in")
    data = {"api_key": key, "csrf_token": token_in(form.text), "next": next_url}
    return c.post("/pages/sign-in", data=data, follow_redirects=False)


@pytest.fixture
def https(floor):  # noqa: F811
    with TestClient(create_app(floor.svc), base_url="https://desk.example") as c:
        c.keys = floor.keys
        yield c


def test_the_session_cookie_is_httponly_strict_and_secure_over_https(https):
    r = sign_in(https, key_of(https, "customs"), "/pages/customs")
    assert r.status_code == 303 and r.headers["location"] == "/pages/customs"
    cookie = next(v for v in r.headers.get_list("set-cookie") if "crossdock_session=" in v)
    flags = [f.strip().lower() for f in cookie.split(";")]
    assert "httponly" in flags and "samesite=strict" in flags and "secure" in flags
    assert "path=/pages" in flags and any(f.startswith("max-age=") for f in flags)
    assert key_of(https, "customs") not in cookie  # the key itself never goes into the cookie


def test_over_plain_http_the_cookie_is_not_marked_secure(floor):  # noqa: F811
    r = sign_in(floor, key_of(floor, "customs"))
    cookie = next(v for v in r.headers.get_list("set-cookie") if "crossdock_session=" in v)
    assert "secure" not in cookie.lower()


def test_the_session_is_the_keys_principal_and_role(https):
    assert https.get("/pages", follow_redirects=False).status_code == 303
    sign_in(https, key_of(https, "fra"))
    start = https.get("/pages")
    assert start.status_code == 200 and "fra (warehouse)" in start.text
    assert "/pages/customs" not in start.text  # no link to a page the role may not open
    refused = https.get("/pages/customs")
    assert refused.status_code == 403 and "may not open this page" in refused.text


def test_a_wrong_key_is_refused_with_a_reason_and_no_session(https):
    r = sign_in(https, "cdk_not-a-key")
    assert r.status_code == 401 and "unknown API key" in r.text
    assert "crossdock_session" not in https.cookies
    assert https.get("/pages", follow_redirects=False).status_code == 303


def test_sign_out_ends_the_session_even_for_a_replayed_cookie(https):
    sign_in(https, key_of(https, "customs"))
    cookie = https.cookies["crossdock_session"]
    page = https.get("/pages")
    out = https.post("/pages/sign-out", data={"csrf_token": token_in(page.text)},
                     follow_redirects=False)  # fmt: skip
    assert out.status_code == 303 and out.headers["location"] == "/pages/sign-in"
    assert "crossdock_session" not in https.cookies
    https.cookies.set("crossdock_session", cookie, domain="desk.example", path="/pages")
    again = https.get("/pages/customs", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"].startswith("/pages/sign-in")


def test_a_revoked_key_ends_its_sessions(https):
    sign_in(https, key_of(https, "customs"))
    assert https.get("/pages").status_code == 200
    keys = https.app.state.services.keys
    entry = keys._keys.pop(next(h for h, k in keys._keys.items() if k.who.name == "customs"))
    assert entry.who.role == "customs"
    assert https.get("/pages", follow_redirects=False).status_code == 303


def test_a_forged_cookie_is_no_session(https):
    sign_in(https, key_of(https, "fra"))
    digest, expires, nonce, signature = https.cookies["crossdock_session"].split(".")
    customs = next(h for h, k in https.app.state.services.keys._keys.items()
                   if k.who.name == "customs")  # fmt: skip
    https.cookies.set("crossdock_session", f"{customs}.{expires}.{nonce}.{signature}",
                      domain="desk.example", path="/pages")  # fmt: skip
    assert https.get("/pages/customs", follow_redirects=False).status_code == 303


def test_a_form_post_without_the_csrf_token_is_refused(https):
    sign_in(https, key_of(https, "customs"))
    page = https.get("/pages")
    assert https.post("/pages/sign-out", follow_redirects=False).status_code == 403
    wrong = https.post("/pages/sign-out", data={"csrf_token": "x" + token_in(page.text)})
    assert wrong.status_code == 403 and "security token" in wrong.text
    assert https.get("/pages").status_code == 200  # still signed in: nothing was done
    header = https.post("/pages/sign-out", headers={"X-CSRF-Token": token_in(page.text)},
                        follow_redirects=False)  # fmt: skip
    assert header.status_code == 303


def test_sign_in_itself_needs_its_form_token(https):
    r = https.post("/pages/sign-in", data={"api_key": key_of(https, "customs")})
    assert r.status_code == 403 and "crossdock_session" not in https.cookies


def test_the_language_follows_the_browser_then_the_switch(https):
    es = https.get("/pages/sign-in", headers={"Accept-Language": "es-ES,es;q=0.9,en;q=0.5"})
    assert '<html lang="es" dir="ltr">' in es.text and "Iniciar sesión" in es.text
    ar = https.get("/pages/sign-in", headers={"Accept-Language": "ar"})
    assert '<html lang="ar" dir="rtl">' in ar.text and "تسجيل الدخول" in ar.text
    switched = https.get("/pages/language?lang=ar&next=/pages/sign-in")
    assert switched.status_code == 200 and 'dir="rtl"' in switched.text
    assert https.get("/pages/language?lang=xx").status_code == 422
    away = https.get("/pages/language?lang=es&next=//evil.example/", follow_redirects=False)
    assert away.headers["location"] == "/pages"


def test_docs_load_only_local_assets(https):
    html = https.get("/docs").text + https.get("/redoc").text
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and all(a.startswith("/") and not a.startswith("//") for a in assets), assets
    for asset in assets:
        assert https.get(asset).status_code == 200, asset
    assert "/openapi.json" in html
