"""Orders at the application level: intake (validate, review, split, reserve), repeats and
conflicts, holds and their release, cancellation, and reading an order's past."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from domains.common import InvalidTransition, NotFound, ValidationFailed
from domains.orders.intake import DuplicateConflict
from domains.warehouse.model import Inventory
from tests.application.builders import (
    intake,
    line,
    order,
    receive,
    ship_to,
    take_in,
    wave,
)


def inventory(app, warehouse_id, sku):
    return app.repository.get(Inventory.create_id(warehouse_id, sku))


def test_an_order_in_stock_is_approved_and_reserved_from_the_bin_holding_it(app):
    receive(app, "LAX", "SKU-PHONE-CASE", 10, "A-02-05-1", lot="P1")
    o = take_in(app, lines=[line("SKU-PHONE-CASE", 3)])
    assert o.status == "allocated" and o.review["outcome"] == "approved"
    assert [(s["warehouse_id"], s["lines"]) for s in o.shipments] == [
        ("LAX", [{"sku": "SKU-PHONE-CASE", "quantity": 3}])
    ]
    inv = inventory(app, "LAX", "SKU-PHONE-CASE")
    assert inv.allocations[str(o.id)] == [{"lot": "P1", "bin": "A-02-05-1", "quantity": 3}]
    assert inv.available == 10 - 3


def test_a_domestic_warehouse_serves_the_order_when_a_foreign_one_also_holds_the_stock(app):
    receive(app, "SZX", "SKU-PHONE-CASE", 10, "A-01-01-1")
    receive(app, "LAX", "SKU-PHONE-CASE", 10, "A-01-01-1")
    o = take_in(app, lines=[line("SKU-PHONE-CASE", 2)])
    # Lane estimates (fixed, per kg) for 2 x 60 g: the cheaper origin is the one chosen.
    cost = {
        wh: fixed + per_kg * Decimal("0.120")
        for wh, country in (("LAX", "US"), ("SZX", "CN"))
        for fixed, per_kg, _ in [app.orders.costs.estimate(country, "US")]
    }
    assert cost["LAX"] < cost["SZX"]
    assert [s["warehouse_id"] for s in o.shipments] == ["LAX"]


def test_sending_the_same_order_again_creates_nothing_new(app):
    receive(app, "LAX", "SKU-PHONE-CASE", 10, "A-02-05-1")
    first, _ = app.orders.intake(intake(order(lines=[line("SKU-PHONE-CASE", 3)])))
    before = app.max_notification_id()
    again, nid = app.orders.intake(intake(order(lines=[line("SKU-PHONE-CASE", 3)])))
    assert (first.created, again.created) == (True, False)
    assert again.order_id == first.order_id and nid == 0
    assert app.max_notification_id() == before
    assert inventory(app, "LAX", "SKU-PHONE-CASE").reserved == 3  # not 6


def test_another_buyers_order_under_a_known_external_id_is_refused_naming_what_differs(app):
    receive(app, "LAX", "SKU-PHONE-CASE", 10, "A-02-05-1")
    take_in(app, lines=[line("SKU-PHONE-CASE", 3)])
    stranger = {"name": "Bo Other", "email": "bo@example.org", "phone": None}
    with pytest.raises(DuplicateConflict) as refused:
        app.orders.intake(intake(order(customer=stranger, lines=[line("SKU-PHONE-CASE", 4)])))
    assert [d["path"] for d in refused.value.differences] == ["customer.email", "customer.name"]
    assert inventory(app, "LAX", "SKU-PHONE-CASE").reserved == 3  # nothing of it taken in


def test_an_order_with_bad_fields_is_refused_naming_each_field_and_nothing_is_stored(app):
    before = app.max_notification_id()
    bad = order(
        currency="ZZZ",
        ship_to=ship_to(country="XX"),
        lines=[line("SKU-NOPE", 1), line("SKU-PHONE-CASE", 0), line(unit_price="-1.00")],
    )
    with pytest.raises(ValidationFailed) as refused:
        app.orders.intake(intake(bad))
    assert {e["loc"] for e in refused.value.errors} == {
        "ship_to.country",
        "currency",
        "lines[0].sku",
        "lines[1].quantity",
        "lines[2].unit_price",
    }
    assert app.max_notification_id() == before


def test_a_dealer_order_must_name_a_dealer_we_know(app):
    for dealer_id, msg in ((None, "dealer orders need a dealer_id"), ("DLR-NOPE", "unknown")):
        with pytest.raises(ValidationFailed) as refused:
            app.orders.intake(intake(order(dealer_id=dealer_id), "dealer"))
        (error,) = refused.value.errors
        assert error["loc"] == "dealer_id" and msg in error["msg"]


def test_an_order_beyond_the_stock_is_held_for_stock_and_reserves_nothing(app):
    receive(app, "LAX", "SKU-PHONE-CASE", 2, "A-02-05-1")
    o = take_in(app, lines=[line("SKU-PHONE-CASE", 3)])
    assert o.status == "held"
    (hold,) = o.hold_reasons
    assert hold["code"] == "insufficient_stock" and "needs 3, 2 available" in hold["reason"]
    assert inventory(app, "LAX", "SKU-PHONE-CASE").reserved == 0


def test_perishables_are_reserved_earliest_expiry_first_and_never_from_an_expired_lot(app, clock):
    today = clock.now().date()
    receive(app, "LAX", "SKU-TEA-001", 5, "A-01-01-1", lot="SOON", expiry=today + timedelta(20))
    receive(app, "LAX", "SKU-TEA-001", 5, "A-05-10-1", lot="LATE", expiry=today + timedelta(200))
    receive(app, "LAX", "SKU-TEA-001", 5, "A-09-20-1", lot="MID", expiry=today + timedelta(60))
    first = take_in(app, external_id="T-1", lines=[line("SKU-TEA-001", 7, "12.50")])
    # FEFO: all 5 of SOON (day 20), then 2 of MID (day 60); LATE (day 200) untouched.
    inv = inventory(app, "LAX", "SKU-TEA-001")
    assert [(a["lot"], a["quantity"]) for a in inv.allocations[str(first.id)]] == [
        ("SOON", 5),
        ("MID", 2),
    ]
    clock.advance(days=61)  # MID has expired; 3 of its units were never reserved
    second = take_in(app, external_id="T-2", lines=[line("SKU-TEA-001", 3, "12.50")])
    inv = inventory(app, "LAX", "SKU-TEA-001")
    assert [(a["lot"], a["quantity"]) for a in inv.allocations[str(second.id)]] == [("LATE", 3)]


def test_a_dealer_order_over_its_credit_limit_is_held_with_the_exposure_worked_out(app):
    receive(app, "BHX", "SKU-WOOL-SCARF", 100, "A-01-01-1")
    gb = dict(currency="GBP", ship_to=ship_to(country="GB", region=None, postcode="B46 1AL"))
    # DLR-GB-01: limit 6000.00 GBP, unpaid 5200.00: 800.00 GBP of room.
    fits = take_in(
        app, "dealer", external_id="G-1", dealer_id="DLR-GB-01",
        lines=[line("SKU-WOOL-SCARF", 20, "29.00")], **gb,
    )  # fmt: skip
    assert fits.status == "allocated"
    assert app.reference.get_dealer("DLR-GB-01").open_orders_total == Decimal("580.00")  # 20 x 29
    over = take_in(
        app, "dealer", external_id="G-2", dealer_id="DLR-GB-01",
        lines=[line("SKU-WOOL-SCARF", 8, "29.00")], **gb,
    )  # fmt: skip
    # 5200.00 unpaid + 580.00 open + 8 x 29.00 = 6012.00 > 6000.00
    assert [h["code"] for h in over.hold_reasons] == ["over_credit_limit"]
    assert "exposure 6012.00 GBP" in over.hold_reasons[0]["reason"]


def test_releasing_a_held_order_overrides_the_rule_and_allocates_it(app):
    receive(app, "LAX", "SKU-KETTLE-1L7", 10, "A-08-08-1")
    texas = ship_to(region="TX", city="Austin", postcode="73301")
    held = take_in(app, "dealer", ship_to=texas, lines=[line("SKU-KETTLE-1L7", 2, "27.00")])
    assert [h["code"] for h in held.hold_reasons] == ["cross_region"]
    released, _ = app.orders.release_order(held.id, "approved by sales", "admin-1")
    assert released.status == "allocated" and released.overrides == ["region"]
    assert inventory(app, "LAX", "SKU-KETTLE-1L7").reservations == {str(held.id): 2}


def test_only_a_held_order_is_released_and_only_with_a_reason(app):
    receive(app, "LAX", "SKU-PHONE-CASE", 10, "A-02-05-1")
    allocated = take_in(app, external_id="A-1")
    with pytest.raises(InvalidTransition, match="only a held order is released"):
        app.orders.release_order(allocated.id, "why not", "admin-1")
    held = take_in(app, external_id="H-1", lines=[line("SKU-PHONE-CASE", 99)])
    with pytest.raises(InvalidTransition, match="needs a reason"):
        app.orders.release_order(held.id, "  ", "admin-1")
    assert app.orders.get_order(held.id).status == "held"


def test_cancelling_an_allocated_dealer_order_gives_back_its_units_and_its_credit(app):
    receive(app, "LAX", "SKU-KETTLE-1L7", 10, "A-08-08-1")
    o = take_in(app, "dealer", lines=[line("SKU-KETTLE-1L7", 4, "27.00")])
    assert app.reference.get_dealer("DLR-US-01").open_orders_total == Decimal("108.00")  # 4 x 27
    cancelled, _ = app.orders.cancel_order(o.id, "customer withdrew", "admin-1")
    assert cancelled.status == "cancelled"
    assert inventory(app, "LAX", "SKU-KETTLE-1L7").available == 10
    assert app.reference.get_dealer("DLR-US-01").open_orders_total == Decimal("0")


def test_an_order_being_picked_cannot_be_cancelled(app):
    receive(app, "LAX", "SKU-PHONE-CASE", 10, "A-02-05-1")
    o = take_in(app)
    wave(app, "LAX", o)
    assert app.orders.get_order(o.id).status == "picking"
    with pytest.raises(InvalidTransition, match="stop the pick"):
        app.orders.cancel_order(o.id, "too late", "admin-1")
    assert inventory(app, "LAX", "SKU-PHONE-CASE").reserved == 1


def test_an_unknown_order_is_not_found_by_any_command(app):
    nobody = uuid4()
    for command in (
        lambda: app.orders.get_order(nobody),
        lambda: app.orders.order_events(nobody),
        lambda: app.orders.release_order(nobody, "r", "admin-1"),
        lambda: app.orders.cancel_order(nobody, "r", "admin-1"),
    ):
        with pytest.raises(NotFound) as missing:
            command()
        assert (missing.value.kind, missing.value.key) == ("order", str(nobody))


def test_an_order_reads_as_it_stood_before_it_was_cancelled(app):
    receive(app, "LAX", "SKU-PHONE-CASE", 10, "A-02-05-1")
    o = take_in(app)
    events = app.orders.order_events(o.id)
    allocated_at = events[-1].timestamp
    app.orders.cancel_order(o.id, "customer withdrew", "admin-1")
    assert app.orders.order_at(o.id, allocated_at).status == "allocated"
    with pytest.raises(NotFound):
        app.orders.order_at(o.id, events[0].timestamp - timedelta(microseconds=1))


def test_a_batch_taken_all_or_nothing_stores_nothing_when_one_order_is_bad(app):
    receive(app, "LAX", "SKU-PHONE-CASE", 10, "A-02-05-1")
    before = app.max_notification_id()
    good = order(external_id="B-1")
    bad = order(external_id="B-2", lines=[line("SKU-NOPE")])
    outcomes, nid = app.orders.intake_batch([intake(good), intake(bad)], all_or_nothing=True)
    assert [o.error is None for o in outcomes] == [True, False] and nid == 0
    assert app.max_notification_id() == before
    with pytest.raises(NotFound):
        app.orders.get_order(outcomes[0].order_id)
