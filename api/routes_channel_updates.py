"""Updates from the channel an operator looks at: the queue of changes held as exceptions, and
resolving one (apply anyway, or dismiss) with a reason. The rules are domains/orders/updates.py;
what an order shows of its updates is `channel_updates_out`, part of GET /v1/orders/{id}."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from api.auth import Principal
from api.deps import Services, as_json, caller, services
from domains.orders.model import Order
from domains.orders.updates import KINDS
from domains.privacy.sealing import PersonalData

router = APIRouter(prefix="/v1", tags=["orders"])


def _value(canonical: dict[str, Any], path: str) -> Any:
    head, _, leaf = path.partition(".")
    part = canonical.get(head)
    return part.get(leaf) if isinstance(part, dict) else None


def channel_updates_out(order: Order, personal: PersonalData) -> list[dict[str, Any]]:
    """The order's updates from the channel, newest last; a personal field's new value is
    opened for the reader (recorded sealed; a pseudonym or None once the person was erased)."""
    out = []
    for entry in order.channel_updates:
        received = None
        changes = []
        for change in entry["changes"]:
            differences = []
            for d in change["differences"]:
                if d.get("personal"):
                    if received is None:
                        received = personal.canonical(entry["canonical"])
                    d = {
                        "path": d["path"],
                        "personal": True,
                        "received": _value(received, d["path"]),
                    }
                differences.append(d)
            changes.append({**change, "differences": differences})
        out.append(
            {
                "update_no": entry["no"],
                "received_at": entry["received_at"],
                "mapper_version": entry["mapper_version"],
                "changes": changes,
            }
        )
    return out


@router.get("/orders/channel-exceptions")
def channel_exceptions(
    limit: int = Query(200, ge=1, le=1000),
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Changes a channel sent that the rules did not apply (e.g. a cancellation after
    dispatch, an address change after the label), still open, oldest first."""
    personal = svc.app.orders.personal
    items = []
    for order, change in svc.app.orders.channel_exceptions(limit):
        (entry,) = [
            e for e in channel_updates_out(order, personal) if e["update_no"] == change["update_no"]
        ]
        (shown,) = [c for c in entry["changes"] if c["kind"] == change["kind"]]
        items.append(
            {
                "order_id": str(order.id),
                "channel": order.channel,
                "external_id": order.external_id,
                "status": order.status,
                "update_no": change["update_no"],
                "received_at": entry["received_at"],
                **shown,
            }
        )
    return as_json({"items": items, "total": len(items)})


class ResolutionIn(BaseModel):
    kind: Literal[KINDS]  # type: ignore[valid-type]
    resolution: Literal["apply", "dismiss"] = Field(
        description="apply: carry the change out now if the order allows it; dismiss: keep the "
        "order as it is"
    )
    reason: str = Field(min_length=1, max_length=500, pattern=r"\S")


@router.post("/orders/{order_id}/channel-updates/{update_no}/resolve")
def resolve_channel_update(
    order_id: UUID,
    update_no: int,
    body: ResolutionIn,
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Resolve one held change of a channel update (by its kind), recording who and why.
    Applying is decided again on the order as it is now: 409 saying why when it still cannot
    be (e.g. the shipment is already dispatched)."""
    order, nid = svc.app.orders.resolve_channel_change(
        order_id, update_no, body.kind, body.resolution, body.reason.strip(), who.name
    )
    from api.routes_orders import order_out  # the order as GET /v1/orders/{id} shows it

    return {"notification_id": nid, "order": order_out(order, svc.app.orders.personal)}
