"""An inbound shipment taken from booking to receipt through the use cases, on whatever day
the app's clock says: what a full day's story adds so the inbound views are filled too."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from domains.crossdock import Crossdock


def inbound_story(app: Crossdock, inbound_id: str = "ASN-STORY-1") -> dict:
    today = app.clock.now().date()
    rows = [
        {"where": "r2", "carton_no": "1", "sku": "SKU-PHONE-CASE", "quantity": 40, "lot": "IN-S"},
        {"where": "r3", "carton_no": "2", "sku": "SKU-CHARGER-65W", "quantity": 10},
    ]
    supplier = {"kind": "supplier", "name": "Story Supplier", "country": "CN"}
    app.inbound.book(
        inbound_id, "FRA", supplier, "sea", "Maersk", "CSQU3054383", today + timedelta(days=20),
        rows, "value", "USD", "admin",
    )  # fmt: skip
    app.inbound.record_costs(inbound_id, {"amount": "90", "currency": "USD"}, None, [], "admin")
    app.inbound.reschedule(inbound_id, today + timedelta(days=25), "late vessel", "admin")
    for stage in ("departed", "arrived_at_port"):
        app.inbound.advance(inbound_id, stage, "admin")
    decision, _ = app.inbound.declare_customs(inbound_id, "admin")
    app.customs.approve_declaration(UUID(decision["declaration_id"]), "customs", "ok")
    app.inbound.clear_customs(inbound_id, "admin")
    for stage in ("released", "delivered"):
        app.inbound.advance(inbound_id, stage, "admin")
    counts = [
        {"carton_no": "1", "sku": "SKU-PHONE-CASE", "lot": "IN-S", "good": 38, "damaged": 2,
         "reason": "crushed"},
        {"carton_no": "2", "sku": "SKU-CHARGER-65W", "lot": None, "good": 9, "damaged": 0,
         "reason": "short"},
    ]  # fmt: skip
    received = app.inbound.receive(inbound_id, "FRA", "R-STORY-1", counts, "dock")[0]
    # still on its way: a second inbound booked, and a transfer out of FRA that has departed
    later = [{"where": "r2", "carton_no": "1", "sku": "SKU-PHONE-CASE", "quantity": 25}]
    app.inbound.book(
        f"{inbound_id}-B", "LAX", supplier, "air", "Cathay", "160-12345675",
        today + timedelta(days=9), later, "weight", "USD", "admin",
    )  # fmt: skip
    app.inbound.accept_transfer(
        f"{inbound_id}-T", "FRA", "BHX", {"SKU-PHONE-CASE": 5}, "truck", "DFDS", "T-1", None,
        "admin",
    )  # fmt: skip
    app.inbound.advance(f"{inbound_id}-T", "departed", "admin")
    return received
