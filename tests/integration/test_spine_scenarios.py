"""The order spine end to end on each store (SQLite file and PostgreSQL): the same scenarios."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest

from domains.common import ValidationFailed
from domains.orders.intake import DuplicateConflict, Intake
from domains.orders.model import Order
from domains.reference.model import Dealer
from domains.warehouse.model import Inventory
from projections import ProjectionRunner, ViewDB, spine_projectors
from tests.conftest import make_app


def web_order(
    external_id: str,
    lines,
    country="US",
    postcode="90001",
    region="CA",
    dealer=None,
    currency="USD",
):
    return {
        "external_id": external_id,
        "placed_at": "2026-11-20T10:00:00+00:00",
        "currency": currency,
        "customer": {"name": "Ada Buyer", "email": "ada@example.com", "phone": None},
        "ship_to": {
            "name": "Ada Buyer",
            "line1": "1 Main St",
            "line2": None,
            "city": "Town",
            "region": region,
            "postcode": postcode,
            "country": country,
        },
        "lines": [{"sku": s, "quantity": q, "unit_price": p} for s, q, p in lines],
        "dealer_id": dealer,
    }


def push(app, c, channel="web"):
    return app.orders.intake(Intake(channel, c, c))[0]


def test_single_warehouse_order_is_reviewed_split_and_reserved(app):
    app.warehouse.receive_stock("LAX", "SKU-TEA-001", 10, "r1")
    out = push(app, web_order("W-1", [("SKU-TEA-001", 3, "12.50")]))
    order = app.orders.get_order(out.order_id)
    assert out.created and order.status == "allocated"
    # a web-shop order is screened for risk too (domains/orders/risk.py), last
    rules = ["address", "destination", "stock", "lanes", "risk"]
    assert [r["rule"] for r in order.review["rules"]] == rules
    assert all(r["passed"] for r in order.review["rules"])
    assert order.split["solver"] == {"used": False, "status": "single_warehouse", "solve_ms": 0.0}
    assert order.shipments[0]["warehouse_id"] == "LAX"
    inv = app.repository.get(Inventory.create_id("LAX", "SKU-TEA-001"))
    assert (inv.on_hand, inv.reserved, inv.available) == (10, 3, 7)


def test_split_over_two_warehouses_records_solver_and_candidates(app):
    app.warehouse.receive_stock("SZX", "SKU-TEA-001", 10, "r1")
    app.warehouse.receive_stock("LAX", "SKU-TEA-001", 5, "r1")
    app.warehouse.receive_stock("LAX", "SKU-PHONE-CASE", 5, "r1")
    out = push(app, web_order("W-2", [("SKU-TEA-001", 12, "12.50"), ("SKU-PHONE-CASE", 1, "6.90")]))
    order = app.orders.get_order(out.order_id)
    assert order.status == "allocated"
    assert order.split["shipments"] == 2
    assert order.split["solver"]["used"] and order.split["solver"]["status"] == "OPTIMAL"
    by_wh = {
        s["warehouse_id"]: {ln["sku"]: ln["quantity"] for ln in s["lines"]} for s in order.shipments
    }
    # The cheap domestic warehouse takes all it can; the rest comes from Shenzhen.
    assert by_wh == {"LAX": {"SKU-TEA-001": 5, "SKU-PHONE-CASE": 1}, "SZX": {"SKU-TEA-001": 7}}
    assert {c["warehouse_id"] for c in order.split["candidates"]} == {"LAX", "SZX"}


def test_repeat_is_idempotent_a_changed_order_an_update_and_another_buyer_conflicts(app):
    app.warehouse.receive_stock("LAX", "SKU-TEA-001", 10, "r1")
    c = web_order("W-3", [("SKU-TEA-001", 1, "12.50")])
    first = push(app, c)
    again = push(app, c)
    assert first.created and not again.created and again.order_id == first.order_id
    changed = web_order("W-3", [("SKU-TEA-001", 2, "12.50")])
    update = push(app, changed)
    # One more unit after allocation is held for an operator: nothing more is reserved.
    assert [(u["kind"], u["applied"]) for u in update.updates] == [
        ("items_added", False),
        ("amounts_revised", False),  # the amounts pricing the held unit wait with it
    ]
    inv = app.repository.get(Inventory.create_id("LAX", "SKU-TEA-001"))
    assert inv.reserved == 1
    stranger = web_order("W-3", [("SKU-TEA-001", 1, "12.50")])
    stranger["customer"] = {"name": "Bo Other", "email": "bo@example.org", "phone": None}
    with pytest.raises(DuplicateConflict) as err:
        push(app, stranger)
    assert [d["path"] for d in err.value.differences] == ["customer.email", "customer.name"]


def test_bad_input_names_each_field_and_stores_nothing(app):
    before = app.max_notification_id()
    c = web_order("W-4", [("SKU-NOPE", 1, "1.00"), ("SKU-TEA-001", 0, "1.00")], country="XX")
    with pytest.raises(ValidationFailed) as err:
        push(app, c)
    locs = {e["loc"] for e in err.value.errors}
    assert locs == {"lines[0].sku", "lines[1].quantity", "ship_to.country"}
    assert app.max_notification_id() == before


def test_prohibited_goods_and_bad_postcode_hold_the_order(app):
    app.warehouse.receive_stock("FRA", "SKU-WINE-RED", 10, "r1")
    out = push(
        app,
        web_order(
            "W-5", [("SKU-WINE-RED", 2, "11.90")], country="SA", postcode="12345", region=None
        ),
    )
    order = app.orders.get_order(out.order_id)
    assert order.status == "held"
    assert [h["code"] for h in order.hold_reasons] == ["prohibited_goods"]
    dest = next(r for r in order.review["rules"] if r["rule"] == "destination")
    assert (
        dest["inputs"]["list_version"] >= 2
        and "2204" in dest["inputs"]["matches"]["SKU-WINE-RED"][0]["hs_prefix"]
    )
    bad = push(
        app, web_order("W-6", [("SKU-TEA-001", 1, "1")], country="GB", postcode="1234", region=None)
    )
    assert [h["code"] for h in app.orders.get_order(bad.order_id).hold_reasons] == [
        "invalid_address",
        "insufficient_stock",
    ]


def test_dealer_credit_region_and_release(app):
    app.warehouse.receive_stock("LAX", "SKU-KETTLE-1L7", 500, "r1")
    # DLR-US-01: limit 40,000, unpaid 12,500, regions US-CA/OR/WA.
    ok = push(
        app, web_order("D-1", [("SKU-KETTLE-1L7", 100, "27.00")], dealer="DLR-US-01"), "dealer"
    )
    assert app.orders.get_order(ok.order_id).status == "allocated"
    assert app.reference.get_dealer("DLR-US-01").open_orders_total == Decimal("2700.00")
    over = push(
        app, web_order("D-2", [("SKU-KETTLE-1L7", 300, "90.00")], dealer="DLR-US-01"), "dealer"
    )
    held = app.orders.get_order(over.order_id)
    assert [h["code"] for h in held.hold_reasons] == ["over_credit_limit"]
    credit = next(r for r in held.review["rules"] if r["rule"] == "credit")
    assert credit["inputs"]["open_orders_total"] == "2700.00"
    cross = push(
        app,
        web_order(
            "D-3",
            [("SKU-KETTLE-1L7", 1, "27.00")],
            dealer="DLR-US-01",
            region="TX",
            postcode="73301",
        ),
        "dealer",
    )
    assert [h["code"] for h in app.orders.get_order(cross.order_id).hold_reasons] == ["cross_region"]
    released, _ = app.orders.release_order(cross.order_id, "approved by sales", "admin-1")
    assert released.status == "allocated" and released.overrides == ["region"]
    cancelled, _ = app.orders.cancel_order(ok.order_id, "customer withdrew", "admin-1")
    assert cancelled.status == "cancelled"
    inv = app.repository.get(Inventory.create_id("LAX", "SKU-KETTLE-1L7"))
    assert inv.reserved == 1  # only the released cross-region order still holds stock
    assert (
        Dealer.create_id("DLR-US-01")
        and str(ok.order_id) not in app.reference.get_dealer("DLR-US-01").open_orders
    )


def test_racing_orders_reserve_exactly_the_stock(store):
    apps = [make_app(store) for _ in range(4)]
    apps[0].warehouse.receive_stock("LAX", "SKU-DRONE-MINI", 7, "r1")
    results = []

    def worker(n: int) -> None:
        app = apps[n % len(apps)]
        for k in range(3):
            c = web_order(f"R-{n}-{k}", [("SKU-DRONE-MINI", 1, "89.00")])
            results.append(app.orders.get_order(push(app, c).order_id).status)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    inv = apps[0].repository.get(Inventory.create_id("LAX", "SKU-DRONE-MINI"))
    assert sorted(results).count("allocated") == 7 and results.count("held") == 17
    assert (inv.reserved, inv.available) == (7, 0)
    for a in apps:
        a.close()


def test_concurrent_duplicates_create_one_order(store):
    apps = [make_app(store) for _ in range(4)]
    apps[0].warehouse.receive_stock("LAX", "SKU-TEA-001", 50, "r1")
    c = web_order("DUP-1", [("SKU-TEA-001", 1, "12.50")])
    created = []
    barrier = threading.Barrier(8)

    def worker(n: int) -> None:
        barrier.wait()
        created.append(apps[n % 4].orders.intake(Intake("web", c, c))[0].created)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert created.count(True) == 1 and len(created) == 8
    inv = apps[0].repository.get(Inventory.create_id("LAX", "SKU-TEA-001"))
    assert inv.reserved == 1
    for a in apps:
        a.close()


def test_time_travel_and_views_rebuild_identically(app, store):
    app.warehouse.receive_stock("LAX", "SKU-TEA-001", 1, "r1")
    out = push(app, web_order("T-1", [("SKU-TEA-001", 1, "12.50")]))
    between = app.orders.order_events(out.order_id)[-1].timestamp
    app.orders.cancel_order(out.order_id, "test", "admin")
    assert app.orders.order_at(out.order_id, between).status == "allocated"
    assert app.orders.get_order(out.order_id).status == "cancelled"
    for n in range(5):
        push(app, web_order(f"T-{n + 2}", [("SKU-TEA-001", 1, "12.50")]))
    db = ViewDB(__import__("adapters.bootstrap", fromlist=["x"]).store_env(store))
    runner = ProjectionRunner(app, db, spine_projectors())
    runner.catch_up()
    orders = db.query("SELECT * FROM view_orders ORDER BY order_id")
    stock = db.query("SELECT * FROM view_stock ORDER BY inventory_id")
    assert len(orders) == 6 and {o["status"] for o in orders} == {"cancelled", "allocated", "held"}
    assert stock[0]["reserved"] == 1 and stock[0]["on_hand"] == 1
    # Damage both views: the rebuild must replay them from zero, not just catch up.
    db.execute("DELETE FROM view_orders WHERE order_id = ?", (orders[0]["order_id"],))
    db.execute("UPDATE view_stock SET reserved = reserved + 5")
    runner.rebuild()
    assert db.query("SELECT * FROM view_orders ORDER BY order_id") == orders
    assert db.query("SELECT * FROM view_stock ORDER BY inventory_id") == stock
    db.close()


def test_order_stream_keeps_raw_payload(app):
    app.warehouse.receive_stock("LAX", "SKU-TEA-001", 1, "r1")
    raw = {"native": "shape", "n": 1}
    c = web_order("RAW-1", [("SKU-TEA-001", 1, "12.50")])
    out = app.orders.intake(Intake("amazon", raw, c))[0]
    first = app.orders.order_events(out.order_id)[0]
    assert type(first).__name__ == "Received"
    # Kept sealed under the customer's key (personal data), readable through the privacy port.
    assert first.raw_payload != raw and app.orders.personal.raw(first.raw_payload) == raw
    assert isinstance(app.orders.get_order(out.order_id), Order)


def test_rebuilding_one_view_by_name_repairs_that_view_and_leaves_the_others_alone(app, store):
    app.warehouse.receive_stock("LAX", "SKU-TEA-001", 2, "r1")
    for n in range(2):
        push(app, web_order(f"R-{n}", [("SKU-TEA-001", 1, "12.50")]))
    db = ViewDB(__import__("adapters.bootstrap", fromlist=["x"]).store_env(store))
    runner = ProjectionRunner(app, db, spine_projectors())
    runner.catch_up()
    orders = db.query("SELECT * FROM view_orders ORDER BY order_id")
    db.execute("DELETE FROM view_orders WHERE order_id = ?", (orders[0]["order_id"],))
    db.execute("UPDATE view_stock SET reserved = reserved + 5")  # damage the other view too
    runner.rebuild("orders")
    assert db.query("SELECT * FROM view_orders ORDER BY order_id") == orders  # repaired
    # Only the named view was replayed: the stock view keeps its (damaged) rows.
    assert [r["reserved"] for r in db.query("SELECT reserved FROM view_stock")] == [7]
    db.close()
