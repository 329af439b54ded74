"""Stock per (warehouse, SKU), held by lot and bin: the consistency boundary for reservations.

A reservation names the lots and bins it takes (chosen by domains/warehouse/lots.py before the
event), and is saved in the same transaction as the order's split; optimistic concurrency on
this aggregate is what stops two orders from reserving the same last units.

Version 2 added lots and bins. Streams written before (v1 events and v1 snapshots) still load:
their stock becomes one UNLOTTED lot without a bin, see the upcasters.
"""

from __future__ import annotations

from copy import deepcopy
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domains.common import InsufficientStock, InvalidTransition, stable_id
from domains.warehouse.lots import UNLOTTED, choose_lots, lot_key


class Inventory(Aggregate):
    class_version = 2

    @staticmethod
    def create_id(warehouse_id: str, sku: str) -> UUID:
        return stable_id("inventory", warehouse_id, sku)

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """A v1 snapshot: all stock in one unlotted, unbinned lot, reservations taken from it."""
        reserved = sum(state["reservations"].values())
        key = lot_key(UNLOTTED, None)
        state["lots"] = (
            {
                key: {
                    "lot": UNLOTTED,
                    "bin": None,
                    "expiry": None,
                    "seq": 0,
                    "on_hand": state["on_hand"],
                    "reserved": reserved,
                }
            }
            if state["on_hand"] or reserved
            else {}
        )
        state["allocations"] = {
            order: [{"lot": UNLOTTED, "bin": None, "quantity": q}]
            for order, q in state["reservations"].items()
        }
        state["seq"] = 1
        state["counts"] = []

    @event("Opened")
    def __init__(self, warehouse_id: str, sku: str) -> None:
        self.warehouse_id = warehouse_id
        self.sku = sku
        self.on_hand = 0
        self.reservations: dict[str, int] = {}
        self.receipts: list[str] = []
        self.lots: dict[str, dict[str, Any]] = {}
        self.allocations: dict[str, list[dict[str, Any]]] = {}
        self.seq = 0
        self.counts: list[str] = []

    def __deepcopy__(self, memo: dict[int, Any]) -> Inventory:
        """The copy the repository hands out of its cache for every command. Built for this
        state's shape (flat dicts per lot and per allocation, lists of strings), it is many
        times faster than `copy.deepcopy` walking thousands of open allocations; any other
        attribute is deep-copied as usual, so one added later is still never shared."""
        clone = object.__new__(type(self))
        for name, value in self.__dict__.items():
            if name == "lots":
                value = {key: dict(entry) for key, entry in value.items()}
            elif name == "allocations":
                value = {order: [dict(a) for a in parts] for order, parts in value.items()}
            elif name == "reservations":
                value = dict(value)
            elif name in ("receipts", "counts"):
                value = list(value)
            elif not isinstance(value, str | int | UUID | datetime | None):
                value = deepcopy(value, memo)
            clone.__dict__[name] = value
        return clone

    @property
    def reserved(self) -> int:
        # Kept per lot, and there are few lots: cheaper than summing every open reservation.
        return sum(lot["reserved"] for lot in self.lots.values())

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    # ------------------------------------------------------------------ receiving
    class Received(Aggregate.Event):
        class_version = 2
        quantity: int
        receipt_ref: str
        lot: str
        bin: str | None
        expiry: str | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state.update(lot=UNLOTTED, bin=None, expiry=None)

    def receive(
        self,
        quantity: int,
        receipt_ref: str,
        lot: str = UNLOTTED,
        bin: str | None = None,
        expiry: str | None = None,
    ) -> bool:
        """Idempotent per receipt reference: a repeated receipt is not counted twice."""
        if receipt_ref in self.receipts:
            return False
        if quantity <= 0:
            raise InvalidTransition("received quantity must be positive")
        existing = self.lots.get(lot_key(lot, bin))
        if existing and existing.get("expiry") != expiry:
            raise InvalidTransition(
                f"lot {lot} in {bin} has expiry {existing.get('expiry')}, not {expiry}"
            )
        self._received(quantity=quantity, receipt_ref=receipt_ref, lot=lot, bin=bin, expiry=expiry)
        return True

    def _lot_entry(self, lot: str, bin: str | None, expiry: str | None) -> str:
        """The key of (lot, bin), opening an empty entry the first time (receipt order kept
        in `seq` for FIFO)."""
        key = lot_key(lot, bin)
        if key not in self.lots:
            self.seq += 1
            self.lots[key] = {
                "lot": lot,
                "bin": bin,
                "expiry": expiry,
                "seq": self.seq,
                "on_hand": 0,
                "reserved": 0,
            }
        return key

    @event(Received)
    def _received(
        self, quantity: int, receipt_ref: str, lot: str, bin: str | None, expiry: str | None
    ) -> None:
        key = self._lot_entry(lot, bin, expiry)
        self.lots[key]["on_hand"] += quantity
        self.on_hand += quantity
        self.receipts.append(receipt_ref)

    # ------------------------------------------------------------------ reserving
    class Reserved(Aggregate.Event):
        class_version = 2
        order_id: str
        quantity: int
        allocations: list[dict[str, Any]]
        policy: str
        as_of: str | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state.update(
                allocations=[{"lot": UNLOTTED, "bin": None, "quantity": state["quantity"]}],
                policy="legacy",
                as_of=None,
            )

        # Defined with an explicit `apply` and triggered with `trigger_event`, not through an
        # @event method: this event is recorded for every line of every order, and the
        # decorator's per-call argument handling cost more than the mutation itself.
        def apply(self, aggregate: Inventory) -> None:
            aggregate.reservations[self.order_id] = (
                aggregate.reservations.get(self.order_id, 0) + self.quantity
            )
            mine = aggregate.allocations.setdefault(self.order_id, [])
            for a in self.allocations:
                aggregate.lots[lot_key(a["lot"], a["bin"])]["reserved"] += a["quantity"]
                mine.append({"lot": a["lot"], "bin": a["bin"], "quantity": a["quantity"]})

    def reserve(
        self,
        order_id: str,
        quantity: int,
        allocations: list[dict[str, Any]] | None = None,
        policy: str = "FIFO",
        as_of: str | None = None,
    ) -> None:
        if quantity <= 0:
            raise InvalidTransition("reserved quantity must be positive")
        if allocations is None:  # no lot preference given: oldest receipt first
            if quantity > self.available:
                raise InsufficientStock(self.warehouse_id, self.sku, quantity, self.available)
            allocations, _ = choose_lots(self.lots, quantity, False, 0, date.min)
        total = 0
        for a in allocations:
            total += a["quantity"]
            # Each named lot must hold the units free, so the stock as a whole does too.
            lot = self.lots.get(lot_key(a["lot"], a["bin"]))
            if lot is None or lot["on_hand"] - lot["reserved"] < a["quantity"]:
                raise InsufficientStock(self.warehouse_id, self.sku, quantity, self.available)
        if total != quantity:
            raise InvalidTransition("lot allocations do not add up to the reserved quantity")
        self.trigger_event(
            self.Reserved,
            order_id=order_id,
            quantity=quantity,
            allocations=allocations,
            policy=policy,
            as_of=as_of,
        )

    class ReservationReleased(Aggregate.Event):
        class_version = 2
        order_id: str
        quantity: int
        allocations: list[dict[str, Any]]

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["allocations"] = [{"lot": UNLOTTED, "bin": None, "quantity": state["quantity"]}]

    def release(self, order_id: str) -> int:
        quantity = self.reservations.get(order_id, 0)
        if quantity:
            self._released(
                order_id=order_id,
                quantity=quantity,
                allocations=[dict(a) for a in self.allocations.get(order_id, [])],
            )
        return quantity

    @event(ReservationReleased)
    def _released(self, order_id: str, quantity: int, allocations: list[dict[str, Any]]) -> None:
        self.reservations.pop(order_id, None)
        self.allocations.pop(order_id, None)
        for a in allocations:
            lot = self.lots.get(lot_key(a["lot"], a["bin"]))
            if lot is not None:
                lot["reserved"] -= a["quantity"]

    # ------------------------------------------------------------------ picking
    def _take_allocation(self, order_id: str, lot: str, bin: str | None, quantity: int) -> None:
        remaining = quantity
        for a in self.allocations.get(order_id, []):
            if a["lot"] == lot and a["bin"] == bin and remaining:
                take = min(remaining, a["quantity"])
                a["quantity"] -= take
                remaining -= take
        self.allocations[order_id] = [
            a for a in self.allocations.get(order_id, []) if a["quantity"]
        ]
        if not self.allocations[order_id]:
            del self.allocations[order_id]
        self.reservations[order_id] -= quantity
        if not self.reservations[order_id]:
            del self.reservations[order_id]
        entry = self.lots[lot_key(lot, bin)]
        entry["reserved"] -= quantity

    def allocated(self, order_id: str, lot: str, bin: str | None) -> int:
        return sum(
            a["quantity"]
            for a in self.allocations.get(order_id, [])
            if a["lot"] == lot and a["bin"] == bin
        )

    def pick(self, order_id: str, lot: str, bin: str | None, quantity: int) -> None:
        if quantity <= 0 or self.allocated(order_id, lot, bin) < quantity:
            raise InvalidTransition(
                f"{quantity} of {self.sku} lot {lot} in {bin} is not reserved for this order"
            )
        self._picked(order_id=order_id, lot=lot, bin=bin, quantity=quantity)

    @event("Picked")
    def _picked(self, order_id: str, lot: str, bin: str | None, quantity: int) -> None:
        self._take_allocation(order_id, lot, bin, quantity)
        entry = self.lots[lot_key(lot, bin)]
        entry["on_hand"] -= quantity
        self.on_hand -= quantity
        if entry["on_hand"] == 0 and entry["reserved"] == 0:
            del self.lots[lot_key(lot, bin)]

    def record_short(
        self, order_id: str, lot: str, bin: str | None, missing: int, reason: str
    ) -> None:
        """A picker found fewer units than reserved: the missing units leave the stock."""
        if missing <= 0 or self.allocated(order_id, lot, bin) < missing:
            raise InvalidTransition("short quantity exceeds what is reserved in that bin")
        self._short(order_id=order_id, lot=lot, bin=bin, missing=missing, reason=reason)

    @event("ShortPicked")
    def _short(self, order_id: str, lot: str, bin: str | None, missing: int, reason: str) -> None:
        self._take_allocation(order_id, lot, bin, missing)
        entry = self.lots[lot_key(lot, bin)]
        entry["on_hand"] -= missing
        self.on_hand -= missing

    # ------------------------------------------------------------------ counting
    def count(
        self,
        lot: str,
        bin: str,
        counted: int,
        reason: str,
        count_ref: str,
        expiry: str | None = None,
    ) -> int | None:
        """A cycle count sets the bin's lot to what was counted. Returns the difference, or
        None when this count reference was already applied."""
        if count_ref in self.counts:
            return None
        if counted < 0:
            raise InvalidTransition("a counted quantity cannot be negative")
        entry = self.lots.get(lot_key(lot, bin))
        before = entry["on_hand"] if entry else 0
        reserved = entry["reserved"] if entry else 0
        if counted < reserved:
            raise InvalidTransition(
                f"{reserved} units of lot {lot} in {bin} are reserved; count {counted} needs a "
                "short pick or a re-reservation first"
            )
        self._counted(
            lot=lot,
            bin=bin,
            counted=counted,
            difference=counted - before,
            reason=reason,
            count_ref=count_ref,
            expiry=entry.get("expiry") if entry else expiry,
        )
        return counted - before

    @event("Counted")
    def _counted(
        self,
        lot: str,
        bin: str,
        counted: int,
        difference: int,
        reason: str,
        count_ref: str,
        expiry: str | None,
    ) -> None:
        key = self._lot_entry(lot, bin, expiry)
        self.lots[key]["on_hand"] = counted
        self.on_hand += difference
        self.counts.append(count_ref)
