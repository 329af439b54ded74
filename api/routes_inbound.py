"""Inbound shipments (advance shipping notices) and transfers: admins book them (JSON or a
forwarder's packing list, CSV or XLSX), move them through their stages, record their costs and
send them to customs; warehouse keys receive them at the dock (their own warehouse's only);
finance reads landed costs. Thin: parse, call `app.inbound`, shape the answer."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field, StringConstraints
from starlette.concurrency import run_in_threadpool

from adapters.inbound.packing_list import read_packing_list
from api.auth import Principal
from api.deps import Services, as_json, caller, services
from api.limits import MAX_OFFSET
from domains.inbound.model import BASES
from domains.inbound.references import MODES
from projections.inbound_views import inbound_list, landed_costs

router = APIRouter(prefix="/v1", tags=["inbound"])
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
Mode = Literal["sea", "air", "rail", "truck"]
Basis = Literal["value", "weight", "volume"]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
assert set(MODES) == {"sea", "air", "rail", "truck"} and set(BASES) == {"value", "weight", "volume"}


class OriginIn(BaseModel):
    kind: Literal["supplier", "warehouse"]
    name: str | None = Field(None, max_length=200, description="the supplier (kind supplier)")
    country: str | None = Field(None, description="ISO country of the supplier")
    warehouse_id: str | None = Field(None, description="the source warehouse (kind warehouse)")


class LineIn(BaseModel):
    sku: Text
    quantity: int = Field(gt=0, le=10_000_000)
    lot: str | None = Field(None, max_length=100)
    expiry: date | None = None
    unit_value: Decimal | None = Field(None, ge=0, description="default: the catalogue's")
    currency: Currency | None = None
    weight_kg: Decimal | None = Field(None, ge=0, description="net weight of the line")
    volume_m3: Decimal | None = Field(None, ge=0)


class CartonIn(BaseModel):
    carton_no: Text
    gross_weight_kg: Decimal | None = Field(None, ge=0)
    lines: list[LineIn] = Field(min_length=1, max_length=1000)


class InboundHeader(BaseModel):
    inbound_id: Text = Field(description="the ASN number (idempotency key)")
    warehouse_id: Text = Field(description="the destination warehouse")
    origin: OriginIn
    mode: Mode
    carrier: Text
    reference: Text = Field(description="container number (sea, ISO 6346) or air waybill")
    expected_arrival: date
    allocation_basis: Basis = "value"
    currency: Currency = "USD"


class InboundIn(InboundHeader):
    cartons: list[CartonIn] = Field(min_length=1, max_length=10_000)


class StageIn(BaseModel):
    stage: Literal["departed", "arrived_at_port", "released", "delivered"]
    note: Note = ""


class ArrivalIn(BaseModel):
    expected_arrival: date
    reason: Text


class ReasonIn(BaseModel):
    reason: Text


class MoneyIn(BaseModel):
    amount: Decimal = Field(ge=0, le=1_000_000_000)
    currency: Currency


class FeeIn(MoneyIn):
    name: Text


class CostsIn(BaseModel):
    freight: MoneyIn | None = None
    insurance: MoneyIn | None = None
    fees: list[FeeIn] = Field(default_factory=list, max_length=50)


class CountIn(BaseModel):
    carton_no: Text
    sku: Text
    lot: str | None = Field(None, max_length=100)
    good: int = Field(ge=0, le=10_000_000, description="units counted in good condition")
    damaged: int = Field(0, ge=0, le=10_000_000)
    reason: Note = Field("", description="why short, over or damaged")
    bin: str | None = Field(None, max_length=40, description="default: the putaway suggestion")


class ReceiptIn(BaseModel):
    receipt_id: Text = Field(description="the handheld's id for this receipt (idempotency key)")
    counts: list[CountIn] = Field(max_length=10_000)
    close: bool = Field(True, description="close receiving: discrepancies, stock, landed cost")


def _rows(body: InboundIn) -> list[dict[str, Any]]:
    return [
        {
            "where": f"cartons[{i}].lines[{j}]",
            "carton_no": c.carton_no,
            "gross_weight_kg": c.gross_weight_kg,
            **{k: v for k, v in ln.model_dump().items() if v is not None},
        }
        for i, c in enumerate(body.cartons)
        for j, ln in enumerate(c.lines)
    ]


def _out(svc: Services, inbound: Any, **extra: Any) -> dict[str, Any]:
    return as_json({**svc.app.inbound.summary(inbound), **extra})


def _book(svc: Services, head: InboundHeader, rows: list[dict[str, Any]], by: str) -> Any:
    return svc.app.inbound.book(
        head.inbound_id,
        head.warehouse_id,
        head.origin.model_dump(),
        head.mode,
        head.carrier,
        head.reference,
        head.expected_arrival,
        rows,
        head.allocation_basis,
        head.currency,
        by,
    )


@router.post("/admin/inbound", status_code=201)
def book(
    body: InboundIn, who: Principal = Depends(caller), svc: Services = Depends(services)
) -> dict[str, Any]:
    """Book an inbound shipment: the destination warehouse expects its cartons from now on
    (a transfer reserves its units at the source). 422 names every bad field and line."""
    inbound, created, nid = _book(svc, body, _rows(body), who.name)
    return _out(svc, inbound, created=created, notification_id=nid)


@router.post(
    "/admin/inbound:packing-list",
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
async def book_from_packing_list(
    request: Request,
    inbound_id: Annotated[str, Query(min_length=1, max_length=100)],
    warehouse_id: Annotated[str, Query(min_length=1, max_length=20)],
    mode: Mode,
    carrier: Annotated[str, Query(min_length=1, max_length=100)],
    reference: Annotated[str, Query(min_length=1, max_length=100)],
    expected_arrival: date,
    origin_kind: Literal["supplier", "warehouse"] = "supplier",
    origin: Annotated[str, Query(min_length=1, max_length=200)] = "supplier",
    origin_country: str | None = None,
    allocation_basis: Basis = "value",
    currency: Annotated[str, Query(pattern=r"^[A-Z]{3}$")] = "USD",
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Book an inbound shipment from the packing list a forwarder sends (CSV or XLSX: carton
    no, SKU, qty, lot, expiry, weights; usual column names understood). 422 names every bad
    row and column, and nothing is stored."""
    data = await request.body()  # at most CROSSDOCK_MAX_CSV_BYTES (api/limits.py)
    filename = request.headers.get("X-Filename", "packing-list.csv")
    kind_key = "warehouse_id" if origin_kind == "warehouse" else "name"
    head = InboundHeader(
        inbound_id=inbound_id,
        warehouse_id=warehouse_id,
        origin=OriginIn(kind=origin_kind, country=origin_country, **{kind_key: origin}),
        mode=mode,
        carrier=carrier,
        reference=reference,
        expected_arrival=expected_arrival,
        allocation_basis=allocation_basis,
        currency=currency,
    )

    def work() -> dict[str, Any]:
        inbound, created, nid = _book(svc, head, read_packing_list(data, filename), who.name)
        return _out(svc, inbound, created=created, notification_id=nid)

    return await run_in_threadpool(work)


@router.get("/inbound")
def list_inbound(
    warehouse_id: str | None = None,
    stage: str | None = None,
    transfer: bool | None = None,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Inbound shipments and transfers, oldest booking first; a warehouse key sees its own."""
    if who.role == "warehouse":
        warehouse_id = who.scope
    svc.fresh_views()
    rows, total = inbound_list(
        svc.db, limit=limit, offset=offset, warehouse_id=warehouse_id, stage=stage,
        transfer=transfer,
    )  # fmt: skip
    return {"items": rows, "total": total, "limit": limit, "offset": offset}


@router.get("/inbound/{inbound_id}")
def get_inbound(
    inbound_id: str, who: Principal = Depends(caller), svc: Services = Depends(services)
) -> dict[str, Any]:
    """One inbound shipment: cartons, stages, customs, discrepancies, landed cost."""
    return _out(svc, svc.app.inbound.get(inbound_id))


@router.post("/admin/inbound/{inbound_id}/stages")
def advance(
    inbound_id: str,
    body: StageIn,
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """The next stage (departed, arrived at port, released, delivered); one skipped: 409."""
    inbound, nid = svc.app.inbound.advance(inbound_id, body.stage, who.name, body.note)
    return _out(svc, inbound, notification_id=nid)


@router.post("/admin/inbound/{inbound_id}/arrival")
def reschedule(
    inbound_id: str,
    body: ArrivalIn,
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """A new expected arrival; when later, orders pre-sold against it get the new date."""
    result, nid = svc.app.inbound.reschedule(
        inbound_id, body.expected_arrival, body.reason, who.name
    )
    return {**result, "notification_id": nid}


@router.post("/admin/inbound/{inbound_id}/cancel")
def cancel(
    inbound_id: str,
    body: ReasonIn,
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    result, nid = svc.app.inbound.cancel(inbound_id, body.reason, who.name)
    return {**result, "notification_id": nid}


@router.put("/admin/inbound/{inbound_id}/costs")
def record_costs(
    inbound_id: str,
    body: CostsIn,
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Freight, insurance and fees of the inbound (the duty comes from its declaration)."""

    def m(x: MoneyIn | None) -> dict[str, str] | None:
        return {"amount": str(x.amount), "currency": x.currency} if x else None

    fees = [{"name": f.name, "amount": str(f.amount), "currency": f.currency} for f in body.fees]
    inbound, nid = svc.app.inbound.record_costs(
        inbound_id, m(body.freight), m(body.insurance), fees, who.name
    )
    return _out(svc, inbound, notification_id=nid)


@router.post("/admin/inbound/{inbound_id}/customs")
def declare(
    inbound_id: str, who: Principal = Depends(caller), svc: Services = Depends(services)
) -> dict[str, Any]:
    """The customs import step: a B2B import declaration for the customs desk, or (inside one
    customs territory) none, and why."""
    decision, nid = svc.app.inbound.declare_customs(inbound_id, who.name)
    return as_json({**decision, "notification_id": nid})


@router.post("/admin/inbound/{inbound_id}/customs/clear")
def clear(
    inbound_id: str, who: Principal = Depends(caller), svc: Services = Depends(services)
) -> dict[str, Any]:
    """Customs cleared, once the customs desk approved the import declaration (else 409)."""
    inbound, nid = svc.app.inbound.clear_customs(inbound_id, who.name)
    return _out(svc, inbound, notification_id=nid)


@router.post("/handheld/inbound/{inbound_id}/receipts", status_code=201)
def receive(
    inbound_id: str,
    body: ReceiptIn,
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Counts at the dock per carton and SKU; closing records short, over and damaged units
    as discrepancies and puts the good units into stock (putaway suggested as for receipts).
    Idempotent per receipt id."""
    inbound = svc.app.inbound.get(inbound_id, who.scope if who.role == "warehouse" else None)
    counts = [c.model_dump() for c in body.counts]
    result, nid = svc.app.inbound.receive(
        inbound_id, inbound.warehouse_id, body.receipt_id, counts, who.name, close=body.close
    )
    return as_json({**result, "notification_id": nid})


@router.get("/finance/landed-costs")
def list_landed_costs(
    warehouse_id: str | None = None,
    sku: str | None = None,
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """The landed cost per unit of every lot received from an inbound shipment."""
    svc.fresh_views()
    return {"items": landed_costs(svc.db, warehouse_id=warehouse_id, sku=sku)}


class TransferIn(BaseModel):
    transfer_id: Text = Field(description="the transfer's id (idempotency key)")
    source: Text = Field(description="the warehouse the stock leaves")
    target: Text = Field(description="the warehouse that is short")
    lines: dict[str, Annotated[int, Field(gt=0, le=10_000_000)]] = Field(
        min_length=1, description="SKU -> units to move"
    )
    mode: Mode = "truck"
    carrier: Text
    reference: Text
    expected_arrival: date | None = Field(None, description="default: in three days")


@router.get("/admin/transfers/proposals")
def transfer_proposals(
    who: Principal = Depends(caller), svc: Services = Depends(services)
) -> dict[str, Any]:
    """Where orders wait for stock one warehouse lacks and another holds spare: the stock to
    move, its cost on the rate cards, and splitting or backordering the orders compared."""
    return as_json({"items": svc.app.inbound.propose_transfers()})


@router.post("/admin/transfers", status_code=201)
def accept_transfer(
    body: TransferIn, who: Principal = Depends(caller), svc: Services = Depends(services)
) -> dict[str, Any]:
    """Accept a transfer: an inbound shipment from `source` to `target`, the units reserved
    at the source now and shipped out at departure; a customs declaration only across a
    customs border."""
    inbound, created, nid = svc.app.inbound.accept_transfer(
        body.transfer_id, body.source, body.target, body.lines, body.mode, body.carrier,
        body.reference, body.expected_arrival, who.name,
    )  # fmt: skip
    return _out(svc, inbound, created=created, notification_id=nid)
