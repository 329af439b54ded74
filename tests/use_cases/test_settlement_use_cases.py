"""Settlement's use cases called directly: the cost ledger in the base currency, its totals,
an order's cost allocated to its lines, carrier bills matched three ways, the dispute file and
the bill reports."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from adapters.reference.facts import EcbRates
from domains.common import ValidationFailed
from tests.use_cases.conftest import dispatched_shipment, labelled_shipment

CENT = Decimal("0.01")
HEAD = "waybill,carrier,service,billed_weight_kg,base,fuel,surcharge_residential,currency,bill_line_ref"


def in_base(app, currency: str, day: str) -> Decimal:
    return EcbRates().rate(currency, app.settlement.base_currency, date.fromisoformat(day))[0]


def choice_of(app, order_id) -> dict:
    return app.orders.get_order(order_id).fulfilment["1"]["carrier"]["choice"]


def bill_line(app, order_id, label, ref: int, waybill: str | None = None) -> str:
    """A bill line charging exactly what was quoted for the label."""
    choice = choice_of(app, order_id)
    charges = {c["charge_type"]: c["amount"] for c in choice["charges"]}
    return ",".join(
        [
            waybill or label["waybill"],
            label["carrier"],
            label["service"],
            str(choice["chargeable_weight_kg"]),
            charges["base"],
            charges.get("fuel", "0"),
            "",
            choice["currency"],
            str(ref),
        ]
    )


def upload(app, lines: list[str], name: str = "bill.csv"):
    data = ("\n".join([HEAD, *lines]) + "\n").encode()
    return app.settlement.upload_bill(data, name, "generic", lines[0].split(",")[1], "fin")


def test_a_shipment_costs_its_quoted_freight_and_handling_in_the_base_currency(app):
    order_id, label = labelled_shipment(app, "C-1")
    choice = choice_of(app, order_id)
    (row,) = app.settlement.cost_ledger()
    handling = Decimal("0.35") * 1 + Decimal("1.20")  # one pick line, one parcel
    freight = Decimal(choice["total"])
    expected = freight * in_base(app, choice["currency"], row["date"]) + handling * in_base(
        app, "USD", row["date"]
    )
    assert row["shipment_id"] == f"{order_id}-S1" and row["lane"] == "US-US"
    assert Decimal(row["freight"]) == freight and Decimal(row["handling"]) == handling
    assert row["duty"] == row["import_vat"] == "0"  # domestic: no declaration
    assert row["cost_base"] == str(expected.quantize(CENT))
    order_value = Decimal("20.00") * in_base(app, "USD", row["date"])  # 2 x 10.00 USD
    assert row["order_value_base"] == str(order_value.quantize(CENT))


def test_cost_totals_give_cost_per_order_and_share_of_order_value(app):
    labelled_shipment(app, "C-2")
    labelled_shipment(app, "C-3")
    ledger = app.settlement.cost_ledger()
    (group,) = app.settlement.cost_totals("carrier")
    cost = sum(Decimal(r["cost_base"]) for r in ledger)
    value = sum(Decimal(r["order_value_base"]) for r in ledger)
    assert (group["carrier"], group["shipments"], group["orders"]) == (ledger[0]["carrier"], 2, 2)
    assert group["cost"] == pytest.approx(float(cost), abs=0.005)
    assert group["cost_per_order"] == pytest.approx(float(cost / 2), abs=0.005)
    assert group["cost_share_of_order_value"] == pytest.approx(float(cost / value), abs=5e-5)
    assert app.settlement.cost_totals("lane")[0]["lane"] == "US-US"


@pytest.mark.parametrize("by", ["weight", "value"])
def test_an_order_cost_is_allocated_to_its_lines_and_adds_up(app, by):
    goods = {"SKU-PHONE-CASE": 2, "SKU-CHARGER-65W": 1}  # 120 g and 180 g; 20.00 and 10.00 USD
    order_id, _ = labelled_shipment(app, "C-4", goods=goods)
    costs = app.settlement.order_costs(order_id, by)
    (shipment,) = costs["shipments"]
    cost = Decimal(shipment["cost_base"])
    share = {ln["sku"]: Decimal(ln["allocated_cost"]) for ln in costs["lines"]}
    weights = {"SKU-PHONE-CASE": 120, "SKU-CHARGER-65W": 180}
    keys = weights if by == "weight" else {"SKU-PHONE-CASE": 20, "SKU-CHARGER-65W": 10}
    smaller = min(keys, key=keys.__getitem__)  # the larger line takes the rounding remainder
    assert share[smaller] == (cost * keys[smaller] / sum(keys.values())).quantize(CENT)
    assert sum(share.values()) == cost and Decimal(costs["total"]) == cost


def test_a_bill_flags_duplicates_unknown_waybills_and_is_recorded_once(app):
    order_id, label = dispatched_shipment(app, "B-1")
    lines = [
        bill_line(app, order_id, label, 1),
        bill_line(app, order_id, label, 2),
        bill_line(app, order_id, label, 3, waybill="NOPE1234567"),
    ]
    bill, created, nid = upload(app, lines)
    assert created and nid > 0
    kinds = {(d["line"], d["kind"]) for d in bill.discrepancies}
    assert kinds == {(3, "duplicate_billing"), (4, "unknown_waybill")}  # file lines: 2, 3, 4
    assert [ln[0] for ln in bill.lines] == [2, 3, 4]
    assert bill.lines[0][6] == round(Decimal(choice_of(app, order_id)["total"]) * 100)
    again, created, nid = upload(app, lines)
    assert (again.id, created, nid) == (bill.id, False, 0)


def test_a_waybill_charged_by_an_earlier_bill_is_a_duplicate_on_the_next(app):
    order_id, label = dispatched_shipment(app, "B-2")
    upload(app, [bill_line(app, order_id, label, 1)], "first.csv")
    second, created, _ = upload(app, [bill_line(app, order_id, label, 7)], "second.csv")
    assert created and [d["kind"] for d in second.discrepancies] == ["duplicate_billing"]


def test_a_bad_bill_names_its_line_and_stores_nothing(app):
    order_id, label = dispatched_shipment(app, "B-3")
    good = bill_line(app, order_id, label, 1).split(",")
    bad = ",".join([*good[:3], "abc", *good[4:]])
    with pytest.raises(ValidationFailed) as rejected:
        upload(app, [bad])
    assert rejected.value.errors[0]["line"] == 2
    assert app.settlement.bills() == []


def test_only_disputed_discrepancies_go_to_the_carriers_dispute_file(app):
    order_id, label = dispatched_shipment(app, "B-4")
    lines = [bill_line(app, order_id, label, n) for n in (1, 2, 3)]  # two duplicates
    bill, _, _ = upload(app, lines)
    first, second = bill.discrepancies
    app.settlement.resolve_discrepancy(bill.id, first["number"], "disputed", "fin", "charged twice")
    app.settlement.resolve_discrepancy(bill.id, second["number"], "accepted", "fin", "ok")
    disputed = app.settlement.dispute_file(label["carrier"]).decode("utf-8-sig")
    assert label["waybill"] in disputed
    assert len(disputed.strip().splitlines()) == 2  # a header and the one disputed line
    assert app.settlement.dispute_file("nobody").decode("utf-8-sig").count("\n") == 1


def test_the_bill_report_lists_every_line_and_marks_discrepancies(app):
    order_id, label = dispatched_shipment(app, "B-5")
    bill, _, _ = upload(app, [bill_line(app, order_id, label, n) for n in (1, 2)])
    csv = app.settlement.bill_report(bill.id, "csv").decode("utf-8-sig")
    assert csv.count(label["waybill"]) == 2
    book = load_workbook(io.BytesIO(app.settlement.bill_report(bill.id, "xlsx")))
    assert {"Lines", "Discrepancies", "Summary"} <= set(book.sheetnames)
    assert book["Lines"].max_row == 1 + len(bill.lines)
