"""One order's way from the shelf to the door over HTTP, a step at a time, for the tests that
look at an order in each state: receive stock, place, wave, scan, pack, choose a carrier,
label, dispatch, and the carrier's scans. A desk with a key per role and a clock the test sets.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from api.auth import new_key
from tests.api_keys import bearer_keys
from tests.e2e.test_warehouse_http import floor, receipt  # noqa: F401 - a fixture
from tests.privacy.helpers import order_body

SKU = "SKU-BIKE-LIGHT"  # on the shelf in Frankfurt; a parcel to GB crosses a customs border
# Each carrier's native codes for "in transit" and "delivered" (its public vocabulary,
# adapters/transport/carriers/tracking_codes.py); the regional sandboxes share GENERIC's.
SCAN_CODES = {
    "ups": ("I", "D"),
    "dhl_express": ("AF", "OK"),
    "fedex": ("IT", "DL"),
    "postal": ("EMC", "EMI"),
}
GENERIC_CODES = ("IN_TRANSIT", "DELIVERED")


@pytest.fixture
def desk(floor):  # noqa: F811
    """The warehouse floor's desk (keys per role, FRA's "fra" and LAX's "ann", a clock the test
    sets: tests/e2e/test_warehouse_http.py) with a privacy officer's key, "dpo"."""
    headers, entries = bearer_keys([("dpo", "privacy", None)])
    floor.keys.update(headers)
    floor.svc.keys.add(entries)
    return floor


def stock(c: Any, ext: str, qty: int = 50) -> None:
    r = receipt(c, "fra", f"R-{ext}", SKU, qty, "L1", "A-03-04-1")
    assert r.status_code == 201, r.text


def place(
    c: Any, person: dict[str, Any], ext: str, qty: int = 2, placed_at: str = "", **ship_to: Any
) -> dict:
    """The order as the web shop's connector pushed it (its answer's `order`)."""
    body = order_body(person, ext, SKU, qty, "16.00")
    body["placed_at"] = placed_at or body["placed_at"]
    body["ship_to"].update(ship_to)
    r = c.post("/v1/channels/web/orders", json=body, headers=c.keys["web"])
    assert r.status_code == 201, r.text
    return r.json()["order"]


def wave(c: Any) -> dict[str, Any]:
    """Release FRA's shipments into a wave; the picker's next list."""
    r = c.post("/v1/warehouses/FRA/waves", json={}, headers=c.keys["fra"])
    assert r.status_code in (200, 201), r.text
    task = c.get("/v1/handheld/tasks/next", headers=c.keys["fra"])
    assert task.status_code == 200, task.text
    return task.json()


def scan_all(c: Any, task: dict[str, Any], ext: str) -> None:
    for n, line in enumerate(task["next"]):
        r = c.post(
            f"/v1/handheld/tasks/{task['id']}/scans",
            headers=c.keys["fra"],
            json={
                "scan_id": f"{ext}-{n}",
                **{k: line[k] for k in ("bin", "sku", "lot")},
                "quantity": line["quantity"],
            },
        )
        assert r.status_code == 200, r.text


def pack(c: Any, sid: str, qty: int = 2) -> dict[str, Any]:
    weight = c.svc.app.reference.product(SKU).unit_weight_g * qty
    r = c.post(
        f"/v1/handheld/shipments/{sid}/pack",
        headers=c.keys["fra"],
        json={
            "parcels": [
                {
                    "weight_g": weight,
                    "dimensions_mm": [300, 200, 100],
                    "items": [{"sku": SKU, "quantity": qty}],
                }
            ]
        },
    )
    assert r.status_code == 200, r.text
    return r.json()


def label(c: Any, sid: str) -> dict[str, Any]:
    """Carrier chosen under the channel's policy and a label bought: {carrier, waybill}."""
    chosen = c.post(f"/v1/shipments/{sid}/carrier", json={}, headers=c.keys["fra"])
    assert chosen.status_code == 200, chosen.text
    r = c.post(f"/v1/shipments/{sid}/label", json={}, headers=c.keys["fra"])
    assert r.status_code == 201, r.text
    return {"carrier": chosen.json()["decision"]["choice"]["carrier"], **r.json()}


def dispatch(c: Any, sid: str) -> dict[str, Any]:
    r = c.post(f"/v1/shipments/{sid}/dispatch", headers=c.keys["fra"])
    assert r.status_code == 200, r.text
    return r.json()


def scans(c: Any, carrier: str, waybill: str, *hours_and_kinds: tuple[int, str]) -> None:
    """The carrier reports scans `hours` after now: kind "transit" or "delivered"."""
    key, entry = new_key(f"hook-{carrier}-{waybill}", "carrier", carrier)
    c.svc.keys.add([entry])
    transit, delivered = SCAN_CODES.get(carrier, GENERIC_CODES)
    events = [
        {
            "waybill": waybill,
            "code": delivered if kind == "delivered" else transit,
            "occurred_at": (c.clock.now() + timedelta(hours=hours)).isoformat(),
            "location": "London",
        }
        for hours, kind in hours_and_kinds
    ]
    r = c.post(
        f"/v1/carriers/{carrier}/tracking",
        json={"events": events},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert r.status_code == 200 and all(x["result"] == "recorded" for x in r.json()["results"])


def to_the_door(
    c: Any, person: dict[str, Any], ext: str, **ship_to: Any
) -> tuple[str, str, dict[str, Any]]:
    """An order shipped from FRA (to London unless `ship_to` says otherwise) and dispatched:
    (order id, shipment id, label)."""
    stock(c, ext)
    oid = place(c, person, ext, **ship_to)["id"]
    sid = f"{oid}-S1"
    scan_all(c, wave(c), ext)
    pack(c, sid)
    labelled = label(c, sid)
    dispatch(c, sid)
    return oid, sid, labelled
