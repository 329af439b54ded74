"""Stock before the shelf: units expected from an inbound shipment, pre-sold against it, received
(pre-sales converted in the order they were taken, the last ones backordered when it arrives
short), rescheduled (exceptions with the new promised date), cancelled, shipped out to another
warehouse; and orders held for stock released by the stock that arrives, oldest first."""

from __future__ import annotations

from copy import deepcopy
from datetime import date

import pytest
from eventsourcing.persistence import IntegrityError

from domains.common import InvalidTransition, ValidationFailed
from domains.orders.model import ALLOCATED, HELD
from domains.warehouse.model import Inventory
from tests.application.builders import line, receive, ship_to, take_in, wave

SKU = "SKU-PHONE-CASE"
ARRIVAL = date(2026, 12, 1)


def inventory(app, warehouse_id="LAX", sku=SKU):
    return app.repository.get(Inventory.create_id(warehouse_id, sku))


def expect(app, inbound_id="IB-1", units=10, arrival=ARRIVAL, warehouse_id="LAX", sku=SKU, **kw):
    app.store.retry(
        lambda touched: app.warehouse.expect_inbound(
            touched, inbound_id, warehouse_id, [{"sku": sku, "quantity": units, **kw}], arrival
        )
    )


def arrive(app, units, inbound_id="IB-1", warehouse_id="LAX", sku=SKU, **kw):
    row = {"sku": sku, "quantity": units, "lot": kw.pop("lot", "L-SEA"), **kw}
    summary, _ = app.store.retry(
        lambda touched: app.warehouse.receive_inbound(touched, inbound_id, warehouse_id, [row])
    )
    app.orders.release_backorders(summary["skus"], {"kind": "inbound", "ref": inbound_id})
    return summary


def presell(app, cap=None, channel="web", sku=SKU, handling_days=None):
    app.orders.set_presale(
        [{"channel": channel, "sku": sku, "cap": cap}],
        handling_days or {},
        "admin",
        "test",
    )


def presale_orders(app, n, quantity=2, prefix="P"):
    return [
        take_in(app, external_id=f"{prefix}-{i}", lines=[line(SKU, quantity)]) for i in range(n)
    ]


# ------------------------------------------------------------------------ expecting
def test_an_expected_inbound_shows_on_the_inventory_with_its_arrival(app):
    expect(app, units=12, lot="L-7", expiry=None)
    inv = inventory(app)
    assert inv.expected == 12 and inv.on_hand == 0
    assert inv.inbound["IB-1"]["arrival"] == "2026-12-01"
    expect(app, units=12, lot="L-7", expiry=None)  # a repeat records nothing
    assert inventory(app).version == inv.version


def test_an_inbound_naming_an_unknown_sku_is_refused_naming_the_line(app):
    with pytest.raises(ValidationFailed) as exc:
        expect(app, sku="NOPE")
    assert exc.value.errors[0]["loc"] == "lines[0].sku"


# ------------------------------------------------------------------------ pre-sale
def test_without_a_presale_setting_an_order_beyond_stock_waits_for_stock(app):
    expect(app)
    order = take_in(app, lines=[line(SKU, 2)])
    assert order.status == HELD
    assert inventory(app).reserved_inbound == 0
    assert [w["order_id"] for w in app.orders.waiting_for_stock()] == [str(order.id)]


def test_a_presale_order_is_promised_the_arrival_plus_handling_and_is_not_waved(app):
    expect(app)
    presell(app, handling_days={"LAX": 3})
    order = take_in(app, lines=[line(SKU, 2)])
    assert order.status == ALLOCATED
    (shipment,) = order.shipments
    assert shipment["warehouse_id"] == "LAX"
    assert shipment["presale"]["inbound_id"] == "IB-1"
    assert shipment["presale"]["promised_date"] == "2026-12-04"
    assert inventory(app).reserved_inbound == 2 and inventory(app).reserved == 0
    assert wave(app, "LAX", order)["shipments"] == 0


def test_presale_stops_at_the_cap_and_at_the_inbound_quantity(app):
    expect(app, units=10)
    presell(app, cap=5)
    first, second, third = presale_orders(app, 3)
    assert [o.status for o in (first, second, third)] == [ALLOCATED, ALLOCATED, HELD]
    presell(app, cap=None)
    more = presale_orders(app, 4, prefix="Q")
    assert [o.status for o in more] == [ALLOCATED, ALLOCATED, ALLOCATED, HELD]
    assert inventory(app).reserved_inbound == 10


# ------------------------------------------------------------------------ receiving
def test_at_receipt_presales_become_reservations_in_the_order_they_were_taken(app):
    expect(app, units=6)
    presell(app)
    orders = presale_orders(app, 3)
    summary = arrive(app, 6, bin="A-01-01-1")
    assert summary["converted"] == [str(o.id) for o in orders]
    inv = inventory(app)
    assert inv.on_hand == 6 and inv.reserved == 6 and inv.expected == 0
    fresh = app.orders.get_order(orders[0].id)
    assert fresh.shipments[0]["presale"]["converted"] == [SKU]
    assert wave(app, "LAX", fresh)["shipments"] == 1


def test_a_short_arrival_backorders_the_last_presales_and_never_oversells(app):
    expect(app, units=6)
    presell(app)
    orders = presale_orders(app, 3)
    summary = arrive(app, 5, bin="A-01-01-1")
    assert summary["converted"] == [str(o.id) for o in orders[:2]]
    assert summary["backordered"] == [str(orders[2].id)]
    inv = inventory(app)
    assert inv.reserved == 4 <= inv.on_hand == 5
    last = app.orders.get_order(orders[2].id)
    assert last.status == HELD and last.shipments == []
    assert [w["order_id"] for w in app.orders.waiting_for_stock()] == [str(orders[2].id)]
    # one more unit arrives: the backordered pre-sale is released by it, no admin step
    receive(app, "LAX", SKU, 1, "A-01-01-1", lot="L-X", receipt_id="R-more")
    assert app.orders.get_order(orders[2].id).status == ALLOCATED
    assert app.orders.waiting_for_stock() == []


def test_perishable_presales_take_the_earliest_expiry_first(app):
    tea = "SKU-TEA-001"
    expect(app, sku=tea, units=4, expiry="2027-06-01")
    presell(app, sku=tea)
    (order,) = [take_in(app, external_id="T-1", lines=[line(tea, 2)])]
    rows = [
        {"sku": tea, "quantity": 2, "lot": "LATE", "expiry": "2027-09-01", "bin": "A-01-01-1"},
        {"sku": tea, "quantity": 2, "lot": "SOON", "expiry": "2027-03-01", "bin": "A-01-02-1"},
    ]
    app.store.retry(lambda t: app.warehouse.receive_inbound(t, "IB-1", "LAX", rows))
    allocations = inventory(app, sku=tea).allocations[str(order.id)]
    assert [a["lot"] for a in allocations] == ["SOON"]


def test_a_repeated_receipt_of_an_inbound_changes_nothing(app):
    expect(app, units=2)
    arrive(app, 2, bin="A-01-01-1")
    version = inventory(app).version
    assert arrive(app, 2, bin="A-01-01-1")["converted"] == []
    assert inventory(app).version == version and inventory(app).on_hand == 2


# ------------------------------------------------------------------------ late, cancelled
def test_a_late_inbound_gives_each_presold_order_an_exception_with_its_new_date(app):
    expect(app, units=6)
    presell(app)
    orders = presale_orders(app, 2)
    affected, _ = app.store.retry(
        lambda t: app.warehouse.reschedule_inbound(
            t, "IB-1", "LAX", date(2026, 12, 9), "vessel delayed at Long Beach"
        )
    )
    assert affected == [str(o.id) for o in orders]
    for o in orders:
        fresh = app.orders.get_order(o.id)
        assert fresh.shipments[0]["presale"]["promised_date"] == "2026-12-11"
        last = app.orders.order_events(o.id)[-1]
        assert type(last).__name__ == "PresaleRescheduled"
        assert last.previous_promised_date == "2026-12-03" and last.reason.startswith("vessel")


def test_a_cancelled_inbound_backorders_its_presales(app):
    expect(app, units=6)
    presell(app)
    orders = presale_orders(app, 2)
    affected, _ = app.store.retry(
        lambda t: app.warehouse.cancel_inbound(t, "IB-1", "LAX", "supplier failed")
    )
    assert affected == [str(o.id) for o in orders]
    assert all(app.orders.get_order(o.id).status == HELD for o in orders)
    assert inventory(app).expected == 0 and inventory(app).reserved_inbound == 0


# ------------------------------------------------------------------------ transfers out
def test_shipping_out_a_transfer_takes_its_reserved_units_off_hand(app):
    receive(app, "LAX", SKU, 5, "A-01-01-1", lot="L1")

    def step(touched):
        inv = app.warehouse._inventory(touched, "LAX", SKU)
        inv.reserve("transfer:T-1", 3)
        touched[inv.id] = inv

    app.store.retry(step)

    def depart(touched):
        inv = app.warehouse._inventory(touched, "LAX", SKU)
        touched[inv.id] = inv
        return inv.ship_out("transfer:T-1", "to FRA")

    assert app.store.retry(depart)[0] == 3
    inv = inventory(app)
    assert inv.on_hand == 2 and inv.reserved == 0 and inv.shipped_out == {"transfer:T-1": 3}
    assert app.store.retry(depart)[0] == 0


# ------------------------------------------------------------------------ backorders
def test_orders_held_for_stock_are_released_oldest_first_by_a_receipt(app, clock):
    held = []
    for i in range(3):
        held.append(take_in(app, external_id=f"B-{i}", lines=[line(SKU, 2)]))
        clock.advance(minutes=1)
    assert all(o.status == HELD for o in held)
    receive(app, "LAX", SKU, 4, "A-01-01-1", lot="L1", receipt_id="R-4")
    statuses = [app.orders.get_order(o.id).status for o in held]
    assert statuses == [ALLOCATED, ALLOCATED, HELD]
    reexamined = app.orders.order_events(held[0].id)[-3]
    assert type(reexamined).__name__ == "StockReexamined"
    assert reexamined.trigger == {"kind": "goods_receipt", "ref": "LAX:R-4"}
    assert [w["order_id"] for w in app.orders.waiting_for_stock()] == [str(held[2].id)]
    # the last one did not get an event: nothing could be decided for it
    assert "StockReexamined" not in [type(e).__name__ for e in app.orders.order_events(held[2].id)]


def test_a_cancellation_gives_its_stock_to_the_order_waiting_for_it(app):
    receive(app, "LAX", SKU, 2, "A-01-01-1", lot="L1")
    first = take_in(app, external_id="C-1", lines=[line(SKU, 2)])
    waiting = take_in(app, external_id="C-2", lines=[line(SKU, 2)])
    assert (first.status, waiting.status) == (ALLOCATED, HELD)
    app.orders.cancel_order(first.id, "customer changed mind", "ops")
    assert app.orders.get_order(waiting.id).status == ALLOCATED


def test_an_order_held_for_stock_and_cancelled_leaves_the_queue_when_met(app):
    gone = take_in(app, external_id="G-1", lines=[line(SKU, 1)])
    app.orders.cancel_order(gone.id, "duplicate", "ops")
    result = app.orders.release_backorders([SKU])
    assert result["released"] == 0
    receive(app, "LAX", SKU, 1, "A-01-01-1", lot="L1")
    assert app.orders.waiting_for_stock() == []


def test_an_amended_inbound_cannot_drop_below_what_is_presold(app):
    expect(app, units=6)
    presell(app)
    presale_orders(app, 2)
    with pytest.raises(InvalidTransition):
        expect(app, units=3)


def test_a_copy_of_an_inventory_shares_nothing_inbound_presold_or_shipped(app):
    """The repository hands out copies (Inventory.__deepcopy__): changing one must never
    change the cached original."""
    expect(app, units=6, lot="L-9", expiry="2027-01-01")
    presell(app)
    presale_orders(app, 1)
    original = inventory(app)
    copy = deepcopy(original)
    copy.inbound["IB-1"]["lines"][0]["quantity"] = 99
    copy.inbound["IB-1"]["presold"] = 99
    next(iter(copy.presales.values()))["quantity"] = 99
    copy.shipped_out["transfer:x"] = 1
    assert original.inbound["IB-1"]["lines"][0]["quantity"] == 6
    assert original.inbound["IB-1"]["presold"] == 2
    assert next(iter(original.presales.values()))["quantity"] == 2
    assert original.shipped_out == {}


def test_a_count_finding_more_units_releases_the_order_waiting_for_them(app):
    receive(app, "LAX", SKU, 1, "A-01-01-1", lot="L1")
    waiting = take_in(app, external_id="K-1", lines=[line(SKU, 3)])
    assert waiting.status == HELD
    app.warehouse.count_bin("LAX", "A-01-01-1", SKU, "L1", 2, "found behind a box", "C-1")
    assert app.orders.get_order(waiting.id).status == HELD  # 2 of 3: not yet
    app.warehouse.count_bin("LAX", "A-01-01-1", SKU, "L1", 3, "recount", "C-2")
    released = app.orders.get_order(waiting.id)
    assert released.status == ALLOCATED
    trigger = next(
        e.trigger
        for e in app.orders.order_events(waiting.id)
        if type(e).__name__ == "StockReexamined"
    )
    assert trigger == {"kind": "count", "ref": "LAX:C-2"}


def test_presale_keeps_to_warehouses_with_a_carrier_for_the_line(app):
    """The lane screen still applies: an e-bike battery (loose lithium, UN3480) coming to
    Birmingham is not pre-sold to a British buyer, whom no carrier from there takes it to; the
    same battery coming to Frankfurt is."""
    battery = "SKU-EBIKE-BATT"
    presell(app, sku=battery)
    expect(app, inbound_id="IB-GB", warehouse_id="BHX", sku=battery, units=5)
    gb = dict(country="GB", city="London", region=None, postcode="SW1A 1AA")
    held = take_in(app, external_id="GB-1", lines=[line(battery, 1)], ship_to=ship_to(**gb))
    assert held.status == HELD and inventory(app, "BHX", battery).reserved_inbound == 0
    expect(app, inbound_id="IB-DE", warehouse_id="FRA", sku=battery, units=5)
    sold = take_in(app, external_id="GB-2", lines=[line(battery, 1)], ship_to=ship_to(**gb))
    assert [(s["warehouse_id"], s["presale"]["inbound_id"]) for s in sold.shipments] == [
        ("FRA", "IB-DE")
    ]


# ------------------------------------------------------------------------ a release left pending
def test_a_release_that_keeps_conflicting_leaves_the_receipt_recorded_and_the_order_waiting(
    app, monkeypatch
):
    """The receipt is committed before the release starts: when every release attempt loses to
    another writer, the receipt still answers (release pending), nothing is lost from the
    queue, and a later release (the admin's, or the next stock) allocates the order."""
    order = take_in(app, external_id="W-1", lines=[line(SKU, 2)])
    assert order.status == HELD
    attempts = []

    def always_conflicting(*args, **kwargs):
        attempts.append(1)
        raise IntegrityError("another writer saved first")

    monkeypatch.setattr(app.orders, "_release_batch", always_conflicting)
    monkeypatch.setattr("domains.store.time.sleep", lambda s: None)
    receive(app, "LAX", SKU, 5, "A-01-01-1", receipt_id="R-pending")
    assert len(attempts) > 1  # it did retry before giving up
    assert inventory(app).on_hand == 5 and inventory(app).reserved == 0
    assert app.orders.get_order(order.id).status == HELD
    assert [w["order_id"] for w in app.orders.waiting_for_stock()] == [str(order.id)]
    pending = app.orders.release_after_commit([SKU], {"kind": "test"})
    assert pending["pending"] is True and pending["skus"] == [SKU]

    monkeypatch.undo()
    result = app.orders.release_backorders([SKU], {"kind": "manual", "by": "admin"})
    assert result["released"] == 1 and result["still_waiting"] == 0
    assert app.orders.get_order(order.id).status == ALLOCATED
    assert inventory(app).reserved == 2


def test_a_release_naming_an_unknown_sku_is_refused(app):
    with pytest.raises(ValidationFailed) as exc:
        app.orders.release_backorders(["NOPE"])
    assert exc.value.errors == [{"loc": "skus", "msg": "unknown SKU 'NOPE'"}]
