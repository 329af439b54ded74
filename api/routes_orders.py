"""Intake from every channel, and order reads (list, detail, history, time travel)."""

from __future__ import annotations

import asyncio
import base64
from datetime import UTC, date, datetime
from typing import Any, Literal
from uuid import UUID

import orjson
from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from adapters.orders.channels import (
    MAPPERS,
    FieldError,
    PayloadError,
    map_payload,
    native_sample,
)
from api.auth import Principal
from api.deps import Services, as_json, caller, encode_json, services
from api.limits import MAX_OFFSET, BodyLimits, BodyTooLarge
from api.routes_channel_updates import channel_updates_out
from domains.common import ValidationFailed
from domains.orders.amounts import amounts_of
from domains.orders.intake import Intake
from domains.orders.lifecycle import ORDER_STATUSES
from domains.orders.model import Order
from domains.privacy.sealing import PersonalData
from domains.privacy.search import query_terms
from projections.db import Where
from projections.journey_views import journey_filters, promised_dates
from projections.orders_views import orders_page

router = APIRouter(prefix="/v1", tags=["orders"])
CHANNELS = sorted([*MAPPERS, "dealer"])
MAX_JSON_BYTES = BodyLimits.from_env().default_bytes  # as api/limits.py's middleware has it
MAX_CSV_BYTES = 5_000_000


def order_out(order: Order, personal: PersonalData) -> dict[str, Any]:
    return as_json(order_body(order, personal))


def order_body(
    order: Order, personal: PersonalData, plain: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The order's representation with domain values as they are (Decimal, UUID, datetime):
    `order_out` turns them into JSON types, `encode_json` lets orjson do it. The customer and
    ship-to are opened through `personal` (a pseudonym once the person was erased); `plain` is
    the canonical order as just received, when the caller has it (nothing to decrypt)."""
    c = order.canonical
    readable = plain if plain is not None else personal.canonical(c)
    return {
        "id": order.id,
        "channel": order.channel,
        "external_id": order.external_id,
        "status": order.status,
        "placed_at": c["placed_at"],
        "currency": c["currency"],
        "total": order.total,
        "amounts": amounts_of(c),
        "customer": readable["customer"],
        "ship_to": readable["ship_to"],
        "lines": c["lines"],
        "dealer_id": c.get("dealer_id"),
        "hold_reasons": order.hold_reasons,
        "overrides": order.overrides,
        "review": order.review,
        "split": order.split,
        "cancel_reason": order.cancel_reason,
        "channel_updates": channel_updates_out(order, personal),
        "version": order.version,
        "received_at": order.created_on,
        "updated_at": order.modified_on,
    }


# A real-shaped native order per channel (adapters/data/channel_samples/), shown in /docs.
_SAMPLE_SUMMARIES = {
    "amazon": "Amazon SP-API: the getOrder and getOrderItems responses side by side (Amazon.co.uk)",
    "shopee": "Shopee v2.order.get_order_detail response (Singapore)",
    "shopify": "Shopify REST order with a discount code, a shipping discount and US sales tax",
    "tiktok": "TikTok Shop Get Order Detail (202309) response: one line_item per unit",
    "web": "Web shop: the canonical shape with its optional amounts",
}
INTAKE_EXAMPLES = {
    channel: {"summary": summary, "value": native_sample(channel)}
    for channel, summary in _SAMPLE_SUMMARIES.items()
}


@router.post(
    "/channels/{channel}/orders",
    status_code=201,
    response_model=None,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"type": "object"}, "examples": INTAKE_EXAMPLES}
            },
        }
    },
    responses={
        201: {"description": "the order was taken in: {created, notification_id, order}"},
        200: {
            "description": "an order we hold: unchanged (a resend; nothing stored), or an update "
            "from the channel, each change applied or held for an operator ({updates}: kind, "
            "applied, reason; README 'Updates from the channel')"
        },
        409: {"description": "the external id of an order for another buyer or marketplace"},
        422: {"description": "bad payload; each error names the field by its path"},
    },
)
async def push_order(
    channel: Literal["amazon", "shopee", "shopify", "tiktok", "web"],
    request: Request,
    who: Principal = Depends(caller),
) -> Response:
    """A channel pushes one order in its NATIVE payload shape: Amazon SP-API (the Order with its
    OrderItems, or the getOrder and getOrderItems responses side by side), Shopee
    get_order_detail, Shopify REST order, TikTok Shop Get Order Detail, or canonical JSON for
    web. The order's `amounts` are the channel's (a total its parts do not reach is kept and the
    gap recorded in `amounts.mismatch`); see README "Channels" for each accepted shape."""
    status, content, location = await take_order(
        request.app.state.services, who, channel, await request.body()
    )
    return Response(
        content, status_code=status, headers={"Location": location}, media_type="application/json"
    )


async def take_order(
    svc: Services, who: Principal, channel: str, body: bytes
) -> tuple[int, bytes, str]:
    """The work of `push_order` once the caller is admitted (api/access.py: the channel is
    its own): (status, JSON body, Location). Shared by the FastAPI route above (which documents
    the endpoint) and the lean dispatcher in api/fast_intake.py that serves it without FastAPI's
    routing and dependency layers."""
    if len(body) > MAX_JSON_BYTES:
        raise BodyTooLarge(MAX_JSON_BYTES, "CROSSDOCK_MAX_BODY_BYTES")
    try:
        payload = orjson.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:  # orjson.JSONDecodeError is a ValueError
        raise PayloadError([FieldError("body", f"not valid JSON: {exc}")]) from None
    mapped = map_payload(channel, payload)
    item = Intake(channel, payload, mapped.canonical, mapped.source_paths)
    if svc.batcher is not None:
        outcome, nid = await asyncio.wrap_future(svc.batcher.submit(item))
    else:
        outcome, nid = await run_in_threadpool(svc.app.orders.intake, item)
    personal = svc.app.orders.personal
    plain = item.canonical if outcome.created else None
    content = encode_json(
        {
            "created": outcome.created,
            "notification_id": nid,
            "order": order_body(outcome.order, personal, plain),
            "updates": outcome.updates,
        }
    )
    return (201 if outcome.created else 200), content, f"/v1/orders/{outcome.order_id}"


@router.post(
    "/channels/dealer/orders:csv",
    status_code=201,
    openapi_extra={"requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
async def push_dealer_csv(
    request: Request,
    response: Response,
    dealer: str | None = Query(None, description="the dealer the file is from"),
    profile: str | None = Query(
        None, description="the dealer's import profile reading it (default: the dealer's own)"
    ),
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Dealer orders as CSV, one row per line, grouped by the dealer's order number. With
    `dealer` (and `profile`), the dealer's own export read through its import profile;
    otherwise today's format (README: "Dealer import profiles"). All or nothing: one bad row
    rejects the file naming its line, column and value, and nothing is stored."""
    body = await request.body()
    if len(body) > MAX_CSV_BYTES:
        raise HTTPException(status_code=413, detail=f"file over {MAX_CSV_BYTES} bytes")
    outcomes, nid = await run_in_threadpool(
        svc.app.orders.intake_dealer_file, body, dealer, profile
    )
    created = sum(1 for o in outcomes if o.created)
    response.status_code = 201 if created else 200
    return {
        "created": created,
        "existing": len(outcomes) - created,
        "notification_id": nid,
        "orders": [
            {
                "external_id": o.order.external_id,
                "id": str(o.order_id),
                "created": o.created,
                "status": o.order.status,
                "updates": o.updates,
            }
            for o in outcomes
            if o.order is not None
        ],
    }


@router.get("/orders")
def list_orders(
    channel: str | None = None,
    status: Literal[ORDER_STATUSES] | None = Query(  # type: ignore[valid-type]
        None, description="one of the order lifecycle's statuses (domains/orders/lifecycle.py)"
    ),
    dealer: str | None = None,
    hold_code: str | None = None,
    placed_from: datetime | None = None,
    placed_to: datetime | None = None,
    country: str | None = Query(None, pattern=r"^[A-Z]{2}$", description="destination"),
    warehouse: str | None = Query(None, max_length=20, description="a shipment ships from it"),
    carrier: str | None = Query(None, max_length=40),
    waybill: str | None = Query(None, max_length=60),
    promised_from: date | None = None,
    promised_to: date | None = None,
    email: str | None = Query(None, max_length=320, description="the customer's, exactly"),
    name: str | None = Query(None, max_length=200, description="the start of the name's words"),
    after: str | None = Query(None, max_length=200, description="`next` of the previous page"),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Orders from the order-list view, newest first. Connectors see only their channel,
    warehouse keys only orders shipping from their warehouse. Pages by `offset`, or by keyset:
    pass the answer's `next` as `after`."""
    empty = {"items": [], "total": 0, "limit": limit, "offset": offset, "next": None}
    if who.role in ("connector", "warehouse"):
        asked = channel if who.role == "connector" else warehouse
        if asked not in (None, who.scope):
            return empty
        channel, warehouse = (
            (who.scope, warehouse) if who.role == "connector" else (channel, who.scope)
        )
    keys = svc.app.orders.personal.keys
    if keys is None and (email or name):
        return empty
    terms = query_terms(keys, email, name) if keys is not None else []
    where = journey_filters(
        Where(),
        carrier=carrier,
        waybill=waybill,
        promised_from=promised_from,
        promised_to=promised_to,
        search_terms=terms,
    )
    svc.fresh_views()
    rows, total = orders_page(
        svc.db,
        limit=limit,
        offset=offset,
        channel=channel,
        status=status,
        dealer=dealer,
        hold_code=hold_code,
        warehouse=warehouse,
        placed_from=placed_from,
        placed_to=placed_to,
        country=country,
        where=where,
        after=_cursor(after),
    )
    promised = promised_dates(svc.db, [r["id"] for r in rows])
    for r in rows:
        r["promised_date"] = promised.get(r["id"])
    last = rows[-1] if len(rows) == limit else None
    cursor = _encode_cursor(last["placed_at"], last["id"]) if last else None
    return {"items": rows, "total": total, "limit": limit, "offset": offset, "next": cursor}


def _encode_cursor(placed_at: str, order_id: str) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([placed_at, order_id])).decode()


def _cursor(value: str | None) -> tuple[str, str] | None:
    """The keyset position a `next` cursor holds; 422 for one this API did not make."""
    if value is None:
        return None
    try:
        placed_at, order_id = orjson.loads(base64.urlsafe_b64decode(value.encode()))
        return str(placed_at), str(UUID(order_id))
    except (ValueError, TypeError):
        raise ValidationFailed(
            [{"loc": "after", "msg": "not a cursor from this list (use the answer's `next`)"}]
        ) from None


@router.get("/orders/{order_id}")
def get_order(
    order_id: UUID,
    at: datetime | None = Query(None, description="the order as it stood at this time (UTC)"),
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """The order, its review and split, and each shipment's journey (domains/journey.py)."""
    order = svc.app.orders.get_order(order_id)
    if at is not None:
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        order = svc.app.orders.order_at(order_id, at)
        return {**order_out(order, svc.app.orders.personal), "as_of": at.isoformat()}
    shipments = as_json(svc.app.journey.of_order(order))
    return {**order_out(order, svc.app.orders.personal), "shipments": shipments}


@router.get("/orders/{order_id}/events")
def order_events(
    order_id: UUID,
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """The order's whole history: every event with its data, oldest first."""
    svc.app.orders.get_order(order_id)  # 404 for an order that does not exist
    events = []
    for e in svc.app.orders.order_events(order_id):
        data = {
            k: v
            for k, v in e.__dict__.items()
            if k not in ("originator_id", "originator_version", "timestamp", "originator_topic")
        }
        if "canonical" in data:  # Received: the personal data opened (or the pseudonym)
            data["canonical"] = svc.app.orders.personal.canonical(data["canonical"])
        if "raw_payload" in data:
            data["raw_payload"] = svc.app.orders.personal.raw(data["raw_payload"])
        events.append(
            {
                "version": e.originator_version,
                "type": type(e).__name__,
                "timestamp": e.timestamp.isoformat(),
                "data": as_json(data),
            }
        )
    return {"order_id": str(order_id), "events": events}


@router.post("/orders/{order_id}/release")
def release_order(
    order_id: UUID,
    body: dict[str, str] = Body(..., examples=[{"reason": "credit extended by sales manager"}]),
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Lift a hold (reason required, recorded): the held rules are overridden, stock is
    checked again and the order is split and reserved when it can be."""
    reason = _reason(body)
    order, nid = svc.app.orders.release_order(order_id, reason, who.name)
    return {"notification_id": nid, "order": order_out(order, svc.app.orders.personal)}


@router.post("/orders/{order_id}/cancel")
def cancel_order(
    order_id: UUID,
    body: dict[str, str] = Body(..., examples=[{"reason": "customer withdrew the order"}]),
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Cancel an order (reason required); its stock reservations and dealer credit are released."""
    reason = _reason(body)
    order, nid = svc.app.orders.cancel_order(order_id, reason, who.name)
    return {"notification_id": nid, "order": order_out(order, svc.app.orders.personal)}


def _reason(body: dict[str, str]) -> str:
    reason = body.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise ValidationFailed([{"loc": "reason", "msg": "a non-empty reason is required"}])
    return reason.strip()
