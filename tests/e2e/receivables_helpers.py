"""A dealer of our own over HTTP, its orders (the dealer CSV upload), the floor steps that
dispatch one (wave, scans, pack, carrier, label, dispatch) and a bank statement to pay it."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from adapters.reference.seed import seed_reference
from api.app import build_services, create_app
from api.auth import KeyStore
from tests.api_keys import bearer_keys
from tests.e2e.test_warehouse_http import Clock, receipt

DEALER = "DLR-TEST"
NAME = "Austin Gadget Supply LLC"
IBAN = "DE89370400440532013000"
LIMIT = "1000.00"
TERMS = 14
SKU = "SKU-PHONE-CASE"
CSV_HEAD = (
    "dealer_id,order_number,placed_at,currency,customer_name,customer_email,customer_phone,"
    "ship_name,ship_line1,ship_line2,ship_city,ship_region,ship_postcode,ship_country,"
    "sku,quantity,unit_price\n"
)


@pytest.fixture
def shop(sqlite_store: dict[str, str]) -> Any:
    """The API with our dealer (limit 1,000 USD, 14 days to pay, nothing owed yet) and 100
    phone cases at LAX."""
    keys, entries = bearer_keys(
        [
            ("admin", "admin", None),
            ("dealer", "connector", "dealer"),
            ("ann", "warehouse", "LAX"),
            ("finance", "finance", None),
        ]
    )
    clock = Clock()
    svc = build_services(sqlite_store, KeyStore(entries), clock)
    seed_reference(svc.app)
    with TestClient(create_app(svc)) as c:
        c.keys, c.clock, c.svc = keys, clock, svc
        r = c.put(
            f"/v1/admin/dealers/{DEALER}",
            headers=keys["admin"],
            json={
                "name": NAME,
                "credit_limit": LIMIT,
                "currency": "USD",
                "regions": ["US"],
                "unpaid_balance": "0",
                "payment_terms_days": TERMS,
                "iban": IBAN,
            },
        )
        assert r.status_code in (200, 201), r.text
        got = receipt(c, "ann", "R-DEALER", SKU, 100, "P1", "A-02-05-1")
        assert got.status_code in (200, 201), got.text
        yield c


def dealer_order(c: Any, number: str, quantity: int, unit_price: str) -> dict[str, Any]:
    row = (
        f"{DEALER},{number},2026-11-20T08:00:00Z,USD,Gadget Store,,,Gadget Store Receiving,"
        f"1 Main St,,Austin,CA,90001,US,{SKU},{quantity},{unit_price}\n"
    )
    r = c.post(
        "/v1/channels/dealer/orders:csv",
        content=(CSV_HEAD + row).encode(),
        headers={**c.keys["dealer"], "Content-Type": "text/csv"},
    )
    assert r.status_code == 201, r.text
    (made,) = r.json()["orders"]
    return order_of(c, made["id"])


def order_of(c: Any, order_id: str) -> dict[str, Any]:
    r = c.get(f"/v1/orders/{order_id}", headers=c.keys["admin"])
    assert r.status_code == 200, r.text
    return r.json()


def dispatch(c: Any, order_id: str, quantity: int) -> dict[str, Any]:
    """Wave, pick, pack, choose a carrier, label and dispatch the order's one shipment."""
    assert c.post("/v1/warehouses/LAX/waves", json={}, headers=c.keys["ann"]).status_code < 300
    task = c.get("/v1/handheld/tasks/next", headers=c.keys["ann"]).json()
    for n, line in enumerate(task["next"]):
        scan = {k: line[k] for k in ("bin", "sku", "lot", "quantity")}
        r = c.post(
            f"/v1/handheld/tasks/{task['id']}/scans",
            headers=c.keys["ann"],
            json={"scan_id": f"{order_id}-{n}", **scan},
        )
        assert r.status_code == 200, r.text
    sid = f"{order_id}-S1"
    parcel = {
        "weight_g": c.svc.app.reference.product(SKU).unit_weight_g * quantity,
        "dimensions_mm": [200, 150, 50],
        "items": [{"sku": SKU, "quantity": quantity}],
    }
    steps = [
        (f"/v1/handheld/shipments/{sid}/pack", {"parcels": [parcel]}),
        (f"/v1/shipments/{sid}/carrier", {"policy": "cheapest"}),
        (f"/v1/shipments/{sid}/label", {"format": "ZPL"}),
    ]
    for url, body in steps:
        r = c.post(url, json=body, headers=c.keys["ann"])
        assert r.status_code in (200, 201), (url, r.text)
    sent = c.post(f"/v1/shipments/{sid}/dispatch", headers=c.keys["ann"])
    assert sent.status_code == 200, sent.text
    return sent.json()  # type: ignore[no-any-return]


def statement(*rows: str, head: str = "Booking Date;Amount;Currency;Remittance Information;"
              "Counterparty Name;IBAN\n") -> bytes:  # fmt: skip
    """A German-style export: semicolons, decimal commas."""
    return (head + "".join(r + "\n" for r in rows)).encode()


def upload(c: Any, data: bytes) -> Any:
    return c.post(
        "/v1/receivables/bank-statements",
        content=data,
        headers={**c.keys["finance"], "Content-Type": "text/csv"},
    )


def account(c: Any) -> dict[str, Any]:
    r = c.get(f"/v1/dealers/{DEALER}/account", headers=c.keys["finance"])
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]
