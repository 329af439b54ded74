"""Where is order X? An order's journey, shipment by shipment, composed from what each context
already holds: the order's own stream (plan, picks, parcels, carrier, label, dispatch,
tracking), the customs declaration, the SLA alerts and the cost ledger (views). It records
nothing: a read model over the other contexts' use cases and views.

A shipment's id is `<order id>-S<shipment no>` (the id the handheld and transport routes
already use): stable, since a shipment is never renumbered (a short pick's re-split adds a new
number). `JourneyQueries.sections` is the extension point: a context that adds something to a
shipment's journey later (returns, claims, a dealer invoice) registers a function
`(order, shipment no) -> JSON-able value` under a name, and every journey shows it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any, Protocol
from uuid import UUID

from domains.common import NotFound
from domains.customs.application import CustomsUseCases
from domains.orders.application import OrderUseCases
from domains.orders.lifecycle import CANCELLED
from domains.orders.model import Order
from domains.privacy.ports import SubjectKeys
from domains.transport.channels import CHANNEL_SETTINGS

Section = Callable[[Order, int], Any]


def shipment_id(order_id: UUID | str, shipment_no: int) -> str:
    return f"{order_id}-S{shipment_no}"


def parse_shipment_id(value: str) -> tuple[UUID, int]:
    """(order id, shipment no) of `<order id>-S<n>`; NotFound for anything else."""
    order_part, _, number = value.rpartition("-S")
    try:
        return UUID(order_part), int(number)
    except ValueError:
        raise NotFound("shipment", value) from None


def promised_date(channel: str, placed_at: str, presale: dict[str, Any] | None = None) -> str:
    """The delivery date promised to the buyer: the channel's promise in days from placing the
    order (domains/transport/channels.py), or, for a pre-sold shipment, the date promised when
    it was pre-sold (moved when its inbound is late)."""
    if presale and presale.get("promised_date"):
        return str(presale["promised_date"])[:10]
    days = CHANNEL_SETTINGS.get(channel, CHANNEL_SETTINGS["web"])["promise_days"]
    placed = datetime.fromisoformat(placed_at.replace("Z", "+00:00")).date()
    return (placed + timedelta(days=days)).isoformat()


def tracking_tokens(keys: SubjectKeys | None) -> Callable[[str], str] | None:
    """A shipment's tracking token for the buyer: 32 hex digits of an HMAC of its id under
    the server's privacy secret (with a purpose of its own), so nobody can make one from an
    order id without the secret, and the token view rebuilds to the same tokens."""
    if keys is None:
        return None
    return lambda sid: keys.subject_id("tracking-token", sid)


class JourneyViews(Protocol):
    """What the journey reads from views (projections/journey_views.py)."""

    def alerts_of(self, order_id: UUID) -> dict[int, list[dict[str, Any]]]:
        """The SLA alerts raised per shipment number, with detail and suggested action."""
        ...

    def shipment_of_token(self, token: str) -> str | None:
        """The shipment a buyer's tracking token stands for (None: no such token)."""
        ...


class Costs(Protocol):
    def cost_ledger(self, order_id: str | None = None) -> list[dict[str, Any]]: ...


def _carrier(entry: dict[str, Any]) -> dict[str, Any] | None:
    decision = entry.get("carrier") or {}
    choice = decision.get("choice")
    if not choice:
        return None
    return {
        "carrier": choice.get("carrier"),
        "service": choice.get("service"),
        "policy": decision.get("policy"),
        "transit_days_min": choice.get("transit_days_min"),
        "transit_days_max": choice.get("transit_days_max"),
        "quoted_total": choice.get("total"),
        "currency": choice.get("currency"),
        "promise_missed": bool(decision.get("promise_missed")),
    }


def _label(entry: dict[str, Any]) -> dict[str, Any]:
    """Whether the shipment has a label the carrier will take: none yet, issued, or gone out
    with the parcel; and the waybills voided before it."""
    if entry.get("waybill") is None:
        status = "none"
    elif entry.get("dispatched_at"):
        status = "dispatched"
    else:
        status = "issued"
    return {"status": status, "waybill": entry.get("waybill"), "voided": entry.get("voided", [])}


def _expected(entry: dict[str, Any], carrier: dict[str, Any] | None, today: date) -> str | None:
    """When the parcel should arrive: the delivery day once delivered, the dispatch ETA once
    dispatched, else today plus the chosen service's longest transit (not yet dispatched)."""
    if entry.get("delivered_at"):
        return str(entry["delivered_at"])[:10]
    if entry.get("eta"):
        return str(entry["eta"])[:10]
    if carrier and carrier.get("transit_days_max") is not None:
        return (today + timedelta(days=int(carrier["transit_days_max"]))).isoformat()
    return None


def tracking_timeline(entry: dict[str, Any]) -> list[dict[str, Any]]:
    """The carrier's scans in time order, as normalised statuses (what a buyer may see)."""
    return [
        {
            "status": t["status"],
            "incident": t.get("incident"),
            "occurred_at": t["occurred_at"],
            "location": t.get("location") or None,
        }
        for t in entry.get("tracking", [])
    ]


class JourneyQueries:
    def __init__(
        self,
        orders: OrderUseCases,
        customs: CustomsUseCases,
        costs: Costs,
        views: JourneyViews,
        tracking_token: Callable[[str], str] | None,
    ) -> None:
        """`tracking_token` turns a shipment id into the buyer's unguessable token (an HMAC
        under the server's secret: adapters/bootstrap.py); None where there are no keys."""
        self.orders = orders
        self.customs = customs
        self.costs = costs
        self.views = views
        self.tracking_token = tracking_token
        self.sections: dict[str, Section] = {}

    def add_section(self, name: str, section: Section) -> None:
        """Another context's part of every shipment's journey (see the module's doc)."""
        self.sections[name] = section

    # ------------------------------------------------------------------ reads
    def of_order(self, order: Order) -> list[dict[str, Any]]:
        """Every shipment of the order, in shipment order (none before it is split)."""
        if not order.shipments:
            return []
        alerts = self.views.alerts_of(order.id)
        costs = {r["shipment_id"]: r for r in self.costs.cost_ledger(str(order.id))}
        return [
            self._shipment(order, s, alerts.get(s["shipment_no"], []), costs)
            for s in order.shipments
        ]

    def shipment(self, value: str) -> dict[str, Any]:
        order_id, number = parse_shipment_id(value)
        order = self.orders.get_order(order_id)
        for journey in self.of_order(order):
            if journey["shipment_no"] == number:
                return journey
        raise NotFound("shipment", value)

    def by_token(self, token: str) -> tuple[Order, dict[str, Any]]:
        """The order and shipment journey behind a buyer's tracking token; NotFound for a
        token that is malformed or unknown alike."""
        sid = self.views.shipment_of_token(token) if token.isalnum() else None
        if sid is None:
            raise NotFound("tracking", "this link")
        order_id, _ = parse_shipment_id(sid)
        return self.orders.get_order(order_id), self.shipment(sid)

    # ------------------------------------------------------------------ composing
    def _shipment(
        self,
        order: Order,
        plan: dict[str, Any],
        alerts: list[dict[str, Any]],
        costs: dict[str, dict[str, Any]],
    ) -> dict[str, Any]:
        no = plan["shipment_no"]
        sid = shipment_id(order.id, no)
        entry = order.fulfilment.get(str(no), {})
        carrier = _carrier(entry)
        today = self.orders.store.clock.now().date()
        status = CANCELLED if order.status == CANCELLED else order.shipment_status(no)
        journey: dict[str, Any] = {
            "shipment_id": sid,
            "shipment_no": no,
            "order_id": str(order.id),
            "warehouse_id": plan["warehouse_id"],
            "status": status,
            "lines": plan["lines"],
            "lots": entry.get("picked", []),
            "parcels": entry.get("parcels", []),
            "packing_flags": entry.get("flags", []),
            "carrier": carrier,
            "waybill": entry.get("waybill"),
            "label": _label(entry),
            "declaration": self._declaration(order.id, no),
            "tracking": {
                # Handed over and not scanned yet: "pending", as carriers say.
                "status": entry.get("tracking_status")
                or ("pending" if entry.get("dispatched_at") else None),
                "events": tracking_timeline(entry),
                "url": self._tracking_url(sid, entry),
            },
            "exceptions": alerts,
            "costs": costs.get(sid),
            "dispatched_at": entry.get("dispatched_at"),
            "delivered_at": entry.get("delivered_at"),
            "promised_date": promised_date(
                order.channel, order.canonical["placed_at"], plan.get("presale")
            ),
            "expected_date": _expected(entry, carrier, today),
        }
        for name, section in self.sections.items():
            journey[name] = section(order, no)
        return journey

    def _declaration(self, order_id: UUID, no: int) -> dict[str, Any] | None:
        """None: no declaration (not packed yet, or the parcel crosses no customs border)."""
        d = self.customs.declaration_for(order_id, no)
        if d is None:
            return None
        return {
            "id": str(d.id),
            "status": d.status,
            "flags": [f["code"] for f in d.flags],
            "clearance_status": d.clearance_status,
        }

    def _tracking_url(self, sid: str, entry: dict[str, Any]) -> str | None:
        """The buyer's tracking page, once the parcel is with the carrier."""
        if self.tracking_token is None or not entry.get("dispatched_at"):
            return None
        return f"/track/{self.tracking_token(sid)}"


def for_the_buyer(order: Order, journey: dict[str, Any]) -> dict[str, Any]:
    """What the public tracking page shows: statuses and dates, the carrier and its tracking
    number, and of the person only the destination city and country (kept in clear on the
    order, nothing is opened)."""
    ship_to = order.canonical.get("ship_to") or {}
    carrier = journey["carrier"] or {}
    return {
        "status": journey["tracking"]["status"],
        "destination": {"city": ship_to.get("city"), "country": ship_to.get("country")},
        "carrier": carrier.get("carrier"),
        "service": carrier.get("service"),
        "waybill": journey["waybill"],
        "dispatched_at": journey["dispatched_at"],
        "expected_date": journey["expected_date"],
        "promised_date": journey["promised_date"],
        "delivered_at": journey["delivered_at"],
        "events": journey["tracking"]["events"],
    }
