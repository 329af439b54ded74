"""Where is order X? The order page shows each shipment's journey in every state of the order,
GET /v1/shipments/{id} the same for one shipment, and the customs queue names the carrier."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from domains.orders.model import Order
from tests.journey import (
    SKU,
    desk,  # noqa: F401 - a fixture
    dispatch,
    floor,  # noqa: F401 - a fixture
    label,
    pack,
    place,
    scan_all,
    scans,
    stock,
    wave,
)
from tests.privacy.helpers import HUGO, ZOFIA, order_body

PLACED = date(2026, 11, 20)  # order_body's placed_at
WEB_PROMISE_DAYS = 12  # the web shop's delivery promise (domains/transport/channels.py)


def page(c, oid, who="admin"):
    r = c.get(f"/v1/orders/{oid}", headers=c.keys[who])
    assert r.status_code == 200, r.text
    return r.json()


def shipment(c, sid, who="admin"):
    r = c.get(f"/v1/shipments/{sid}", headers=c.keys[who])
    assert r.status_code == 200, r.text
    return r.json()


def test_an_order_just_received_or_held_has_no_shipment_yet(desk):  # noqa: F811
    c = desk
    # Recorded by intake, not yet decided (what a crash between the two leaves behind).
    body = order_body(HUGO, "J-RECEIVED", SKU, 1, "16.00")
    received = Order(
        channel="web",
        external_id="J-RECEIVED",
        raw_payload=body,
        payload_hash="test",
        canonical=body,
        mapper_version=1,
    )
    c.svc.app.store.commit(received)
    shown = page(c, received.id)
    assert shown["status"] == "received" and shown["shipments"] == []
    # No stock anywhere: held for stock, and nothing to ship.
    held = place(c, ZOFIA, "J-HELD")
    shown = page(c, held["id"])
    assert shown["status"] == "held" and shown["shipments"] == []
    assert [h["code"] for h in shown["hold_reasons"]] == ["insufficient_stock"]


def test_an_order_s_journey_from_the_shelf_to_the_door(desk):  # noqa: F811
    c = desk
    stock(c, "J1")
    oid = place(c, ZOFIA, "J1")["id"]
    sid = f"{oid}-S1"

    shown = page(c, oid)
    (s,) = shown["shipments"]
    assert shown["status"] == "allocated" and s["status"] == "allocated"
    assert s["shipment_id"] == sid and s["warehouse_id"] == "FRA"
    assert s["lines"] == [{"sku": SKU, "quantity": 2}]
    assert s["promised_date"] == (PLACED + timedelta(days=WEB_PROMISE_DAYS)).isoformat()
    assert (s["carrier"], s["waybill"], s["declaration"], s["costs"]) == (None, None, None, None)
    assert s["label"]["status"] == "none" and s["tracking"]["events"] == []

    task = wave(c)
    shown = page(c, oid)
    assert shown["status"] == "picking" and shown["shipments"][0]["status"] == "waved"

    scan_all(c, task, "J1")
    packed = pack(c, sid)
    shown = page(c, oid)
    s = shown["shipments"][0]
    assert shown["status"] == "packed" and s["status"] == "packed"
    # The lot and bin the receipt put the units in, as picked.
    assert s["lots"] == [{"sku": SKU, "lot": "L1", "bin": "A-03-04-1", "quantity": 2}]
    unit_g = c.svc.app.reference.product(SKU).unit_weight_g
    assert [p["weight_g"] for p in s["parcels"]] == [2 * unit_g]
    # FRA (DE) to GB crosses a customs border: the declaration drafted at packing.
    assert s["declaration"]["id"] == packed["declaration_id"]
    assert s["declaration"]["status"] == packed["declaration_status"] == "approved"

    labelled = label(c, sid)
    s = shipment(c, sid, who="fra")
    assert s["status"] == "labelled" and s["label"]["status"] == "issued"
    assert s["carrier"]["carrier"] == labelled["carrier"] and s["waybill"] == labelled["waybill"]
    # Not dispatched yet: expected = today + the chosen service's longest transit.
    today = c.clock.now().date()
    expected = today + timedelta(days=s["carrier"]["transit_days_max"])
    assert s["expected_date"] == expected.isoformat()
    # The cost ledger has the shipment once it has a label: freight as quoted on it.
    assert s["costs"]["carrier"] == labelled["carrier"]
    assert Decimal(s["costs"]["freight"]) == Decimal(s["carrier"]["quoted_total"])
    assert s["tracking"]["url"] is None  # the buyer's link exists once the parcel leaves

    sent = dispatch(c, sid)
    shown = page(c, oid)
    s = shown["shipments"][0]
    assert shown["status"] == "dispatched" and s["status"] == "dispatched"
    assert s["label"]["status"] == "dispatched" and s["tracking"]["status"] == "pending"
    assert s["expected_date"] == sent["eta"][:10] and s["tracking"]["url"].startswith("/track/")

    # A day without a scan raises the SLA alert; the journey lists it with its advice.
    c.clock.at += timedelta(hours=24, minutes=5)
    assert c.post("/v1/exceptions/check", headers=c.keys["admin"]).status_code == 200
    s = shipment(c, sid)
    assert [e["kind"] for e in s["exceptions"]] == ["no_scan_24h"]
    assert s["exceptions"][0]["suggested_action"]

    scans(c, labelled["carrier"], labelled["waybill"], (2, "transit"), (20, "delivered"))
    shown = page(c, oid)
    s = shown["shipments"][0]
    assert shown["status"] == "delivered" and s["status"] == "delivered"
    assert [e["status"] for e in s["tracking"]["events"]] == ["in_transit", "delivered"]
    assert s["tracking"]["status"] == "delivered"
    delivered_at = c.clock.now() + timedelta(hours=20)
    assert datetime.fromisoformat(s["delivered_at"]) == delivered_at
    assert s["expected_date"] == delivered_at.date().isoformat()


def test_a_cancelled_order_shows_its_shipment_cancelled(desk):  # noqa: F811
    c = desk
    stock(c, "J2")
    oid = place(c, HUGO, "J2")["id"]
    r = c.post(
        f"/v1/orders/{oid}/cancel", json={"reason": "buyer withdrew"}, headers=c.keys["admin"]
    )
    assert r.status_code == 200, r.text
    shown = page(c, oid)
    assert shown["status"] == "cancelled"
    assert [s["status"] for s in shown["shipments"]] == ["cancelled"]


def test_one_shipment_by_id_is_scoped_like_its_order(desk):  # noqa: F811
    c = desk
    stock(c, "J3")
    oid = place(c, HUGO, "J3")["id"]
    sid = f"{oid}-S1"
    assert shipment(c, sid, who="fra")["order_id"] == oid
    assert shipment(c, sid, who="web")["warehouse_id"] == "FRA"
    # Another warehouse's key, an unknown shipment number and a malformed id: all 404.
    for who, wrong in [("ann", sid), ("admin", f"{oid}-S2"), ("admin", "nothing-S1")]:
        assert c.get(f"/v1/shipments/{wrong}", headers=c.keys[who]).status_code == 404
    assert c.get(f"/v1/shipments/{sid}").status_code == 401


def test_the_customs_queue_names_the_carrier_once_chosen(desk):  # noqa: F811
    c = desk
    stock(c, "J4")
    oid = place(c, ZOFIA, "J4")["id"]
    sid = f"{oid}-S1"
    scan_all(c, wave(c), "J4")
    did = pack(c, sid)["declaration_id"]

    def queued():
        items = c.get("/v1/customs/declarations", headers=c.keys["customs"]).json()["items"]
        return next(d for d in items if d["declaration_id"] == did)

    assert queued()["carrier"] is None  # packed: no carrier chosen yet
    labelled = label(c, sid)
    assert queued()["carrier"] == labelled["carrier"]
    dispatch(c, sid)
    scans(c, labelled["carrier"], labelled["waybill"], (3, "delivered"))
    assert queued()["carrier"] == labelled["carrier"]
