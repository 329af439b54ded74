"""The risk rules' settings (domains/orders/risk.py): weights, thresholds and the hold score,
published as versioned reference data by an admin; each review cites the version."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from api.auth import Principal
from api.deps import Services, caller, services

router = APIRouter(prefix="/v1", tags=["orders"])


class RiskSettingsIn(BaseModel):
    hold_at: float | None = Field(default=None, ge=0, le=10, description="score that holds")
    exempt_channels: list[str] | None = Field(default=None, max_length=20)
    weights: dict[str, float] = Field(default_factory=dict, description="per factor, 0..10")
    thresholds: dict[str, float] = Field(default_factory=dict, description="per threshold")
    note: str = Field(default="", max_length=500)


@router.put("/admin/risk-settings")
def put_risk_settings(
    body: RiskSettingsIn, who: Principal = Depends(caller), svc: Services = Depends(services)
) -> dict[str, Any]:
    """Publish a new version of the risk settings over the defaults (unknown keys: 422)."""
    given = body.model_dump(exclude={"note"}, exclude_none=True)
    settings, nid = svc.app.orders.set_risk_settings(given, who.name, body.note)
    return {**settings.details(), "notification_id": nid}


@router.get("/admin/risk-settings")
def get_risk_settings(
    who: Principal = Depends(caller), svc: Services = Depends(services)
) -> dict[str, Any]:
    return svc.app.orders.risk_settings().details()
