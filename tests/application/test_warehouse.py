"""The warehouse floor at the application level: receiving and counts, waves and their routes,
the handheld pick flow (scans, repeats, shorts and how each is covered) and packing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domains.common import InvalidTransition, NotFound, ValidationFailed
from domains.warehouse.application import ScanRejected
from domains.warehouse.layout import parse_bin
from domains.warehouse.model import Inventory
from domains.warehouse.routing import metres, tour_length
from tests.application.builders import (
    claim,
    line,
    list_ids,
    pack_as_picked,
    parcel,
    pick_all,
    receive,
    take_in,
    wave,
)


def inventory(app, warehouse_id, sku):
    return app.repository.get(Inventory.create_id(warehouse_id, sku))


def first_task(app, order, picker="ann", warehouse_id="LAX"):
    """The order waved alone and its list claimed by `picker`."""
    return claim(app, warehouse_id, picker, wave(app, warehouse_id, order))


def short(app, task, picker, scan_id, expected, found, reason):
    """Reports the expected line short: `found` units were there."""
    answer, _ = app.warehouse.report_short(
        task.id, task.warehouse_id, picker, scan_id,
        expected["bin"], expected["sku"], expected["lot"], found, reason,
    )  # fmt: skip
    return answer


def assert_route_walks_the_open_bins(app, task_now):
    """The list's route visits exactly the bins of its open lines, is as long as the walk
    through its own sequence, and is no longer than the S-shape walk over the same bins."""
    layout = app.reference.layout_of(task_now.warehouse_id)
    route = task_now.route
    open_bins = {ln["bin"] for ln in task_now.lines if task_now.remaining(ln) > 0}
    assert set(route["sequence"]) == open_bins
    walked = metres(tour_length(layout, [parse_bin(layout, b) for b in route["sequence"]]))
    assert route["length_m"] == walked <= route["s_shape_m"]


# ---------------------------------------------------------------------------- receiving
def test_a_goods_receipt_is_counted_once_per_receipt_id(app):
    first = receive(app, "LAX", "SKU-PHONE-CASE", 5, "A-1-2-1", receipt_id="R1")
    again = receive(app, "LAX", "SKU-PHONE-CASE", 5, "A-01-02-1", receipt_id="R1")
    assert (first["applied"], first["bin"]) == (True, "A-01-02-1")  # the code as the layout has it
    assert again["applied"] is False and again["on_hand"] == 5
    assert inventory(app, "LAX", "SKU-PHONE-CASE").on_hand == 5


def test_a_receipt_into_a_bin_the_layout_does_not_have_is_refused_naming_the_bin(app):
    # LAX has one zone of 10 aisles: aisle 14 does not exist.
    with pytest.raises(ValidationFailed) as refused:
        receive(app, "LAX", "SKU-PHONE-CASE", 5, "A-14-01-1")
    (error,) = refused.value.errors
    assert error["loc"] == "bin" and "aisle 14 is beyond the 10 aisles" in error["msg"]


def test_perishables_need_an_expiry_and_goods_already_expired_are_refused(app, clock):
    with pytest.raises(ValidationFailed) as no_expiry:
        receive(app, "LAX", "SKU-TEA-001", 5, "A-01-01-1")
    assert [e["loc"] for e in no_expiry.value.errors] == ["expiry"]
    with pytest.raises(ValidationFailed) as expired:
        receive(app, "LAX", "SKU-TEA-001", 5, "A-01-01-1", lot="T1", expiry=clock.now().date())
    assert [e["loc"] for e in expired.value.errors] == ["expiry"]
    assert "lot T1 expired on" in expired.value.errors[0]["msg"]
    assert app.store.get_or_none(Inventory.create_id("LAX", "SKU-TEA-001")) is None


def test_an_admin_receipt_without_a_bin_is_put_away_into_bins_of_the_layout(app):
    app.warehouse.receive_stock("LAX", "SKU-YOGA-MAT", 40, "OPENING")
    app.warehouse.receive_stock("LAX", "SKU-YOGA-MAT", 40, "OPENING")  # a repeat
    layout = app.reference.layout_of("LAX")
    held = {b: items for b, items in app.warehouse.bin_contents("LAX").items()}
    assert sum(i["quantity"] for items in held.values() for i in items) == 40
    assert all(parse_bin(layout, b).code == b for b in held)


def test_a_cycle_count_records_the_difference_from_what_the_bin_held(app):
    receive(app, "LAX", "SKU-PHONE-CASE", 5, "A-01-02-1")
    counted, _ = app.warehouse.count_bin(
        "LAX", "A-1-2-1", "SKU-PHONE-CASE", "L1", 4, "cycle count", "C1"
    )
    assert (counted["difference"], counted["sku_on_hand"]) == (4 - 5, 4)
    repeat, _ = app.warehouse.count_bin(
        "LAX", "A-01-02-1", "SKU-PHONE-CASE", "L1", 4, "cycle count", "C1"
    )
    assert repeat["applied"] is False and inventory(app, "LAX", "SKU-PHONE-CASE").on_hand == 4
    with pytest.raises(ValidationFailed) as no_reason:
        app.warehouse.count_bin("LAX", "A-01-02-1", "SKU-PHONE-CASE", "L1", 3, " ", "C2")
    assert [e["loc"] for e in no_reason.value.errors] == ["reason"]


def test_a_count_below_the_units_reserved_in_the_bin_is_refused(app):
    receive(app, "LAX", "SKU-PHONE-CASE", 5, "A-01-02-1")
    take_in(app, lines=[line("SKU-PHONE-CASE", 3)])
    with pytest.raises(InvalidTransition, match="3 units of lot L1 in A-01-02-1 are reserved"):
        app.warehouse.count_bin("LAX", "A-01-02-1", "SKU-PHONE-CASE", "L1", 2, "damaged", "C1")
    assert inventory(app, "LAX", "SKU-PHONE-CASE").on_hand == 5


# ---------------------------------------------------------------------------- waves
def test_a_wave_loads_carts_within_the_line_cap_each_on_a_route_no_longer_than_s_shape(app):
    receive(app, "LAX", "SKU-PHONE-CASE", 30, "A-02-05-1")
    receive(app, "LAX", "SKU-CHARGER-65W", 30, "A-07-25-1")
    receive(app, "LAX", "SKU-EARBUDS-TWS", 10, "A-09-03-1")
    orders = [
        take_in(app, external_id="W1", lines=[line("SKU-PHONE-CASE", 2), line("SKU-CHARGER-65W")]),
        take_in(app, external_id="W2", lines=[line("SKU-EARBUDS-TWS"), line("SKU-CHARGER-65W")]),
        take_in(app, external_id="W3", lines=[line("SKU-PHONE-CASE")]),
    ]
    released = wave(app, "LAX", *orders, max_lines=3)
    # 2 + 2 + 1 lines, whole shipments per cart, at most 3 lines a cart: two carts.
    assert released["shipments"] == 3 and len(released["pick_lists"]) == 2
    lists = [app.warehouse.get_pick_list(i, "LAX") for i in list_ids(released)]
    assert sum(len(p.lines) for p in lists) == 5 and all(len(p.lines) <= 3 for p in lists)
    for p in lists:
        assert_route_walks_the_open_bins(app, p)
    assert {app.orders.get_order(o.id).status for o in orders} == {"picking"}


def test_a_shipment_is_never_waved_twice(app):
    receive(app, "LAX", "SKU-PHONE-CASE", 10, "A-02-05-1")
    o = take_in(app)
    assert wave(app, "LAX", o)["shipments"] == 1
    assert wave(app, "LAX", o) == {"wave_id": None, "pick_lists": [], "shipments": 0}


def test_two_pickers_get_different_lists_and_each_keeps_their_own(app):
    receive(app, "LAX", "SKU-PHONE-CASE", 10, "A-02-05-1")
    receive(app, "LAX", "SKU-CHARGER-65W", 10, "A-07-25-1")
    a = take_in(app, external_id="W1", lines=[line("SKU-PHONE-CASE")])
    b = take_in(app, external_id="W2", lines=[line("SKU-CHARGER-65W")])
    released = wave(app, "LAX", a, b, max_lines=1)  # one shipment per cart
    ann, bob = claim(app, "LAX", "ann", released), claim(app, "LAX", "bob", released)
    assert {ann.id, bob.id} == set(list_ids(released))
    assert claim(app, "LAX", "ann", released).id == ann.id
    assert app.warehouse.next_task("LAX", "cy", list_ids(released)) is None


# ---------------------------------------------------------------------------- scans
def test_a_scan_in_the_wrong_bin_is_rejected_with_the_line_to_pick_and_nothing_recorded(app):
    receive(app, "LAX", "SKU-PHONE-CASE", 10, "A-02-05-1", lot="P1")
    task = first_task(app, take_in(app, lines=[line("SKU-PHONE-CASE", 2)]))
    with pytest.raises(ScanRejected) as rejected:
        app.warehouse.scan(task.id, "LAX", "ann", "s1", "A-10-30-3", "SKU-PHONE-CASE", "P1", 1)
    assert rejected.value.expected == {
        "line_no": 1, "bin": "A-02-05-1", "sku": "SKU-PHONE-CASE", "lot": "P1", "quantity": 2,
    }  # fmt: skip
    assert rejected.value.errors == [{"loc": "bin", "msg": "wrong bin A-10-30-3: go to A-02-05-1"}]
    assert app.warehouse.get_pick_list(task.id, "LAX").version == task.version


def test_a_scan_of_the_wrong_lot_or_too_many_units_names_each_field(app):
    receive(app, "LAX", "SKU-PHONE-CASE", 10, "A-02-05-1", lot="P1")
    task = first_task(app, take_in(app, lines=[line("SKU-PHONE-CASE", 2)]))
    with pytest.raises(ScanRejected) as rejected:
        app.warehouse.scan(task.id, "LAX", "ann", "s1", "A-02-05-1", "SKU-PHONE-CASE", "P9", 3)
    assert [e["loc"] for e in rejected.value.errors] == ["lot", "quantity"]
    assert rejected.value.errors[1]["msg"] == "quantity 3: between 1 and 2"


def test_a_repeated_scan_is_answered_again_and_not_picked_twice(app):
    receive(app, "LAX", "SKU-PHONE-CASE", 10, "A-02-05-1", lot="P1")
    task = first_task(app, take_in(app, lines=[line("SKU-PHONE-CASE", 2)]))
    scan = (task.id, "LAX", "ann", "s1", "A-02-05-1", "SKU-PHONE-CASE", "P1", 1)
    first, nid = app.warehouse.scan(*scan)
    again, again_nid = app.warehouse.scan(*scan)
    assert (first["repeated"], again["repeated"]) == (False, True) and again_nid == 0
    assert again["scan"] == first["scan"]
    assert inventory(app, "LAX", "SKU-PHONE-CASE").on_hand == 10 - 1


def test_only_the_picker_holding_the_list_scans_on_it(app):
    receive(app, "LAX", "SKU-PHONE-CASE", 10, "A-02-05-1", lot="P1")
    task = first_task(app, take_in(app))
    with pytest.raises(InvalidTransition, match="belongs to ann, not bob"):
        app.warehouse.scan(task.id, "LAX", "bob", "s1", "A-02-05-1", "SKU-PHONE-CASE", "P1", 1)
    with pytest.raises(NotFound):  # nor is another warehouse's list reachable from FRA
        app.warehouse.scan(task.id, "FRA", "ann", "s1", "A-02-05-1", "SKU-PHONE-CASE", "P1", 1)


def test_picking_every_line_marks_the_shipment_picked_with_what_left_the_bins(app):
    receive(app, "LAX", "SKU-PHONE-CASE", 10, "A-02-05-1", lot="P1")
    receive(app, "LAX", "SKU-CHARGER-65W", 10, "A-07-25-1", lot="C1")
    o = take_in(app, lines=[line("SKU-PHONE-CASE", 2), line("SKU-CHARGER-65W", 1)])
    done = pick_all(app, first_task(app, o), "ann")
    assert done.status == "done"
    after = app.orders.get_order(o.id)
    assert after.shipment_status(1) == "picked"
    assert after.picked_quantities(1) == {"SKU-PHONE-CASE": 2, "SKU-CHARGER-65W": 1}
    assert inventory(app, "LAX", "SKU-PHONE-CASE").on_hand == 10 - 2


# ---------------------------------------------------------------------------- shorts
def test_a_short_pick_with_stock_in_another_bin_is_covered_here_and_the_route_replanned(app):
    receive(app, "LAX", "SKU-EARBUDS-TWS", 2, "A-04-15-2", lot="E1")
    receive(app, "LAX", "SKU-EARBUDS-TWS", 10, "A-09-03-1", lot="E2")
    receive(app, "LAX", "SKU-PHONE-CASE", 10, "A-02-05-1", lot="P1")
    o = take_in(app, lines=[line("SKU-EARBUDS-TWS", 2, "29.00"), line("SKU-PHONE-CASE")])
    task = first_task(app, o)
    e1 = next(ln for ln in task.lines if ln["lot"] == "E1")  # FIFO took both units of E1
    answer = short(app, task, "ann", "s1", e1, found=1, reason="damaged")
    assert answer["scan"]["resolution"] == "1 re-reserved in LAX"
    now = app.warehouse.get_pick_list(task.id, "LAX")
    assert [(ln["bin"], ln["lot"], ln["quantity"]) for ln in now.lines[2:]] == [
        ("A-09-03-1", "E2", 1)
    ]
    assert_route_walks_the_open_bins(app, now)  # E1 is done; the phone case and E2 are left
    # 12 received; 1 picked, 1 damaged and written off; the E2 unit is reserved, not gone.
    earbuds = inventory(app, "LAX", "SKU-EARBUDS-TWS")
    assert (earbuds.on_hand, earbuds.reservations[str(o.id)]) == (12 - 1 - 1, 1)


def test_a_short_pick_with_no_stock_here_is_re_split_to_the_cheapest_warehouse_holding_it(
    app,
):
    receive(app, "LAX", "SKU-LED-STRIP", 1, "A-03-03-1")
    receive(app, "FRA", "SKU-LED-STRIP", 10, "A-01-01-1")
    receive(app, "SZX", "SKU-LED-STRIP", 10, "A-01-01-1")
    o = take_in(app, lines=[line("SKU-LED-STRIP", 1, "14.50")])
    assert [s["warehouse_id"] for s in o.shipments] == ["LAX"]
    task = first_task(app, o)
    answer = short(app, task, "ann", "s1", task.lines[0], found=0, reason="bin_empty")
    # The re-split goes where the fixed cost of the lane to the buyer is lowest.
    lanes = {wh: app.warehouse.costs.estimate(c, "US") for wh, c in (("FRA", "DE"), ("SZX", "CN"))}
    cheapest = min(lanes, key=lambda wh: lanes[wh][0])
    fixed, per_kg, _ = lanes[cheapest]
    assert answer["scan"]["resolution"] == f"1 re-split to {cheapest} as shipment 2"
    (_, new) = app.orders.get_order(o.id).shipments
    assert (new["warehouse_id"], new["lines"], new["weight_g"]) == (
        cheapest, [{"sku": "SKU-LED-STRIP", "quantity": 1}], 320,
    )  # fmt: skip
    assert new["estimated_cost"] == str((fixed + per_kg * Decimal(320) / 1000).quantize(fixed))
    assert inventory(app, cheapest, "SKU-LED-STRIP").reservations == {str(o.id): 1}


def test_a_short_pick_nobody_can_cover_is_backordered_and_the_rest_ships(app):
    receive(app, "LAX", "SKU-DRONE-MINI", 2, "A-03-10-1", lot="D1")
    o = take_in(app, lines=[line("SKU-DRONE-MINI", 2, "89.00")])
    task = first_task(app, o)
    answer = short(app, task, "ann", "s1", task.lines[0], found=1, reason="bin_empty")
    assert answer["scan"]["resolution"] == "1 backordered (no other warehouse holds it)"
    assert answer["task"]["status"] == "done"
    after = app.orders.get_order(o.id)
    assert after.shipments[0]["lines"] == [{"sku": "SKU-DRONE-MINI", "quantity": 2 - 1}]
    assert after.backorders == [{"sku": "SKU-DRONE-MINI", "quantity": 1, "reason": "bin_empty"}]
    assert after.picked_quantities(1) == {"SKU-DRONE-MINI": 1}
    assert inventory(app, "LAX", "SKU-DRONE-MINI").on_hand == 2 - 1 - 1


def test_reporting_short_when_every_unit_was_found_is_refused(app):
    receive(app, "LAX", "SKU-PHONE-CASE", 10, "A-02-05-1", lot="P1")
    task = first_task(app, take_in(app, lines=[line("SKU-PHONE-CASE", 2)]))
    with pytest.raises(InvalidTransition, match="nothing is short"):
        short(app, task, "ann", "s1", task.lines[0], found=2, reason="bin_empty")


def test_a_shortfall_re_split_to_a_warehouse_already_shipping_that_sku_is_picked_on_its_own(
    app,
):
    receive(app, "LAX", "SKU-LED-STRIP", 1, "A-03-03-1")
    receive(app, "LAX", "SKU-PHONE-CASE", 10, "A-02-05-1")
    receive(app, "FRA", "SKU-LED-STRIP", 10, "A-01-01-1")
    o = take_in(app, lines=[line("SKU-LED-STRIP", 6, "14.50"), line("SKU-PHONE-CASE")])
    by_warehouse = {s["warehouse_id"]: s["shipment_no"] for s in o.shipments}
    assert app.orders.get_order(o.id).shipment(by_warehouse["FRA"])["lines"] == [
        {"sku": "SKU-LED-STRIP", "quantity": 5}  # LAX's only strip goes with the phone case
    ]
    task = first_task(app, o)
    strip = next(ln for ln in task.lines if ln["sku"] == "SKU-LED-STRIP")
    short(app, task, "ann", "s1", strip, found=0, reason="bin_empty")  # re-split to FRA
    pick_all(app, task, "ann")
    after = app.orders.get_order(o.id)
    resplit = max(s["shipment_no"] for s in after.shipments)
    pick_all(app, claim(app, "FRA", "fra", wave(app, "FRA", after)), "fra")
    after = app.orders.get_order(o.id)
    assert after.picked_quantities(by_warehouse["FRA"]) == {"SKU-LED-STRIP": 5}
    assert after.picked_quantities(resplit) == {"SKU-LED-STRIP": 1}


# ---------------------------------------------------------------------------- packing
def picked_earbuds(app, quantity=2, external_id="W-1"):
    receive(app, "LAX", "SKU-EARBUDS-TWS", 10, "A-09-03-1", receipt_id=f"R-{external_id}")
    o = take_in(app, external_id=external_id, lines=[line("SKU-EARBUDS-TWS", quantity, "29.00")])
    pick_all(app, first_task(app, o), "ann")
    return o


def test_packing_refuses_parcels_that_do_not_hold_what_was_picked(app):
    o = picked_earbuds(app)
    wrong = parcel({"SKU-EARBUDS-TWS": 1, "SKU-PHONE-CASE": 1}, 150)
    with pytest.raises(ValidationFailed) as refused:
        app.warehouse.pack_shipment(o.id, 1, [wrong], "packer", "LAX")
    assert refused.value.errors == [
        {"loc": "parcels[0].items[1].sku", "msg": "SKU-PHONE-CASE is not in this shipment"},
        {"loc": "parcels", "msg": "SKU-EARBUDS-TWS: picked 2, packed 1"},
    ]
    assert app.orders.get_order(o.id).shipment_status(1) == "picked"


def test_a_parcel_is_flagged_only_when_more_than_ten_percent_off_its_expected_weight(app):
    o = picked_earbuds(app, quantity=2)
    # 2 x 90 g expected = 180 g: 198 g is exactly 10 % over (passes), 250 g is 38.9 % over.
    assert pack_as_picked(app, o.id, weight_g=198)["flags"] == []
    other = picked_earbuds(app, quantity=2, external_id="W-2")
    answer = pack_as_picked(app, other.id, weight_g=250)
    (flag,) = answer["flags"]
    assert (flag["code"], flag["expected_g"], flag["difference_pct"]) == (
        "weight_mismatch", 180, round((250 - 180) / 180 * 100, 1),
    )  # fmt: skip
    assert answer["order_status"] == "packed"  # recorded, not refused: the scale may be right


def test_a_packed_shipment_is_not_packed_again_nor_by_another_warehouse(app):
    o = picked_earbuds(app)
    with pytest.raises(NotFound):
        app.warehouse.pack_shipment(o.id, 1, [parcel({"SKU-EARBUDS-TWS": 2}, 180)], "p", "FRA")
    pack_as_picked(app, o.id)
    with pytest.raises(InvalidTransition, match="only a picked shipment is packed"):
        pack_as_picked(app, o.id)
