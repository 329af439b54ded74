"""The inbound context's use cases with the others, on SQLite and PostgreSQL: the cost ledger
counts the landed cost of the units an order shipped (by lot from an inbound, else the SKU's
weighted average there) so finance sees the margin; a receipt releases the orders waiting for
its SKUs; a transfer proposal when one warehouse is short and another has spare."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from domains.warehouse.model import Inventory
from tests.use_cases.conftest import labelled_shipment

ARRIVAL = date(2026, 12, 1)


def inbound_to(app, warehouse, sku, qty, lot, inbound_id="ASN-L1", unit_value="2.00"):
    rows = [{"where": "r", "carton_no": "1", "sku": sku, "quantity": qty, "lot": lot,
             "unit_value": unit_value}]  # fmt: skip
    app.inbound.book(
        inbound_id, warehouse, {"kind": "supplier", "name": "Yiwu Co", "country": "CN"}, "air",
        "Cathay Cargo", "160-12345675", ARRIVAL, rows, "value", "USD", "admin",
    )  # fmt: skip
    app.inbound.record_costs(inbound_id, {"amount": "30", "currency": "USD"}, None, [], "admin")
    for stage in ("departed", "arrived_at_port"):
        app.inbound.advance(inbound_id, stage, "admin")
    decision, _ = app.inbound.declare_customs(inbound_id, "admin")
    if decision["required"]:
        from uuid import UUID

        app.customs.approve_declaration(UUID(decision["declaration_id"]), "cleo", "ok")
        app.inbound.clear_customs(inbound_id, "admin")
    for stage in ("released", "delivered"):
        app.inbound.advance(inbound_id, stage, "admin")
    counts = [{"carton_no": "1", "sku": sku, "lot": lot, "good": qty, "damaged": 0,
               "reason": "", "bin": "A-02-05-1"}]  # fmt: skip
    result, _ = app.inbound.receive(inbound_id, warehouse, f"R-{inbound_id}", counts, "dock")
    return result


def test_an_orders_cost_includes_the_landed_cost_of_the_units_it_shipped(app):
    received = inbound_to(app, "LAX", "SKU-PHONE-CASE", 10, "IN-1")
    (line,) = received["landed_cost"]["lines"]
    unit = Decimal(line["landed_unit_cost"])
    assert unit > Decimal("2.00")  # its value plus its share of freight and duty
    # 12 cases: FIFO takes the inbound's 10 first, then 2 of a lot received by hand
    order_id, _ = labelled_shipment(app, "M-1", goods={"SKU-PHONE-CASE": 12})
    costs = app.settlement.order_costs(order_id, "value")
    goods = {g["lot"]: g for g in costs["goods"]}
    assert goods["IN-1"]["source"] == "lot" and goods["IN-1"]["inbound_id"] == "ASN-L1"
    assert goods["IN-1"]["quantity"] == 10 and Decimal(goods["IN-1"]["unit_cost"]) == unit
    # the other lot has no landed cost of its own: the SKU's weighted average in LAX
    assert goods["P1"]["source"] == "weighted_average"
    assert Decimal(goods["P1"]["unit_cost"]) == unit
    goods_base = sum(Decimal(g["cost_base"]) for g in costs["goods"])
    assert Decimal(costs["goods_cost"]) == goods_base
    margin = Decimal(costs["order_value"]) - Decimal(costs["total"]) - goods_base
    assert Decimal(costs["margin"]) == margin.quantize(Decimal("0.01"))
    assert costs["margin_complete"] is True


def test_an_order_without_landed_costs_keeps_its_logistics_cost_answer(app):
    order_id, _ = labelled_shipment(app, "M-2")
    costs = app.settlement.order_costs(order_id, "weight")
    assert set(costs) == {"total", "lines", "shipments"}


def test_a_received_inbound_releases_the_orders_waiting_for_its_skus(app):
    waiting = push_web_order_held(app, "W-1", "SKU-CHARGER-65W", 3)
    assert [w["order_id"] for w in app.orders.waiting_for_stock()] == [str(waiting)]
    result = inbound_to(app, "LAX", "SKU-CHARGER-65W", 5, "IN-C")
    assert result["backorders"]["released"] == 1
    assert app.orders.get_order(waiting).status == "allocated"
    inv = app.store.get_or_none(Inventory.create_id("LAX", "SKU-CHARGER-65W"))
    assert inv.reserved == 3 and inv.on_hand == 5


def push_web_order_held(app, ext, sku, qty):
    from domains.orders.intake import Intake
    from tests.integration.test_spine_scenarios import web_order

    canonical = web_order(ext, [(sku, qty, "10.00")])
    outcome, _ = app.orders.intake(Intake("web", canonical, canonical))
    assert outcome.order.status == "held"
    return outcome.order_id


def test_a_short_warehouse_gets_a_transfer_proposal_priced_on_the_rate_cards(app):
    held = push_web_order_held(app, "W-2", "SKU-CHARGER-65W", 4)
    # Spare stock in Shenzhen the waiting order was not re-examined against (written straight
    # to the stream: a receipt through the use cases would release the order at once).
    spare = Inventory("SZX", "SKU-CHARGER-65W")
    spare.receive(50, "open-szx", lot="S-1", bin="A-01-01-1")
    app.store.commit(spare)
    (p,) = app.inbound.propose_transfers()
    assert (p["target"], p["source"], p["lines"]) == ("LAX", "SZX", {"SKU-CHARGER-65W": 4})
    assert p["orders"] == [str(held)] and p["crosses_customs_border"] is True
    transfer = p["options"]["transfer"]
    assert transfer is not None and Decimal(transfer["compare_total"]) > 0
    split = p["options"]["split"]
    assert split["orders"] and split["orders"][0]["order_id"] == str(held)
    assert p["recommended"] in ("transfer", "split")
    cheaper = (
        "transfer"
        if Decimal(transfer["compare_total"]) <= Decimal(split["compare_total"])
        else "split"
    )
    assert p["recommended"] == cheaper
    # accepting it reserves the units at the source under the transfer's key
    app.inbound.accept_transfer(
        "TR-9", "SZX", "LAX", p["lines"], "air", "SF Airlines", "479-00000011", None, "admin"
    )
    source = app.store.get_or_none(Inventory.create_id("SZX", "SKU-CHARGER-65W"))
    assert source.reservations == {"transfer:TR-9": 4}


def test_a_transfer_carries_the_landed_cost_of_its_units_at_the_source(app):
    received = inbound_to(app, "LAX", "SKU-PHONE-CASE", 10, "IN-1")
    (line,) = received["landed_cost"]["lines"]
    transfer, _, _ = app.inbound.accept_transfer(
        "TR-L", "LAX", "BHX", {"SKU-PHONE-CASE": 6}, "air", "BA Cargo", "125-00000011", None, "a"
    )
    (moved,) = [ln for c in transfer.cartons for ln in c["lines"]]
    assert (moved["lot"], moved["quantity"]) == ("IN-1", 6)
    assert moved["unit_value"] == line["landed_unit_cost"]
    assert moved["value_currency"] == received["landed_cost"]["currency"]
