"""A channel sends an order again, over HTTP: unchanged (only its envelope moved), changed in a
way the rules apply in the order's state, or changed in a way an operator must handle; and an
operator resolving the exception. README "Updates from the channel" has the rules."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path

import pytest

from tests.e2e.test_transport_http import packed_shipment
from tests.e2e.test_warehouse_http import floor, receipt  # noqa: F401 - fixture

FIX = Path(__file__).parent.parent / "fixtures"
SKU = "SKU-PHONE-CASE"  # stocked at LAX in these tests
CANCELLED = {"at": "2026-11-20T12:00:00Z", "reason": "buyer changed their mind"}


def web_body(ext, quantity=2, dealer=None):
    body = {
        "external_id": ext,
        "placed_at": "2026-11-20T08:00:00Z",
        "currency": "USD",
        "customer": {"name": "Ada Buyer", "email": "ada@example.com", "phone": None},
        "ship_to": {
            "name": "Ada Buyer",
            "line1": "1 Main St",
            "city": "LA",
            "region": "CA",
            "postcode": "90001",
            "country": "US",
        },
        "lines": [{"sku": SKU, "quantity": quantity, "unit_price": "10.00"}],
    }
    if dealer:
        body["dealer_id"] = dealer
    return body


def push(c, body, channel="web", key="web"):
    return c.post(f"/v1/channels/{channel}/orders", json=body, headers=c.keys[key])


def changes(r):
    """(kind, applied) of each change an intake answer reports."""
    assert r.status_code == 200, r.text
    return [(u["kind"], u["applied"]) for u in r.json()["updates"]]


def stock(c, sku=SKU, warehouse="LAX"):
    rows = c.get(f"/v1/stock?sku={sku}&warehouse={warehouse}", headers=c.keys["admin"]).json()
    (row,) = rows["items"]
    return row["reserved"], row["available"]


def last_notification(c):
    return c.svc.app.orders.store.max_notification_id()


def picking(c, ext, quantity=2):
    """An order of `quantity` phone cases at LAX, in a wave (being picked)."""
    receipt(c, "ann", f"R-{ext}", SKU, 10, "P1", "A-02-05-1")
    r = push(c, web_body(ext, quantity))
    assert r.status_code == 201 and r.json()["order"]["status"] == "allocated", r.text
    c.post("/v1/warehouses/LAX/waves", json={}, headers=c.keys["ann"])
    oid = r.json()["order"]["id"]
    assert c.get(f"/v1/orders/{oid}", headers=c.keys["admin"]).json()["status"] == "picking"
    return oid


def dispatched(c, ext):
    """A packed shipment of 2 phone cases, labelled and handed to the carrier."""
    o, sid = packed_shipment(c, ext)  # its order is test_warehouse_http.order(): this shape
    assert c.post(f"/v1/shipments/{sid}/carrier", json={}, headers=c.keys["ann"]).status_code == 200
    assert c.post(f"/v1/shipments/{sid}/label", json={}, headers=c.keys["ann"]).status_code == 201
    assert c.post(f"/v1/shipments/{sid}/dispatch", headers=c.keys["ann"]).status_code == 200
    return o


def as_sent(order):
    """The web body of an order as test_warehouse_http.order() sent it."""
    return {
        "external_id": order["external_id"],
        "placed_at": "2026-11-20T08:00:00Z",
        "currency": "USD",
        "customer": {"name": "A B"},
        "ship_to": {k: order["ship_to"][k] for k in ("name", "line1", "city", "region")}
        | {"postcode": "90001", "country": "US"},
        "lines": order["lines"],
    }


# ------------------------------------------------------------------ resends: nothing changed
@pytest.mark.parametrize(
    ("channel", "fixture", "volatile"),
    [
        (
            "amazon",
            "amazon_order.json",
            lambda p: p["Order"].update(LastUpdateDate="2026-11-21T01:02:03Z"),
        ),
        (
            "shopify",
            "shopify_order.json",
            lambda p: p["order"].update(updated_at="2026-11-21T10:00:00+01:00"),
        ),
        (
            "shopee",
            "shopee_order.json",
            lambda p: (
                p.update(request_id="0f0e0d0c0b0a"),
                p["response"]["order_list"][0].update(update_time=1795170000),
            ),
        ),
        ("web", "web_order.json", lambda p: None),
    ],
)
def test_a_resend_with_only_volatile_fields_changed_is_200_and_stores_nothing(
    floor,  # noqa: F811
    channel,
    fixture,
    volatile,  # noqa: F811
):
    c = floor
    payload = json.loads((FIX / fixture).read_text())
    first = push(c, payload, channel, "admin")
    assert first.status_code == 201, first.text
    before = last_notification(c)
    again = copy.deepcopy(payload)
    volatile(again)
    assert again != payload or channel == "web"
    r = push(c, again, channel, "admin")
    assert r.status_code == 200 and changes(r) == []
    assert r.json()["order"]["id"] == first.json()["order"]["id"]
    assert last_notification(c) == before  # nothing stored
    assert r.json()["order"]["channel_updates"] == []


# ------------------------------------------------------------------ cancellation
def test_a_cancellation_before_dispatch_releases_stock_and_dealer_credit(floor):  # noqa: F811
    c = floor
    receipt(c, "ann", "R-C1", SKU, 10, "P1", "A-02-05-1")
    dealer = "/v1/admin/dealers/DLR-US-01"
    credit_before = Decimal(c.get(dealer, headers=c.keys["admin"]).json()["open_orders_total"])
    r = push(c, web_body("C-1", 3, dealer="DLR-US-01"))
    assert r.json()["order"]["status"] == "allocated", r.text
    # 3 cases at 10.00 USD, a USD dealer: 30.00 committed against its credit.
    after = Decimal(c.get(dealer, headers=c.keys["admin"]).json()["open_orders_total"])
    assert after - credit_before == Decimal("30.00")
    assert stock(c) == (3, 7)

    cancelled = push(c, web_body("C-1", 3, dealer="DLR-US-01") | {"cancelled": CANCELLED})
    assert changes(cancelled) == [("cancellation", True)]
    order = cancelled.json()["order"]
    assert order["status"] == "cancelled"
    assert order["cancel_reason"] == "cancelled on web: buyer changed their mind"
    assert stock(c) == (0, 10)
    credit = Decimal(c.get(dealer, headers=c.keys["admin"]).json()["open_orders_total"])
    assert credit == credit_before
    # The connector re-polls the cancelled order: the same answer, nothing more stored.
    before = last_notification(c)
    again = push(c, web_body("C-1", 3, dealer="DLR-US-01") | {"cancelled": CANCELLED})
    assert again.status_code == 200 and last_notification(c) == before


def test_an_order_first_seen_already_cancelled_is_recorded_cancelled_and_reserves_nothing(
    floor,  # noqa: F811
):
    c = floor
    receipt(c, "ann", "R-C0", SKU, 10, "P1", "A-02-05-1")
    r = push(c, web_body("C-0") | {"cancelled": CANCELLED})
    assert r.status_code == 201, r.text
    assert r.json()["order"]["status"] == "cancelled" and stock(c) == (0, 10)


def test_a_cancellation_while_picking_is_an_exception_an_operator_dismisses(floor):  # noqa: F811
    c = floor
    oid = picking(c, "C-2")
    r = push(c, web_body("C-2") | {"cancelled": CANCELLED})
    assert changes(r) == [("cancellation", False)]
    assert "stop the pick" in r.json()["updates"][0]["reason"]
    assert r.json()["order"]["status"] == "picking"

    queue = c.get("/v1/orders/channel-exceptions", headers=c.keys["admin"]).json()["items"]
    (item,) = [i for i in queue if i["order_id"] == oid]
    assert item["kind"] == "cancellation" and item["status"] == "open"
    assert c.get("/v1/orders/channel-exceptions", headers=c.keys["web"]).status_code == 403

    resolve = f"/v1/orders/{oid}/channel-updates/{item['update_no']}/resolve"
    still = c.post(
        resolve,
        json={"kind": "cancellation", "resolution": "apply", "reason": "try"},
        headers=c.keys["admin"],
    )
    assert still.status_code == 409 and "stop the pick" in still.text
    bad = c.post(
        resolve, json={"kind": "cancellation", "resolution": "apply"}, headers=c.keys["admin"]
    )
    assert bad.status_code == 422 and "reason" in bad.text
    done = c.post(
        resolve,
        json={"kind": "cancellation", "resolution": "dismiss", "reason": "buyer agreed to keep it"},
        headers=c.keys["admin"],
    )
    assert done.status_code == 200, done.text
    (entry,) = done.json()["order"]["channel_updates"]
    (change,) = entry["changes"]
    assert change["status"] == "dismissed" and change["resolved"]["by"] == "admin"
    assert change["resolved"]["reason"] == "buyer agreed to keep it"
    assert done.json()["order"]["status"] == "picking"
    queue = c.get("/v1/orders/channel-exceptions", headers=c.keys["admin"]).json()["items"]
    assert [i for i in queue if i["order_id"] == oid] == []
    again = c.post(
        resolve,
        json={"kind": "cancellation", "resolution": "dismiss", "reason": "twice"},
        headers=c.keys["admin"],
    )
    assert again.status_code == 409


def test_after_dispatch_a_cancellation_is_held_but_revised_amounts_are_recorded(floor):  # noqa: F811
    c = floor
    o = dispatched(c, "C-3")
    body = as_sent(o) | {"cancelled": CANCELLED}
    body["lines"] = [dict(body["lines"][0], unit_price="8.00")]  # the channel refunded 2.00 each
    r = push(c, body)
    assert changes(r) == [("cancellation", False), ("amounts_revised", True)]
    assert "intercept with the carrier or open a return" in r.json()["updates"][0]["reason"]
    order = r.json()["order"]
    assert order["status"] == "dispatched" and order["lines"][0]["unit_price"] == "8.00"
    # 2 cases at 8.00 now
    assert Decimal(order["total"]) == 2 * Decimal("8.00")


def shopify_cancelled(p):
    p["order"].update(
        cancelled_at="2026-11-20T11:00:00+01:00",
        cancel_reason="customer",
        updated_at="2026-11-20T11:00:05+01:00",
    )


def amazon_cancelled(p):
    p["Order"].update(OrderStatus="Canceled", LastUpdateDate="2026-11-20T10:00:00Z")


@pytest.mark.parametrize(
    ("channel", "fixture", "cancel", "reason"),
    [
        ("shopify", "shopify_order.json", shopify_cancelled, "customer"),
        # SP-API reports no reason on the order (only BuyerCancelReason on a buyer's request)
        ("amazon", "amazon_order.json", amazon_cancelled, "no reason given"),
    ],
)
def test_a_marketplace_cancellation_in_its_native_shape_cancels_the_order(
    floor,  # noqa: F811
    channel,
    fixture,
    cancel,
    reason,
):
    c = floor
    payload = json.loads((FIX / fixture).read_text())
    assert push(c, payload, channel, "admin").status_code == 201
    cancel(payload)
    r = push(c, payload, channel, "admin")
    assert changes(r) == [("cancellation", True)]
    order = r.json()["order"]
    assert order["status"] == "cancelled"
    assert order["cancel_reason"] == f"cancelled on {channel}: {reason}"


# ------------------------------------------------------------------ address
def test_an_address_change_is_applied_before_the_label_and_held_after(floor):  # noqa: F811
    c = floor
    o, sid = packed_shipment(c, "A-1")
    body = as_sent(o)
    body["ship_to"]["line1"] = "2 Corrected Ave"
    r = push(c, body)
    assert changes(r) == [("address_change", True)]
    assert r.json()["order"]["ship_to"]["line1"] == "2 Corrected Ave"

    c.post(f"/v1/shipments/{sid}/carrier", json={}, headers=c.keys["ann"])
    assert c.post(f"/v1/shipments/{sid}/label", json={}, headers=c.keys["ann"]).status_code == 201
    body["ship_to"]["line1"] = "3 Third Rd"
    r = push(c, body)
    assert changes(r) == [("address_change", False)]
    assert "label" in r.json()["updates"][0]["reason"]
    got = c.get(f"/v1/orders/{o['id']}", headers=c.keys["admin"]).json()
    assert got["ship_to"]["line1"] == "2 Corrected Ave"
    held = got["channel_updates"][-1]["changes"][0]
    assert held["differences"] == [
        {"path": "ship_to.line1", "personal": True, "received": "3 Third Rd"}
    ]


def test_a_new_country_for_an_allocated_order_is_planned_again_from_scratch(floor):  # noqa: F811
    c = floor
    receipt(c, "ann", "R-A2", SKU, 10, "P1", "A-02-05-1")
    receipt(c, "fra", "R-A2F", SKU, 10, "F1", "A-03-04-1")
    first = push(c, web_body("A-2", 3)).json()["order"]
    assert first["split"]["destination"] == "US"
    body = web_body("A-2", 3)
    body["ship_to"] |= {"city": "London", "region": None, "postcode": "SW1A 1AA", "country": "GB"}
    r = push(c, body)
    assert changes(r) == [("address_change", True)]
    assert r.json()["order"]["channel_updates"][0]["changes"][0]["action"] == "replan"
    order = r.json()["order"]
    # Reviewed and split again for Great Britain, and the US plan's reservation given back:
    # whichever warehouse serves it now, 3 units are reserved in all, not 6.
    assert order["status"] == "allocated" and order["split"]["destination"] == "GB"
    assert stock(c, warehouse="LAX")[0] + stock(c, warehouse="FRA")[0] == 3


# ------------------------------------------------------------------ lines
def test_fewer_units_of_an_allocated_order_give_the_difference_back(floor):  # noqa: F811
    c = floor
    receipt(c, "ann", "R-L1", SKU, 10, "P1", "A-02-05-1")
    push(c, web_body("L-1", 3))
    assert stock(c) == (3, 7)
    r = push(c, web_body("L-1", 1))
    # The web body states no amounts: intake derives them from the lines, so they change too.
    assert changes(r) == [("lines_reduced", True), ("amounts_revised", True)]
    order = r.json()["order"]
    assert order["status"] == "allocated" and order["lines"][0]["quantity"] == 1
    assert stock(c) == (1, 9)  # 3 reserved, 2 given back


def test_fewer_units_of_an_order_held_for_stock_are_reviewed_and_allocated(floor):  # noqa: F811
    c = floor
    receipt(c, "ann", "R-L2", SKU, 2, "P1", "A-02-05-1")
    held = push(c, web_body("L-2", 5))
    assert held.json()["order"]["status"] == "held"  # 5 wanted, 2 on hand
    r = push(c, web_body("L-2", 2))
    assert changes(r) == [("lines_reduced", True), ("amounts_revised", True)]
    assert r.json()["order"]["status"] == "allocated"
    assert stock(c) == (2, 0)
    assert c.get("/v1/backorders", headers=c.keys["admin"]).json()["total"] == 0


def test_items_added_after_allocation_wait_until_an_operator_replans(floor):  # noqa: F811
    c = floor
    receipt(c, "ann", "R-L3", SKU, 10, "P1", "A-02-05-1")
    oid = push(c, web_body("L-3", 2)).json()["order"]["id"]
    r = push(c, web_body("L-3", 4))
    # The amounts pricing the held units wait with them: the total still counts 2 units.
    assert changes(r) == [("items_added", False), ("amounts_revised", False)]
    assert stock(c) == (2, 8)
    done = c.post(
        f"/v1/orders/{oid}/channel-updates/1/resolve",
        json={"kind": "items_added", "resolution": "apply", "reason": "stock is there"},
        headers=c.keys["admin"],
    )
    assert done.status_code == 200, done.text
    assert done.json()["order"]["lines"][0]["quantity"] == 4
    assert done.json()["order"]["status"] == "allocated" and stock(c) == (4, 6)


def test_lines_changed_while_picking_are_held(floor):  # noqa: F811
    c = floor
    picking(c, "L-4", quantity=3)
    r = push(c, web_body("L-4", 1))
    assert changes(r) == [("lines_reduced", False), ("amounts_revised", False)]
    assert r.json()["order"]["lines"][0]["quantity"] == 3


# ------------------------------------------------------------------ identity
def test_another_buyer_under_the_same_external_id_is_409_naming_what_differs(floor):  # noqa: F811
    c = floor
    receipt(c, "ann", "R-I1", SKU, 10, "P1", "A-02-05-1")
    push(c, web_body("I-1"))
    before = last_notification(c)
    stranger = web_body("I-1")
    stranger["customer"] = {"name": "Bo Other", "email": "bo@example.org", "phone": None}
    r = push(c, stranger)
    assert r.status_code == 409
    assert [d["path"] for d in r.json()["differences"]] == ["customer.email", "customer.name"]
    assert last_notification(c) == before
    # The same buyer with a new e-mail address is a contact change, applied.
    moved = web_body("I-1")
    moved["customer"]["email"] = "ada@new.example.com"
    assert changes(push(c, moved)) == [("contact_change", True)]
