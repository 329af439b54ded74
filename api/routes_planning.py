"""Planning: demand forecasts with their accuracy and method, replenishment suggestions (an
admin runs them, then accepts one, which books an inbound shipment, or rejects it with a
reason), slow movers with their suggestions (read live, or run into recorded suggestions an
admin accepts or rejects the same way), and co-purchase bundles. Thin: parse, call
`app.planning`, shape the answer. "As of" is the server's day unless the body names one."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, Field, StringConstraints

from api.auth import Principal
from api.deps import Services, as_json, caller, services

router = APIRouter(prefix="/v1/planning", tags=["planning"])
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class RunIn(BaseModel):
    service_level: float = Field(0.95, gt=0.5, lt=0.9999, description="cycle service level")
    warehouse_id: str | None = Field(None, max_length=20, description="default: every one")
    skus: list[Text] | None = Field(None, max_length=500, description="default: every SKU")
    as_of: date | None = Field(
        None, ge=date(2000, 1, 1), le=date(2100, 12, 31), description="default: today (UTC)"
    )


class AcceptIn(BaseModel):
    carrier: Text
    reference: Text = Field(description="container number (sea, ISO 6346), air waybill, ...")
    mode: Literal["sea", "air", "rail", "truck"] | None = Field(None, description="default: the suggestion's")  # fmt: skip
    quantity: int | None = Field(None, gt=0, le=10_000_000, description="default: suggested")
    expected_arrival: date | None = Field(
        None, le=date(2100, 12, 31), description="default: today + lead time"
    )


class RejectIn(BaseModel):
    reason: Text


class SlowRunIn(BaseModel):
    warehouse_id: str | None = Field(None, max_length=20, description="default: every one")
    as_of: date | None = Field(
        None, ge=date(2000, 1, 1), le=date(2100, 12, 31), description="default: today (UTC)"
    )


class SlowAcceptIn(BaseModel):
    reason: Text = Field(description="why it is accepted (recorded)")
    carrier: Text | None = Field(None, description="a transfer's carrier (required for one)")
    reference: Text | None = Field(None, description="a transfer's reference (required for one)")
    mode: Literal["sea", "air", "rail", "truck"] = "truck"
    expected_arrival: date | None = Field(
        None, le=date(2100, 12, 31), description="a transfer's; default: in three days"
    )


def _own(who: Principal, warehouse: str | None) -> str | None:
    """A warehouse key sees its own warehouse only (another: 404)."""
    if who.role == "warehouse":
        if warehouse not in (None, who.scope):
            raise HTTPException(status_code=404, detail="not found")
        return who.scope
    return warehouse


def _today(svc: Services) -> date:
    return svc.app.clock.now().date()


@router.get("/forecasts")
def forecasts(
    sku: str = Query(max_length=100),
    warehouse: str = Query(max_length=20),
    horizon: int = Query(28, ge=1, le=365),
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Daily demand forecast from today on: the method (chosen by the demand class: seasonal
    model, Croston or SBA), its parameters and its accuracy on the last eight weeks held back
    against the seasonal naive forecast (WAPE)."""
    wh = _own(who, warehouse)
    assert wh is not None
    fc, accuracy = svc.app.planning.forecast(wh, sku, _today(svc), horizon)
    return as_json({"warehouse_id": wh, "sku": sku, "forecast": fc.as_dict(),
                    "accuracy": accuracy.__dict__ if accuracy else None})  # fmt: skip


@router.post("/replenishment/run")
def run(
    body: RunIn, who: Principal = Depends(caller), svc: Services = Depends(services)
) -> dict[str, Any]:
    """Forecast every (warehouse, SKU) with history and suggest a purchase where the stock
    position is at or below the reorder point; each suggestion is an event with its numbers."""
    items, nid = svc.app.planning.run_replenishment(
        body.as_of or _today(svc), who.name, body.service_level, body.warehouse_id, body.skus
    )
    return as_json({"items": items, "notification_id": nid})


@router.get("/replenishment")
def suggestions(
    status: Literal["pending", "accepted", "rejected"] | None = None,
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    return as_json({"items": svc.app.planning.reads.suggestions(status)})


@router.post("/replenishment/{suggestion_id}/accept")
def accept(
    suggestion_id: str, body: AcceptIn, who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:  # fmt: skip
    """Accept: an inbound shipment from the suggestion's supplier is booked (the warehouse
    expects it from now on) and the acceptance recorded with who and the inbound's id."""
    s, inbound, nid = svc.app.planning.accept(
        suggestion_id, who.name, body.carrier, body.reference, body.mode, body.quantity,
        body.expected_arrival,
    )  # fmt: skip
    return as_json({**s.summary(), "inbound": svc.app.inbound.summary(inbound),
                    "notification_id": nid})  # fmt: skip


@router.post("/replenishment/{suggestion_id}/reject")
def reject(
    suggestion_id: str, body: RejectIn, who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:  # fmt: skip
    s, nid = svc.app.planning.reject(suggestion_id, who.name, body.reason)
    return as_json({**s.summary(), "notification_id": nid})


@router.get("/slow-movers")
def slow_movers(
    warehouse: str | None = Query(None, max_length=20),
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Slow and ageing stock: days of cover, lot ages, storage cost accrued, and suggestions
    (transfer, bundle, markdown) each with its numbers."""
    today = _today(svc)
    wh = _own(who, warehouse)
    items = svc.app.planning.slow_movers(today, wh)
    recorded = svc.app.planning.reads.slow_mover_suggestions(None, wh)
    return as_json({"as_of": today.isoformat(), "items": items, "recorded": recorded})


@router.post("/slow-movers/run")
def run_slow_movers(
    body: SlowRunIn, who: Principal = Depends(caller), svc: Services = Depends(services)
) -> dict[str, Any]:
    """Record each slow mover's suggestions (one per warehouse, SKU and kind, with every
    number and the rules' and data's versions); a repeat run the same day adds nothing."""
    items, nid = svc.app.planning.run_slow_movers(
        body.as_of or _today(svc), who.name, body.warehouse_id
    )
    return as_json({"items": items, "notification_id": nid})


@router.post("/slow-movers/{suggestion_id}/accept")
def accept_slow_mover(
    suggestion_id: str, body: SlowAcceptIn, who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:  # fmt: skip
    """Accept: a transfer is booked through the inbound transfers (carrier and reference
    required); a bundle or a markdown is recorded only. Who and why are recorded."""
    s, booked, nid = svc.app.planning.accept_slow_mover(
        suggestion_id, who.name, body.reason, body.carrier, body.reference, body.mode,
        body.expected_arrival,
    )  # fmt: skip
    return as_json({**s.summary(), "transfers": [svc.app.inbound.summary(i) for i in booked],
                    "notification_id": nid})  # fmt: skip


@router.post("/slow-movers/{suggestion_id}/reject")
def reject_slow_mover(
    suggestion_id: str, body: RejectIn, who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:  # fmt: skip
    s, nid = svc.app.planning.reject_slow_mover(suggestion_id, who.name, body.reason)
    return as_json({**s.summary(), "notification_id": nid})


@router.get("/bundles")
def bundles(
    limit: int = Query(50, ge=1, le=500),
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Co-purchase rules over order lines: support, confidence and lift, strongest first."""
    return as_json({"items": svc.app.planning.bundles()[:limit]})
