"""Orders and declarations recorded before personal data was sealed (plaintext in the events)
still load, display, ship and are recognised as repeats."""

from __future__ import annotations

from uuid import UUID

from domains.privacy.sealing import PersonalData
from tests.privacy.helpers import HUGO, order_body, ship_to_gb
from tests.privacy.test_erasure_http import pdf_text


def test_orders_recorded_in_plaintext_still_load_and_display(desk):
    c = desk
    sealing = c.svc.app.orders.personal
    c.svc.app.orders.personal = PersonalData()  # as intake was before: nothing sealed
    try:
        oid, sid, did = ship_to_gb(c, HUGO, "OLD-1")
    finally:
        c.svc.app.orders.personal = sealing
    received = c.svc.app.orders.order_events(UUID(oid))[0]
    assert received.canonical["customer"]["email"] == HUGO["email"]  # plaintext, as of old

    order = c.get(f"/v1/orders/{oid}", headers=c.keys["admin"]).json()
    assert order["customer"]["name"] == HUGO["name"]
    assert order["ship_to"]["line1"] == HUGO["line1"]
    events = c.get(f"/v1/orders/{oid}/events", headers=c.keys["admin"]).json()["events"]
    assert events[0]["data"]["raw_payload"]["customer"]["email"] == HUGO["email"]
    declaration = c.get(f"/v1/customs/declarations/{did}", headers=c.keys["customs"]).json()
    assert declaration["document"]["importer"]["email"] == HUGO["email"]
    invoice = c.get(
        f"/v1/customs/declarations/{did}/documents/commercial-invoice.pdf",
        headers=c.keys["customs"],
    )
    assert HUGO["name"] in pdf_text(invoice.content)
    c.post(f"/v1/shipments/{sid}/carrier", json={}, headers=c.keys["fra"])
    assert c.post(f"/v1/shipments/{sid}/label", json={}, headers=c.keys["fra"]).status_code == 201
    label = pdf_text(c.get(f"/v1/shipments/{sid}/label", headers=c.keys["fra"]).content)
    assert HUGO["name"] in label

    # The same payload again is the same order; a changed name is a contact change, applied.
    body = order_body(HUGO, "OLD-1", "SKU-BIKE-LIGHT", 2, "16.00")
    again = c.post("/v1/channels/web/orders", json=body, headers=c.keys["web"])
    assert again.status_code == 200 and again.json()["order"]["customer"]["name"] == HUGO["name"]
    body["customer"]["name"] = "Hugo M. Lund"
    update = c.post("/v1/channels/web/orders", json=body, headers=c.keys["web"])
    assert update.status_code == 200, update.text
    assert [(u["kind"], u["applied"]) for u in update.json()["updates"]] == [
        ("contact_change", True)
    ]
    assert update.json()["order"]["customer"]["name"] == "Hugo M. Lund"


def test_a_changed_address_for_a_sealed_order_is_applied_and_named_by_path(desk):
    c = desk
    oid, _, _ = ship_to_gb(c, HUGO, "NEW-1")
    body = order_body(HUGO, "NEW-1", "SKU-BIKE-LIGHT", 2, "16.00")
    again = c.post("/v1/channels/web/orders", json=body, headers=c.keys["web"])
    assert again.status_code == 200 and again.json()["order"]["id"] == oid
    body["ship_to"]["line1"] = "3 Orchard Lane"
    update = c.post("/v1/channels/web/orders", json=body, headers=c.keys["web"])
    # Packed, no label bought yet: the new address is the one the label will carry.
    assert update.status_code == 200, update.text
    assert update.json()["order"]["ship_to"]["line1"] == "3 Orchard Lane"
    (entry,) = update.json()["order"]["channel_updates"]
    (change,) = entry["changes"]
    assert change["kind"] == "address_change" and change["applied"] is True
    # Recorded sealed: the event names the path; the reader sees the value opened.
    assert change["differences"] == [
        {"path": "ship_to.line1", "personal": True, "received": "3 Orchard Lane"}
    ]
