"""Data subjects' requests: erasure (crypto-shredding of the person's personal data) and
access (what is held about them, readable). Privacy officers and admins only."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field, model_validator

from api.auth import Principal
from api.deps import Services, as_json, caller, services

router = APIRouter(prefix="/v1/privacy", tags=["privacy"])


class ErasureIn(BaseModel):
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=40)
    reason: str = Field(min_length=1, max_length=1000)

    @model_validator(mode="after")
    def one_identifier(self) -> ErasureIn:
        if not (self.email or self.phone):
            raise ValueError("give the subject's email or phone")
        return self


@router.post(
    "/erasure-requests",
    status_code=201,
    responses={
        201: {"description": "recorded; the subject's key is deleted, what was held listed"},
        422: {"description": "no usable email or phone, or no reason"},
    },
)
def erase(
    body: ErasureIn,
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Erase a data subject found by email (or phone): the request and its outcome are
    recorded, the subject's key is deleted, so every stored or relayed copy of their personal
    data reads as a pseudonym. Orders, shipments, stock and costs stay; customs records are
    kept for the retention period with the pseudonym instead of the name."""
    out, nid = svc.app.privacy.erase(body.email, body.phone, who.name, body.reason)
    return as_json({**out, "notification_id": nid})


@router.get("/subjects")
def access(
    email: str | None = Query(default=None, max_length=320),
    phone: str | None = Query(default=None, max_length=40),
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """An access request: every order, shipment and declaration holding the person's data,
    with that data readable (or the pseudonym, once erased)."""
    return as_json(svc.app.privacy.access(email, phone))
