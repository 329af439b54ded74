"""Returns (RMA) and carrier claims. A channel's connector (or an operator) opens a return of
its order and buys the return label; the receiving warehouse grades each unit; operations read
the list and the returns analysis. Admins and finance open, submit, decide and settle carrier
claims. Thin: parse, call `app.returns` / `app.claims`, shape the answer."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field, StringConstraints

from api.auth import Principal
from api.deps import Services, as_json, caller, services
from domains.returns import rules

router = APIRouter(prefix="/v1", tags=["returns"])
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
Url = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class ReturnLineIn(BaseModel):
    sku: Text
    quantity: int = Field(gt=0, le=100_000)
    reason: str | None = Field(None, description=f"one of {', '.join(rules.REASONS)}")


class ReturnIn(BaseModel):
    lines: list[ReturnLineIn] = Field(min_length=1, max_length=500)
    reason: str | None = Field(None, description="for lines that name none")
    label_payer: str = Field(description=f"one of {', '.join(rules.PAYERS)}")
    reference: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] = Field(
        "", description="the channel's return request id (idempotency key)"
    )
    shipment_no: int | None = Field(
        None, ge=1, description="default: the shipment holding the SKUs"
    )


@router.post("/orders/{order_id}/returns", status_code=201)
def open_return(
    order_id: UUID,
    body: ReturnIn,
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """A return of a dispatched shipment's units: reason codes per line, who pays the label.
    Not more than shipped, less what earlier returns took back. Idempotent per reference."""
    answer, nid = svc.app.returns.open_return(
        order_id,
        [ln.model_dump() for ln in body.lines],
        body.label_payer,
        source="channel" if who.role == "connector" else "operator",
        opened_by=who.name,
        reference=body.reference,
        reason=body.reason,
        shipment_no=body.shipment_no,
    )
    return as_json({**answer, "notification_id": nid})


@router.get("/returns")
def list_returns(
    status: str | None = None,
    channel: str | None = None,
    warehouse_id: str | None = None,
    order_id: str | None = None,
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Returns, newest first. A connector sees its channel's; a warehouse key the returns
    coming to its warehouse."""
    if who.role == "connector":
        channel = who.scope
    if who.role == "warehouse":
        warehouse_id = who.scope
    items = svc.app.returns.list_returns(
        status=status, channel=channel, warehouse_id=warehouse_id, order_id=order_id
    )
    return {"items": items, "total": len(items)}


@router.get("/returns/analysis")
def returns_analysis(
    who: Principal = Depends(caller), svc: Services = Depends(services)
) -> dict[str, Any]:
    """Return rates by SKU (units returned / dispatched), reason (share of returned units),
    channel and carrier (returns / shipments dispatched)."""
    return svc.app.returns.analysis()


@router.get("/returns/{return_id}")
def get_return(
    return_id: str, who: Principal = Depends(caller), svc: Services = Depends(services)
) -> dict[str, Any]:
    return as_json(svc.app.returns.answer(svc.app.returns.get(return_id)))


class LabelIn(BaseModel):
    warehouse_id: Text | None = Field(
        None, description="default: the nearest able to receive in the buyer's customs territory"
    )
    format: Literal["PDF", "ZPL"] = "PDF"


@router.post("/returns/{return_id}/label", status_code=201)
def buy_label(
    return_id: str,
    body: LabelIn,
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """The return label, to the chosen warehouse; across a border, with the re-import
    declaration and the returned-goods relief decision."""
    answer, nid = svc.app.returns.buy_label(return_id, body.warehouse_id, body.format)
    return as_json({**answer, "notification_id": nid})


class GradeIn(BaseModel):
    sku: Text
    grade: str = Field(description=f"one of {', '.join(rules.GRADES)}")
    quantity: int = Field(1, gt=0, le=10_000, description="units graded alike")
    lot: Text | None = Field(None, description="default: the lot shipped")
    bin: Text | None = Field(None, description="resellable units: default the putaway suggestion")
    note: Note = ""


class ReturnReceiptIn(BaseModel):
    receipt_id: Text = Field(description="idempotency key")
    units: list[GradeIn] = Field(min_length=1, max_length=1000)


@router.post("/handheld/returns/{return_id}/receipts", status_code=201)
def receive_return(
    return_id: str,
    body: ReturnReceiptIn,
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """The return at the dock: each unit graded; resellable units back to stock with their lot;
    the refund to report to the channel; the return's costs in the ledger."""
    answer, nid = svc.app.returns.receive(
        return_id,
        body.receipt_id,
        [u.model_dump() for u in body.units],
        who.name,
        warehouse_scope=who.scope if who.role == "warehouse" else None,
    )
    return as_json({**answer, "notification_id": nid})


# ---------------------------------------------------------------------------- carrier claims
class ClaimIn(BaseModel):
    order_id: UUID
    shipment_no: int = Field(ge=1)
    kind: Literal["lost", "damaged"]
    photos: list[Url] = Field([], max_length=50, description="http(s) URLs")
    return_id: Text | None = Field(None, description="a damage claim: the return it came in")
    detail: Note = ""


@router.post("/claims", status_code=201)
def open_claim(
    body: ClaimIn, who: Principal = Depends(caller), svc: Services = Depends(services)
) -> dict[str, Any]:
    """A claim against the carrier, with its evidence. Idempotent per shipment and kind."""
    answer, nid = svc.app.claims.open_claim(
        body.order_id, body.shipment_no, body.kind, who.name, body.photos, body.return_id,
        body.detail,
    )  # fmt: skip
    return as_json({**answer, "notification_id": nid})


@router.post("/claims/lost-check")
def lost_check(
    who: Principal = Depends(caller), svc: Services = Depends(services)
) -> dict[str, Any]:
    """Opens a lost claim for every parcel with no scan for the configured days after its
    no-scan alert (CROSSDOCK_CLAIM_LOST_AFTER_DAYS)."""
    return as_json({"opened": svc.app.claims.open_lost_claims()})


@router.get("/claims")
def list_claims(
    carrier: str | None = None,
    status: str | None = None,
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    items = svc.app.claims.list_claims(carrier=carrier, status=status)
    return {"items": items, "total": len(items)}


class SubmissionIn(BaseModel):
    carrier: Text


@router.post(
    "/claims/submissions", response_class=Response, responses={200: {"content": {"text/csv": {}}}}
)
def submit_claims(
    body: SubmissionIn, who: Principal = Depends(caller), svc: Services = Depends(services)
) -> Response:
    """The carrier's claim file (CSV) of its open claims, which are marked submitted."""
    name, content, ids = svc.app.claims.submit(body.carrier, who.name)
    return Response(
        content,
        media_type="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Claims": str(len(ids)),
        },
    )


@router.get("/claims/{claim_id}")
def get_claim(
    claim_id: str, who: Principal = Depends(caller), svc: Services = Depends(services)
) -> dict[str, Any]:
    return as_json(svc.app.claims.answer(svc.app.claims.get(claim_id)))


class DecisionIn(BaseModel):
    accepted: bool
    amount: Annotated[str, StringConstraints(max_length=30)] | None = Field(
        None, description="accepted amount (default: as claimed)"
    )
    reason: Note = ""


@router.post("/claims/{claim_id}/decision")
def decide_claim(
    claim_id: str,
    body: DecisionIn,
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """The carrier's answer: accepted (for the amount) or rejected (with its reason)."""
    answer, nid = svc.app.claims.decide(claim_id, body.accepted, who.name, body.amount, body.reason)
    return as_json({**answer, "notification_id": nid})


class PaymentIn(BaseModel):
    amount: Annotated[str, StringConstraints(min_length=1, max_length=30)]
    reference: Text


@router.post("/claims/{claim_id}/payment")
def pay_claim(
    claim_id: str,
    body: PaymentIn,
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """The carrier paid the claim: a credit in the ledger (GET /v1/finance/ledger-entries)."""
    answer, nid = svc.app.claims.pay(claim_id, body.amount, body.reference, who.name)
    return as_json({**answer, "notification_id": nid})
