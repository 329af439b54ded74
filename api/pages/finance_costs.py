"""What the cost views page shows for one grouping: the groups from the cost ledger's totals
(SettlementUseCases.cost_totals), ordered by cost, the points of its chart and the totals row.

The totals add up shipments and cost only: an order split over two carriers (or warehouses)
counts once in each group, so orders and cost per order do not add up across groups."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal, get_args

GroupBy = Literal["carrier", "lane", "month", "channel", "warehouse"]
GROUPINGS: tuple[str, ...] = get_args(GroupBy)


def cost_view(items: list[dict[str, Any]], group_by: str, base_currency: str) -> dict[str, Any]:
    """Groups by cost, largest first (months in calendar order), with Decimal amounts."""
    rows = [
        {
            "key": str(g[group_by]),
            "shipments": g["shipments"],
            "orders": g["orders"],
            "cost": Decimal(str(g["cost"])),
            "cost_per_order": Decimal(str(g["cost_per_order"])),
            "share": None
            if g["cost_share_of_order_value"] is None
            else Decimal(str(g["cost_share_of_order_value"])),
        }
        for g in items
    ]
    if group_by == "month":
        rows.sort(key=lambda r: r["key"])
    else:
        rows.sort(key=lambda r: (-r["cost"], r["key"]))
    return {
        "group_by": group_by,
        "groupings": GROUPINGS,
        "rows": rows,
        "points": [(r["key"], r["cost"]) for r in rows],
        "total_shipments": sum(r["shipments"] for r in rows),
        "total_cost": sum((r["cost"] for r in rows), Decimal(0)),
        "base_currency": base_currency,
    }
