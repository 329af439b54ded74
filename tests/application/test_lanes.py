"""Lanes the split can trust and goods carriers refuse: a warehouse is a candidate only when an
active carrier service reaches the buyer from it and takes the goods; lines nobody can carry
are held before the split, naming the line, the destination and why; licences a destination
needs are checked per line. On the seeded sample rate cards (adapters/data/rate_cards)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from domains.common import ValidationFailed
from domains.reference.model import Product
from domains.warehouse.model import Inventory
from tests.application.builders import line, receive, ship_to, take_in

CZ = ship_to(city="Praha", region=None, postcode="110 00", country="CZ")  # only DE ships there
LONDON = ship_to(city="London", region="ENG", postcode="SW1A 1AA", country="GB")


def rule(order, name):
    return next(r for r in order.review["rules"] if r["rule"] == name)


# ---------------------------------------------------------------------------------- candidates
def test_a_warehouse_with_stock_but_no_service_for_the_lane_is_not_chosen(app):
    receive(app, "SZX", "SKU-PHONE-CASE", 10, "A-01-01-1")
    receive(app, "FRA", "SKU-PHONE-CASE", 10, "A-01-01-1")
    o = take_in(app, currency="EUR", ship_to=CZ, lines=[line("SKU-PHONE-CASE", 2)])
    assert o.status == "allocated"
    assert [s["warehouse_id"] for s in o.shipments] == ["FRA"]
    split = o.split
    assert [c["warehouse_id"] for c in split["candidates"]] == ["FRA"]
    (excluded,) = split["excluded_candidates"]
    assert (excluded["warehouse_id"], excluded["status"]) == ("SZX", "no_carrier_for_lane")
    # The estimate is the real quote of the service it ships with, card version recorded.
    service = split["candidates"][0]["service"]
    assert service["ref"].endswith("@2025") and service["weight_band_g"] == 500
    assert service["quote"] == str(
        app.orders.lane_offers.offer("DE", "CZ", 120, frozenset(), app.clock.now().date())["quote"]
    )


def test_the_split_is_priced_on_the_cheapest_service_that_carries_the_shipment(app):
    receive(app, "LAX", "SKU-PHONE-CASE", 10, "A-01-01-1")
    o = take_in(app, lines=[line("SKU-PHONE-CASE", 2)])
    (candidate,) = o.split["candidates"]
    offer = app.orders.lane_offers.offer(
        "US", "US", 120, frozenset(), app.clock.now().date(), "web"
    )
    assert candidate["service"]["ref"] == f"ups/ground@{offer['card_version']}"
    assert candidate["service"]["quote"] == offer["quote"]
    assert candidate["fixed_cost"] == str(offer["fixed_cost"])


def test_goods_a_warehouses_only_domestic_carrier_refuses_ship_from_one_that_takes_them(app):
    # Royal Mail (the only GB domestic service) refuses loose lithium batteries (UN3480).
    receive(app, "BHX", "SKU-POWERBANK-10K", 10, "A-01-01-1")
    receive(app, "FRA", "SKU-POWERBANK-10K", 10, "A-01-01-1")
    o = take_in(app, currency="GBP", ship_to=LONDON, lines=[line("SKU-POWERBANK-10K", 1)])
    assert [s["warehouse_id"] for s in o.shipments] == ["FRA"]
    (excluded,) = o.split["excluded_candidates"]
    assert (excluded["warehouse_id"], excluded["status"]) == ("BHX", "no_carrier_for_goods")
    assert "royal_mail/tracked_48 refuses lithium_batteries" in excluded["reason"]
    lanes = rule(o, "lanes")
    assert lanes["passed"]
    # A passing review keeps the lines some stocked warehouse could not take, with why.
    verdicts = lanes["inputs"]["lines"]["SKU-POWERBANK-10K"]["warehouses"]
    assert verdicts["BHX"]["status"] == "no_carrier_for_goods"
    assert verdicts["FRA"] == o.split["candidates"][0]["service"]["ref"]


def test_a_gb_order_from_birmingham_ships_with_the_gb_domestic_service(app):
    receive(app, "BHX", "SKU-WOOL-SCARF", 10, "A-01-01-1")
    o = take_in(app, currency="GBP", ship_to=LONDON, lines=[line("SKU-WOOL-SCARF", 1, "29.00")])
    assert [s["warehouse_id"] for s in o.shipments] == ["BHX"]
    assert o.split["candidates"][0]["service"]["ref"] == "royal_mail/tracked_48@2025"
    # Every stocked warehouse could ship every line: the review names no line (the service
    # each candidate ships with is in the split's candidates).
    assert rule(o, "lanes")["inputs"]["lines"] == {}


def test_a_batch_keeps_the_cards_it_began_with_and_the_next_sees_a_new_one(app):
    today = app.clock.now().date()
    before = app.orders.lane_offers.pricer(today)("CZ", "web")
    assert before("DE", 120, frozenset())["ref"] == "dhl_parcel_de/paket@2025"
    card = Path("adapters/data/rate_cards/dhl_paket_de_2025.csv").read_text()
    card = card.replace("card,version,2025", "card,version,2025-07")
    card = card.replace("card,effective_from,2025-01-01", f"card,effective_from,{today}")
    app.rates.publish_rate_card(card, "dhl_paket_2025-07.csv", "admin")
    assert before("DE", 120, frozenset())["ref"] == "dhl_parcel_de/paket@2025"  # same batch
    after = app.orders.lane_offers.pricer(today)("CZ", "web")
    assert after("DE", 120, frozenset())["ref"] == "dhl_parcel_de/paket@2025-07"
    receive(app, "FRA", "SKU-PHONE-CASE", 10, "A-01-01-1")
    o = take_in(app, currency="EUR", ship_to=CZ, lines=[line("SKU-PHONE-CASE", 1)])
    assert o.split["candidates"][0]["service"]["ref"] == "dhl_parcel_de/paket@2025-07"


def _a_long_product(app, sku="SKU-RUG-70", longest_mm=700):
    """A rolled rug 70 cm long: over Royal Mail's 61 cm, within the couriers' limits."""
    values = app.reference.product("SKU-WOOL-SCARF").details()
    values = {k: v for k, v in values.items() if k not in ("sku", "version")}
    values.update(name="Rolled rug", dimensions_mm=[longest_mm, 150, 150], unit_weight_g=900)
    app.reference.register_product(sku, **values)
    return sku


def test_an_item_longer_than_every_service_of_the_lane_takes_is_held_naming_the_limit(app):
    rug = _a_long_product(app)
    receive(app, "BHX", rug, 5, "A-01-01-1")
    o = take_in(app, currency="GBP", ship_to=LONDON, lines=[line(rug, 1, "59.00")])
    assert o.status == "held"
    (hold,) = o.hold_reasons
    assert (hold["rule"], hold["code"]) == ("lanes", "no_carrier_for_goods")
    assert "royal_mail/tracked_48 takes items up to 61 cm" in hold["reason"]


def test_a_long_item_ships_from_a_warehouse_whose_service_takes_its_length(app):
    rug = _a_long_product(app)
    receive(app, "BHX", rug, 5, "A-01-01-1")
    receive(app, "FRA", rug, 5, "A-01-01-1")
    o = take_in(app, currency="GBP", ship_to=LONDON, lines=[line(rug, 1, "59.00")])
    assert [s["warehouse_id"] for s in o.shipments] == ["FRA"]
    (excluded,) = o.split["excluded_candidates"]
    assert (excluded["warehouse_id"], excluded["status"]) == ("BHX", "no_carrier_for_goods")
    # The same rug at 60 cm fits Royal Mail: the domestic warehouse ships it.
    short = _a_long_product(app, "SKU-RUG-60", 600)
    receive(app, "BHX", short, 5, "A-01-01-2")
    receive(app, "FRA", short, 5, "A-01-01-2")
    o = take_in(
        app, external_id="W-2", currency="GBP", ship_to=LONDON, lines=[line(short, 1, "49.00")]
    )
    assert [s["warehouse_id"] for s in o.shipments] == ["BHX"]


# ---------------------------------------------------------------------------------- hold codes
def test_a_line_no_stocked_warehouse_has_a_lane_for_is_held_naming_line_and_destination(app):
    receive(app, "SZX", "SKU-PHONE-CASE", 10, "A-01-01-1")
    o = take_in(app, currency="EUR", ship_to=CZ, lines=[line("SKU-PHONE-CASE", 2)])
    assert o.status == "held"
    (hold,) = o.hold_reasons
    assert (hold["rule"], hold["code"]) == ("lanes", "no_carrier_for_lane")
    assert "SKU-PHONE-CASE to CZ" in hold["reason"] and "SZX" in hold["reason"]
    verdicts = rule(o, "lanes")["inputs"]["lines"]["SKU-PHONE-CASE"]["warehouses"]
    assert {w: v["status"] for w, v in verdicts.items()} == {"SZX": "no_carrier_for_lane"}
    assert inventory_reserved(app, "SZX", "SKU-PHONE-CASE") == 0


def test_a_release_decides_the_lanes_again_and_cannot_override_them(app):
    receive(app, "SZX", "SKU-PHONE-CASE", 10, "A-01-01-1")
    held = take_in(app, currency="EUR", ship_to=CZ, lines=[line("SKU-PHONE-CASE", 2)])
    still, _ = app.orders.release_order(held.id, "ship it anyway", "admin-1")
    assert still.status == "held" and "lanes" not in still.overrides
    assert [h["code"] for h in still.hold_reasons] == ["no_carrier_for_lane"]
    receive(app, "FRA", "SKU-PHONE-CASE", 10, "A-01-01-1")  # stock arrives where a carrier is
    released, _ = app.orders.release_order(held.id, "stock in Frankfurt now", "admin-1")
    assert released.status == "allocated"
    assert [s["warehouse_id"] for s in released.shipments] == ["FRA"]


def test_goods_every_service_on_the_lane_refuses_hold_the_order_with_the_carriers_reasons(app):
    # E-bike batteries (UN3480, 360 Wh) are stocked only in Birmingham; the one GB domestic
    # service refuses them.
    receive(app, "BHX", "SKU-EBIKE-BATT", 5, "A-01-01-1")
    receive(app, "BHX", "SKU-WOOL-SCARF", 5, "A-01-01-2")
    o = take_in(
        app,
        currency="GBP",
        ship_to=LONDON,
        lines=[line("SKU-EBIKE-BATT", 1, "189.00"), line("SKU-WOOL-SCARF", 1, "29.00")],
    )
    assert o.status == "held"
    (hold,) = o.hold_reasons
    assert (hold["rule"], hold["code"]) == ("lanes", "no_carrier_for_goods")
    assert "SKU-EBIKE-BATT to GB: no carrier for its goods (lithium_batteries)" in hold["reason"]
    assert "royal_mail/tracked_48 refuses lithium_batteries" in hold["reason"]
    inputs = rule(o, "lanes")["inputs"]
    assert inputs["holds"] == [{"sku": "SKU-EBIKE-BATT", "code": "no_carrier_for_goods"}]
    assert inputs["lines"]["SKU-WOOL-SCARF"]["warehouses"] == {"BHX": "royal_mail/tracked_48@2025"}


def test_a_licence_the_destination_needs_holds_the_order_for_customs_naming_it(app):
    receive(app, "LAX", "SKU-CHOC-BAR", 10, "A-01-01-1", expiry=date(2027, 6, 30))
    o = take_in(app, lines=[line("SKU-CHOC-BAR", 2, "3.50")])
    (hold,) = o.hold_reasons
    assert (hold["rule"], hold["code"]) == ("documents", "licence_required")
    assert "held for the customs team" in hold["reason"]
    assert "SKU-CHOC-BAR needs FDA prior notice" in hold["reason"]
    assert rule(o, "documents")["inputs"]["lines"]["SKU-CHOC-BAR"]["missing"] == [
        "FDA prior notice"
    ]
    released, _ = app.orders.release_order(o.id, "prior notice filed", "customs-1")
    assert released.status == "allocated" and "documents" in released.overrides


def test_a_licence_the_product_holds_passes(app):
    receive(app, "FRA", "SKU-CHARGER-65W", 10, "A-01-01-1")
    berlin = ship_to(city="Berlin", region="BE", postcode="10115", country="DE")
    o = take_in(app, currency="EUR", ship_to=berlin, lines=[line("SKU-CHARGER-65W", 1, "25.00")])
    assert o.status == "allocated"
    assert rule(o, "documents")["passed"]


def inventory_reserved(app, warehouse_id: str, sku: str) -> int:
    inv = app.store.get_or_none(Inventory.create_id(warehouse_id, sku))
    return inv.reserved if inv else 0


# ---------------------------------------------------------------------------------- products
def test_products_carry_compliance_attributes_and_their_goods_classes(app):
    power = app.reference.product("SKU-POWERBANK-10K")
    assert power.compliance == {
        "dangerous_goods": {"un_number": "UN3480", "class": "9", "packing_section": "II"}
    }
    assert power.goods_classes() == {"lithium_batteries"}
    assert app.reference.product("SKU-DRONE-MINI").goods_classes() == {"lithium_in_equipment"}
    assert "alcohol" in app.reference.product("SKU-GIN-70CL").goods_classes()
    assert app.reference.product("SKU-PHONE-CASE").goods_classes() == frozenset()


@pytest.mark.parametrize(
    ("dg", "loc"),
    [
        ({"un_number": "3480", "class": "9", "packing_section": "II"}, "un_number"),
        ({"un_number": "UN3480", "class": "10", "packing_section": "II"}, "class"),
        ({"un_number": "UN3480", "class": "3", "packing_section": "II"}, "class"),
        ({"un_number": "UN3481", "class": "9"}, "packing_section"),
    ],
)
def test_a_wrong_dangerous_goods_attribute_is_refused_naming_the_field(app, dg, loc):
    values = app.reference.product("SKU-PHONE-CASE").details()
    values = {k: v for k, v in values.items() if k not in ("sku", "version")}
    values["compliance"] = {"dangerous_goods": dg}
    with pytest.raises(ValidationFailed) as refused:
        app.reference.register_product("SKU-PHONE-CASE", **values)
    assert [e["loc"] for e in refused.value.errors] == [f"compliance.dangerous_goods.{loc}"]


def test_a_product_stream_written_before_compliance_attributes_loads_and_is_revised(app):
    a = app
    # The Registered event as the old code wrote it: no compliance anywhere in the stream.
    old = Product("SKU-OLD", "Old torch", 200, [50, 50, 150], "8513.10", "CN", Decimal("4.00"),
                  "USD", False)  # fmt: skip
    a.store.save(old)
    (stored,) = a.recorder.select_events(old.id)
    assert b"compliance" not in stored.state
    loaded = a.repository.get(Product.create_id("SKU-OLD"))
    assert loaded.compliance is None and loaded.goods_classes() == frozenset()
    assert "compliance" not in loaded.details()
    values = {k: v for k, v in loaded.details().items() if k not in ("sku", "version")}
    values["compliance"] = {"dangerous_goods": {"un_number": "UN3091", "class": "9",
                                                "packing_section": "II"}}  # fmt: skip
    revised, changed = a.reference.register_product("SKU-OLD", **values)
    assert changed and revised.version == loaded.version + 1
    again = a.repository.get(Product.create_id("SKU-OLD"))
    assert again.goods_classes() == {"lithium_in_equipment"}


def test_an_item_over_the_cheapest_services_length_is_priced_on_one_that_takes_it(app):
    # Postal economy (60 cm) is the cheapest from China to Singapore; a 61 cm item goes with a
    # service whose card takes it, however often the lane was priced for shorter items before.
    price = app.orders.lane_offers.pricer(app.clock.now().date())("SG", "web")
    assert price("CN", 400, frozenset(), 450)["ref"] == "postal/economy@2025"
    longer = price("CN", 400, frozenset(), 610)
    assert longer["status"] == "ok" and not longer["ref"].startswith("postal/")
    assert longer["max_length_mm"] >= 610
    assert price("CN", 400, frozenset(), 450)["ref"] == "postal/economy@2025"
