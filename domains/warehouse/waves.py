"""Wave release, phase by phase: which reserved shipments can be picked now (and their picks
from the inventory's allocations), and the pick lists and wave that record the plan. Carts
come from `plan_carts` (domains/warehouse/picking.py), routes from the `PickRouter` port."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from domains.orders.model import Order
from domains.reference.model import Product
from domains.warehouse.model import Inventory
from domains.warehouse.picking import PickList, Wave
from domains.warehouse.routing import RoutePlan

# Latest dispatch time promised per channel, in hours after the order was placed.
CUTOFF_HOURS = {
    "amazon": 24,
    "shopee": 48,
    "shopify": 48,
    "tiktok": 48,
    "web": 48,
    "dealer": 72,
}


def cutoff_for(placed_at: str, channel: str) -> str:
    """Latest dispatch time promised to the channel, until carriers bring their own cut-offs."""
    hours = CUTOFF_HOURS.get(channel, 48)
    return (datetime.fromisoformat(placed_at) + timedelta(hours=hours)).isoformat()


Claims = dict[tuple[str, str, str, str | None], int]  # (order, sku, lot, bin) -> units


def claimed_by_open_lists(
    order: Order, warehouse_id: str, pick_list: Callable[[str], Any]
) -> Claims:
    """Units of the order's reservations here that shipments already on a pick list still have
    to pick: another shipment of the same order must not be given them again (reservations are
    per order and warehouse, not per shipment)."""
    claims: Claims = {}
    order_key = str(order.id)
    for shipment in order.shipments:
        entry = order.fulfilment.get(str(shipment["shipment_no"]), {})
        if shipment["warehouse_id"] != warehouse_id or entry.get("status") != "waved":
            continue
        p = pick_list(entry["pick_list_id"])
        for ln in p.lines if p is not None else []:
            if ln["order_id"] == order_key and ln["shipment_no"] == shipment["shipment_no"]:
                key = (order_key, ln["sku"], ln["lot"], ln["bin"])
                claims[key] = claims.get(key, 0) + p.remaining(ln)
    return claims


def line_picks(
    inv: Inventory | None, order_key: str, line: dict[str, Any], claims: Claims, taken: Claims
) -> list[tuple[str, str | None, int]]:
    """(lot, bin, units) covering the line's quantity from the order's reservations of its SKU
    here, lot and bin in reservation order, skipping units claimed by another shipment
    (`claims`) or by an earlier line of this one (`taken`, updated)."""
    reserved: dict[tuple[str, str | None], int] = {}
    for a in inv.allocations.get(order_key, []) if inv else []:
        reserved[a["lot"], a["bin"]] = reserved.get((a["lot"], a["bin"]), 0) + a["quantity"]
    out, wanted = [], line["quantity"]
    for (lot, bin_code), quantity in reserved.items():
        key = (order_key, line["sku"], lot, bin_code)
        units = min(quantity - claims.get(key, 0) - taken.get(key, 0), wanted)
        if units <= 0:
            continue
        taken[key] = taken.get(key, 0) + units
        wanted -= units
        out.append((lot, bin_code, units))
        if not wanted:
            break
    return out


def wave_shipment(
    order: Any,
    shipment_no: int,
    warehouse_id: str,
    cutoff: str,
    inventory: Callable[[str], Inventory | None],
    products: dict[str, Product],
    claims: Claims,
) -> dict[str, Any] | None:
    """The shipment with its picks (its own quantity per line, from the order's reserved lots
    and bins not claimed by another of its shipments; the claims are updated), or None when it
    cannot go into a wave now: not an allocated shipment of this warehouse, or stock not yet in
    a bin (it must be put away before it can be picked)."""
    if not isinstance(order, Order) or order.status not in ("allocated", "picking"):
        return None
    if order.shipment_status(shipment_no) != "allocated":
        return None
    shipment = order.shipment(shipment_no)
    if shipment["warehouse_id"] != warehouse_id or not shipment["lines"]:
        return None
    presale = shipment.get("presale")
    if presale and not {ln["sku"] for ln in shipment["lines"]} <= set(presale.get("converted", [])):
        return None  # pre-sold against an inbound not received yet: nothing to pick
    order_key = str(order.id)
    picks: list[dict[str, Any]] = []
    taken: Claims = {}
    for line in shipment["lines"]:
        for lot, bin_code, units in line_picks(
            inventory(line["sku"]), order_key, line, claims, taken
        ):
            picks.append(
                {
                    "order_id": order_key,
                    "shipment_no": shipment_no,
                    "sku": line["sku"],
                    "lot": lot,
                    "bin": bin_code,
                    "quantity": units,
                }
            )
    if not picks or any(p["bin"] is None for p in picks):
        return None
    for key, units in taken.items():
        claims[key] = claims.get(key, 0) + units
    return {
        "shipment_id": f"{order_key}-S{shipment_no}",
        "order": order,
        "shipment_no": shipment_no,
        "cutoff": cutoff,
        "picks": picks,
        "weight_g": sum(products[p["sku"]].unit_weight_g * p["quantity"] for p in picks),
    }


def numbered_lines(cart: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A cart's picks as pick-list lines numbered from 1."""
    return [dict(p, line_no=n) for n, p in enumerate((p for s in cart for p in s["picks"]), 1)]


def record_wave(
    warehouse_id: str,
    carts: list[tuple[list[dict[str, Any]], list[dict[str, Any]], RoutePlan]],
    shipment_ids: list[str],
    wave_rules: dict[str, Any],
    touched: dict[UUID, Any],
) -> dict[str, Any]:
    """One pick list per cart (lines, route, the earliest cut-off of its shipments), each
    shipment marked as waved on its order, and the wave (its shipments in release order, its
    rules: cutoff, max_lines, max_weight_g, released_by); all put in `touched`. Answers the
    wave's summary."""
    wave_id = uuid4()
    pick_lists = []
    for cart_no, (cart, lines, route) in enumerate(carts, start=1):
        pick_list = PickList(
            pick_list_id=uuid4(),
            warehouse_id=warehouse_id,
            wave_id=str(wave_id),
            cart_no=cart_no,
            cutoff=min(s["cutoff"] for s in cart),
            lines=lines,
            route=route.to_dict(),
        )
        pick_lists.append(pick_list)
        touched[pick_list.id] = pick_list
        for s in cart:
            order = touched.get(s["order"].id, s["order"])
            order.wave_shipment(s["shipment_no"], str(wave_id), str(pick_list.id))
            touched[order.id] = order
    wave = Wave(
        wave_id=wave_id,
        warehouse_id=warehouse_id,
        shipments=shipment_ids,
        pick_lists=[str(p.id) for p in pick_lists],
        **wave_rules,
    )
    touched[wave.id] = wave
    return {
        "wave_id": str(wave.id),
        "shipments": len(wave.shipments),
        "pick_lists": [
            {
                "id": str(p.id),
                "cart_no": p.cart_no,
                "lines": len(p.lines),
                "route_m": p.route["length_m"],
                "s_shape_m": p.route["s_shape_m"],
            }
            for p in pick_lists
        ],
    }
