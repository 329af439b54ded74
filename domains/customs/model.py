"""A customs declaration per cross-border shipment: drafted when the shipment is packed, with
its flags, duties and the versions of the data it was checked against; reviewed by the customs
team; cleared (or not) by the broker or carrier.

A shipment cannot be dispatched until its declaration is approved.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domains.common import InvalidTransition, stable_id
from domains.orders.model import Order

PENDING, APPROVED, REJECTED = "pending_review", "approved", "rejected"
CLEARANCE = ("submitted", "cleared", "held", "released", "refused")


class Declaration(Aggregate):
    @staticmethod
    def create_id(order_id: str, shipment_no: int) -> UUID:
        return stable_id("declaration", order_id, str(shipment_no))

    @event("Drafted")
    def __init__(
        self,
        order_id: str,
        shipment_no: int,
        channel: str,
        destination: str,
        origin: str,
        incoterm: str,
        document: dict[str, Any],
        duties: dict[str, Any],
        flags: list[dict[str, Any]],
        versions: dict[str, Any],
        auto_approved: bool,
    ) -> None:
        self.order_id = order_id
        self.shipment_no = shipment_no
        self.channel = channel
        self.destination = destination
        self.origin = origin
        self.incoterm = incoterm
        self.document = document
        self.duties = duties
        self.flags = flags
        self.versions = versions
        self.status = APPROVED if auto_approved else PENDING
        self.reviews: list[dict[str, Any]] = []
        self.clearance: list[dict[str, Any]] = []

    @property
    def shipment_id(self) -> str:
        return f"{self.order_id}-S{self.shipment_no}"

    @property
    def clearance_status(self) -> str | None:
        return self.clearance[-1]["status"] if self.clearance else None

    def _reviewable(self) -> None:
        if self.status != PENDING:
            raise InvalidTransition(f"declaration is {self.status}; only one pending review is")

    @event("Approved")
    def approve(self, by: str, note: str) -> None:
        self._reviewable()
        self.status = APPROVED
        self.reviews.append({"action": "approve", "by": by, "note": note})

    @event("Rejected")
    def reject(self, by: str, reason: str) -> None:
        self._reviewable()
        if not reason.strip():
            raise InvalidTransition("a rejection needs a reason")
        self.status = REJECTED
        self.reviews.append({"action": "reject", "by": by, "reason": reason})

    @event("Amended")
    def amend(
        self,
        by: str,
        reason: str,
        changes: list[dict[str, Any]],
        document: dict[str, Any],
        duties: dict[str, Any],
        flags: list[dict[str, Any]],
    ) -> None:
        """Line changes by a reviewer, with the duties and flags recomputed before the event."""
        if self.status == REJECTED:
            raise InvalidTransition("a rejected declaration is not amended")
        if self.clearance_status in ("submitted", "cleared", "released"):
            raise InvalidTransition("the declaration is with customs already")
        if not reason.strip():
            raise InvalidTransition("an amendment needs a reason")
        self.document = document
        self.duties = duties
        self.flags = flags
        self.status = PENDING
        self.reviews.append({"action": "amend", "by": by, "reason": reason, "changes": changes})

    @event("ClearanceUpdated")
    def update_clearance(self, status: str, reason: str | None, at: str, source: str) -> None:
        if status not in CLEARANCE:
            raise InvalidTransition(f"clearance status is one of {', '.join(CLEARANCE)}")
        if self.status != APPROVED:
            raise InvalidTransition("only an approved declaration goes to customs")
        self.clearance.append({"status": status, "reason": reason, "at": at, "source": source})


class CustomsRules(Aggregate):
    """The tariff, VAT, low-value and restricted-goods rules as one versioned stream: each
    admin change is a new version; declarations cite the version they were checked against."""

    @staticmethod
    def create_id() -> UUID:
        return stable_id("customs-rules", "all")

    @event("Created")
    def __init__(self) -> None:
        self.files: dict[str, str] = {}
        self.tables_version = ""

    @event("Published")
    def publish(
        self, files: dict[str, str], tables_version: str, published_by: str, note: str
    ) -> None:
        self.files = dict(files)
        self.tables_version = tables_version


class CustomsNotRequired(Order.Event):
    """An event on the ORDER's stream (topic `domains.customs.model:CustomsNotRequired`): customs
    decided, when the shipment was packed, that it needs no declaration because origin and
    destination lie in one customs territory. `decision` is `borders.BorderDecision.as_dict()`
    with the VAT figures of the sale (scheme, rate, VAT in the price): why, as data, with the
    rules and territory-table versions it was decided on. Defined here (customs owns the
    decision); the order keeps it on the shipment's fulfilment entry under "customs".

    A new event type: no older event changed shape, so every stored stream still loads."""

    shipment_no: int
    decision: dict[str, Any]

    def apply(self, aggregate: Order) -> None:
        entry = aggregate.fulfilment.get(str(self.shipment_no))
        if entry is not None:
            entry["customs"] = self.decision


class InboundDeclaration(Declaration):
    """A B2B import declaration for an inbound shipment (goods in bulk into one of our
    warehouses): reviewed on the same desk as a parcel's (approve, reject, amend, clearance are
    Declaration's). Its own class and stream (`create_id(inbound_id)`), so declarations stored
    before it existed load unchanged; it has no order (order_id "", shipment 0, channel
    "inbound") and names its inbound and destination warehouse instead."""

    @staticmethod
    def create_id(inbound_id: str) -> UUID:  # type: ignore[override]
        return stable_id("declaration", "inbound", inbound_id)

    class InboundDrafted(Aggregate.Created):
        inbound_id: str
        warehouse_id: str
        destination: str
        origin: str
        incoterm: str
        document: dict[str, Any]
        duties: dict[str, Any]
        flags: list[dict[str, Any]]
        versions: dict[str, Any]

    @event(InboundDrafted)
    def __init__(  # type: ignore[no-redef]
        self,
        inbound_id: str,
        warehouse_id: str,
        destination: str,
        origin: str,
        incoterm: str,
        document: dict[str, Any],
        duties: dict[str, Any],
        flags: list[dict[str, Any]],
        versions: dict[str, Any],
    ) -> None:
        self.inbound_id = inbound_id
        self.warehouse_id = warehouse_id
        self.order_id = ""
        self.shipment_no = 0
        self.channel = "inbound"
        self.destination = destination
        self.origin = origin
        self.incoterm = incoterm
        self.document = document
        self.duties = duties
        self.flags = flags
        self.versions = versions
        self.status = PENDING  # a B2B import is always reviewed
        self.reviews: list[dict[str, Any]] = []
        self.clearance: list[dict[str, Any]] = []

    @property
    def shipment_id(self) -> str:
        return f"inbound:{self.inbound_id}"
