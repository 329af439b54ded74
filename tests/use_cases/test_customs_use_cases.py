"""Customs' use cases called directly: the landed-cost quote over the warehouses' lanes, a
declaration's documents from one set of figures, and a declaration with its order's history."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from domains.common import ValidationFailed
from domains.customs.landed import Goods
from domains.transport.rating import Parcel, QuoteRequest
from tests.use_cases.conftest import packed_shipment

TEA = Goods(value=Decimal("60.00"), currency="USD", quantity=4, sku="SKU-TEA-001")
TO_GB = {"country": "GB", "postcode": "SW1A 1AA", "region": None}


def test_landed_cost_is_quoted_from_the_warehouse_with_the_lowest_total(app):
    best = app.customs.quote_landed_cost([TEA], "GB")
    per_warehouse = {
        wh: app.customs.quote_landed_cost([TEA], "GB", warehouse_id=wh)
        for wh in app.reference.current()["warehouses"]
    }
    reachable = {wh: q for wh, q in per_warehouse.items() if q is not None}
    assert best["warehouse_id"] == min(
        reachable, key=lambda wh: Decimal(str(reachable[wh]["total"]))
    )
    assert best == reachable[best["warehouse_id"]]


def test_landed_cost_freight_is_the_cheapest_quote_for_the_goods_weight(app):
    quote = app.customs.quote_landed_cost([TEA], "GB", warehouse_id="LAX", currency="USD")
    lax = app.reference.current()["warehouses"]["LAX"]
    grams = app.reference.current()["products"]["SKU-TEA-001"].unit_weight_g * TEA.quantity
    cheapest = app.rates.quote(
        QuoteRequest(
            origin_country=lax.country,
            destination_country="GB",
            parcels=[Parcel(grams)],
            ship_date=app.clock.now().date(),
        )
    )["rates"][0]
    assert (quote["carrier"], quote["service"]) == (cheapest["carrier"], cheapest["service"])
    assert quote["ship_date"] == app.clock.now().date().isoformat()


def test_landed_cost_names_each_bad_good_and_place(app):
    goods = [
        Goods(value=Decimal("1"), currency="USD", sku="SKU-NOPE"),
        Goods(value=Decimal("1"), currency="USD"),
    ]
    with pytest.raises(ValidationFailed) as bad:
        app.customs.quote_landed_cost(goods, "XX")
    assert [e["loc"] for e in bad.value.errors] == [
        "goods[0].sku",
        "goods[1].hs_code",
        "destination",
    ]
    with pytest.raises(ValidationFailed) as bad:
        app.customs.quote_landed_cost([TEA], "GB", warehouse_id="NOPE")
    assert bad.value.errors[0]["loc"] == "warehouse_id"


def test_landed_cost_where_no_carrier_goes_is_no_quote(app):
    assert app.customs.countries.is_country("AQ")
    assert app.customs.quote_landed_cost([TEA], "AQ") is None  # the route answers 422


def cross_border_declaration(app):
    order_id = packed_shipment(app, "CB-1", {"SKU-PHONE-CASE": 2, "SKU-CHARGER-65W": 1}, **TO_GB)
    d = app.customs.declaration_for(order_id, 1)
    assert d is not None, "a shipment from LAX to GB is declared when packed"
    return order_id, d


def test_a_declarations_documents_carry_its_own_figures(app):
    order_id, d = cross_border_declaration(app)
    data = json.loads(app.customs.declaration_document(d.id, "declaration.json"))
    lines = d.document["lines"]
    assert data["totals"]["goods_value"] == str(sum(Decimal(ln["total_value"]) for ln in lines))
    assert data["totals"]["net_weight_g"] == 2 * 60 + 180
    assert data["totals"]["packages"] == 1 and data["totals"]["duty"] == d.duties["duty"]
    assert data["invoice_number"] == f"CI-{d.shipment_id[:8].upper()}-1"
    assert data["carrier"] is None  # not labelled yet
    for kind in ("commercial-invoice.pdf", "packing-list.pdf"):
        assert app.customs.declaration_document(d.id, kind).startswith(b"%PDF")


def test_a_declaration_comes_with_its_orders_history(app):
    order_id, d = cross_border_declaration(app)
    same, events = app.customs.declaration_with_history(d.id)
    assert same.id == d.id
    assert [e.originator_version for e in events] == list(range(1, len(events) + 1))
    assert [type(e).__name__ for e in events][-1] == "ShipmentPacked"
    assert events == app.orders.order_events(order_id)
