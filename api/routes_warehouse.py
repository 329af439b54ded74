"""The warehouse floor: handheld receiving, putaway, counts, the pick flow, packing; and the
warehouse managers' views (waves, expiry, replenishment)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal
from uuid import UUID

import pandas as pd
from fastapi import APIRouter, Depends, Header, HTTPException, Query
from pydantic import BaseModel, Field, StringConstraints

from adapters.warehouse.replenishment import compute_replenishment
from api.auth import Principal
from api.deps import Services, as_json, caller, services
from domains.common import ValidationFailed
from projections.orders_views import warehouse_stock
from projections.transport_views import wave_candidates
from projections.warehouse_views import demand_history, demand_since, expiring_lots, pick_lists_for

router = APIRouter(prefix="/v1", tags=["warehouse"])
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


def _warehouse(who: Principal, warehouse_id: str | None) -> str:
    """A warehouse key works in its own warehouse; an admin names one."""
    if who.role == "warehouse":
        if warehouse_id not in (None, who.scope):
            raise HTTPException(status_code=404, detail="not found")
        assert who.scope is not None
        return who.scope
    if not warehouse_id:
        raise ValidationFailed([{"loc": "warehouse_id", "msg": "an admin must name the warehouse"}])
    return warehouse_id


def _picker(who: Principal, picker: str | None) -> str:
    return picker or who.name


class ReceiptIn(BaseModel):
    receipt_id: Text = Field(description="the handheld's id for this receipt (idempotency key)")
    sku: Text
    quantity: int = Field(gt=0, le=1_000_000)
    lot: Text
    expiry: date | None = Field(None, description="required for perishable products")
    bin: Text
    warehouse_id: str | None = Field(None, description="admins only; a warehouse key uses its own")


class CountIn(BaseModel):
    count_id: Text
    bin: Text
    sku: Text
    lot: Text
    counted: int = Field(ge=0, le=100_000_000)
    reason: Text
    warehouse_id: str | None = None


class ScanIn(BaseModel):
    scan_id: Text = Field(
        description="the handheld's id for this scan; a repeat is answered, not applied"
    )
    bin: Text
    sku: str | None = None
    barcode: str | None = None
    lot: Text
    quantity: int = Field(gt=0, le=100_000_000)


class ShortIn(BaseModel):
    scan_id: Text
    bin: Text
    sku: Text
    lot: Text
    found: int = Field(
        ge=0, le=100_000_000, description="units actually found in the bin (0 if empty)"
    )
    reason: Literal["bin_empty", "damaged", "wrong_item_in_bin"]


class ItemIn(BaseModel):
    sku: Text
    quantity: int = Field(gt=0, le=100_000_000)


class ParcelIn(BaseModel):
    weight_g: int = Field(gt=0, le=1_000_000)
    dimensions_mm: list[Annotated[int, Field(gt=0, le=5000)]] = Field(min_length=3, max_length=3)
    items: list[ItemIn] = Field(min_length=1)


class PackIn(BaseModel):
    parcels: list[ParcelIn] = Field(min_length=1, max_length=100)


class WaveIn(BaseModel):
    cutoff: datetime | None = Field(
        None, description="release shipments due by this time (default: all)"
    )
    max_lines: int = Field(20, ge=1, le=500, description="pick lines per cart")
    max_weight_g: int = Field(25_000, ge=100, le=1_000_000, description="weight per cart")


@router.post("/handheld/receipts", status_code=201)
def receive(
    body: ReceiptIn, who: Principal = Depends(caller), svc: Services = Depends(services)
) -> dict[str, Any]:
    """Goods receipt into a bin, with lot and expiry (required for perishables)."""
    wh = _warehouse(who, body.warehouse_id)
    result, nid = svc.app.warehouse.receive_goods(
        wh, body.sku, body.quantity, body.receipt_id, body.lot, body.bin, body.expiry
    )
    return {**result, "notification_id": nid}


@router.get("/handheld/putaway")
def putaway(
    sku: str,
    quantity: int = Query(gt=0, le=100_000_000),
    lot: str = "UNLOTTED",
    warehouse_id: str | None = None,
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Where to put received goods: the same SKU and lot together, fast movers near the depot,
    capacity respected (split over several bins when one cannot hold it all)."""
    wh = _warehouse(who, warehouse_id)
    velocity = _velocity(svc, wh)
    first = svc.app.warehouse.suggest_putaway(
        wh, sku, 1, lot, svc.app.warehouse.bin_contents(wh), velocity
    )
    placements = svc.app.warehouse.plan_putaway(wh, sku, quantity, lot)
    return {
        "warehouse_id": wh,
        "sku": sku,
        "lot": lot,
        "quantity": quantity,
        "suggestion": {
            "bin": first.bin,
            "reason": first.reason,
            "distance_m": first.distance_m,
            "alternatives": first.alternatives,
        },
        "placements": [{"bin": b, "quantity": q, "reason": r} for b, q, r in placements],
    }


@router.post("/handheld/counts")
def count(
    body: CountIn, who: Principal = Depends(caller), svc: Services = Depends(services)
) -> dict[str, Any]:
    """Cycle count of one lot in one bin: the adjustment and its difference are recorded."""
    wh = _warehouse(who, body.warehouse_id)
    result, nid = svc.app.warehouse.count_bin(
        wh, body.bin, body.sku, body.lot, body.counted, body.reason, body.count_id
    )
    return {**result, "notification_id": nid}


@router.post("/warehouses/{warehouse_id}/waves", status_code=201)
def release_wave(
    warehouse_id: str,
    body: WaveIn,
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Release reserved shipments (earliest cut-off first) into carts with optimised routes."""
    wh = _warehouse(who, warehouse_id)
    svc.fresh_views()
    cutoff = body.cutoff.astimezone(UTC).isoformat() if body.cutoff else "9999-12-31T00:00:00+00:00"
    rows = wave_candidates(svc.db, wh, cutoff)
    candidates = [(UUID(r["order_id"]), r["shipment_no"], r["cutoff"]) for r in rows]
    result, nid = svc.app.warehouse.release_wave(
        wh, candidates, body.max_lines, body.max_weight_g, cutoff, who.name
    )
    return {**result, "notification_id": nid}


@router.get("/handheld/tasks/next")
def next_task(
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
    x_picker_id: str | None = Header(None),
) -> dict[str, Any]:
    """The picker's pick list in route order (bin, SKU, lot, quantity). Two pickers never get
    the same list. 404 when there is nothing to pick."""
    assert who.scope is not None
    picker = _picker(who, x_picker_id)
    svc.fresh_views()
    offered = pick_lists_for(svc.db, who.scope, picker)
    task = svc.app.warehouse.next_task(who.scope, picker, [UUID(p) for p in offered])
    if task is None:
        raise HTTPException(status_code=404, detail="nothing to pick right now")
    return as_json(task.details())


@router.get("/handheld/tasks/{task_id}")
def get_task(
    task_id: UUID,
    warehouse_id: str | None = None,
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    return as_json(
        svc.app.warehouse.get_pick_list(task_id, _warehouse(who, warehouse_id)).details()
    )


@router.post("/handheld/tasks/{task_id}/scans")
def scan(
    task_id: UUID,
    body: ScanIn,
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
    x_picker_id: str | None = Header(None),
) -> dict[str, Any]:
    """A pick scan. It must match the next line of the route: a wrong bin, SKU or lot answers
    422 saying what was expected, and nothing is recorded. A repeated scan id is answered with
    the first result and not applied twice."""
    code = body.sku or body.barcode
    if not code:
        raise ValidationFailed([{"loc": "sku", "msg": "send the SKU or the scanned barcode"}])
    assert who.scope is not None
    result, nid = svc.app.warehouse.scan(
        task_id,
        who.scope,
        _picker(who, x_picker_id),
        body.scan_id,
        body.bin,
        code,
        body.lot,
        body.quantity,
    )
    return as_json({**result, "notification_id": nid})


@router.post("/handheld/tasks/{task_id}/shorts")
def short(
    task_id: UUID,
    body: ShortIn,
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
    x_picker_id: str | None = Header(None),
) -> dict[str, Any]:
    """Short pick: bin empty or goods damaged. The shortfall is re-reserved from another bin or
    lot here (the rest of the route is re-planned), else re-split to another warehouse, else
    backordered."""
    assert who.scope is not None
    result, nid = svc.app.warehouse.report_short(
        task_id,
        who.scope,
        _picker(who, x_picker_id),
        body.scan_id,
        body.bin,
        body.sku,
        body.lot,
        body.found,
        body.reason,
    )
    return as_json({**result, "notification_id": nid})


@router.post("/handheld/shipments/{shipment_id}/pack")
def pack(
    shipment_id: str,
    body: PackIn,
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Pack a picked shipment into parcels (weight g, dimensions mm, items). A parcel more than
    10% off its expected weight is flagged. Shipment ids look like `<order id>-S<number>`."""
    order_part, _, number = shipment_id.rpartition("-S")
    try:
        order_id, shipment_no = UUID(order_part), int(number)
    except ValueError:
        raise HTTPException(status_code=404, detail=f"no shipment {shipment_id}") from None
    scope = who.scope if who.role == "warehouse" else None
    parcels = [p.model_dump() for p in body.parcels]
    result, nid = svc.app.warehouse.pack_shipment(order_id, shipment_no, parcels, who.name, scope)
    return {**result, "notification_id": nid}


def _velocity(svc: Services, warehouse_id: str, days: int = 28) -> dict[str, float]:
    since = (svc.app.clock.now().date() - timedelta(days=days)).isoformat()
    return {sku: q / days for sku, q in demand_since(svc.db, warehouse_id, since).items()}


@router.get("/warehouses/{warehouse_id}/expiry")
def expiry(
    warehouse_id: str,
    colour: Literal["red", "yellow", "blue"] | None = None,
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Lots by expiry: red (expired or within the product's red threshold), yellow, blue.
    Thresholds per product, default 7 / 30 / 90 days."""
    wh = _warehouse(who, warehouse_id)
    svc.fresh_views()
    today = svc.app.clock.now().date()
    products = svc.app.reference.current()["products"]
    items = []
    for r in expiring_lots(svc.db, wh):
        p = products.get(r["sku"])
        red, yellow, blue = p.expiry_thresholds_days if p else (7, 30, 90)
        days_left = (date.fromisoformat(r["expiry"]) - today).days
        c = (
            "red"
            if days_left <= red
            else "yellow"
            if days_left <= yellow
            else "blue"
            if days_left <= blue
            else None
        )
        if c is None or (colour and c != colour):
            continue
        items.append(
            {
                **r,
                "days_left": days_left,
                "colour": c,
                "expired": days_left <= 0,
                "thresholds_days": [red, yellow, blue],
            }
        )
    return {"warehouse_id": wh, "as_of": today.isoformat(), "items": items}


@router.get("/warehouses/{warehouse_id}/replenishment")
def replenishment(
    warehouse_id: str,
    service_level: float = Query(0.95, gt=0.5, lt=0.9999),
    history_days: int = Query(56, ge=7, le=730),
    all_items: bool = False,
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Safety stock, reorder point and a suggested order quantity per SKU from demand history
    (mean and spread of daily demand, supplier lead time, service level)."""
    wh = _warehouse(who, warehouse_id)
    svc.fresh_views()
    today = svc.app.clock.now().date()
    demand = pd.DataFrame(
        demand_history(svc.db, wh), columns=["warehouse_id", "sku", "day", "quantity"]
    )
    demand["day"] = pd.to_datetime(demand["day"]).dt.date
    stock = pd.DataFrame(
        warehouse_stock(svc.db, wh), columns=["warehouse_id", "sku", "on_hand", "reserved"]
    )
    products = svc.app.reference.current()["products"]
    table = compute_replenishment(
        demand,
        stock,
        as_of=today + timedelta(days=1),
        history_days=history_days,
        service_level=service_level,
        lead_time_days={s: float(p.lead_time_days) for s, p in products.items()},
        pack_size={s: int(p.pack_size) for s, p in products.items()},
    )
    if not all_items:
        table = table[table["suggested_order_qty"] > 0]
    return {
        "warehouse_id": wh,
        "as_of": today.isoformat(),
        "service_level": service_level,
        "items": json.loads(table.to_json(orient="records")),
    }
