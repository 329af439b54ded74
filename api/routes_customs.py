"""The customs review desk (customs role only), clearance updates, documents, landed cost."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Query, Response
from pydantic import BaseModel, Field, StringConstraints

from api.auth import Principal
from api.deps import Services, as_json, require, services
from domains.common import ValidationFailed
from domains.customs.model import Declaration
from domains.customs.tariff import CustomsLine, Money
from projections.customs_views import clearance_delay_rates, customs_queue

router = APIRouter(prefix="/v1", tags=["customs"])
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
CUSTOMS = ("customs",)


class NoteIn(BaseModel):
    note: str = ""


class ReasonIn(BaseModel):
    reason: Text


class LineChange(BaseModel):
    line_no: int = Field(ge=1)
    description: str | None = Field(None, min_length=1, max_length=300)
    hs_code: str | None = Field(None, pattern=r"^\d{4}\.?\d{2}(\.?\d{2,4})?$")
    unit_value: Decimal | None = Field(None, ge=0)
    quantity: int | None = Field(None, gt=0)
    origin_country: str | None = Field(None, pattern=r"^[A-Z]{2}$")


class AmendIn(BaseModel):
    reason: Text
    changes: list[LineChange] = Field(min_length=1)


class ClearanceIn(BaseModel):
    status: Literal["submitted", "cleared", "held", "released", "refused"]
    reason: str | None = None


class GoodsIn(BaseModel):
    sku: str | None = None
    hs_code: str | None = None
    value: Decimal = Field(ge=0, description="line value (unit value x quantity)")
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    quantity: int = Field(1, gt=0)
    weight_g: int | None = Field(None, gt=0)


class LandedIn(BaseModel):
    goods: list[GoodsIn] = Field(min_length=1)
    destination: str = Field(pattern=r"^[A-Z]{2}$")
    warehouse_id: str | None = Field(
        None, description="omit to let the cheapest warehouse lane be used"
    )
    incoterm: Literal["DDP", "DAP"] = "DDP"
    currency: str = Field("EUR", pattern=r"^[A-Z]{3}$")


def declaration_out(d: Declaration) -> dict[str, Any]:
    return as_json(
        {
            "id": d.id,
            "shipment_id": d.shipment_id,
            "order_id": d.order_id,
            "channel": d.channel,
            "origin": d.origin,
            "destination": d.destination,
            "incoterm": d.incoterm,
            "status": d.status,
            "flags": d.flags,
            "duties": d.duties,
            "document": d.document,
            "versions": d.versions,
            "reviews": d.reviews,
            "clearance": d.clearance,
            "clearance_status": d.clearance_status,
            "version": d.version,
        }
    )


class RulesIn(BaseModel):
    files: dict[
        Literal["markets.json", "duty_rates.json", "restricted_goods.json"], dict[str, Any]
    ] = Field(min_length=1, description="the files to replace (as JSON); the others carry over")
    note: Text


@router.put("/admin/customs-rules")
def publish_rules(
    body: RulesIn,
    who: Principal = Depends(require("admin", "customs")),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Publish a new version of the tariff, VAT, low-value and restricted-goods rules. Rules
    that do not load are refused whole (422); declarations cite the version they used."""
    import json

    files = {
        name: json.dumps(content, indent=1, ensure_ascii=False)
        for name, content in body.files.items()
    }
    result, nid = svc.app.customs.publish_customs_rules(files, who.name, body.note)
    return {**result, "notification_id": nid}


@router.get("/customs/declarations")
def list_declarations(
    status: Literal["pending_review", "approved", "rejected"] | None = None,
    flag: str | None = None,
    destination: str | None = None,
    channel: str | None = None,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
    who: Principal = Depends(require(*CUSTOMS)),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """The review queue: drafted declarations with their flags, filtered and paged."""
    svc.fresh_views()
    rows, total = customs_queue(
        svc.db,
        limit=limit,
        offset=offset,
        status=status,
        flag=flag,
        destination=destination,
        channel=channel,
    )
    return {"items": rows, "total": total, "limit": limit, "offset": offset}


@router.get("/customs/declarations/{declaration_id}")
def get_declaration(
    declaration_id: UUID,
    who: Principal = Depends(require(*CUSTOMS)),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """One declaration with each flag explained, and its order's history."""
    d = svc.app.customs.get_declaration(declaration_id)
    history = [
        {
            "version": e.originator_version,
            "type": type(e).__name__,
            "timestamp": e.timestamp.isoformat(),
        }
        for e in svc.app.orders.order_events(UUID(d.order_id))
    ]
    return {**declaration_out(d), "order_history": history}


@router.post("/customs/declarations/{declaration_id}/approve")
def approve(
    declaration_id: UUID,
    body: NoteIn,
    who: Principal = Depends(require(*CUSTOMS)),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    d, nid = svc.app.customs.approve_declaration(declaration_id, who.name, body.note)
    return {**declaration_out(d), "notification_id": nid}


@router.post("/customs/declarations/{declaration_id}/reject")
def reject(
    declaration_id: UUID,
    body: ReasonIn,
    who: Principal = Depends(require(*CUSTOMS)),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    d, nid = svc.app.customs.reject_declaration(declaration_id, who.name, body.reason)
    return {**declaration_out(d), "notification_id": nid}


@router.post("/customs/declarations/{declaration_id}/amend")
def amend(
    declaration_id: UUID,
    body: AmendIn,
    who: Principal = Depends(require(*CUSTOMS)),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Line changes, recorded with the reviewer and the reason; duties and flags recomputed."""
    changes = [
        {
            k: (str(v) if isinstance(v, Decimal) else v)
            for k, v in c.model_dump().items()
            if v is not None
        }
        for c in body.changes
    ]
    d, nid = svc.app.customs.amend_declaration(declaration_id, who.name, body.reason, changes)
    return {**declaration_out(d), "notification_id": nid}


@router.post("/customs/declarations/{declaration_id}/clearance")
def clearance(
    declaration_id: UUID,
    body: ClearanceIn,
    who: Principal = Depends(require("customs", "carrier")),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Clearance status from the broker or carrier: submitted, cleared, held (with reason),
    released, refused."""
    if body.status in ("held", "refused") and not (body.reason or "").strip():
        raise ValidationFailed([{"loc": "reason", "msg": f"a {body.status} status needs a reason"}])
    d, nid = svc.app.customs.update_clearance(declaration_id, body.status, body.reason, who.name)
    return {**declaration_out(d), "notification_id": nid}


def _document(svc: Services, d: Declaration) -> dict[str, Any]:
    doc, duties = d.document, d.duties
    order = svc.app.orders.get_order(UUID(d.order_id))
    entry = order.fulfilment.get(str(d.shipment_no), {})
    freight = doc.get("freight") or {"amount": "0.00"}
    return {
        "declaration_id": str(d.id),
        "shipment_id": d.shipment_id,
        "order_id": d.order_id,
        "external_id": doc.get("external_id", ""),
        "status": d.status,
        "incoterm": d.incoterm,
        "currency": doc["currency"],
        "destination_currency": duties["currency"],
        "exporter": doc["exporter"],
        "importer": doc["importer"],
        "ioss_number": doc.get("ioss_number") if doc.get("vat_scheme") == "IOSS" else None,
        "importer_id": doc.get("importer_eori"),
        "invoice_number": f"CI-{d.shipment_id[:8].upper()}-{d.shipment_no}",
        "invoice_date": doc["on"],
        "lines": [{**ln, "gross_weight_g": ln["net_weight_g"]} for ln in doc["lines"]],
        "parcels": [
            dict(p, parcel_no=p.get("parcel_no", i + 1)) for i, p in enumerate(doc["parcels"])
        ],
        "totals": {
            "goods_value": str(sum(Decimal(ln["total_value"]) for ln in doc["lines"])),
            "freight": freight["amount"],
            "insurance": "0.00",
            "duty": duties["duty"],
            "vat": duties["vat"],
            "total_taxes": duties["total_taxes"],
            "net_weight_g": sum(ln["net_weight_g"] for ln in doc["lines"]),
            "gross_weight_g": doc.get("packed_weight_g"),
            "packages": len(doc["parcels"]),
        },
        "carrier": (
            {
                "carrier": entry.get("carrier_code"),
                "service": entry.get("service"),
                "waybill": entry.get("waybill"),
            }
            if entry.get("waybill")
            else None
        ),
        "tariff_version": str(d.versions.get("tariff")),
        "vat_version": str(d.versions.get("vat")),
        "prohibited_list_version": d.versions.get("prohibited_list") or 0,
    }


@router.get("/customs/declarations/{declaration_id}/documents/{kind}")
def document(
    declaration_id: UUID,
    kind: Literal["commercial-invoice.pdf", "packing-list.pdf", "declaration.json"],
    who: Principal = Depends(require("customs", "warehouse", "admin")),
    svc: Services = Depends(services),
) -> Response:
    """Commercial invoice and packing list (PDF) and the declaration (JSON), all from the same
    data."""
    from adapters.documents import render_commercial_invoice, render_packing_list

    d = svc.app.customs.get_declaration(declaration_id)
    data = _document(svc, d)
    if kind == "declaration.json":
        import json

        return Response(json.dumps(data, default=str), media_type="application/json")
    render = render_commercial_invoice if kind == "commercial-invoice.pdf" else render_packing_list
    return Response(render(data), media_type="application/pdf")


@router.get("/customs/clearance-delays")
def clearance_delays(
    who: Principal = Depends(require(*CUSTOMS)), svc: Services = Depends(services)
) -> dict[str, Any]:
    """Share of submitted declarations held by customs, per destination and carrier."""
    svc.fresh_views()
    return {"items": clearance_delay_rates(svc.db)}


@router.post("/quotes/landed-cost")
def landed(
    body: LandedIn,
    who: Principal = Depends(require("connector", "customs", "finance", "admin")),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Goods value, freight (cheapest quote from the warehouse), duty, VAT/GST and the total,
    each itemised, in the requested currency."""
    from domains.transport.rating import Parcel, QuoteRequest

    products = svc.app.reference.current()["products"]
    errors, lines, grams = [], [], 0
    for i, g in enumerate(body.goods):
        p = products.get(g.sku) if g.sku else None
        if g.sku and p is None:
            errors.append({"loc": f"goods[{i}].sku", "msg": f"unknown SKU {g.sku!r}"})
            continue
        hs = g.hs_code or (p.hs_code if p else None)
        if not hs:
            errors.append({"loc": f"goods[{i}].hs_code", "msg": "give an SKU or an HS code"})
            continue
        lines.append(
            CustomsLine(hs_code=hs, value=g.value, currency=g.currency, quantity=g.quantity)
        )
        grams += g.weight_g or ((p.unit_weight_g * g.quantity) if p else 500 * g.quantity)
    if not svc.app.orders.countries.is_country(body.destination):
        errors.append({"loc": "destination", "msg": f"{body.destination!r} is not an ISO country"})
    if errors:
        raise ValidationFailed(errors)
    today = svc.app.clock.now().date()
    warehouses = svc.app.reference.current()["warehouses"]
    choices = [body.warehouse_id] if body.warehouse_id else list(warehouses)
    if body.warehouse_id and body.warehouse_id not in warehouses:
        raise ValidationFailed(
            [{"loc": "warehouse_id", "msg": f"unknown warehouse {body.warehouse_id!r}"}]
        )
    best = None
    for wh in choices:
        quoted = svc.app.rates.quote(
            QuoteRequest(
                origin_country=warehouses[wh].country,
                destination_country=body.destination,
                parcels=[Parcel(max(grams, 1))],
                ship_date=today,
            )
        )
        if quoted["rates"]:
            rate = quoted["rates"][0]
            freight = Money(Decimal(rate["total"]), rate["currency"])
            result = svc.app.customs.landed_cost_quote(
                lines, freight, body.destination, body.incoterm, body.currency, today
            )
            total = Decimal(str(result.get("total")))
            if best is None or total < best[0]:
                best = (total, wh, rate, result)
    if best is None:
        raise HTTPException(status_code=422, detail="no carrier service reaches that destination")
    _, wh, rate, result = best
    return as_json(
        {
            "warehouse_id": wh,
            "carrier": rate["carrier"],
            "service": rate["service"],
            "ship_date": date.isoformat(today),
            **result,
        }
    )
