"""Settlement: the logistics cost ledger (per shipment, order and line) and carrier bills with
three-way reconciliation and the dispute workflow. Finance role only; the URLs stay under
/v1/finance and the OpenAPI tag stays "finance" (the HTTP contract)."""

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
from projections.settlement_views import shipment_costs
from projections.transport_views import billed_waybills, issued_labels

router = APIRouter(prefix="/v1/finance", tags=["finance"])
FINANCE = ("finance",)
# Warehouse handling, per pick line and per parcel (sample contract rates, USD).
HANDLING = {"pick_line": Decimal("0.35"), "parcel": Decimal("1.20"), "currency": "USD"}
BASE = os.environ.get("CROSSDOCK_BASE_CURRENCY", "EUR")


def _rate(svc: Services, currency: str | None, day: str | None) -> Decimal:
    if not currency:
        return Decimal("0")
    on = date.fromisoformat(day[:10]) if day else svc.app.clock.now().date()
    return svc.app.orders.fx.rate(currency, BASE, on)[0]


def cost_frame(svc: Services, order_id: str | None = None) -> pd.DataFrame:
    """One row per shipment that has a current label (all, or one order's): freight (as quoted
    on its label), duties and import taxes we pay (DDP), handling; in the label's currency and
    in the base currency at the ECB rate of the shipment date."""
    svc.fresh_views()
    rows = shipment_costs(svc.db, order_id)
    ref = svc.app.reference.current()["warehouses"]
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
    df = cost_frame(svc)
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
    order = svc.app.orders.get_order(order_id)
    df = cost_frame(svc, str(order_id))
    mine = df[df["order_id"] == str(order_id)] if not df.empty else df
    products = svc.app.reference.current()["products"]
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


# ---------------------------------------------------------------------------- carrier bills
MAX_BILL_BYTES = 10 * 1024 * 1024


def _expected(svc: Services) -> pd.DataFrame:
    svc.fresh_views()
    rows = issued_labels(svc.db)
    cols = [
        "waybill",
        "carrier",
        "service",
        "order_id",
        "shipment_id",
        "status",
        "chargeable_weight_kg",
        "quoted_base_cents",
        "quoted_fuel_cents",
        "fuel_pct",
        "quoted_surcharges",
        "quoted_total_cents",
        "currency",
    ]
    return pd.DataFrame(rows, columns=cols)


def _bill_out(bill: Any) -> dict[str, Any]:
    return {
        "id": str(bill.id),
        "carrier": bill.carrier,
        "layout": bill.layout,
        "filename": bill.filename,
        "uploaded_by": bill.uploaded_by,
        "totals": bill.totals,
        "discrepancies": bill.discrepancies,
        "version": bill.version,
    }


@router.post(
    "/carrier-bills",
    status_code=201,
    openapi_extra={
        "requestBody": {
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                    "schema": {"type": "string", "format": "binary"}
                },
            }
        }
    },
)
async def upload_bill(
    request: Request,
    response: Response,
    carrier: Annotated[str, Query(min_length=2)],
    layout: Literal["dhl", "ups", "fedex", "generic"] = "generic",
    who: Principal = Depends(require(*FINANCE)),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Upload a carrier bill (CSV or XLSX; DHL-, UPS-, FedEx-like or generic columns). Every line
    is matched to our labels and quotes; each discrepancy is recorded with expected and billed
    amounts. A bad file answers 422 listing the bad rows by line number and stores nothing."""
    import hashlib

    from starlette.concurrency import run_in_threadpool

    from adapters.settlement.bills import BillRejected, parse_bill
    from adapters.settlement.reconcile import reconcile
    from domains.common import ValidationFailed

    data = await request.body()
    if len(data) > MAX_BILL_BYTES:
        raise HTTPException(status_code=413, detail=f"file over {MAX_BILL_BYTES} bytes")
    filename = request.headers.get("X-Filename", "bill.csv")
    try:
        bill = parse_bill(data, filename, layout, carrier=carrier)
    except BillRejected as exc:
        raise ValidationFailed(
            [
                {
                    "loc": (f"line {e['line']}: " if e.get("line") else "")
                    + str(e.get("field") or "file"),
                    "msg": e["msg"],
                    "line": e.get("line"),
                }
                for e in exc.errors
            ]
        ) from None
    previously = billed_waybills(svc.db, carrier)
    lines, discrepancies, totals = reconcile(bill, _expected(svc), previously_billed=previously)
    compact = [
        [
            int(r.line),
            r.waybill,
            r.service,
            float(r.billed_weight_kg),
            int(r.total_cents),
            r.currency,
            None if pd.isna(r.expected_cents) else int(r.expected_cents),
            r.discrepancy_kinds,
        ]
        for r in lines.itertuples()
    ]
    found = json.loads(discrepancies.to_json(orient="records"))
    digest = hashlib.sha256(data).hexdigest()
    recorded, created, nid = await run_in_threadpool(
        svc.app.settlement.record_bill,
        carrier,
        layout,
        filename,
        digest,
        who.name,
        compact,
        found,
        json.loads(json.dumps(totals, default=str)),
    )
    response.status_code = 201 if created else 200
    return {**_bill_out(recorded), "created": created, "notification_id": nid}


@router.get("/carrier-bills/{bill_id}")
def get_bill(
    bill_id: UUID, who: Principal = Depends(require(*FINANCE)), svc: Services = Depends(services)
) -> dict[str, Any]:
    return _bill_out(svc.app.settlement.get_bill(bill_id))


class ResolveIn(BaseModel):
    resolution: Literal["accepted", "disputed", "credited"]
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


@router.post("/carrier-bills/{bill_id}/discrepancies/{number}")
def resolve(
    bill_id: UUID,
    number: int,
    body: ResolveIn,
    who: Principal = Depends(require(*FINANCE)),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Accept, dispute or record a credit for one discrepancy (who and why are recorded)."""
    bill, nid = svc.app.settlement.resolve_discrepancy(bill_id, number, body.resolution, who.name, body.reason)
    return {**bill.discrepancies[number - 1], "notification_id": nid}


@router.get("/carrier-bills/{bill_id}/report.{fmt}")
def report(
    bill_id: UUID,
    fmt: Literal["xlsx", "csv"],
    who: Principal = Depends(require(*FINANCE)),
    svc: Services = Depends(services),
) -> Response:
    """Every line (discrepancy rows highlighted red in XLSX) and a summary; cells a
    spreadsheet would run as formulas are neutralised."""
    from adapters.settlement.exports import to_csv, to_xlsx

    bill = svc.app.settlement.get_bill(bill_id)
    disc = pd.DataFrame(bill.discrepancies)
    lines = _stored_lines(svc, bill)
    if fmt == "xlsx":
        content = to_xlsx(lines, disc, bill.totals)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        content = to_csv(lines, disc, bill.totals, table="lines")
        media = "text/csv"
    return Response(
        content,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="bill-{bill_id}.{fmt}"'},
    )


def _stored_lines(svc: Services, bill: Any) -> pd.DataFrame:
    uploaded = bill.lines
    cols = [
        "line",
        "waybill",
        "service",
        "billed_weight_kg",
        "total_cents",
        "currency",
        "expected_cents",
        "discrepancy_kinds",
    ]
    frame = pd.DataFrame(uploaded, columns=cols)
    frame["has_discrepancy"] = frame["discrepancy_kinds"].fillna("") != ""
    return frame


@router.get("/disputes/{carrier}.csv")
def disputes(
    carrier: str, who: Principal = Depends(require(*FINANCE)), svc: Services = Depends(services)
) -> Response:
    """The dispute file for one carrier: every discrepancy marked disputed, across bills."""
    from adapters.settlement.exports import dispute_file

    rows = [
        dict(d, bill_id=str(b.id))
        for b in svc.app.settlement.bills()
        if b.carrier == carrier
        for d in b.discrepancies
        if d.get("resolution") == "disputed"
    ]
    return Response(dispute_file(pd.DataFrame(rows), carrier), media_type="text/csv")
