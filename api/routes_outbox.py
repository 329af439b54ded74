"""The outbox for admins: the channels' webhook subscriptions, what was sent for an order (with
every attempt), the dead letters and their replay. Use cases in domains/outbox/application.py."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Response
from pydantic import BaseModel, Field

from api.auth import Principal
from api.deps import Services, as_json, caller, services
from domains.outbox.application import OutboxUseCases
from domains.outbox.messages import CHANNEL_KINDS

# Every route here is admin-only (api/access.py admits the caller before the route runs). The
# router-wide `caller` dependency documents the Bearer scheme on each operation, so
# /openapi.json lists their 401/403 answers (api/error_docs.py documents those only for an
# operation with `security`); without it the routes that take no `who` answered 401/403
# undocumented (tests/e2e/test_fuzz_openapi.py).
router = APIRouter(prefix="/v1/admin/outbox", tags=["outbox"], dependencies=[Depends(caller)])
Kind = Literal[CHANNEL_KINDS]  # type: ignore[valid-type]


class SubscriptionIn(BaseModel):
    channel: str = Field(max_length=40, examples=["shopify"])
    url: str = Field(max_length=2000, examples=["https://connector.example/crossdock/hooks"])
    events: list[Kind] | None = Field(  # type: ignore[valid-type]
        default=None, max_length=len(CHANNEL_KINDS), description="default: every kind"
    )
    secret: str | None = Field(
        default=None, min_length=16, max_length=200, description="default: one is generated"
    )


def outbox(svc: Services) -> OutboxUseCases:
    if svc.outbox is None:
        raise HTTPException(status_code=503, detail="the outbox is not configured here")
    return svc.outbox.use_cases


@router.post("/subscriptions", status_code=201)
def subscribe(
    body: SubscriptionIn, who: Principal = Depends(caller), svc: Services = Depends(services)
) -> dict[str, Any]:
    """Register a signed webhook for a channel. The secret is answered this once."""
    return as_json(
        outbox(svc).subscribe(body.channel, body.url, body.events, body.secret, who.name)
    )


@router.get("/subscriptions")
def subscriptions(
    channel: str | None = Query(default=None, max_length=40), svc: Services = Depends(services)
) -> dict[str, Any]:
    return {"items": as_json(outbox(svc).subscriptions(channel))}


@router.delete("/subscriptions/{subscription_id}", status_code=204)
def unsubscribe(subscription_id: str, svc: Services = Depends(services)) -> Response:
    outbox(svc).unsubscribe(subscription_id)
    return Response(status_code=204)


@router.get("/messages")
def messages(
    order_id: str = Query(max_length=64), svc: Services = Depends(services)
) -> dict[str, Any]:
    """Every message derived for an order (channel, webhooks, e-mails), with each attempt."""
    return {"items": as_json(outbox(svc).messages(order_id))}


@router.get("/dead-letters")
def dead_letters(
    limit: int = Query(default=500, ge=1, le=5000), svc: Services = Depends(services)
) -> dict[str, Any]:
    return {"items": as_json(outbox(svc).dead_letters(limit))}


@router.post("/dead-letters/replay")
def replay_all(svc: Services = Depends(services)) -> dict[str, int]:
    """Requeue every dead letter with a fresh attempt budget."""
    return {"requeued": outbox(svc).replay()}


@router.post("/dead-letters/{message_id}/replay")
def replay_one(message_id: str, svc: Services = Depends(services)) -> dict[str, int]:
    return {"requeued": outbox(svc).replay(message_id)}
