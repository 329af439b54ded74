"""The logistics health metrics: every metric's definition, value, trend and target for a period
and filters (operations, finance, admin), and the targets an admin sets. Thin: parse, call
`app.metrics`, shape the answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, StringConstraints

from api.auth import Principal
from api.deps import Services, as_json, caller, services
from domains.metrics.definitions import BY_KEY

router = APIRouter(prefix="/v1", tags=["metrics"])
Code = Annotated[str | None, StringConstraints(strip_whitespace=True, max_length=40)]


class Filters(BaseModel):
    warehouse: Code = None
    channel: Code = None
    carrier: Code = None
    destination: Code = None


@dataclass(frozen=True)
class HealthQuery:
    """What the metrics are asked for: filters, period (`from`, `to`) and trend buckets."""

    filters: Filters
    start: date | None = None
    end: date | None = None
    trend: str | None = None


def health_query(
    filters: Annotated[Filters, Query()],
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
    trend: Literal["week", "month"] | None = None,
) -> HealthQuery:
    """The query parameters of the metrics route and the dashboard page."""
    return HealthQuery(filters, start, end, trend)


def health_for(svc: Services, q: HealthQuery) -> dict[str, Any]:
    """The metrics answer as JSON types (shared with the dashboard page)."""
    metrics = svc.app.metrics
    period = metrics.period(q.start, q.end, q.trend)
    return as_json(metrics.health(q.filters.model_dump(), period))


@router.get("/metrics/health")
def health(
    q: HealthQuery = Depends(health_query),
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Every logistics health metric for the period (`from`..`to`, both days included; default
    the twelve weeks to today) and filters: definition, formula, unit, value (a decimal string,
    or null for no data), stats (p90, counts), trend per week or month, target and whether it
    is met. Metrics whose data Crossdock does not record say so (`available` false)."""
    return health_for(svc, q)


class TargetIn(BaseModel):
    value: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=30)]
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = ""


@router.put("/admin/metrics/{metric}/target")
def set_target(
    metric: str,
    body: TargetIn,
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Sets a metric's target (in its unit: a ratio as 0.05; hours, days, times; money in the
    base currency), recorded as an event with who set it and when."""
    target = svc.app.metrics.set_target(metric, body.value, who.name, body.note)
    return {
        "metric": metric,
        "unit": BY_KEY[metric].unit,
        "value": target.value,
        "set_by": target.set_by,
        "set_at": target.set_at,
        "version": target.version,
    }
