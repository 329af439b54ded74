"""The cost ledger grouped the five ways finance's cost views read it (carrier, lane, month,
channel, warehouse): every shipment counted once in its group, an order's value counted once
however many shipments it has, cost per order and share of order value from those."""

from __future__ import annotations

from decimal import Decimal

import pytest

from adapters.settlement.ledger import cost_totals


def row(order: str, shipment: int, cost: str, value: str, **where: str) -> dict[str, str]:
    """A ledger row as SettlementUseCases.cost_ledger makes it (only what the group-by reads)."""
    base = {
        "carrier": "dhl",
        "lane": "DE-FR",
        "month": "2026-11",
        "channel": "web",
        "warehouse": "FRA",
    }
    return {
        **base,
        **where,
        "order_id": order,
        "shipment_id": f"{order}-S{shipment}",
        "cost_base": cost,
        "order_value_base": value,
    }


# o1 ships twice from FRA in November (web); o2 once from LAX in December (amazon) with UPS;
# o3 once from FRA in December (amazon).
LEDGER = [
    row("o1", 1, "10.00", "100.00"),
    row("o1", 2, "5.50", "100.00"),
    row(
        "o2", 1, "20.00", "50.00", month="2026-12", channel="amazon", warehouse="LAX", carrier="ups"
    ),
    row("o3", 1, "4.26", "85.00", month="2026-12", channel="amazon"),
]


def expected(group_by: str) -> dict[str, tuple[int, int, Decimal, Decimal]]:
    """Per group: shipments, orders, cost, order value (each order once), worked out here."""
    out: dict[str, tuple[int, int, Decimal, Decimal]] = {}
    for key in {r[group_by] for r in LEDGER}:
        rows = [r for r in LEDGER if r[group_by] == key]
        values = {r["order_id"]: Decimal(r["order_value_base"]) for r in rows}
        cost = sum((Decimal(r["cost_base"]) for r in rows), Decimal(0))
        out[key] = (len(rows), len(values), cost, sum(values.values(), Decimal(0)))
    return out


@pytest.mark.parametrize("group_by", ["month", "channel", "warehouse", "carrier", "lane"])
def test_each_grouping_counts_shipments_orders_cost_and_order_value_once(group_by):
    got = {g[group_by]: g for g in cost_totals(LEDGER, group_by)}
    want = expected(group_by)
    assert set(got) == set(want)
    for key, (shipments, orders, cost, value) in want.items():
        g = got[key]
        assert (g["shipments"], g["orders"]) == (shipments, orders)
        assert g["cost"] == pytest.approx(float(cost), abs=0.005)
        assert g["order_value"] == pytest.approx(float(value), abs=0.005)
        assert g["cost_per_order"] == pytest.approx(float(cost / orders), abs=0.005)
        assert g["cost_share_of_order_value"] == pytest.approx(float(cost / value), abs=5e-5)


def test_a_split_order_counts_its_value_once_in_its_month():
    (nov,) = [g for g in cost_totals(LEDGER, "month") if g["month"] == "2026-11"]
    # o1's two shipments: 15.50 of cost against its 100.00 once, not 200.00.
    assert (nov["shipments"], nov["orders"], nov["order_value"]) == (2, 1, 100.0)
    assert nov["cost_share_of_order_value"] == pytest.approx(0.155)


def test_an_empty_ledger_has_no_groups():
    assert cost_totals([], "warehouse") == []
