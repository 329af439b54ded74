"""Carriers: rate cards, quotes, carrier choice, labels, dispatch, tracking, SLA exceptions and
carrier scorecards."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import BaseModel, Field, StringConstraints
from starlette.concurrency import run_in_threadpool

from api.auth import Principal
from api.deps import Services, caller, services
from domains.transport.application import Place as At
from domains.transport.rating import Parcel

router = APIRouter(prefix="/v1", tags=["transport"])
Country = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
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
    """The shipment's order and number (api/access.py has checked it is the caller's own)."""
    order_id, number = _shipment_id(shipment_id)
    svc.app.orders.get_order(order_id).shipment(number)
    return order_id, number


@router.post(
    "/admin/rate-cards",
    status_code=201,
    openapi_extra={"requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
async def import_rate_card(
    request: Request,
    response: Response,
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Import one rate card version from CSV (format in adapters/transport/rate_cards.py). Bad rows
    answer 422 with their line numbers; a rejected file changes nothing."""
    body = await request.body()
    if len(body) > MAX_CSV_BYTES:
        raise HTTPException(status_code=413, detail=f"file over {MAX_CSV_BYTES} bytes")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = body.decode("latin-1")
    result, nid = await run_in_threadpool(  # parsing a card is CPU work: off the event loop
        svc.app.rates.publish_rate_card, text, request.headers.get("X-Filename", "upload"), who.name
    )
    response.status_code = 201 if result["changed"] else 200
    return {**json.loads(json.dumps(result, default=str)), "notification_id": nid}


@router.get("/rate-cards")
def rate_cards(
    who: Principal = Depends(caller), svc: Services = Depends(services)
) -> dict[str, Any]:
    return {
        "cards": json.loads(
            json.dumps([c.describe() for c in svc.app.rates.latest_cards()], default=str)
        )
    }


@router.post("/rates/quote")
def quote(
    body: QuoteIn, who: Principal = Depends(caller), svc: Services = Depends(services)
) -> dict[str, Any]:
    """Every eligible service, cheapest first, each with chargeable weight, a charge breakdown,
    total and transit days; and the services excluded with why. Country and weight suffice."""
    return svc.app.transport.quote(
        At(**body.origin.model_dump()),
        At(**body.destination.model_dump()),
        [Parcel(p.weight_g, _dims(p.dimensions_mm)) for p in body.parcels],
        body.goods_types,
        body.ship_date,
    )


def _dims(mm: list[int] | None) -> tuple[int, int, int] | None:
    return (mm[0], mm[1], mm[2]) if mm else None  # three, as QuoteIn checks


@router.post("/shipments/{shipment_id}/carrier")
def choose_carrier(
    shipment_id: str,
    body: CarrierIn,
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Choose the carrier service for a packed shipment under the channel's policy (or the one
    given): every quote, the exclusions, the policy and the choice are recorded."""
    order_id, number = _scoped_shipment(svc, who, shipment_id)
    result, nid = svc.app.transport.choose_carrier(order_id, number, body.policy)
    return {**result, "notification_id": nid}


@router.post("/shipments/{shipment_id}/label", status_code=201)
def create_label(
    shipment_id: str,
    body: LabelIn,
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    order_id, number = _scoped_shipment(svc, who, shipment_id)
    result, nid = svc.app.transport.create_label(order_id, number, body.format)
    return {**result, "label": f"/v1/shipments/{shipment_id}/label", "notification_id": nid}


@router.get(
    "/shipments/{shipment_id}/label",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}, "application/x-zpl": {}}}},
)
def get_label(
    shipment_id: str, who: Principal = Depends(caller), svc: Services = Depends(services)
) -> Response:
    """The printable label (PDF or ZPL, as issued), rendered from the recorded shipment."""
    order_id, number = _scoped_shipment(svc, who, shipment_id)
    label = svc.app.transport.label_document(order_id, number)
    if label is None:
        raise HTTPException(status_code=404, detail="this shipment has no current label")
    content, label_format = label
    media = "application/pdf" if label_format == "PDF" else "application/x-zpl"
    return Response(content, media_type=media)


@router.post("/shipments/{shipment_id}/void")
def void_label(
    shipment_id: str,
    body: VoidIn,
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Void the current label (until dispatch); a new one can then be issued."""
    order_id, number = _scoped_shipment(svc, who, shipment_id)
    result, nid = svc.app.transport.void_label(order_id, number, body.reason)
    return {**result, "notification_id": nid}


@router.post("/shipments/{shipment_id}/dispatch")
def dispatch(
    shipment_id: str, who: Principal = Depends(caller), svc: Services = Depends(services)
) -> dict[str, Any]:
    order_id, number = _scoped_shipment(svc, who, shipment_id)
    result, nid = svc.app.transport.dispatch(order_id, number)
    return {**result, "notification_id": nid}


@router.post("/carriers/{carrier}/tracking")
def tracking(
    carrier: str,
    body: TrackingIn,
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Carrier-native tracking events (a key bound to that carrier). Each event is mapped to a
    normalised status and incident reason; duplicates and late arrivals are handled; delivered
    is final. Unknown waybills are reported per event."""
    events = [e.model_dump() for e in body.events]
    return {"results": svc.app.transport.ingest_tracking(carrier, events)}


@router.post("/exceptions/check")
def check_exceptions(
    who: Principal = Depends(caller), svc: Services = Depends(services)
) -> dict[str, Any]:
    """Look for MISSING events at the application's clock: no scan for 24 h after dispatch,
    customs hold over 48 h, ETA passed, pick not started before the cut-off. Run it on a
    schedule; each alert is raised once."""
    return {"raised": svc.app.transport.check_sla()}


@router.get("/exceptions")
def exceptions(
    kind: str | None = None,
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    scope = who.scope if who.role == "warehouse" else None
    return {"items": svc.app.transport.exception_queue(kind, scope)}


@router.get("/carriers/scorecards")
def scorecards(
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """On-time rate, exception rate and mean transit per carrier service and lane; quoted vs
    actual transit, from our own shipment history."""
    return {"items": svc.app.transport.carrier_scorecards()}


@router.get("/carriers/recommendations")
def carrier_recommendations(
    origin: Country,
    destination: Country,
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Carrier services on a lane (origin and destination countries) ranked by expected cost
    for a reference parcel: its cost per kg + P(late) x cost of lateness + P(loss or damage) x
    declared value, each rate shrunk towards the carrier's other lanes when the lane has few
    shipments (domains/transport/record.py); with on-time, claims and transit p50/p90."""
    return svc.app.transport.carrier_recommendations(origin, destination)
