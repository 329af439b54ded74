"""Pre-sale settings (which channel may sell which SKU against inbound stock) and the orders
waiting for stock: the orders context's routes for domains/orders/presale.py and backorders.py.
Apart from api/routes_orders.py (intake and order reads) to keep each module one room."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field, field_validator

from api.auth import Principal
from api.deps import Services, caller, services
from api.routes_orders import CHANNELS

router = APIRouter(prefix="/v1", tags=["orders"])


# ------------------------------------------------------------------ pre-sale and backorders
class PresaleRuleIn(BaseModel):
    channel: Literal[tuple(CHANNELS)]  # type: ignore[valid-type]
    sku: str = Field(min_length=1, max_length=100)
    cap: int | None = Field(
        default=None, ge=1, le=10_000_000, description="units pre-sold at once; none: no cap"
    )


class PresaleIn(BaseModel):
    rules: list[PresaleRuleIn] = Field(
        max_length=10_000, description="the channels and SKUs that may pre-sell (all others not)"
    )
    handling_days: dict[str, int] = Field(
        default_factory=dict,
        description="days from an inbound's arrival to the promised dispatch, per warehouse "
        "(default 2)",
    )
    note: str = Field(default="", max_length=500)

    @field_validator("handling_days")
    @classmethod
    def _days(cls, value: dict[str, int]) -> dict[str, int]:
        for code, days in value.items():
            if not 0 <= days <= 60:
                raise ValueError(f"handling_days.{code}: between 0 and 60 days, got {days}")
        return value


@router.put("/admin/presale")
def put_presale(
    body: PresaleIn, who: Principal = Depends(caller), svc: Services = Depends(services)
) -> dict[str, Any]:
    """Publish a new version of the pre-sale settings (replacing the previous one): which
    channel may sell which SKU against inbound stock, optional caps, handling days."""
    settings, nid = svc.app.orders.set_presale(
        [r.model_dump() for r in body.rules], body.handling_days, who.name, body.note
    )
    return {**settings.details(), "notification_id": nid}


@router.get("/admin/presale")
def get_presale(
    who: Principal = Depends(caller), svc: Services = Depends(services)
) -> dict[str, Any]:
    return svc.app.orders.presale_settings().details()


@router.get("/backorders")
def backorders(
    sku: str | None = None, who: Principal = Depends(caller), svc: Services = Depends(services)
) -> dict[str, Any]:
    """Orders held for stock, oldest first (read from the backorder index, not a view)."""
    items = svc.app.orders.waiting_for_stock(None if sku is None else [sku])
    return {"items": items, "total": len(items)}


class BackorderReleaseIn(BaseModel):
    skus: list[str] | None = Field(
        default=None, max_length=10_000, description="the SKUs to re-examine; none: every SKU"
    )


@router.post("/backorders/release")
def release_backorders(
    body: BackorderReleaseIn,
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Re-examine the orders waiting for stock now, oldest first, under intake's rules. Stock
    arriving does this by itself; this resumes a release that was left pending (it kept
    conflicting with other writers) or follows a change of rules."""
    return svc.app.orders.release_backorders(body.skus, {"kind": "manual", "by": who.name})
