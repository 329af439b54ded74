"""The customs review desk (customs role only), clearance updates, documents, landed cost."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Query, Response
from pydantic import BaseModel, Field, StringConstraints

from api.auth import Principal
from api.deps import Services, as_json, caller, services
from api.limits import MAX_OFFSET
from domains.common import ValidationFailed
from domains.customs.landed import Goods
from domains.customs.model import Declaration
from projections.customs_views import clearance_delay_rates, customs_queue

router = APIRouter(prefix="/v1", tags=["customs"])
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class NoteIn(BaseModel):
    note: str = ""


class ReasonIn(BaseModel):
    reason: Text


class LineChange(BaseModel):
    line_no: int = Field(ge=1, le=10_000)
    description: str | None = Field(None, min_length=1, max_length=300)
    hs_code: str | None = Field(None, pattern=r"^\d{4}\.?\d{2}(\.?\d{2,4})?$")
    unit_value: Decimal | None = Field(None, ge=0)
    quantity: int | None = Field(None, gt=0, le=1_000_000)
    origin_country: str | None = Field(None, pattern=r"^[A-Z]{2}$")


def change_dicts(changes: list[LineChange]) -> list[dict[str, Any]]:
    """Line changes as the use case takes them: only the fields given, amounts as text."""
    return [
        {
            k: (str(v) if isinstance(v, Decimal) else v)
            for k, v in c.model_dump().items()
            if v is not None
        }
        for c in changes
    ]


class AmendIn(BaseModel):
    reason: Text
    changes: list[LineChange] = Field(min_length=1)


class ClearanceIn(BaseModel):
    status: Literal["submitted", "cleared", "held", "released", "refused"]
    reason: str | None = None


class GoodsIn(BaseModel):
    sku: str | None = None
    hs_code: str | None = None
    value: Decimal = Field(ge=0, le=1_000_000_000, description="line value (unit value x quantity)")
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    quantity: int = Field(1, gt=0, le=1_000_000)
    weight_g: int | None = Field(None, gt=0, le=10_000_000)


class LandedIn(BaseModel):
    goods: list[GoodsIn] = Field(min_length=1)
    destination: str = Field(pattern=r"^[A-Z]{2}$")
    warehouse_id: str | None = Field(
        None, description="omit to let the cheapest warehouse lane be used"
    )
    incoterm: Literal["DDP", "DAP"] = "DDP"
    currency: str = Field("EUR", pattern=r"^[A-Z]{3}$")


def declaration_out(d: Declaration, svc: Services) -> dict[str, Any]:
    """The declaration with its importer's personal data opened (the pseudonym once the
    person was erased)."""
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
            "document": svc.app.customs.readable_document(d),
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
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Publish a new version of the tariff, VAT, low-value and restricted-goods rules. Rules
    that do not load are refused whole (422); declarations cite the version they used."""
    import json

    files: dict[str, str] = {
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
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
    who: Principal = Depends(caller),
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
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """One declaration with each flag explained, and its order's history."""
    d, events = svc.app.customs.declaration_with_history(declaration_id)
    history = [
        {
            "version": e.originator_version,
            "type": type(e).__name__,
            "timestamp": e.timestamp.isoformat(),
        }
        for e in events
    ]
    return {**declaration_out(d, svc), "order_history": history}


@router.post("/customs/declarations/{declaration_id}/approve")
def approve(
    declaration_id: UUID,
    body: NoteIn,
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    d, nid = svc.app.customs.approve_declaration(declaration_id, who.name, body.note)
    return {**declaration_out(d, svc), "notification_id": nid}


@router.post("/customs/declarations/{declaration_id}/reject")
def reject(
    declaration_id: UUID,
    body: ReasonIn,
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    d, nid = svc.app.customs.reject_declaration(declaration_id, who.name, body.reason)
    return {**declaration_out(d, svc), "notification_id": nid}


@router.post("/customs/declarations/{declaration_id}/amend")
def amend(
    declaration_id: UUID,
    body: AmendIn,
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Line changes, recorded with the reviewer and the reason; duties and flags recomputed."""
    changes = change_dicts(body.changes)
    d, nid = svc.app.customs.amend_declaration(declaration_id, who.name, body.reason, changes)
    return {**declaration_out(d, svc), "notification_id": nid}


@router.post("/customs/declarations/{declaration_id}/clearance")
def clearance(
    declaration_id: UUID,
    body: ClearanceIn,
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Clearance status from the broker or carrier: submitted, cleared, held (with reason),
    released, refused."""
    if body.status in ("held", "refused") and not (body.reason or "").strip():
        raise ValidationFailed([{"loc": "reason", "msg": f"a {body.status} status needs a reason"}])
    d, nid = svc.app.customs.update_clearance(declaration_id, body.status, body.reason, who.name)
    return {**declaration_out(d, svc), "notification_id": nid}


@router.get(
    "/customs/declarations/{declaration_id}/documents/{kind}",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}, "application/json": {}}}},
)
def document(
    declaration_id: UUID,
    kind: Literal["commercial-invoice.pdf", "packing-list.pdf", "declaration.json"],
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> Response:
    """Commercial invoice and packing list (PDF) and the declaration (JSON), all from the same
    data."""
    content = svc.app.customs.declaration_document(declaration_id, kind)
    media = "application/json" if kind == "declaration.json" else "application/pdf"
    return Response(content, media_type=media)


@router.get("/customs/clearance-delays")
def clearance_delays(
    who: Principal = Depends(caller), svc: Services = Depends(services)
) -> dict[str, Any]:
    """Share of submitted declarations held by customs, per destination and carrier."""
    svc.fresh_views()
    return {"items": clearance_delay_rates(svc.db)}


@router.post("/quotes/landed-cost")
def landed(
    body: LandedIn,
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Goods value, freight (cheapest quote from the warehouse), duty, VAT/GST and the total,
    each itemised, in the requested currency."""
    quote = svc.app.customs.quote_landed_cost(
        [Goods(**g.model_dump()) for g in body.goods],
        body.destination,
        body.warehouse_id,
        body.incoterm,
        body.currency,
    )
    if quote is None:
        raise HTTPException(status_code=422, detail="no carrier service reaches that destination")
    return as_json(quote)
