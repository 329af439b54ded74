"""The HTTP API as its users meet it: connectors pushing native payloads, admins, handhelds."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from adapters.reference.seed import seed_reference
from api.app import build_services, create_app
from api.auth import KeyStore
from tests.api_keys import bearer_keys

FIX = Path(__file__).parent.parent / "fixtures"


@pytest.fixture
def client(sqlite_store):
    keys, entries = bearer_keys(
        [
            ("admin", "admin", None),
            ("amazon", "connector", "amazon"),
            ("shopify", "connector", "shopify"),
            ("web", "connector", "web"),
            ("dealer", "connector", "dealer"),
            ("lax", "warehouse", "LAX"),
            ("finance", "finance", None),
        ]
    )
    svc = build_services(sqlite_store, KeyStore(entries))
    seed_reference(svc.app)
    for wh, sku, qty in [
        ("LAX", "SKU-TEA-001", 50),
        ("LAX", "SKU-PHONE-CASE", 50),
        ("LAX", "SKU-CHARGER-65W", 5),
        ("FRA", "SKU-WINE-RED", 100),
        ("FRA", "SKU-TEA-001", 100),
        ("SZX", "SKU-CHARGER-65W", 100),
        ("FRA", "SKU-PHONE-CASE", 100),
    ]:
        svc.app.warehouse.receive_stock(wh, sku, qty, "opening")
    with TestClient(create_app(svc)) as c:
        c.keys = keys
        yield c


def fixture(name: str):
    return json.loads((FIX / name).read_text())


def test_amazon_push_is_201_then_200_and_a_changed_order_is_an_update(client):
    payload = fixture("amazon_order.json")
    first = client.post("/v1/channels/amazon/orders", json=payload, headers=client.keys["amazon"])
    assert first.status_code == 201, first.text
    order = first.json()["order"]
    assert (
        order["channel"] == "amazon" and order["external_id"] == payload["Order"]["AmazonOrderId"]
    )
    assert first.headers["Location"] == f"/v1/orders/{order['id']}"
    again = client.post("/v1/channels/amazon/orders", json=payload, headers=client.keys["amazon"])
    assert again.status_code == 200 and again.json()["order"]["id"] == order["id"]
    assert again.json()["updates"] == []
    changed = copy.deepcopy(payload)
    changed["OrderItems"][0]["QuantityOrdered"] += 1
    # Amazon's ItemPrice is the line's total: 25.00 for 2 is 12.50 each, so 37.50 for 3.
    changed["OrderItems"][0]["ItemPrice"]["Amount"] = "37.50"
    update = client.post("/v1/channels/amazon/orders", json=changed, headers=client.keys["amazon"])
    # One more unit of an allocated order: items added after allocation wait for an operator
    # (domains/orders/updates.py), so nothing about the order changed yet.
    assert update.status_code == 200, update.text
    held, amounts = update.json()["updates"]
    assert held["kind"] == "items_added" and held["applied"] is False
    # The new total (37.50) prices the held unit: it waits with it.
    assert amounts["kind"] == "amounts_revised" and amounts["applied"] is False
    assert update.json()["order"]["lines"] == order["lines"]
    assert update.json()["order"]["amounts"] == order["amounts"]


def test_bad_payload_is_422_naming_native_paths_and_nothing_is_stored(client):
    payload = fixture("amazon_order.json")
    payload["OrderItems"][0]["SellerSKU"] = "SKU-DOES-NOT-EXIST"
    payload["Order"]["ShippingAddress"]["CountryCode"] = "QQ"
    r = client.post("/v1/channels/amazon/orders", json=payload, headers=client.keys["amazon"])
    assert r.status_code == 422
    detail = {d["loc"]: d for d in r.json()["detail"]}
    assert detail["lines[0].sku"]["source"] == "OrderItems[0].SellerSKU"
    assert "unknown SKU" in detail["lines[0].sku"]["msg"]
    assert detail["ship_to.country"]["source"] == "ShippingAddress.CountryCode"
    payload["OrderItems"][0]["QuantityOrdered"] = 0
    r = client.post("/v1/channels/amazon/orders", json=payload, headers=client.keys["amazon"])
    assert r.status_code == 422
    assert any(d["loc"] == "OrderItems[0].QuantityOrdered" for d in r.json()["detail"])
    bad_json = client.post(
        "/v1/channels/amazon/orders",
        content=b"{not json",
        headers={**client.keys["amazon"], "Content-Type": "application/json"},
    )
    assert bad_json.status_code == 422 and bad_json.json()["detail"][0]["loc"] == "body"
    listed = client.get("/v1/orders", headers=client.keys["admin"]).json()
    assert listed["total"] == 0


def test_keys_roles_and_channel_isolation(client):
    payload = fixture("shopify_order.json")
    assert client.post("/v1/channels/shopify/orders", json=payload).status_code == 401
    assert (
        client.post(
            "/v1/channels/shopify/orders", json=payload, headers={"Authorization": "Bearer nope"}
        ).status_code
        == 401
    )
    # A connector bound to amazon cannot push to shopify, and cannot see shopify orders.
    assert (
        client.post(
            "/v1/channels/shopify/orders", json=payload, headers=client.keys["amazon"]
        ).status_code
        == 404
    )
    created = client.post(
        "/v1/channels/shopify/orders", json=payload, headers=client.keys["shopify"]
    )
    assert created.status_code == 201, created.text
    oid = created.json()["order"]["id"]
    assert client.get(f"/v1/orders/{oid}", headers=client.keys["amazon"]).status_code == 404
    assert client.get(f"/v1/orders/{oid}", headers=client.keys["shopify"]).status_code == 200
    assert client.get("/v1/orders", headers=client.keys["amazon"]).json()["total"] == 0
    assert client.get("/v1/orders", headers=client.keys["shopify"]).json()["total"] == 1
    assert (
        client.post(
            f"/v1/orders/{oid}/cancel", json={"reason": "x"}, headers=client.keys["shopify"]
        ).status_code
        == 403
    )
    assert (
        client.put("/v1/admin/warehouses/NEW", json={}, headers=client.keys["finance"]).status_code
        == 403
    )


def test_dealer_csv_is_all_or_nothing_with_line_numbers(client):
    head = (
        "dealer_id,order_number,placed_at,currency,customer_name,customer_email,customer_phone,"
        "ship_name,ship_line1,ship_line2,ship_city,ship_region,ship_postcode,ship_country,sku,"
        "quantity,unit_price\n"
    )
    row = "DLR-EU-01,PO-1,2026-11-20T09:00:00+00:00,EUR,Rheinland,b@x.de,,Rheinland,Str 1,,Koeln,NW,50667,DE,{sku},{q},{p}\n"
    good = (
        head
        + row.format(sku="SKU-TEA-001", q=10, p="4.00")
        + row.replace("PO-1", "PO-2").format(sku="SKU-PHONE-CASE", q=5, p="3.00")
    )
    bad = good + row.replace("PO-1", "PO-3").format(sku="SKU-NOPE", q=1, p="1.00")
    r = client.post(
        "/v1/channels/dealer/orders:csv",
        content=bad.encode(),
        headers={**client.keys["dealer"], "Content-Type": "text/csv"},
    )
    assert r.status_code == 422
    (err,) = r.json()["detail"]
    assert err["source"] == "line 4: sku" and err["order"] == "PO-3"
    assert client.get("/v1/orders", headers=client.keys["admin"]).json()["total"] == 0
    malformed = head + row.format(sku="SKU-TEA-001", q="ten", p="4.00")
    r = client.post(
        "/v1/channels/dealer/orders:csv",
        content=malformed.encode(),
        headers={**client.keys["dealer"], "Content-Type": "text/csv"},
    )
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == "line 2: quantity"
    ok = client.post(
        "/v1/channels/dealer/orders:csv",
        content=good.encode(),
        headers={**client.keys["dealer"], "Content-Type": "text/csv"},
    )
    assert ok.status_code == 201 and ok.json()["created"] == 2
    again = client.post(
        "/v1/channels/dealer/orders:csv",
        content=good.encode(),
        headers={**client.keys["dealer"], "Content-Type": "text/csv"},
    )
    assert again.status_code == 200 and again.json()["existing"] == 2
    assert [o["updates"] for o in again.json()["orders"]] == [[], []]
    # The dealer's file again with PO-2 cut from 5 units to 3: an update of that order only.
    fewer = head + row.format(sku="SKU-TEA-001", q=10, p="4.00")
    fewer += row.replace("PO-1", "PO-2").format(sku="SKU-PHONE-CASE", q=3, p="3.00")
    cut = client.post(
        "/v1/channels/dealer/orders:csv",
        content=fewer.encode(),
        headers={**client.keys["dealer"], "Content-Type": "text/csv"},
    )
    assert cut.status_code == 200, cut.text
    po1, po2 = cut.json()["orders"]
    assert po1["updates"] == []
    assert [(u["kind"], u["applied"]) for u in po2["updates"]] == [
        ("lines_reduced", True),
        ("amounts_revised", True),  # derived from the lines: the file states no amounts
    ]


def web(ext, lines, country="US", postcode="90001"):
    return {
        "external_id": ext,
        "placed_at": "2026-11-20T10:00:00Z",
        "currency": "USD",
        "customer": {"name": "A B"},
        "ship_to": {
            "name": "A B",
            "line1": "1 St",
            "city": "LA",
            "region": "CA",
            "postcode": postcode,
            "country": country,
        },
        "lines": [{"sku": s, "quantity": q, "unit_price": "10.00"} for s, q in lines],
    }


def test_list_filters_history_time_travel_release_and_cancel(client):
    h = client.keys["web"]
    a = client.post(
        "/v1/channels/web/orders", json=web("W-1", [("SKU-TEA-001", 2)]), headers=h
    ).json()
    client.post(
        "/v1/channels/web/orders", json=web("W-2", [("SKU-WINE-RED", 1)], "SA", "11564"), headers=h
    )
    split = client.post(
        "/v1/channels/web/orders",
        json=web("W-3", [("SKU-CHARGER-65W", 10), ("SKU-PHONE-CASE", 1)]),
        headers=h,
    ).json()
    assert split["order"]["split"]["shipments"] == 2
    admin = client.keys["admin"]
    held = client.get("/v1/orders?status=held", headers=admin).json()
    assert held["total"] == 1 and held["items"][0]["hold_codes"] == ["prohibited_goods"]
    assert client.get("/v1/orders?hold_code=prohibited_goods", headers=admin).json()["total"] == 1
    page = client.get("/v1/orders?limit=2&offset=0", headers=admin).json()
    assert page["total"] == 3 and len(page["items"]) == 2
    assert client.get("/v1/orders?limit=0", headers=admin).status_code == 422
    assert (
        client.get("/v1/orders?placed_from=2026-11-21T00:00:00Z", headers=admin).json()["total"]
        == 0
    )
    oid = a["order"]["id"]
    moment = client.get(f"/v1/orders/{oid}", headers=admin).json()["updated_at"]
    r = client.post(f"/v1/orders/{oid}/cancel", json={"reason": ""}, headers=admin)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == "reason"
    r = client.post(
        f"/v1/orders/{oid}/cancel", json={"reason": "customer changed mind"}, headers=admin
    )
    assert r.status_code == 200 and r.json()["order"]["status"] == "cancelled"
    assert (
        client.post(f"/v1/orders/{oid}/cancel", json={"reason": "again"}, headers=admin).status_code
        == 409
    )
    past = client.get(f"/v1/orders/{oid}", params={"at": moment}, headers=admin).json()
    assert past["status"] == "allocated"
    events = client.get(f"/v1/orders/{oid}/events", headers=admin).json()["events"]
    assert [e["type"] for e in events] == ["Received", "Reviewed", "Split", "Cancelled"]
    assert events[-1]["data"]["reason"] == "customer changed mind"
    stock = client.get("/v1/stock?sku=SKU-TEA-001&warehouse=LAX", headers=admin).json()["items"]
    assert stock == [
        {
            "warehouse_id": "LAX",
            "sku": "SKU-TEA-001",
            "on_hand": 50,
            "reserved": 0,
            "available": 50,
            "inbound": 0,
            "reserved_inbound": 0,
            "in_transit_out": 0,
            "inbounds": [],
            "version": 4,
        }
    ]
    held_id = held["items"][0]["id"]
    rel = client.post(
        f"/v1/orders/{held_id}/release", json={"reason": "licensed importer"}, headers=admin
    )
    assert rel.status_code == 200 and rel.json()["order"]["status"] == "allocated"
    assert client.get(f"/v1/orders/{held_id}", headers=client.keys["lax"]).status_code == 404
    lax_stock = client.get("/v1/stock", headers=client.keys["lax"]).json()["items"]
    assert {s["warehouse_id"] for s in lax_stock} == {"LAX"}


def test_admin_reference_updates_are_versioned_and_validated(client):
    admin = client.keys["admin"]
    r = client.put(
        "/v1/admin/products/SKU-NEW",
        headers=admin,
        json={
            "name": "New thing",
            "unit_weight_g": 0,
            "dimensions_mm": [1, 2],
            "hs_code": "ab",
            "origin_country": "ZZ",
            "unit_value": "1.00",
            "currency": "usd",
        },
    )
    assert r.status_code == 422
    locs = {d["loc"] for d in r.json()["detail"]}
    assert {"unit_weight_g", "dimensions_mm", "hs_code", "currency"} <= locs
    body = {
        "name": "New thing",
        "unit_weight_g": 100,
        "dimensions_mm": [10, 20, 30],
        "hs_code": "9503.00",
        "origin_country": "CN",
        "unit_value": "5.00",
        "currency": "USD",
    }
    first = client.put("/v1/admin/products/SKU-NEW", headers=admin, json=body).json()
    same = client.put("/v1/admin/products/SKU-NEW", headers=admin, json=body).json()
    body["unit_value"] = "6.00"
    revised = client.put("/v1/admin/products/SKU-NEW", headers=admin, json=body).json()
    assert (first["changed"], same["changed"], revised["changed"]) == (True, False, True)
    assert revised["version"] == first["version"] + 1
    r = client.put(
        "/v1/admin/prohibited-goods",
        headers=admin,
        json={
            "source": "test",
            "rules": {"US": [{"hs_prefix": "9503", "category": "toys", "reason": "test"}]},
        },
    )
    assert r.status_code == 200 and r.json()["changed"]
    pushed = client.post(
        "/v1/channels/web/orders", headers=client.keys["web"], json=web("W-NEW", [("SKU-NEW", 1)])
    ).json()
    assert pushed["order"]["hold_reasons"][0]["code"] == "prohibited_goods"


def test_concurrent_http_pushes_share_commits_and_never_over_reserve(client):
    """50 clients race for 20 units (group commit batches them); 8 send the same order."""
    from concurrent.futures import ThreadPoolExecutor

    h = client.keys["web"]

    def push(n: int) -> int:
        ext = "SAME" if n < 8 else f"RACE-{n}"
        return client.post(
            "/v1/channels/web/orders", json=web(ext, [("SKU-CHARGER-65W", 5)]), headers=h
        ).status_code

    with ThreadPoolExecutor(max_workers=50) as pool:
        codes = list(pool.map(push, range(58)))
    assert codes.count(201) == 51 and codes.count(200) == 7
    stock = client.get("/v1/stock?sku=SKU-CHARGER-65W", headers=client.keys["admin"]).json()[
        "items"
    ]
    assert sum(s["reserved"] for s in stock) == 105 and all(s["available"] >= 0 for s in stock)
    listed = client.get("/v1/orders?limit=500", headers=client.keys["admin"]).json()["items"]
    assert sum(1 for o in listed if o["status"] == "allocated") == 21


def test_product_compliance_attributes_are_validated_naming_the_field(client):
    admin = client.keys["admin"]
    body = {
        "name": "Spare e-bike battery",
        "unit_weight_g": 2800,
        "dimensions_mm": [370, 90, 110],
        "hs_code": "8507.60",
        "origin_country": "CN",
        "unit_value": "189.00",
        "currency": "USD",
        "compliance": {"dangerous_goods": {"un_number": "3480", "class": "9"}},
    }
    r = client.put("/v1/admin/products/SKU-BATT-X", headers=admin, json=body)
    assert r.status_code == 422
    assert [d["loc"] for d in r.json()["detail"]] == ["compliance.dangerous_goods.un_number"]
    body["compliance"]["dangerous_goods"] = {"un_number": "UN3480", "class": "10"}
    r = client.put("/v1/admin/products/SKU-BATT-X", headers=admin, json=body)
    assert r.status_code == 422
    assert [d["loc"] for d in r.json()["detail"]] == ["compliance.dangerous_goods.class"]
    # Lithium batteries are class 9 and name their packing section (checked by the use case).
    body["compliance"]["dangerous_goods"] = {"un_number": "UN3480", "class": "3"}
    r = client.put("/v1/admin/products/SKU-BATT-X", headers=admin, json=body)
    assert r.status_code == 422
    assert {d["loc"] for d in r.json()["detail"]} == {
        "compliance.dangerous_goods.class",
        "compliance.dangerous_goods.packing_section",
    }
    body["compliance"] = {
        "dangerous_goods": {"un_number": "UN3480", "class": "9", "packing_section": "IA"},
        "documents_required": {"US": ["FDA prior notice"]},
    }
    first = client.put("/v1/admin/products/SKU-BATT-X", headers=admin, json=body)
    assert first.status_code == 200, first.text
    assert first.json()["compliance"]["dangerous_goods"]["class"] == "9"
    again = client.put("/v1/admin/products/SKU-BATT-X", headers=admin, json=body).json()
    assert again["changed"] is False
