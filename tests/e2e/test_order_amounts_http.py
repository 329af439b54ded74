"""What an order is worth, over HTTP: the channel's total on the order and in the order list,
Amazon's SP-API responses taken as Amazon returns them, TikTok Shop's orders taken in, and an
order stored before amounts were mapped still showing the total it always had."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from adapters.orders.channels import native_sample
from adapters.reference.seed import seed_reference
from api.app import build_services, create_app
from api.auth import KeyStore
from domains.orders.model import Order
from tests.api_keys import bearer_keys

FIX = Path(__file__).parent.parent / "fixtures"


@pytest.fixture
def client(sqlite_store):
    keys, entries = bearer_keys(
        [
            ("admin", "admin", None),
            ("amazon", "connector", "amazon"),
            ("shopify", "connector", "shopify"),
            ("tiktok", "connector", "tiktok"),
        ]
    )
    svc = build_services(sqlite_store, KeyStore(entries))
    seed_reference(svc.app)
    for wh, sku in [("LAX", "SKU-TEA-001"), ("LAX", "SKU-PHONE-CASE"), ("FRA", "SKU-TEA-001")]:
        svc.app.warehouse.receive_stock(wh, sku, 50, "opening")
    svc.app.warehouse.receive_stock("FRA", "SKU-PHONE-CASE", 50, "opening")
    with TestClient(create_app(svc)) as c:
        c.keys = keys
        c.svc = svc
        yield c


def fixture(name: str):
    return json.loads((FIX / name).read_text())


def push(client, channel: str, payload):
    return client.post(f"/v1/channels/{channel}/orders", json=payload, headers=client.keys[channel])


def test_shopify_order_total_is_what_the_buyer_paid(client):
    payload = native_sample("shopify")
    created = push(client, "shopify", payload)
    assert created.status_code == 201, created.text
    order_id = created.json()["order"]["id"]
    order = client.get(f"/v1/orders/{order_id}", headers=client.keys["admin"]).json()
    # total_price 36.77: items 34.99 - discounts 3.50 + shipping 6.00 - 3.00 + tax 2.28;
    # quantity x unit price alone would be 34.99
    assert Decimal(order["total"]) == Decimal(payload["order"]["total_price"])
    assert order["amounts"]["shipping_discount"] == "3.00"
    assert order["amounts"]["tax"] == payload["order"]["total_tax"]
    listed = client.get("/v1/orders?channel=shopify", headers=client.keys["admin"]).json()
    assert [Decimal(r["total"]) for r in listed["items"]] == [Decimal("36.77")]


def test_amazon_responses_side_by_side_are_taken_in(client):
    created = push(client, "amazon", native_sample("amazon"))
    assert created.status_code == 201, created.text
    assert Decimal(created.json()["order"]["total"]) == Decimal("27.48")  # OrderTotal


def test_amazon_wrong_shape_is_422_naming_the_shapes_and_nothing_is_stored(client):
    getorder = native_sample("amazon")["order"]
    r = push(client, "amazon", {"getOrder": getorder})
    assert r.status_code == 422
    (error,) = r.json()["detail"]
    assert error["loc"] == "$" and "getOrderItems response" in error["msg"]
    listed = client.get("/v1/orders", headers=client.keys["admin"]).json()
    assert listed["total"] == 0


def test_tiktok_order_is_taken_in_by_its_connector(client):
    payload = native_sample("tiktok")
    created = push(client, "tiktok", payload)
    assert created.status_code == 201, created.text
    order = created.json()["order"]
    assert order["channel"] == "tiktok"
    assert Decimal(order["total"]) == Decimal(
        payload["data"]["orders"][0]["payment"]["total_amount"]
    )
    # another channel's connector cannot push TikTok orders
    other = client.post("/v1/channels/tiktok/orders", json=payload, headers=client.keys["amazon"])
    assert other.status_code in (403, 404)


def test_an_order_stored_before_amounts_keeps_its_total(client):
    # recorded as the mapper of version 1 wrote it: lines only, no amounts
    canonical = fixture("web_order.json")
    order = Order(
        channel="web",
        external_id=canonical["external_id"],
        raw_payload=canonical,
        payload_hash="stored-before-amounts",
        canonical=canonical,
        mapper_version=1,
    )
    client.svc.app.store.commit(order)
    shown = client.get(f"/v1/orders/{order.id}", headers=client.keys["admin"]).json()
    # 2 x 7.25 + 12.99, as before
    assert Decimal(shown["total"]) == Decimal("27.49")
    assert shown["amounts"]["total"] == "27.49" and shown["amounts"]["mismatch"] is None


def test_each_channels_openapi_example_is_taken_in_and_its_amounts_add_up(client):
    body = client.get("/openapi.json").json()
    operation = body["paths"]["/v1/channels/{channel}/orders"]["post"]
    examples = operation["requestBody"]["content"]["application/json"]["examples"]
    assert set(examples) == {"amazon", "shopee", "shopify", "tiktok", "web"}
    for channel, example in examples.items():
        r = client.post(
            f"/v1/channels/{channel}/orders", json=example["value"], headers=client.keys["admin"]
        )
        assert r.status_code == 201, (channel, r.text)
        order = r.json()["order"]
        assert order["amounts"]["mismatch"] is None, channel
        assert Decimal(order["total"]) == Decimal(order["amounts"]["total"]), channel
