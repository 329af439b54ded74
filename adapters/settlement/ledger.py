"""The cost ledger grouped (domains/settlement/ports.py `CostTotals`).

Summed and divided in Decimal and rounded half up to the cent (a float mean of 24.25 over two
orders came out 12.12, not 12.13); answered as JSON numbers, as the API always has."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")
SHARE = Decimal("0.0001")


def cost_totals(ledger: list[dict[str, Any]], group_by: str) -> list[dict[str, Any]]:
    """Per value of `group_by`, in its sort order: shipments, orders, cost, order_value (each
    order's value once), cost_per_order and cost_share_of_order_value (None when the orders
    are worth nothing); amounts in the base currency."""
    groups: dict[str, dict[str, Any]] = {}
    for r in ledger:
        g = groups.setdefault(r[group_by], {"shipments": 0, "cost": Decimal(0), "values": {}})
        g["shipments"] += 1
        g["cost"] += Decimal(r["cost_base"])
        g["values"].setdefault(r["order_id"], Decimal(r["order_value_base"]))
    out = []
    for key in sorted(groups, key=str):
        g = groups[key]
        cost, orders = g["cost"], len(g["values"])
        value = sum(g["values"].values(), Decimal(0))
        share = (cost / value).quantize(SHARE, ROUND_HALF_UP) if value else None
        out.append(
            {
                group_by: key,
                "shipments": g["shipments"],
                "orders": orders,
                "cost": float(cost.quantize(CENT, ROUND_HALF_UP)),
                "order_value": float(value.quantize(CENT, ROUND_HALF_UP)),
                "cost_per_order": float((cost / orders).quantize(CENT, ROUND_HALF_UP)),
                "cost_share_of_order_value": None if share is None else float(share),
            }
        )
    return out
