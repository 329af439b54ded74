"""An inbound shipment (advance shipping notice): goods on their way to one of our warehouses,
from a supplier abroad or from another of our warehouses (a transfer). Its stages are events,
in order: booked, departed, arrived at port, customs (a declaration drafted, or why none is
needed; then cleared), released, delivered to the warehouse, received. Receiving at the dock
records counts per carton and SKU, with every short, over and damaged quantity as a
discrepancy; the landed cost per unit is decided once, with its inputs.

Pure: decisions (customs, landed cost, discrepancies) are made before the events and recorded
as their data; event bodies only apply them.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domains.common import InvalidTransition, stable_id

# The stages in the order they happen; customs is one stage with two steps (drafted, cleared),
# or one step when no declaration is needed (inside one customs territory).
BOOKED, DEPARTED, AT_PORT = "booked", "departed", "arrived_at_port"
CUSTOMS_DRAFTED, CUSTOMS_NOT_REQUIRED, CUSTOMS_CLEARED = (
    "customs_drafted",
    "customs_not_required",
    "customs_cleared",
)
RELEASED, DELIVERED, RECEIVED, CANCELLED = "released", "delivered", "received", "cancelled"
NEXT: dict[str, tuple[str, ...]] = {
    BOOKED: (DEPARTED,),
    DEPARTED: (AT_PORT,),
    AT_PORT: (CUSTOMS_DRAFTED, CUSTOMS_NOT_REQUIRED),
    CUSTOMS_DRAFTED: (CUSTOMS_CLEARED,),
    CUSTOMS_NOT_REQUIRED: (RELEASED,),
    CUSTOMS_CLEARED: (RELEASED,),
    RELEASED: (DELIVERED,),
    DELIVERED: (RECEIVED,),
    RECEIVED: (),
    CANCELLED: (),
}
BASES = ("value", "weight", "volume")


class InboundShipment(Aggregate):
    @staticmethod
    def create_id(inbound_id: str) -> UUID:
        return stable_id("inbound", inbound_id)

    @event("Booked")
    def __init__(
        self,
        inbound_id: str,
        warehouse_id: str,
        origin: dict[str, Any],
        mode: str,
        carrier: str,
        reference: str,
        expected_arrival: str,
        cartons: list[dict[str, Any]],
        allocation_basis: str,
        currency: str,
        booked_by: str,
    ) -> None:
        """`origin` is {"kind": "supplier", "name", "country"} or {"kind": "warehouse",
        "warehouse_id", "country"}; each carton {"carton_no", "gross_weight_kg", "lines":
        [{"sku", "quantity", "lot", "expiry", "unit_value", "weight_kg", "volume_m3"}]}."""
        self.inbound_id = inbound_id
        self.warehouse_id = warehouse_id
        self.origin = origin
        self.mode = mode
        self.carrier = carrier
        self.reference = reference
        self.expected_arrival = expected_arrival
        self.cartons = cartons
        self.allocation_basis = allocation_basis
        self.currency = currency
        self.stage = BOOKED
        self.stages: list[dict[str, Any]] = [{"stage": BOOKED, "by": booked_by}]
        self.arrivals: list[dict[str, Any]] = []
        self.customs: dict[str, Any] | None = None
        self.costs: dict[str, Any] | None = None
        self.counts: dict[str, dict[str, Any]] = {}  # receipt id -> the counts it recorded
        self.discrepancies: list[dict[str, Any]] = []
        self.received: list[dict[str, Any]] = []
        self.landed_cost: dict[str, Any] | None = None

    # ------------------------------------------------------------------ reads
    @property
    def is_transfer(self) -> bool:
        return self.origin.get("kind") == "warehouse"

    @property
    def lines(self) -> list[dict[str, Any]]:
        """Every carton line with its carton number."""
        return [{**ln, "carton_no": c["carton_no"]} for c in self.cartons for ln in c["lines"]]

    def expected_units(self) -> dict[tuple[str, str, str | None], int]:
        """(carton, SKU, lot) -> units on the packing list."""
        out: dict[tuple[str, str, str | None], int] = {}
        for ln in self.lines:
            key = (ln["carton_no"], ln["sku"], ln.get("lot"))
            out[key] = out.get(key, 0) + ln["quantity"]
        return out

    def require_next(self, stage: str) -> None:
        """A stage only follows the one before it (409 otherwise, naming what is expected)."""
        allowed = NEXT[self.stage]
        if stage not in allowed:
            expected = " or ".join(allowed) if allowed else "nothing (it is closed)"
            raise InvalidTransition(
                f"inbound {self.inbound_id} is {self.stage}: next is {expected}, not {stage}"
            )

    # ------------------------------------------------------------------ stages
    def advance(self, stage: str, at: str, by: str, note: str = "") -> None:
        """A plain stage change (departed, arrived at port, released, delivered)."""
        if stage not in (DEPARTED, AT_PORT, RELEASED, DELIVERED):
            raise InvalidTransition(f"{stage} is not a stage set by hand")
        self.require_next(stage)
        self._advanced(stage=stage, at=at, by=by, note=note)

    @event("StageReached")
    def _advanced(self, stage: str, at: str, by: str, note: str) -> None:
        self.stage = stage
        self.stages.append({"stage": stage, "at": at, "by": by, "note": note})

    def record_customs(self, decision: dict[str, Any], at: str) -> None:
        """The customs import step: `decision` holds the declaration's id and duties
        (`required` True), or why none is needed (`required` False, with the territories)."""
        stage = CUSTOMS_DRAFTED if decision["required"] else CUSTOMS_NOT_REQUIRED
        self.require_next(stage)
        self._customs(stage=stage, decision=decision, at=at)

    @event("CustomsDecided")
    def _customs(self, stage: str, decision: dict[str, Any], at: str) -> None:
        self.stage = stage
        self.customs = decision
        self.stages.append({"stage": stage, "at": at, "by": "customs"})

    def clear_customs(self, declaration_status: str, at: str, by: str) -> None:
        self.require_next(CUSTOMS_CLEARED)
        if declaration_status != "approved":
            raise InvalidTransition(
                f"the import declaration is {declaration_status}; it clears once approved"
            )
        self._advanced(stage=CUSTOMS_CLEARED, at=at, by=by, note="declaration approved")

    def reschedule(self, arrival: str, reason: str, at: str) -> bool:
        """A new expected arrival, with the one it replaces; True when it is later."""
        if self.stage in (DELIVERED, RECEIVED, CANCELLED):
            raise InvalidTransition(f"inbound {self.inbound_id} is {self.stage}; too late")
        if not reason.strip():
            raise InvalidTransition("a new arrival date needs a reason")
        if arrival == self.expected_arrival:
            return False
        later = arrival > self.expected_arrival
        self._rescheduled(before=self.expected_arrival, after=arrival, reason=reason, at=at)
        return later

    @event("ArrivalRescheduled")
    def _rescheduled(self, before: str, after: str, reason: str, at: str) -> None:
        self.expected_arrival = after
        self.arrivals.append({"before": before, "after": after, "reason": reason, "at": at})

    @event("CostsRecorded")
    def record_costs(self, costs: dict[str, Any], by: str) -> None:
        """Freight, insurance and fees, each an amount with its currency (duty comes from the
        declaration). Recorded until the landed cost is decided."""
        if self.landed_cost is not None:
            raise InvalidTransition("the landed cost is decided; its costs are final")
        self.costs = {**costs, "by": by}

    # ------------------------------------------------------------------ the dock
    def count(self, receipt_id: str, counts: list[dict[str, Any]], by: str) -> bool:
        """Counts at the dock per carton and SKU (good and damaged units). Idempotent per
        receipt id: a repeat is not counted again (False)."""
        if receipt_id in self.counts:
            return False
        if self.stage != DELIVERED:
            raise InvalidTransition(
                f"inbound {self.inbound_id} is {self.stage}; it is counted once delivered"
            )
        self._counted(receipt_id=receipt_id, counts=counts, by=by)
        return True

    @event("Counted")
    def _counted(self, receipt_id: str, counts: list[dict[str, Any]], by: str) -> None:
        self.counts[receipt_id] = {"counts": counts, "by": by}

    def counted_units(self) -> dict[tuple[str, str, str | None], dict[str, Any]]:
        """(carton, SKU, lot) -> the latest count of it: good, damaged, reason."""
        out: dict[tuple[str, str, str | None], dict[str, Any]] = {}
        for receipt in self.counts.values():
            for c in receipt["counts"]:
                out[(c["carton_no"], c["sku"], c.get("lot"))] = c
        return out

    def close_receipt(
        self,
        receipt_id: str,
        discrepancies: list[dict[str, Any]],
        received: list[dict[str, Any]],
        stock: dict[str, Any],
        at: str,
        by: str,
    ) -> None:
        """Receiving closes: what went to stock (good units by SKU and lot), every discrepancy,
        and what the warehouse did with it (putaway, pre-sales converted or backordered)."""
        self.require_next(RECEIVED)
        self._received(
            receipt_id=receipt_id,
            discrepancies=discrepancies,
            received=received,
            stock=stock,
            at=at,
            by=by,
        )

    @event("Received")
    def _received(
        self,
        receipt_id: str,
        discrepancies: list[dict[str, Any]],
        received: list[dict[str, Any]],
        stock: dict[str, Any],
        at: str,
        by: str,
    ) -> None:
        self.stage = RECEIVED
        self.discrepancies = discrepancies
        self.received = received
        self.stages.append({"stage": RECEIVED, "at": at, "by": by, "receipt_id": receipt_id})

    def decide_landed_cost(self, decision: dict[str, Any]) -> None:
        """Decided once, at receipt, from its inputs (domains/inbound/landed.py)."""
        if self.landed_cost is not None:
            raise InvalidTransition("the landed cost of this inbound is decided already")
        if self.stage != RECEIVED:
            raise InvalidTransition("the landed cost is decided once the inbound is received")
        self._landed(decision=decision)

    @event("LandedCostDecided")
    def _landed(self, decision: dict[str, Any]) -> None:
        self.landed_cost = decision

    def cancel(self, reason: str, at: str, by: str) -> None:
        if self.stage not in (BOOKED,):
            raise InvalidTransition(f"inbound {self.inbound_id} is {self.stage}; only booked")
        if not reason.strip():
            raise InvalidTransition("a cancellation needs a reason")
        self._advanced(stage=CANCELLED, at=at, by=by, note=reason)
