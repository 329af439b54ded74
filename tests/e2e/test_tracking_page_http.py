"""The buyer's tracking page: found by an unguessable token with no key, in the buyer's
language, with statuses and dates and nothing about the person beyond the destination city."""

from __future__ import annotations

import pytest

from tests.journey import desk, floor, scans, to_the_door  # noqa: F401 - fixtures
from tests.privacy.helpers import HUGO, ZOFIA, find_in


@pytest.fixture
def delivered(desk):  # noqa: F811
    """Zofia's parcel to London, scanned in transit and delivered: (client, order id, token)."""
    c = desk
    oid, sid, lab = to_the_door(c, ZOFIA, "T1")
    scans(c, lab["carrier"], lab["waybill"], (5, "transit"), (30, "delivered"))
    url = c.get(f"/v1/shipments/{sid}", headers=c.keys["admin"]).json()["tracking"]["url"]
    return c, oid, url.removeprefix("/track/"), lab


def test_the_page_in_the_buyer_s_language(delivered):
    c, _, token, lab = delivered
    # Dispatched on the test clock's day, 20 Nov 2026 09:00 UTC; delivered 30 h later.
    english = c.get(f"/track/{token}")  # no key: the token is the credential
    assert english.status_code == 200 and english.headers["content-type"].startswith("text/html")
    assert '<html lang="en">' in english.text  # GB's language, nothing else asked for
    assert "Track your parcel" in english.text and "Delivered" in english.text
    assert "London" in english.text and lab["waybill"] in english.text
    assert "November 20, 2026" in english.text and "November 21, 2026" in english.text

    german = c.get(f"/track/{token}", params={"lang": "de"})
    assert '<html lang="de">' in german.text and "Sendungsverfolgung" in german.text
    assert "Zugestellt" in german.text and "20. November 2026" in german.text

    french = c.get(f"/track/{token}", headers={"Accept-Language": "fr-CH, fr;q=0.9, en;q=0.8"})
    assert '<html lang="fr">' in french.text and "Livré" in french.text
    assert "20 novembre 2026" in french.text
    # ?lang= wins over the browser's languages; an unsupported one is a 422 naming them.
    spanish = c.get(f"/track/{token}?lang=es", headers={"Accept-Language": "fr"})
    assert '<html lang="es">' in spanish.text and "Entregado" in spanish.text
    bad = c.get(f"/track/{token}?lang=xx")
    assert bad.status_code == 422
    assert bad.json()["detail"] == [{"loc": "lang", "msg": "one of en, de, fr, es"}]


def test_the_json_has_statuses_and_dates_and_only_the_city(delivered):
    c, _, token, lab = delivered
    r = c.get(f"/v1/track/{token}")
    assert r.status_code == 200, r.text
    t = r.json()
    assert t["status"] == "delivered" and t["language"] == "en"
    assert t["destination"] == {"city": "London", "country": "GB"}
    assert [e["status"] for e in t["events"]] == ["in_transit", "delivered"]
    assert t["carrier"] == lab["carrier"] and t["waybill"] == lab["waybill"]
    assert t["delivered_at"].startswith("2026-11-21T15:00")  # 09:00 + 30 h
    for answer in (r, c.get(f"/track/{token}")):
        assert find_in(answer.content, ZOFIA) == []  # name, email, phone, street: none
        assert b"SW1A" not in answer.content  # nor the postcode


def test_a_wrong_token_is_a_404_whatever_it_looks_like(delivered):
    c, oid, token, _ = delivered
    assert oid.replace("-", "") not in token  # not made from the order id
    unknown = "0" * len(token)
    answers = [c.get(f"/v1/track/{t}") for t in (unknown, token[:-1], "not-a-token", "x" * 300)]
    assert {a.status_code for a in answers} == {404}
    assert len({a.text for a in answers}) == 1  # malformed and unknown answer alike
    assert c.get(f"/track/{unknown}").status_code == 404


def test_the_default_language_is_the_destination_s(desk):  # noqa: F811
    c = desk
    oid, sid, _ = to_the_door(c, HUGO, "T2", country="DE", postcode="10115", city="Berlin")
    url = c.get(f"/v1/shipments/{sid}", headers=c.keys["admin"]).json()["tracking"]["url"]
    page = c.get(url)
    assert '<html lang="de">' in page.text and "Unterwegs nach Berlin" in page.text
    assert "An den Versanddienstleister übergeben" in page.text  # handed over, no scan yet
