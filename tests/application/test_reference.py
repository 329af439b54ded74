"""Reference data at the application level: warehouses, products, dealers and the prohibited
goods list, as the other contexts see them right after each change."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from adapters.reference.seed import load, seed_reference
from domains.common import InvalidTransition, NotFound, ValidationFailed
from domains.reference.model import PRODUCT_FIELDS, Product, ProhibitedGoodsList
from tests.application.builders import line, receive, ship_to, take_in

TEA = next(p for p in load("products.json") if p["sku"] == "SKU-TEA-001")


def tea(**kw):
    """SKU-TEA-001 as shipped (a perishable), with overrides."""
    values = {k: v for k, v in TEA.items() if k != "sku"}
    values["unit_value"] = Decimal(values["unit_value"])
    values.update(kw)
    return values


def test_seeding_the_shipped_data_again_records_nothing(app):
    before = app.max_notification_id()
    changed = seed_reference(app)
    assert set(changed.values()) == {0}, changed
    assert app.max_notification_id() == before


def test_a_product_without_its_required_fields_is_refused_naming_each_missing_one(app):
    before = app.max_notification_id()
    with pytest.raises(ValidationFailed) as refused:
        app.reference.register_product("SKU-NEW", name="New thing", hs_code="3926.90")
    assert {e["loc"] for e in refused.value.errors} == set(PRODUCT_FIELDS) - {"name", "hs_code"}
    assert all(e["msg"] == "field required" for e in refused.value.errors)
    assert app.max_notification_id() == before
    with pytest.raises(NotFound):
        app.reference.product("SKU-NEW")


def test_registering_a_product_unchanged_is_not_a_new_version(app):
    version = app.reference.product("SKU-TEA-001").version
    product, changed = app.reference.register_product("SKU-TEA-001", **tea())
    assert changed is False and product.version == version


def test_a_new_product_is_orderable_at_once(app):
    app.reference.register_product(
        "SKU-MUG", **tea(name="Enamel mug", perishable=False, hs_code="7323.94")
    )
    receive(app, "LAX", "SKU-MUG", 5, "A-03-03-1")
    assert take_in(app, lines=[line("SKU-MUG", 2, "9.00")]).status == "allocated"


def test_a_minimum_shelf_life_set_on_a_product_keeps_short_dated_lots_from_new_orders(app, clock):
    receive(app, "LAX", "SKU-TEA-001", 10, "A-01-01-1", expiry=clock.now().date() + timedelta(20))
    before = take_in(app, external_id="T-1", lines=[line("SKU-TEA-001", 1, "12.50")])
    assert before.status == "allocated"
    _, changed = app.reference.register_product("SKU-TEA-001", **tea(min_shelf_life_days=30))
    assert changed and app.reference.product("SKU-TEA-001").min_shelf_life_days == 30
    # The lot expires in 20 days, inside the 30 days a customer must be left: not sellable.
    after = take_in(app, external_id="T-2", lines=[line("SKU-TEA-001", 1, "12.50")])
    assert after.status == "held"
    assert "needs 1, 0 available" in after.hold_reasons[0]["reason"]


def test_optional_product_settings_are_a_revision_not_a_new_registration(app):
    app.reference.register_product("SKU-TEA-001", **tea(barcode="4006381333931"))
    events = list(app.store.events.get(Product.create_id("SKU-TEA-001")))
    assert [type(e).__name__ for e in events] == ["Registered", "Revised"]
    assert events[-1].changes == {"barcode": "4006381333931"}


def test_unknown_reference_data_is_not_found_by_kind_and_key(app):
    for read, kind, key in (
        (app.reference.product, "product", "SKU-NOPE"),
        (app.reference.warehouse, "warehouse", "XXX"),
        (app.reference.get_dealer, "dealer", "DLR-NOPE"),
    ):
        with pytest.raises(NotFound) as missing:
            read(key)
        assert (missing.value.kind, missing.value.key) == (kind, key)


def test_a_new_warehouse_is_known_at_once_but_takes_goods_only_once_it_has_a_layout(app):
    where = ("Madrid hub", "ES", "Madrid", "Calle 1, 28001 Madrid")
    app.reference.register_warehouse("MAD", *where)
    assert app.reference.warehouse("MAD").country == "ES"
    with pytest.raises(InvalidTransition, match="MAD has no layout yet"):
        receive(app, "MAD", "SKU-PHONE-CASE", 5, "A-01-01-1")
    layout = {
        "zones": ["A"],
        "aisles_per_zone": 2,
        "bays_per_aisle": 5,
        "levels": 2,
        "aisle_pitch_m": 3.0,
        "bay_pitch_m": 1.0,
        "cross_aisle_m": 2.0,
        "depot_x_m": 0.0,
    }
    _, changed = app.reference.register_warehouse("MAD", *where, layout=layout)
    assert changed
    assert receive(app, "MAD", "SKU-PHONE-CASE", 5, "A-2-5-2")["bin"] == "A-02-05-2"


def test_publishing_the_same_prohibited_list_again_is_not_a_new_version(app):
    shipped = load("prohibited_goods.json")
    version = app.repository.get(ProhibitedGoodsList.create_id()).version
    listed, changed = app.reference.publish_prohibited(shipped["rules"], "again")
    assert changed is False and listed.version == version


def test_a_newly_prohibited_good_holds_new_orders_citing_the_list_version(app):
    receive(app, "LAX", "SKU-PHONE-CASE", 10, "A-02-05-1")
    rules = load("prohibited_goods.json")["rules"]
    ban = {"hs_prefix": "3926", "category": "plastics", "reason": "test ban"}
    listed, changed = app.reference.publish_prohibited({**rules, "US": [ban]}, "test")
    assert changed
    o = take_in(app, ship_to=ship_to())
    assert [h["code"] for h in o.hold_reasons] == ["prohibited_goods"]
    destination = next(r for r in o.review["rules"] if r["rule"] == "destination")
    assert destination["inputs"]["list_version"] == listed.version


def test_a_raised_dealer_credit_limit_lets_the_next_order_through(app):
    receive(app, "BHX", "SKU-WOOL-SCARF", 100, "A-01-01-1")
    gb = dict(currency="GBP", ship_to=ship_to(country="GB", region=None, postcode="B46 1AL"))
    scarves = [line("SKU-WOOL-SCARF", 30, "29.00")]  # 870.00 GBP
    # DLR-GB-01 owes 5200.00 of a 6000.00 limit: 870.00 does not fit, 7000.00 leaves room.
    held = take_in(app, "dealer", external_id="G-1", dealer_id="DLR-GB-01", lines=scarves, **gb)
    assert [h["code"] for h in held.hold_reasons] == ["over_credit_limit"]
    dealer, changed = app.reference.register_dealer(
        "DLR-GB-01", "Midlands Retail Supply Ltd", Decimal("7000.00"), "GBP", ["GB"],
        Decimal("5200.00"),
    )  # fmt: skip
    assert changed and dealer.credit_limit == Decimal("7000.00")
    fits = take_in(app, "dealer", external_id="G-2", dealer_id="DLR-GB-01", lines=scarves, **gb)
    assert fits.status == "allocated"
