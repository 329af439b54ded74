"""The order: one event stream per (channel, external id) from receipt to reservation.

Every automated decision (review, split) arrives here already made, with its inputs, so replaying
the stream never re-evaluates a rule or re-runs a solver.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domains.common import InvalidTransition, stable_id

# The order's total is the channel's (domains/orders/amounts.py); re-exported for callers.
from domains.orders.amounts import order_total as order_total
from domains.orders.channel_events import ChannelUpdates

# The statuses are re-exported: callers import them from here.
from domains.orders.lifecycle import ALLOCATED as ALLOCATED
from domains.orders.lifecycle import APPROVED as APPROVED
from domains.orders.lifecycle import CANCELLED as CANCELLED
from domains.orders.lifecycle import DELIVERED as DELIVERED
from domains.orders.lifecycle import DISPATCHED as DISPATCHED
from domains.orders.lifecycle import HELD as HELD
from domains.orders.lifecycle import PACKED as PACKED
from domains.orders.lifecycle import PICKING as PICKING
from domains.orders.lifecycle import RECEIVED as RECEIVED
from domains.orders.lifecycle import SHIPMENT_STAGE as SHIPMENT_STAGE
from domains.orders.lifecycle import (
    carrier_status,
    hold_reasons,
    is_repeat_scan,
    order_status_for,
    overrides_after_release,
    stock_hold,
    with_scan,
)


class Order(ChannelUpdates, Aggregate):
    # v2 added per-shipment fulfilment state (wave, picks, parcels); v3 the channel's updates.
    class_version = 3

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state.setdefault("fulfilment", {})
        state.setdefault("backorders", [])

    @staticmethod
    def upcast_v2_v3(state: dict[str, Any]) -> None:
        state.setdefault("channel_updates", [])

    @staticmethod
    def create_id(
        channel: str,
        external_id: str,
        dealer_id: str | None = None,
        canonical: dict[str, Any] | None = None,
    ) -> UUID:
        # A dealer's order number is unique only among that dealer's orders, so a dealer order's
        # stream is keyed by (dealer, number): the very key "<dealer>:<number>" its external id
        # was before it became the dealer's own number, so orders stored then keep their ids.
        # The library calls this with the Received event's `canonical` (its dealer_id is never
        # sealed); callers computing an id pass `dealer_id`.
        dealer_id = dealer_id or (canonical or {}).get("dealer_id")
        if channel == "dealer" and dealer_id:
            return stable_id("order", channel, f"{dealer_id}:{external_id}")
        return stable_id("order", channel, external_id)

    @event("Received")
    def __init__(
        self,
        channel: str,
        external_id: str,
        raw_payload: Any,
        payload_hash: str,
        canonical: dict[str, Any],
        mapper_version: int,
    ) -> None:
        self.channel = channel
        self.external_id = external_id
        self.raw_payload = raw_payload
        self.payload_hash = payload_hash
        self.canonical = canonical
        self.mapper_version = mapper_version
        self.status = RECEIVED
        self.hold_reasons: list[dict[str, Any]] = []
        self.review: dict[str, Any] | None = None
        self.split: dict[str, Any] | None = None
        self.overrides: list[str] = []
        self.cancel_reason: str | None = None
        self.fulfilment: dict[str, dict[str, Any]] = {}
        self.backorders: list[dict[str, Any]] = []
        self.channel_updates: list[dict[str, Any]] = []

    # --- convenience views of the canonical order -------------------------------------
    @property
    def dealer_id(self) -> str | None:
        return self.canonical.get("dealer_id")

    @property
    def total(self) -> Decimal:
        return order_total(self.canonical)

    @property
    def shipments(self) -> list[dict[str, Any]]:
        return self.split["plan"] if self.split else []

    # --- decisions ------------------------------------------------------------------
    # Reviewed and Split happen to every order: they are event classes with an explicit
    # `apply`, triggered with `trigger_event`, because the @event decorator's per-call argument
    # handling cost more than the mutation. Same topics and payloads as before.
    class Reviewed(Aggregate.Event):
        rules: list[dict[str, Any]]
        outcome: str

        def apply(self, aggregate: Order) -> None:
            if aggregate.status in (ALLOCATED, CANCELLED):
                raise InvalidTransition(f"order is {aggregate.status}; it cannot be reviewed again")
            aggregate.review = {"rules": self.rules, "outcome": self.outcome}
            aggregate.hold_reasons = hold_reasons(self.rules, aggregate.overrides)
            aggregate.status = APPROVED if self.outcome == APPROVED else HELD

    def record_review(self, rules: list[dict[str, Any]], outcome: str) -> None:
        self.trigger_event(self.Reviewed, rules=rules, outcome=outcome)

    class Split(Aggregate.Event):
        decision: dict[str, Any]

        def apply(self, aggregate: Order) -> None:
            if aggregate.status != APPROVED:
                raise InvalidTransition(
                    f"order is {aggregate.status}; only an approved order is split"
                )
            aggregate.split = self.decision
            aggregate.status = ALLOCATED

    def record_split(self, decision: dict[str, Any]) -> None:
        self.trigger_event(self.Split, decision=decision)

    @event("Backordered")
    def backorder(self, shortages: list[dict[str, Any]]) -> None:
        """Stock vanished between review and reservation (a competing order won the race)."""
        self.status = HELD
        self.hold_reasons = stock_hold(shortages)

    @event("StockReexamined")
    def reexamine_for_stock(self, trigger: dict[str, Any]) -> None:
        """Stock arrived for an order held for stock (`trigger`: what arrived, e.g. a receipt
        or an inbound): it is reviewed again under the same rules; no rule is overridden."""
        if self.status != HELD:
            raise InvalidTransition(f"order is {self.status}; only a held order is re-examined")

    @event("CreditReexamined")
    def reexamine_for_credit(self, trigger: dict[str, Any]) -> None:
        """The dealer's credit was freed (`trigger`: the payment): reviewed again, as above."""
        if self.status != HELD:
            raise InvalidTransition(f"order is {self.status}; only a held order is re-examined")

    # --- pre-sale: shipments reserved against an inbound shipment ------------------------
    def presale_shipment(self, warehouse_id: str, sku: str) -> dict[str, Any] | None:
        for s in self.shipments:
            if s.get("presale") and s["warehouse_id"] == warehouse_id:
                if any(line["sku"] == sku for line in s["lines"]):
                    return s
        return None

    @event("PresaleConverted")
    def presale_converted(self, shipment_no: int, sku: str, inbound_id: str) -> None:
        """The inbound arrived: the pre-sold line is a normal reservation now (pickable)."""
        presale = self.shipment(shipment_no)["presale"]
        presale.setdefault("converted", []).append(sku)

    @event("PresaleRescheduled")
    def presale_rescheduled(
        self,
        shipment_no: int,
        inbound_id: str,
        arrival: str,
        promised_date: str,
        previous_promised_date: str,
        reason: str,
    ) -> None:
        """An exception: the inbound this shipment was pre-sold against is late; the customer's
        new promised date is recorded."""
        presale = self.shipment(shipment_no)["presale"]
        presale.update(arrival=arrival, promised_date=promised_date)
        entry = self.fulfilment.setdefault(str(shipment_no), {})
        entry["alerts"] = [*entry.get("alerts", []), "presale_late"]

    @event("PresaleBackordered")
    def presale_backordered(self, inbound_id: str, sku: str, quantity: int, reason: str) -> None:
        """The inbound arrived short (or will not come): the order waits for stock again, its
        plan dropped (its other reservations are released in the same transaction)."""
        if self.status != ALLOCATED:
            raise InvalidTransition(f"order is {self.status}; only an allocated order is held")
        self.status = HELD
        self.hold_reasons = stock_hold([{"sku": sku, "short": quantity}])
        self.split = None

    @event("Released")
    def release(self, reason: str, released_by: str) -> None:
        if self.status != HELD:
            raise InvalidTransition(f"order is {self.status}; only a held order is released")
        if not reason.strip():
            raise InvalidTransition("a release needs a reason")
        self.overrides = overrides_after_release(self.hold_reasons, self.overrides)
        self.status = RECEIVED

    # --- fulfilment, per shipment ------------------------------------------------------
    def shipment(self, shipment_no: int) -> dict[str, Any]:
        for s in self.shipments:
            if s["shipment_no"] == shipment_no:
                return s
        raise InvalidTransition(f"order has no shipment {shipment_no}")

    def shipment_status(self, shipment_no: int) -> str:
        return self.fulfilment.get(str(shipment_no), {}).get("status", ALLOCATED)

    def _require(self, shipment_no: int, statuses: tuple[str, ...], otherwise: str) -> None:
        """Refuses a step the shipment is not ready for, saying where it stands."""
        status = self.shipment_status(shipment_no)
        if status not in statuses:
            raise InvalidTransition(f"shipment {shipment_no} is {status}; {otherwise}")

    def _status_after(self, shipment_no: int, new_status: str) -> str:
        statuses = {
            str(s["shipment_no"]): self.shipment_status(s["shipment_no"])
            for s in self.shipments
            if s["lines"]
        }
        statuses[str(shipment_no)] = new_status
        return order_status_for(statuses.values())

    def wave_shipment(self, shipment_no: int, wave_id: str, pick_list_id: str) -> None:
        self.shipment(shipment_no)
        if self.status not in (ALLOCATED, PICKING):
            raise InvalidTransition(f"order is {self.status}; its shipments cannot be picked")
        if self.shipment_status(shipment_no) != ALLOCATED:
            raise InvalidTransition(f"shipment {shipment_no} is already in a wave")
        self._waved(
            shipment_no=shipment_no,
            wave_id=wave_id,
            pick_list_id=pick_list_id,
            order_status=self._status_after(shipment_no, "waved"),
        )

    @event("ShipmentWaved")
    def _waved(self, shipment_no: int, wave_id: str, pick_list_id: str, order_status: str) -> None:
        self.fulfilment[str(shipment_no)] = {
            "status": "waved",
            "wave_id": wave_id,
            "pick_list_id": pick_list_id,
        }
        self.status = order_status

    def shipment_picked(self, shipment_no: int, picked: list[dict[str, Any]]) -> None:
        if self.shipment_status(shipment_no) != "waved":
            raise InvalidTransition(f"shipment {shipment_no} is not being picked")
        self._picked(
            shipment_no=shipment_no,
            picked=picked,
            order_status=self._status_after(shipment_no, "picked"),
        )

    @event("ShipmentPicked")
    def _picked(self, shipment_no: int, picked: list[dict[str, Any]], order_status: str) -> None:
        self.fulfilment[str(shipment_no)].update(status="picked", picked=picked)
        self.status = order_status

    def picked_quantities(self, shipment_no: int) -> dict[str, int]:
        out: dict[str, int] = {}
        for p in self.fulfilment.get(str(shipment_no), {}).get("picked", []):
            out[p["sku"]] = out.get(p["sku"], 0) + p["quantity"]
        return out

    def pack(
        self,
        shipment_no: int,
        parcels: list[dict[str, Any]],
        flags: list[dict[str, Any]],
        packed_by: str,
    ) -> None:
        self._require(shipment_no, ("picked",), "only a picked shipment is packed")
        self._packed(
            shipment_no=shipment_no,
            parcels=parcels,
            flags=flags,
            packed_by=packed_by,
            order_status=self._status_after(shipment_no, PACKED),
        )

    @event("ShipmentPacked")
    def _packed(
        self,
        shipment_no: int,
        parcels: list[dict[str, Any]],
        flags: list[dict[str, Any]],
        packed_by: str,
        order_status: str,
    ) -> None:
        self.fulfilment[str(shipment_no)].update(status=PACKED, parcels=parcels, flags=flags)
        self.status = order_status

    # --- transport, per shipment --------------------------------------------------------
    def select_carrier(self, shipment_no: int, decision: dict[str, Any]) -> None:
        self._require(
            shipment_no, (PACKED, "carrier_selected"), "a carrier is chosen for a packed shipment"
        )
        if decision.get("choice") is None:
            raise InvalidTransition("no carrier service can take this shipment")
        self._carrier_selected(shipment_no=shipment_no, decision=decision)

    @event("CarrierSelected")
    def _carrier_selected(self, shipment_no: int, decision: dict[str, Any]) -> None:
        self.fulfilment[str(shipment_no)].update(status="carrier_selected", carrier=decision)

    def label(
        self, shipment_no: int, carrier: str, service: str, waybill: str, label_format: str
    ) -> None:
        self._require(
            shipment_no,
            ("carrier_selected",),
            "choose the carrier first (or void the current label)",
        )
        self._labelled(
            shipment_no=shipment_no,
            carrier=carrier,
            service=service,
            waybill=waybill,
            label_format=label_format,
        )

    @event("Labelled")
    def _labelled(
        self, shipment_no: int, carrier: str, service: str, waybill: str, label_format: str
    ) -> None:
        self.fulfilment[str(shipment_no)].update(
            status="labelled", waybill=waybill, carrier_code=carrier, service=service
        )

    def void_label(self, shipment_no: int, reason: str) -> str:
        self._require(shipment_no, ("labelled",), "only a label not yet dispatched is voided")
        waybill = self.fulfilment[str(shipment_no)]["waybill"]
        self._voided(shipment_no=shipment_no, waybill=waybill, reason=reason)
        return waybill

    @event("LabelVoided")
    def _voided(self, shipment_no: int, waybill: str, reason: str) -> None:
        entry = self.fulfilment[str(shipment_no)]
        entry["status"] = "carrier_selected"
        entry["voided"] = [*entry.get("voided", []), waybill]
        entry.pop("waybill", None)

    def dispatch(self, shipment_no: int, eta: str | None, dispatched_at: str) -> None:
        self._require(shipment_no, ("labelled",), "only a labelled shipment is dispatched")
        self._dispatched(
            shipment_no=shipment_no,
            eta=eta,
            dispatched_at=dispatched_at,
            order_status=self._status_after(shipment_no, DISPATCHED),
        )

    @event("Dispatched")
    def _dispatched(
        self, shipment_no: int, eta: str | None, dispatched_at: str, order_status: str
    ) -> None:
        self.fulfilment[str(shipment_no)].update(
            status=DISPATCHED, eta=eta, dispatched_at=dispatched_at, tracking=[]
        )
        self.status = order_status

    def record_tracking(self, shipment_no: int, event_data: dict[str, Any]) -> bool:
        """A carrier scan. Duplicates are ignored, late arrivals are kept in time order and
        nothing moves a delivered shipment back. Returns whether anything was recorded."""
        entry = self.fulfilment.get(str(shipment_no), {})
        if entry.get("status") not in (DISPATCHED, "in_transit", DELIVERED):
            raise InvalidTransition(f"shipment {shipment_no} has not been dispatched")
        if is_repeat_scan(entry.get("tracking", []), event_data):
            return False
        latest = carrier_status(with_scan(entry.get("tracking", []), event_data))
        stage = DELIVERED if latest == DELIVERED else "in_transit"
        self._tracked(
            shipment_no=shipment_no,
            event_data=event_data,
            tracking_status=latest,
            order_status=self._status_after(shipment_no, stage),
        )
        return True

    @event("TrackingRecorded")
    def _tracked(
        self,
        shipment_no: int,
        event_data: dict[str, Any],
        tracking_status: str,
        order_status: str,
    ) -> None:
        entry = self.fulfilment[str(shipment_no)]
        entry["tracking"] = with_scan(entry.get("tracking", []), event_data)
        entry["tracking_status"] = tracking_status
        entry["status"] = DELIVERED if tracking_status == DELIVERED else "in_transit"
        if tracking_status == DELIVERED:
            entry["delivered_at"] = next(
                t["occurred_at"] for t in entry["tracking"] if t["status"] == DELIVERED
            )
        self.status = order_status

    def raise_alert(
        self, shipment_no: int, kind: str, detected_at: str, detail: str, suggested_action: str
    ) -> bool:
        """An SLA exception, recorded once per shipment and kind."""
        if kind in self.fulfilment.get(str(shipment_no), {}).get("alerts", []):
            return False
        self._alerted(
            shipment_no=shipment_no,
            kind=kind,
            detected_at=detected_at,
            detail=detail,
            suggested_action=suggested_action,
        )
        return True

    @event("ExceptionRaised")
    def _alerted(
        self, shipment_no: int, kind: str, detected_at: str, detail: str, suggested_action: str
    ) -> None:
        entry = self.fulfilment.setdefault(str(shipment_no), {})
        entry["alerts"] = [*entry.get("alerts", []), kind]

    @event("ShortageResolved")
    def resolve_shortage(
        self,
        shipment_no: int,
        sku: str,
        quantity: int,
        resolution: str,
        new_shipment: dict[str, Any] | None,
        reason: str,
    ) -> None:
        """A short pick's shortfall: re-reserved in the same warehouse, re-split to another
        warehouse (a new shipment), or backordered (the line shrinks and is listed as owed)."""
        shipment = self.shipment(shipment_no)
        if resolution in ("resplit", "backordered"):
            for line in shipment["lines"]:
                if line["sku"] == sku:
                    line["quantity"] -= quantity
            shipment["lines"] = [ln for ln in shipment["lines"] if ln["quantity"] > 0]
        if new_shipment is not None:
            assert self.split is not None
            self.split["plan"].append(new_shipment)
            self.split["shipments"] = len(self.split["plan"])
        if resolution == "backordered":
            self.backorders.append({"sku": sku, "quantity": quantity, "reason": reason})

    @event("Cancelled")
    def cancel(self, reason: str, cancelled_by: str) -> None:
        if self.status == CANCELLED:
            raise InvalidTransition("order is already cancelled")
        if self.status in (PICKING, PACKED):
            raise InvalidTransition(f"order is {self.status}; stop the pick before cancelling")
        if not reason.strip():
            raise InvalidTransition("a cancellation needs a reason")
        self.status = CANCELLED
        self.cancel_reason = reason
        self.hold_reasons = []
