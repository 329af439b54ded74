"""The order list filters by every lifecycle status (the allowed values are the lifecycle's own)
and by destination, warehouse, carrier, waybill, promised date and customer (e-mail exactly,
name by prefix, through a keyed blind index that an erasure clears); it pages by keyset."""

from __future__ import annotations

import pytest

from domains.orders.lifecycle import ORDER_STATUSES
from tests.journey import (
    desk,  # noqa: F401 - a fixture
    floor,  # noqa: F401 - a fixture
    pack,
    place,
    scan_all,
    scans,
    stock,
    to_the_door,
    wave,
)
from tests.privacy.helpers import HUGO, ZOFIA, scan_sqlite

ALMA = {
    "name": "Alma Øverby",
    "email": "alma@example.dk",
    "phone": "+45 20 12 34 56",
    "line1": "Nørregade 1",
    "line2": None,
}


def ids(c, who="admin", **params):
    r = c.get("/v1/orders", params=params, headers=c.keys[who])
    assert r.status_code == 200, r.text
    return {o["id"] for o in r.json()["items"]}


@pytest.fixture
def orders(desk):  # noqa: F811
    """Orders in every state a person can bring one to, by name; the labels of the two that
    left. Shipments to be waved are placed after the earlier waves, so each wave takes one."""
    c = desk
    stock(c, "F", qty=200)
    made, labels = {}, {}
    made["delivered"], _, labels["delivered"] = to_the_door(c, ZOFIA, "F-DELIVERED")
    lab = labels["delivered"]
    scans(c, lab["carrier"], lab["waybill"], (4, "delivered"))
    made["dispatched"], _, labels["dispatched"] = to_the_door(c, HUGO, "F-DISPATCHED")
    made["packed"] = place(c, HUGO, "F-PACKED")["id"]
    scan_all(c, wave(c), "F-PACKED")
    pack(c, f"{made['packed']}-S1")
    made["picking"] = place(c, HUGO, "F-PICKING")["id"]
    wave(c)
    # Placed five days later, to Berlin: a later promise and another destination.
    made["allocated"] = place(
        c,
        ALMA,
        "F-ALLOCATED",
        placed_at="2026-11-25T08:00:00Z",
        country="DE",
        postcode="10115",
        city="Berlin",
    )["id"]
    made["held"] = place(c, HUGO, "F-HELD", qty=10_000)["id"]  # more than all the stock
    made["cancelled"] = place(c, HUGO, "F-CANCELLED")["id"]
    r = c.post(
        f"/v1/orders/{made['cancelled']}/cancel", json={"reason": "test"}, headers=c.keys["admin"]
    )
    assert r.status_code == 200, r.text
    c.made, c.labels = made, labels
    return c


def test_every_lifecycle_status_filters_and_an_unknown_one_lists_them(orders):  # noqa: F811
    c = orders
    for status in ORDER_STATUSES:  # received and approved pass in a moment: none are left
        expected = {c.made[status]} if status in c.made else set()
        assert ids(c, status=status) == expected, status
    r = c.get("/v1/orders", params={"status": "shipped"}, headers=c.keys["admin"])
    assert r.status_code == 422
    (error,) = r.json()["detail"]
    assert error["loc"] == "query.status" or error["loc"].endswith("status")
    assert all(f"'{s}'" in error["msg"] for s in ORDER_STATUSES), error["msg"]


def test_filters_by_destination_warehouse_carrier_waybill_and_promise(orders):  # noqa: F811
    c = orders
    made, labels = c.made, c.labels
    everyone = set(made.values())
    assert ids(c, country="DE") == {made["allocated"]}
    assert ids(c, country="GB") == everyone - {made["allocated"]}
    # Every order that was split ships from FRA; the held one never got a shipment.
    assert ids(c, warehouse="FRA") == everyone - {made["held"]}
    assert ids(c, warehouse="LAX") == set()
    for name, lab in labels.items():
        assert ids(c, waybill=lab["waybill"]) == {made[name]}
        same_carrier = {
            made[n] for n, other in labels.items() if other["carrier"] == lab["carrier"]
        }
        assert ids(c, carrier=lab["carrier"]) == same_carrier
    assert ids(c, carrier="no-such-carrier") == set()
    # The web shop promises 12 days: placed 20 Nov -> 2 Dec; the Berlin order, 25 Nov -> 7 Dec.
    assert ids(c, promised_from="2026-12-03") == {made["allocated"]}
    assert ids(c, promised_to="2026-12-02") == everyone - {made["allocated"]}
    assert ids(c, promised_from="2026-12-02", promised_to="2026-12-02", status="packed") == {
        made["packed"]
    }
    listed = c.get("/v1/orders", params={"country": "DE"}, headers=c.keys["admin"]).json()
    assert listed["items"][0]["promised_date"] == "2026-12-07"
    bad = c.get(
        "/v1/orders", params={"country": "de", "promised_from": "soon"}, headers=c.keys["admin"]
    )
    assert bad.status_code == 422
    assert {e["loc"].split(".")[-1] for e in bad.json()["detail"]} == {"country", "promised_from"}


def test_customer_search_by_exact_email_and_name_prefixes(orders):  # noqa: F811
    c = orders
    made = c.made
    hugo = {made[n] for n in ("dispatched", "packed", "picking", "held", "cancelled")}
    assert ids(c, email=ZOFIA["email"].upper()) == {made["delivered"]}  # case does not matter
    assert ids(c, email="zofia.k.brennan@example.or") == set()  # exact, not a prefix
    assert ids(c, name="kowal") == {made["delivered"]}  # a prefix of the second word
    assert ids(c, name="Zof Bren") == {made["delivered"]}  # every word a prefix
    assert ids(c, name="hugo") == hugo
    assert ids(c, name="overb") == {made["allocated"]}  # Øverby without its accent: "o"
    assert ids(c, name="hugo", status="held") == {made["held"]}
    for params, loc in [({"email": "not-an-email"}, "email"), ({"name": "z"}, "name")]:
        r = c.get("/v1/orders", params=params, headers=c.keys["admin"])
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == loc, r.text


def test_keyed_pages_list_every_order_once_in_the_list_s_order(orders):  # noqa: F811
    c = orders
    whole = c.get("/v1/orders", params={"limit": 100}, headers=c.keys["admin"]).json()
    seen, after = [], None
    while True:
        params = {"limit": 3, **({"after": after} if after else {})}
        r = c.get("/v1/orders", params=params, headers=c.keys["admin"]).json()
        seen += [o["id"] for o in r["items"]]
        assert r["total"] == whole["total"]
        after = r["next"]
        if after is None:
            break
    assert seen == [o["id"] for o in whole["items"]] and len(seen) == len(c.made)
    r = c.get("/v1/orders", params={"after": "garbage"}, headers=c.keys["admin"])
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == "after"


def test_keys_bound_to_a_tenant_see_only_their_own(orders):  # noqa: F811
    c = orders
    assert ids(c, who="ann") == set()  # nothing ships from LAX
    assert ids(c, who="fra", warehouse="LAX") == set()
    assert ids(c, who="fra") == set(c.made.values()) - {c.made["held"]}


def test_erasure_makes_the_customer_search_miss(desk):  # noqa: F811
    c = desk
    zofia = place(c, ZOFIA, "E-ZOFIA")["id"]
    hugo = place(c, HUGO, "E-HUGO")["id"]
    assert ids(c, email=ZOFIA["email"]) == {zofia} and ids(c, name="kowalczyk") == {zofia}
    r = c.post(
        "/v1/privacy/erasure-requests",
        json={"email": ZOFIA["email"], "reason": "GDPR art. 17"},
        headers=c.keys["dpo"],
    )
    assert r.status_code == 201, r.text
    assert ids(c, email=ZOFIA["email"]) == set()
    assert ids(c, name="kowalczyk") == set() and ids(c, name="zofia") == set()
    assert ids(c, name="hugo") == {hugo}  # nobody else is touched
    assert zofia in ids(c, status="held")  # the order itself is still listed
    # A rebuilt index cannot bring her back: her data no longer opens.
    c.svc.runner.rebuild("order_search")
    assert ids(c, email=ZOFIA["email"]) == set() and ids(c, name="kowal") == set()
    assert ids(c, name="marchetti") == {hugo}
    found, tables = scan_sqlite(c.svc.db.env["SQLITE_DBNAME"], ZOFIA)
    assert "view_order_search" in tables and "view_order_search" not in found
