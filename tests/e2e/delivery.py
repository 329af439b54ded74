"""Driving a packed shipment on through the carrier over HTTP: carrier, label, dispatch, and
the carrier's scans up to delivery. One place for every test that needs an order out of the
door (returns, claims, journeys)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from adapters.transport.carriers.tracking_codes import CODE_TABLES


def code_for(carrier: str, status: str) -> str:
    """The carrier's first own code for a normalised status (its code table)."""
    return next(code for code, (st, _) in CODE_TABLES[carrier].items() if st == status)


def dispatch(c: Any, sid: str, who: str) -> dict[str, Any]:
    """Carrier chosen, label issued, dispatched by the warehouse key `who`: the label."""
    r = c.post(f"/v1/shipments/{sid}/carrier", json={}, headers=c.keys[who])
    assert r.status_code == 200, r.text
    label = c.post(f"/v1/shipments/{sid}/label", json={}, headers=c.keys[who])
    assert label.status_code == 201, label.text
    sent = c.post(f"/v1/shipments/{sid}/dispatch", headers=c.keys[who])
    assert sent.status_code == 200, sent.text
    return label.json()


def scan(c: Any, label: dict[str, Any], status: str, hours: float) -> dict[str, Any]:
    """The carrier reports `status` for the label's waybill `hours` after now (admin key)."""
    carrier = label["carrier"]
    event = {
        "waybill": label["waybill"],
        "code": code_for(carrier, status),
        "occurred_at": (c.clock.now() + timedelta(hours=hours)).isoformat(),
    }
    r = c.post(
        f"/v1/carriers/{carrier}/tracking", json={"events": [event]}, headers=c.keys["admin"]
    )
    assert r.status_code == 200, r.text
    return r.json()["results"][0]


def deliver(c: Any, sid: str, who: str) -> dict[str, Any]:
    """Dispatched, picked up and delivered a day later: the label."""
    label = dispatch(c, sid, who)
    scan(c, label, "picked_up", 1)
    assert scan(c, label, "delivered", 24)["shipment_status"] == "delivered"
    return label


def open_return(
    c: Any, order_id: str, sku: str, quantity: int, reason: str, payer: str, who: str = "admin"
) -> dict[str, Any]:
    """A return of `quantity` x `sku` of a dispatched order, opened with the key `who`."""
    r = c.post(
        f"/v1/orders/{order_id}/returns",
        headers=c.keys[who],
        json={
            "lines": [{"sku": sku, "quantity": quantity}],
            "reason": reason,
            "label_payer": payer,
        },
    )
    assert r.status_code == 201, r.text
    return r.json()
