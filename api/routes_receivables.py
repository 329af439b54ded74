"""The dealer's money: accounts, payments (recorded or from a bank statement), the payments
waiting for a person, ageing and the credit-limit suggestion (domains/receivables/)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field, StringConstraints
from starlette.concurrency import run_in_threadpool

from api.auth import Principal
from api.deps import Services, caller, encode_json, services

router = APIRouter(prefix="/v1", tags=["receivables"])
CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
InvoiceNo = Annotated[str, StringConstraints(pattern=r"^INV-\d{6,9}$")]
AsOf = Annotated[date, Query(description="the day the report is as of (YYYY-MM-DD)")]


class PaymentIn(BaseModel):
    amount: Decimal = Field(gt=0, le=1_000_000_000_000, decimal_places=2)
    currency: CurrencyCode
    date: date
    reference: str = Field(default="", max_length=1000)
    invoices: list[InvoiceNo] | None = Field(
        default=None, max_length=200, description="pay these (oldest first); else by reference"
    )


class AssignIn(BaseModel):
    dealer_id: str = Field(min_length=1, max_length=100)
    note: str = Field(min_length=1, max_length=1000)


class LimitDecisionIn(BaseModel):
    as_of: date
    decision: Literal["accept", "reject"]
    reason: str = Field(min_length=1, max_length=1000)


@router.get("/dealers/{dealer_id}/account")
def account(
    dealer_id: str, who: Principal = Depends(caller), svc: Services = Depends(services)
) -> dict[str, Any]:
    """The dealer's invoices, payments, credit on account and credit in use."""
    return svc.app.receivables.account(dealer_id)


@router.post("/dealers/{dealer_id}/payments", status_code=201)
def record_payment(
    dealer_id: str,
    body: PaymentIn,
    response: Response,
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Record a payment: it pays the invoices named, else those its reference quotes, else the
    oldest open ones; what is left is credit on account. Held orders it makes fit are
    allocated at once. The same payment again answers 200 and pays nothing."""
    answer, nid = svc.app.receivables.record_payment(
        dealer_id,
        body.amount,
        body.currency,
        body.date,
        body.reference,
        body.invoices,
        who.name,
    )
    if answer.get("repeat"):
        response.status_code = 200
    return dict(answer, notification_id=nid)


@router.post(
    "/receivables/bank-statements",
    status_code=201,
    openapi_extra={"requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
async def upload_statement(
    request: Request, who: Principal = Depends(caller), svc: Services = Depends(services)
) -> Response:
    """A bank statement (CSV: booking date, amount, currency, reference, counterparty, IBAN;
    usual header variants, decimal comma or point). Each line is applied, left for a person
    (unmatched) or skipped as already recorded; a bad file answers 422 naming line and
    column, and nothing is stored."""
    data = await request.body()  # at most CROSSDOCK_MAX_CSV_BYTES (api/limits.py)

    def work() -> tuple[int, bytes]:
        answer, nid = svc.app.receivables.record_statement(data, who.name)
        status = 201 if answer["applied"] or answer["unmatched"] else 200
        return status, encode_json(dict(answer, notification_id=nid))

    status, content = await run_in_threadpool(work)
    return Response(content, status_code=status, media_type="application/json")


@router.get("/receivables/unmatched")
def unmatched(who: Principal = Depends(caller), svc: Services = Depends(services)) -> dict:
    """Payments no dealer could be found for, waiting for a person to assign them."""
    return {"items": svc.app.receivables.unmatched_payments()}


@router.post("/receivables/unmatched/{payment_id}/assign")
def assign(
    payment_id: str,
    body: AssignIn,
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Say whose an unmatched payment is (recorded with who and the note); it then pays."""
    answer, nid = svc.app.receivables.assign_payment(
        payment_id, body.dealer_id, who.name, body.note
    )
    return dict(answer, notification_id=nid)


@router.get("/receivables/ageing")
def ageing(
    as_of: AsOf, who: Principal = Depends(caller), svc: Services = Depends(services)
) -> dict[str, Any]:
    """Unpaid per dealer by days past due (current, 1-30, 31-60, 61-90, 90+) as of a day."""
    return svc.app.receivables.ageing(as_of)


@router.get("/dealers/{dealer_id}/credit-limit-suggestion")
def suggestion(
    dealer_id: str,
    as_of: AsOf,
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """A credit limit from the dealer's payment history, with its inputs and rule version."""
    return svc.app.receivables.limit_suggestion(dealer_id, as_of)


@router.post("/admin/dealers/{dealer_id}/credit-limit-suggestion")
def decide_suggestion(
    dealer_id: str,
    body: LimitDecisionIn,
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> Response:
    """Accept (the dealer's limit becomes the suggestion: a dealer revision) or reject the
    suggestion as of a day, with why; both are recorded with who."""
    answer, nid = svc.app.receivables.decide_limit(
        dealer_id, body.as_of, body.decision == "accept", who.name, body.reason
    )
    return Response(encode_json(dict(answer, notification_id=nid)), media_type="application/json")
