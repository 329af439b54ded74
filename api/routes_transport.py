"""Carriers: rate cards, quotes, carrier choice, labels, dispatch, tracking, SLA exceptions and
carrier scorecards."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

import pandas as pd
from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import BaseModel, Field, StringConstraints

from adapters.carriers.tracking_codes import normalise
from api.auth import Principal
from api.deps import Services, require, services
from domains.common import ValidationFailed
from domains.transport.rating import Parcel, QuoteRequest
from projections.transport_views import dispatched_shipments, open_shipments, shipments_with_alerts

router = APIRouter(prefix="/v1", tags=["transport"])
Country = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
ANYONE = ("connector", "warehouse", "customs", "finance", "admin")
FLOOR = ("warehouse", "admin")
MAX_CSV_BYTES = 2_000_000


class Place(BaseModel):
    warehouse_id: str | None = None
    country: Country | None = None
    postcode: str | None = None


class ParcelIn(BaseModel):
    weight_g: int = Field(gt=0, le=1_000_000)
    dimensions_mm: list[Annotated[int, Field(gt=0, le=5000)]] | None = Field(
        None, min_length=3, max_length=3
    )


class QuoteIn(BaseModel):
    origin: Place
    destination: Place
    parcels: list[ParcelIn] = Field(min_length=1, max_length=50)
    goods_types: list[
        Literal["general", "lithium_batteries", "alcohol", "perishable", "dangerous_goods"]
    ] = Field(default_factory=list)
    ship_date: date | None = None


class CarrierIn(BaseModel):
    policy: Literal["cheapest", "fastest", "best_value"] | None = None


class LabelIn(BaseModel):
    format: Literal["PDF", "ZPL"] = "PDF"


class VoidIn(BaseModel):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class TrackingEventIn(BaseModel):
    waybill: Annotated[str, StringConstraints(strip_whitespace=True, min_length=4)]
    code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
    description: str = ""
    occurred_at: Annotated[
        str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:?\d{2})$")
    ]
    location: str = ""


class TrackingIn(BaseModel):
    events: list[TrackingEventIn] = Field(min_length=1, max_length=1000)


def _shipment_id(shipment_id: str) -> tuple[UUID, int]:
    order_part, _, number = shipment_id.rpartition("-S")
    try:
        return UUID(order_part), int(number)
    except ValueError:
        raise HTTPException(status_code=404, detail=f"no shipment {shipment_id}") from None


def _scoped_shipment(svc: Services, who: Principal, shipment_id: str) -> tuple[UUID, int]:
    order_id, number = _shipment_id(shipment_id)
    order = svc.app.orders.get_order(order_id)
    shipment = order.shipment(number)
    if who.role == "warehouse" and shipment["warehouse_id"] != who.scope:
        raise HTTPException(status_code=404, detail="not found")
    return order_id, number


@router.post(
    "/admin/rate-cards",
    status_code=201,
    openapi_extra={"requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
async def import_rate_card(
    request: Request,
    response: Response,
    who: Principal = Depends(require("admin")),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Import one rate card version from CSV (format in adapters/rate_cards.py). Bad rows
    answer 422 with their line numbers; a rejected file changes nothing."""
    body = await request.body()
    if len(body) > MAX_CSV_BYTES:
        raise HTTPException(status_code=413, detail=f"file over {MAX_CSV_BYTES} bytes")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = body.decode("latin-1")
    result, nid = svc.app.rates.publish_rate_card(
        text, request.headers.get("X-Filename", "upload"), who.name
    )
    response.status_code = 201 if result["changed"] else 200
    return {**json.loads(json.dumps(result, default=str)), "notification_id": nid}


@router.get("/rate-cards")
def rate_cards(
    who: Principal = Depends(require(*ANYONE)), svc: Services = Depends(services)
) -> dict[str, Any]:
    return {
        "cards": json.loads(json.dumps([c.describe() for c in svc.app.rates.rate_cards()], default=str))
    }


@router.post("/rates/quote")
def quote(
    body: QuoteIn, who: Principal = Depends(require(*ANYONE)), svc: Services = Depends(services)
) -> dict[str, Any]:
    """Every eligible service, cheapest first, each with chargeable weight, a charge breakdown,
    total and transit days; and the services excluded with why. Country and weight suffice."""
    errors = []
    origin_country = body.origin.country
    if body.origin.warehouse_id:
        warehouse = svc.app.reference.current()["warehouses"].get(body.origin.warehouse_id)
        if warehouse is None:
            errors.append(
                {
                    "loc": "origin.warehouse_id",
                    "msg": f"unknown warehouse {body.origin.warehouse_id!r}",
                }
            )
        else:
            origin_country = warehouse.country
    if not origin_country:
        errors.append({"loc": "origin", "msg": "give a warehouse_id or a country"})
    if not body.destination.country:
        errors.append({"loc": "destination.country", "msg": "field required"})
    for loc, code in (
        ("origin.country", origin_country),
        ("destination.country", body.destination.country),
    ):
        if code and not svc.app.orders.countries.is_country(code):
            errors.append({"loc": loc, "msg": f"{code!r} is not an ISO 3166-1 country"})
    if errors:
        raise ValidationFailed(errors)
    request = QuoteRequest(
        origin_country=origin_country or "",
        origin_postcode=body.origin.postcode,
        destination_country=body.destination.country or "",
        destination_postcode=body.destination.postcode,
        parcels=[
            Parcel(p.weight_g, tuple(p.dimensions_mm) if p.dimensions_mm else None)
            for p in body.parcels
        ],
        ship_date=body.ship_date or svc.app.clock.now().date(),
        goods_types=frozenset(g for g in body.goods_types if g != "general"),
    )
    return svc.app.rates.quote(request)


def _exception_rates(svc: Services) -> dict[str, float]:
    card = _scorecard_frame(svc)
    if card.empty:
        return {}
    return {f"{r.carrier}/{r.service}": float(r.exception_rate) for r in card.itertuples()}


@router.post("/shipments/{shipment_id}/carrier")
def choose_carrier(
    shipment_id: str,
    body: CarrierIn,
    who: Principal = Depends(require(*FLOOR)),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Choose the carrier service for a packed shipment under the channel's policy (or the one
    given): every quote, the exclusions, the policy and the choice are recorded."""
    order_id, number = _scoped_shipment(svc, who, shipment_id)
    svc.fresh_views()
    result, nid = svc.app.transport.choose_carrier(order_id, number, body.policy, _exception_rates(svc))
    return {**result, "notification_id": nid}


@router.post("/shipments/{shipment_id}/label", status_code=201)
def create_label(
    shipment_id: str,
    body: LabelIn,
    who: Principal = Depends(require(*FLOOR)),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    order_id, number = _scoped_shipment(svc, who, shipment_id)
    result, nid = svc.app.transport.create_label(order_id, number, body.format)
    return {**result, "label": f"/v1/shipments/{shipment_id}/label", "notification_id": nid}


@router.get("/shipments/{shipment_id}/label", response_class=Response)
def get_label(
    shipment_id: str, who: Principal = Depends(require(*FLOOR)), svc: Services = Depends(services)
) -> Response:
    """The printable label (PDF or ZPL, as issued), rendered from the recorded shipment."""
    order_id, number = _scoped_shipment(svc, who, shipment_id)
    order = svc.app.orders.get_order(order_id)
    entry = order.fulfilment.get(str(number), {})
    if entry.get("status") != "labelled" and not entry.get("waybill"):
        raise HTTPException(status_code=404, detail="this shipment has no current label")
    events = [
        e
        for e in svc.app.orders.order_events(order_id)
        if type(e).__name__ == "Labelled" and e.shipment_no == number
    ]
    issued = events[-1]
    data = svc.app.transport.label_request(order, number, issued.service, issued.label_format)
    data["created_at"] = issued.timestamp.isoformat()
    content = svc.app.transport.carriers[issued.carrier].render(data, issued.waybill)
    media = "application/pdf" if issued.label_format == "PDF" else "application/x-zpl"
    return Response(content, media_type=media)


@router.post("/shipments/{shipment_id}/void")
def void_label(
    shipment_id: str,
    body: VoidIn,
    who: Principal = Depends(require(*FLOOR)),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Void the current label (until dispatch); a new one can then be issued."""
    order_id, number = _scoped_shipment(svc, who, shipment_id)
    result, nid = svc.app.transport.void_label(order_id, number, body.reason)
    return {**result, "notification_id": nid}


@router.post("/shipments/{shipment_id}/dispatch")
def dispatch(
    shipment_id: str, who: Principal = Depends(require(*FLOOR)), svc: Services = Depends(services)
) -> dict[str, Any]:
    order_id, number = _scoped_shipment(svc, who, shipment_id)
    result, nid = svc.app.transport.dispatch(order_id, number)
    return {**result, "notification_id": nid}


@router.post("/carriers/{carrier}/tracking")
def tracking(
    carrier: str,
    body: TrackingIn,
    who: Principal = Depends(require("carrier", "admin")),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Carrier-native tracking events (a key bound to that carrier). Each event is mapped to a
    normalised status and incident reason; duplicates and late arrivals are handled; delivered
    is final. Unknown waybills are reported per event."""
    if who.role == "carrier" and who.scope != carrier:
        raise HTTPException(status_code=404, detail="not found")
    results = svc.app.transport.ingest_tracking(carrier, [e.model_dump() for e in body.events], normalise)
    return {"results": results}


@router.post("/exceptions/check")
def check_exceptions(
    who: Principal = Depends(require("admin", "warehouse")), svc: Services = Depends(services)
) -> dict[str, Any]:
    """Look for MISSING events at the application's clock: no scan for 24 h after dispatch,
    customs hold over 48 h, ETA passed, pick not started before the cut-off. Run it on a
    schedule; each alert is raised once."""
    svc.fresh_views()
    rows = open_shipments(svc.db)
    raised = svc.app.transport.check_sla(rows)
    return {"raised": raised}


@router.get("/exceptions")
def exceptions(
    kind: str | None = None,
    who: Principal = Depends(require("admin", "warehouse", "customs")),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    svc.fresh_views()
    items = []
    for r in shipments_with_alerts(svc.db):
        for a in json.loads(r["alerts"]):
            if kind and a["kind"] != kind:
                continue
            if who.role == "warehouse" and r["warehouse_id"] != who.scope:
                continue
            items.append(
                {
                    **{
                        k: r[k]
                        for k in (
                            "shipment_id",
                            "order_id",
                            "warehouse_id",
                            "carrier",
                            "waybill",
                            "status",
                        )
                    },
                    **a,
                }
            )
    return {"items": items}


def _scorecard_frame(svc: Services) -> pd.DataFrame:
    svc.fresh_views()
    rows = dispatched_shipments(svc.db)
    if not rows:
        return pd.DataFrame()
    df = pd.DataFrame(rows)
    ref = svc.app.reference.current()["warehouses"]
    df["lane"] = (
        df["warehouse_id"].map(lambda w: ref[w].country if w in ref else w)
        + "-"
        + df["destination"]
    )
    dispatched = pd.to_datetime(df["dispatched_at"], utc=True, format="ISO8601")
    delivered = pd.to_datetime(df["delivered_at"], utc=True, format="ISO8601")
    eta = pd.to_datetime(df["eta"], utc=True, format="ISO8601")
    df["delivered"] = delivered.notna()
    df["on_time"] = df["delivered"] & (delivered <= eta)
    df["transit_days"] = (delivered - dispatched).dt.total_seconds() / 86400
    df["exception"] = (
        (df["alerts"] != "[]")
        | df["hold_reason"].notna()
        | df["tracking_status"].isin(
            ["delivery_failed", "return_to_sender", "on_hold", "delivery_delayed"]
        )
    )
    grouped = df.groupby(["carrier", "service", "lane"], dropna=False)
    out = grouped.agg(
        shipments=("lane", "size"),
        delivered=("delivered", "sum"),
        on_time=("on_time", "sum"),
        exceptions=("exception", "sum"),
        mean_transit_days=("transit_days", "mean"),
        quoted_days_max=("quoted_days_max", "mean"),
    ).reset_index()
    out["on_time_rate"] = (out["on_time"] / out["delivered"].where(out["delivered"] > 0)).round(3)
    out["exception_rate"] = (out["exceptions"] / out["shipments"]).round(3)
    out["mean_transit_days"] = out["mean_transit_days"].round(2)
    return out


@router.get("/carriers/scorecards")
def scorecards(
    who: Principal = Depends(require("admin", "finance", "warehouse")),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """On-time rate, exception rate and mean transit per carrier service and lane; quoted vs
    actual transit, from our own shipment history."""
    frame = _scorecard_frame(svc)
    return {"items": [] if frame.empty else json.loads(frame.to_json(orient="records"))}
