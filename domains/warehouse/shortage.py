"""A short pick, phase by phase: cover the shortfall from other lots or bins of the same
warehouse (new lines on the same list), else find the cheapest other warehouse that holds it
all in bins (a new shipment), else backorder it. Each phase changes only the aggregates it is
given; the use case (domains/warehouse/handheld.py) saves them together."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from domains.reference.model import Product
from domains.warehouse.lots import choose_lots, lot_key
from domains.warehouse.model import Inventory
from domains.warehouse.picking import PickList


def lot_policy(product: Product) -> str:
    return "FEFO" if product.perishable else "FIFO"


def cover_here(
    inv: Inventory,
    p: PickList,
    line: dict[str, Any],
    missing: int,
    product: Product,
    today: date,
) -> tuple[int, list[dict[str, Any]]]:
    """Reserves what other lots and bins here can give (never the bin just found short) and
    answers how many units that covers and the new pick-list lines for them."""
    lots, rest = choose_lots(
        inv.lots,
        missing,
        product.perishable,
        product.min_shelf_life_days,
        today,
        exclude={lot_key(line["lot"], line["bin"])},
    )
    covered = missing - rest
    if not covered:
        return 0, []
    inv.reserve(
        line["order_id"],
        covered,
        allocations=lots,
        policy=lot_policy(product),
        as_of=today.isoformat(),
    )
    start = max(ln["line_no"] for ln in p.lines) + 1
    return covered, [
        {
            "line_no": start + i,
            "order_id": line["order_id"],
            "shipment_no": line["shipment_no"],
            "sku": line["sku"],
            "lot": a["lot"],
            "bin": a["bin"],
            "quantity": a["quantity"],
        }
        for i, a in enumerate(lots)
    ]


def bins_left_to_visit(
    p: PickList, line: dict[str, Any], new_lines: list[dict[str, Any]], found: int, missing: int
) -> list[str]:
    """The bins the rest of the route must still visit: the list's other open lines, the new
    lines, and this line's bin if units are still to be picked there."""
    bins = [ln["bin"] for ln in p.ordered_lines() if ln["line_no"] != line["line_no"]]
    bins += [ln["bin"] for ln in new_lines]
    if p.remaining(line) - found - missing > 0:
        bins.append(line["bin"])
    return bins


def new_shipment(
    number: int,
    warehouse_id: str,
    sku: str,
    quantity: int,
    product: Product,
    lane: tuple[Decimal, Decimal, str],
) -> dict[str, Any]:
    """A shipment from another warehouse for the re-split units, with its estimated cost
    (the lane's fixed part plus its per-kg rate on the units' weight)."""
    weight = product.unit_weight_g * quantity
    fixed, per_kg, _ = lane
    return {
        "shipment_no": number,
        "warehouse_id": warehouse_id,
        "lines": [{"sku": sku, "quantity": quantity}],
        "weight_g": weight,
        "estimated_cost": str((fixed + per_kg * weight / 1000).quantize(fixed)),
    }
