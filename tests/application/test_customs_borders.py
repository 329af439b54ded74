"""Customs borders at the application level, on the in-memory store: a packed shipment is
declared only when it leaves its customs territory; inside one, the order records why no
declaration was needed (territories, VAT scheme, rules versions) and dispatch does not wait
for customs. The landed-cost quote, the declaration and the cost ledger give the same figures
because they run the same rule (domains/customs/borders.py); the cost ledger's side is in
tests/use_cases/test_customs_borders_use_cases.py (it reads views, which need a database).

Packing is driven through the use cases (tests/application/builders.py): whether a carrier
serves a lane (BHX -> GB has none in today's rate cards) does not matter to packing.
"""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

import pytest

from domains.customs.model import CustomsNotRequired
from domains.customs.tariff import CustomsLine, Money
from tests.application.builders import packed_order, ship_to

# (warehouse, destination, postcode, order currency, expected VAT scheme)
INSIDE = [
    ("FRA", "FR", "75001", "EUR", "EU_OSS"),
    ("FRA", "DE", "10115", "EUR", "DOMESTIC"),
    ("FRA", "AT", "1010", "EUR", "EU_OSS"),
    ("FRA", "NL", "1011 AB", "EUR", "EU_OSS"),
    ("LAX", "US", "90001", "USD", "DOMESTIC"),
    ("CGK", "ID", "10110", "IDR", "DOMESTIC"),
    ("BHX", "GB", "SW1A 1AA", "GBP", "DOMESTIC"),
]
ACROSS = [
    ("FRA", "GB", "SW1A 1AA", "GBP", "GB_POINT_OF_SALE"),
    ("BHX", "DE", "10115", "EUR", "EU_IOSS"),
    ("SZX", "US", "90001", "USD", "US_IMPORT"),
    ("LAX", "CA", "M5V 3L9", "CAD", "IMPORT"),
]
PRICE = {"EUR": "7.50", "USD": "7.50", "GBP": "7.50", "CAD": "9.90", "IDR": "95000"}


def pack(app, warehouse, country, postcode, currency, ext="B-1", channel="web"):
    region = "CA" if country == "US" else None
    return packed_order(
        app,
        warehouse,
        "SKU-PHONE-CASE",
        2,
        PRICE[currency],
        external_id=ext,
        channel=channel,
        currency=currency,
        ship_to=ship_to(country=country, postcode=postcode, region=region, city="City"),
    )


@pytest.mark.parametrize(("warehouse", "country", "postcode", "currency", "scheme"), INSIDE)
def test_a_shipment_inside_one_customs_territory_is_not_declared_and_says_why(
    app, warehouse, country, postcode, currency, scheme
):
    o, packed = pack(app, warehouse, country, postcode, currency)
    assert packed["declaration_id"] is None and app.customs.declaration_for(o.id, 1) is None
    decision = o.fulfilment["1"]["customs"]
    tables = app.customs.tariffs
    origin = app.reference.current()["warehouses"][warehouse].country
    assert {k: decision[k] for k in ("declaration_needed", "origin", "destination")} == {
        "declaration_needed": False, "origin": origin, "destination": country,
    }  # fmt: skip
    assert decision["origin_territory"] == decision["destination_territory"]
    assert decision["destination_territory"] == tables.territory_of(country)
    assert decision["vat_scheme"] == scheme
    assert (decision["duty"], decision["import_vat"]) == ("0.00", "0.00") or decision[
        "currency"
    ] == "IDR"  # IDR has no minor unit: "0"
    assert Decimal(decision["duty"]) == Decimal(decision["import_vat"]) == 0
    assert decision["rules_version"] == tables.version
    assert decision["territories_version"] == tables.territories_version
    assert "no customs declaration" in decision["reason"]
    recorded = [e for e in app.orders.order_events(o.id) if isinstance(e, CustomsNotRequired)]
    assert [e.shipment_no for e in recorded] == [1]
    app.customs.require_cleared_for_dispatch(o, 1)  # does not wait for customs


@pytest.mark.parametrize(("warehouse", "country", "postcode", "currency", "scheme"), ACROSS)
def test_a_shipment_leaving_its_customs_territory_is_declared_with_its_scheme(
    app, warehouse, country, postcode, currency, scheme
):
    o, packed = pack(app, warehouse, country, postcode, currency)
    assert packed["declaration_id"] is not None
    d = app.customs.get_declaration(UUID(packed["declaration_id"]))
    customs = d.duties["customs"]
    assert customs["declaration_needed"] is True
    assert customs["origin_territory"] != customs["destination_territory"]
    assert customs["vat_scheme"] == scheme
    assert d.versions["territories"] == app.customs.tariffs.territories_version
    assert "customs" not in o.fulfilment["1"]
    assert not [e for e in app.orders.order_events(o.id) if isinstance(e, CustomsNotRequired)]


def test_a_declared_shipment_still_waits_for_an_approved_declaration(app):
    o, packed = pack(app, "SZX", "US", "90001", "USD", channel="dealer")
    d = app.customs.get_declaration(UUID(packed["declaration_id"]))
    assert d.status == "pending_review"
    with pytest.raises(Exception, match="declaration is pending_review"):
        app.customs.require_cleared_for_dispatch(o, 1)


def test_an_amazon_sale_into_the_eu_under_ioss_records_amazon_as_deemed_supplier(app):
    o, packed = pack(app, "BHX", "DE", "10115", "EUR", channel="amazon")
    d = app.customs.get_declaration(UUID(packed["declaration_id"]))
    assert d.duties["customs"]["vat_scheme"] == "EU_IOSS"
    assert d.duties["customs"]["deemed_supplier"] == "Amazon (marketplace)"


def test_an_amended_declaration_over_the_eu_threshold_changes_its_scheme(app):
    o, packed = pack(app, "BHX", "DE", "10115", "EUR")
    did = UUID(packed["declaration_id"])
    assert app.customs.get_declaration(did).duties["customs"]["vat_scheme"] == "EU_IOSS"
    d, _ = app.customs.amend_declaration(
        did, "cus", "real price", [{"line_no": 1, "unit_value": "80.00"}]
    )  # 2 x 80.00 = 160.00 EUR > 150
    assert d.duties["customs"]["vat_scheme"] == "EU_IMPORT"
    assert Decimal(d.duties["import_vat"]) > 0 and Decimal(d.duties["vat_at_sale"]) == 0


# ---------------------------------------------------------------- quote = declaration = cost
@pytest.mark.parametrize(
    ("warehouse", "country", "postcode", "currency"),
    [
        ("BHX", "DE", "10115", "EUR"),  # EU_IOSS
        ("SZX", "US", "90001", "USD"),  # US_IMPORT
        ("FRA", "GB", "SW1A 1AA", "GBP"),  # GB_POINT_OF_SALE
        ("FRA", "DE", "10115", "EUR"),  # inside the EU: no declaration
        ("BHX", "GB", "SW1A 1AA", "GBP"),  # inside GB: no declaration
    ],
)
def test_the_quote_the_declaration_and_the_customs_decision_agree(
    app, warehouse, country, postcode, currency
):
    """The landed-cost quote for the goods of a packed shipment, with the declaration's freight,
    gives the declaration's duty, VAT and scheme; inside a territory, no declaration, and the
    quote charges nothing at a border."""
    o, packed = pack(app, warehouse, country, postcode, currency)
    origin = app.reference.current()["warehouses"][warehouse].country
    on = app.store.clock.now().date()
    d = app.customs.declaration_for(o.id, 1)
    freight = (
        Money(Decimal(d.document["freight"]["amount"]), d.document["freight"]["currency"])
        if d is not None and d.document.get("freight")
        else Money(Decimal("0"), currency)
    )
    lines = [CustomsLine("3926.90", Decimal(PRICE[currency]) * 2, currency, 2, "case", "CN")]
    quote = app.customs.landed_cost_quote(
        lines, freight, country, "DDP", currency, on, origin=origin
    )
    q = quote["duties"]
    if d is None:
        decision = o.fulfilment["1"]["customs"]
        assert quote["customs"]["declaration_needed"] is False
        assert quote["customs"]["vat_scheme"] == decision["vat_scheme"]
        assert Decimal(quote["duty"]) == Decimal(q["import_vat"]) == 0
        assert "in the price" in next(i["label"] for i in quote["items"] if i["item"] == "vat")
        return
    assert quote["customs"]["declaration_needed"] is True
    assert quote["customs"]["vat_scheme"] == d.duties["customs"]["vat_scheme"]
    for key in ("duty", "import_vat", "vat_at_sale", "scheme", "currency"):
        assert q[key] == d.duties[key], key
