"""Stock per (warehouse, SKU), held by lot and bin: the consistency boundary for reservations.

A reservation names the lots and bins it takes (chosen by domains/warehouse/lots.py before the
event), and is saved in the same transaction as the order's split; optimistic concurrency on
this aggregate is what stops two orders from reserving the same last units.

Version 2 added lots and bins. Streams written before (v1 events and v1 snapshots) still load:
their stock becomes one UNLOTTED lot without a bin, see the upcasters. Version 3 added stock
that is expected (inbound shipments), reserved against it (pre-sales) and shipped out to another
warehouse (transfers): older snapshots start with none of these (`upcast_v2_v3`).
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
    class_version = 3

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

    @staticmethod
    def upcast_v2_v3(state: dict[str, Any]) -> None:
        """A v2 snapshot: nothing expected, pre-sold or in transit yet."""
        state.setdefault("inbound", {})
        state.setdefault("presales", {})
        state.setdefault("shipped_out", {})

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
        # inbound id -> {arrival (ISO date), lines [{lot, expiry, quantity}], quantity, presold}
        self.inbound: dict[str, dict[str, Any]] = {}
        # order id -> {inbound_id, quantity, channel, seq}: in the order they were taken
        self.presales: dict[str, dict[str, Any]] = {}
        # reservation key (e.g. "transfer:<id>") -> units taken off the shelf to another place
        self.shipped_out: dict[str, int] = {}

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
            elif name in ("reservations", "shipped_out"):
                value = dict(value)
            elif name == "presales":
                value = {order: dict(entry) for order, entry in value.items()}
            elif name == "inbound":
                value = {
                    key: dict(entry, lines=[dict(line) for line in entry["lines"]])
                    for key, entry in value.items()
                }
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
        """Gives back what the order holds here: reserved units, and units pre-sold against an
        inbound. Returns how many."""
        quantity = self.reservations.get(order_id, 0)
        if quantity:
            self._released(
                order_id=order_id,
                quantity=quantity,
                allocations=[dict(a) for a in self.allocations.get(order_id, [])],
            )
        presale = self.presales.get(order_id)
        if presale is not None:
            self._presale_released(
                order_id=order_id,
                inbound_id=presale["inbound_id"],
                quantity=presale["quantity"],
                reason="released",
            )
            quantity += presale["quantity"]
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

    # ------------------------------------------------------------------ inbound and pre-sale
    # Stock on its way here (an inbound shipment), what is pre-sold against it, and its
    # arrival: the receipt turns pre-sales into reservations of the received lots, in the order
    # they were taken; whatever it cannot cover is handed back (backordered), never oversold.
    def presold(self, inbound_id: str) -> int:
        entry = self.inbound.get(inbound_id)
        return entry["presold"] if entry else 0

    def presale_free(self, inbound_id: str) -> int:
        """Units of the inbound not yet pre-sold."""
        entry = self.inbound.get(inbound_id)
        return entry["quantity"] - entry["presold"] if entry else 0

    @property
    def expected(self) -> int:
        return sum(entry["quantity"] for entry in self.inbound.values())

    @property
    def reserved_inbound(self) -> int:
        return sum(entry["presold"] for entry in self.inbound.values())

    def presales_of(self, inbound_id: str) -> list[str]:
        """The orders pre-sold against the inbound, in the order they were taken."""
        return [
            order
            for order, p in sorted(self.presales.items(), key=lambda kv: kv[1]["seq"])
            if p["inbound_id"] == inbound_id
        ]

    def _closed(self, inbound_id: str) -> bool:
        return f"inbound:{inbound_id}" in self.receipts

    class InboundExpected(Aggregate.Event):
        class_version = 1
        inbound_id: str
        arrival: str
        lines: list[dict[str, Any]]

        def apply(self, aggregate: Inventory) -> None:
            previous = aggregate.inbound.get(self.inbound_id)
            aggregate.inbound[self.inbound_id] = {
                "arrival": self.arrival,
                "lines": [dict(line) for line in self.lines],
                "quantity": sum(line["quantity"] for line in self.lines),
                "presold": previous["presold"] if previous else 0,
            }

    def expect(self, inbound_id: str, arrival: str, lines: list[dict[str, Any]]) -> bool:
        """Units of this SKU coming on an inbound shipment ([{lot, expiry, quantity}]). A repeat
        of the same expectation changes nothing (False); an amended one replaces it, but may not
        drop below what is already pre-sold against it."""
        if self._closed(inbound_id):
            raise InvalidTransition(f"inbound {inbound_id} was already received or cancelled")
        lines = [
            {
                "lot": ln.get("lot") or UNLOTTED,
                "expiry": ln.get("expiry"),
                "quantity": ln["quantity"],
            }
            for ln in lines
        ]
        if any(ln["quantity"] <= 0 for ln in lines) or not lines:
            raise InvalidTransition("expected quantities must be positive")
        current = self.inbound.get(inbound_id)
        if current is not None and current["arrival"] == arrival and current["lines"] == lines:
            return False
        total = sum(ln["quantity"] for ln in lines)
        if current is not None and total < current["presold"]:
            raise InvalidTransition(
                f"{current['presold']} units of {self.sku} on inbound {inbound_id} are pre-sold; "
                f"it cannot be amended to {total}"
            )
        self.trigger_event(
            self.InboundExpected, inbound_id=inbound_id, arrival=arrival, lines=lines
        )
        return True

    def reschedule(self, inbound_id: str, arrival: str, reason: str) -> list[str]:
        """A new expected arrival; answers the orders pre-sold against the inbound."""
        entry = self.inbound.get(inbound_id)
        if entry is None:
            raise InvalidTransition(f"no inbound {inbound_id} is expected for {self.sku} here")
        if entry["arrival"] != arrival:
            self._rescheduled(inbound_id=inbound_id, arrival=arrival, reason=reason)
        return self.presales_of(inbound_id)

    @event("InboundRescheduled")
    def _rescheduled(self, inbound_id: str, arrival: str, reason: str) -> None:
        self.inbound[inbound_id]["arrival"] = arrival

    class PresaleReserved(Aggregate.Event):
        class_version = 1
        order_id: str
        inbound_id: str
        quantity: int
        channel: str
        arrival: str

        def apply(self, aggregate: Inventory) -> None:
            aggregate.seq += 1
            aggregate.presales[self.order_id] = {
                "inbound_id": self.inbound_id,
                "quantity": self.quantity,
                "channel": self.channel,
                "seq": aggregate.seq,
            }
            aggregate.inbound[self.inbound_id]["presold"] += self.quantity

    def presell(self, order_id: str, inbound_id: str, quantity: int, channel: str) -> None:
        """Reserves units of an expected inbound for an order (one inbound per order here)."""
        if quantity <= 0:
            raise InvalidTransition("pre-sold quantity must be positive")
        if order_id in self.presales:
            raise InvalidTransition(f"order {order_id} is already pre-sold {self.sku} here")
        free = self.presale_free(inbound_id)
        if quantity > free:
            raise InsufficientStock(self.warehouse_id, self.sku, quantity, free)
        self.trigger_event(
            self.PresaleReserved,
            order_id=order_id,
            inbound_id=inbound_id,
            quantity=quantity,
            channel=channel,
            arrival=self.inbound[inbound_id]["arrival"],
        )

    def presold_to(self, channel: str) -> int:
        return sum(p["quantity"] for p in self.presales.values() if p["channel"] == channel)

    @event("PresaleReleased")
    def _presale_released(self, order_id: str, inbound_id: str, quantity: int, reason: str) -> None:
        self.presales.pop(order_id, None)
        entry = self.inbound.get(inbound_id)
        if entry is not None:
            entry["presold"] -= quantity

    def plan_inbound_receipt(
        self,
        inbound_id: str,
        received: list[dict[str, Any]],
        perishable: bool,
        min_shelf_days: int,
        today: date,
    ) -> dict[str, Any]:
        """The receipt decided before it is recorded: the lots that go on hand ([{lot, bin,
        expiry, quantity}]), then each pre-sale of this inbound in the order it was taken, made
        a reservation of the lots free after the receipt (FEFO for perishables, else FIFO), or
        backordered from the first one the stock cannot cover (later ones do not overtake it)."""
        lots = {key: dict(lot) for key, lot in self.lots.items()}
        seq = self.seq
        for r in received:
            key = lot_key(r["lot"], r["bin"])
            if key not in lots:
                seq += 1
                lots[key] = {
                    "lot": r["lot"],
                    "bin": r["bin"],
                    "expiry": r["expiry"],
                    "seq": seq,
                    "on_hand": 0,
                    "reserved": 0,
                }
            elif lots[key].get("expiry") != r["expiry"]:
                raise InvalidTransition(
                    f"lot {r['lot']} in {r['bin']} has expiry {lots[key].get('expiry')}, "
                    f"not {r['expiry']}"
                )
            lots[key]["on_hand"] += r["quantity"]
        converted: list[dict[str, Any]] = []
        backordered: list[dict[str, Any]] = []
        for order_id in self.presales_of(inbound_id):
            quantity = self.presales[order_id]["quantity"]
            allocations, short = (
                choose_lots(lots, quantity, perishable, min_shelf_days, today)
                if not backordered
                else ([], quantity)
            )
            if short:
                backordered.append({"order_id": order_id, "quantity": quantity})
                continue
            for a in allocations:
                lots[lot_key(a["lot"], a["bin"])]["reserved"] += a["quantity"]
            converted.append(
                {
                    "order_id": order_id,
                    "quantity": quantity,
                    "allocations": allocations,
                    "policy": "FEFO" if perishable else "FIFO",
                }
            )
        return {
            "inbound_id": inbound_id,
            "received": [
                {"lot": r["lot"], "bin": r["bin"], "expiry": r["expiry"], "quantity": r["quantity"]}
                for r in received
            ],
            "converted": converted,
            "backordered": backordered,
            "as_of": today.isoformat(),
        }

    class InboundReceived(Aggregate.Event):
        class_version = 1
        inbound_id: str
        received: list[dict[str, Any]]
        converted: list[dict[str, Any]]
        backordered: list[dict[str, Any]]
        as_of: str

        def apply(self, aggregate: Inventory) -> None:
            for r in self.received:
                key = aggregate._lot_entry(r["lot"], r["bin"], r["expiry"])
                aggregate.lots[key]["on_hand"] += r["quantity"]
                aggregate.on_hand += r["quantity"]
            for c in self.converted:
                aggregate.presales.pop(c["order_id"], None)
                aggregate.reservations[c["order_id"]] = (
                    aggregate.reservations.get(c["order_id"], 0) + c["quantity"]
                )
                mine = aggregate.allocations.setdefault(c["order_id"], [])
                for a in c["allocations"]:
                    aggregate.lots[lot_key(a["lot"], a["bin"])]["reserved"] += a["quantity"]
                    mine.append({"lot": a["lot"], "bin": a["bin"], "quantity": a["quantity"]})
            for b in self.backordered:
                aggregate.presales.pop(b["order_id"], None)
            aggregate.inbound.pop(self.inbound_id, None)
            aggregate.receipts.append(f"inbound:{self.inbound_id}")

    def receive_inbound(self, plan: dict[str, Any]) -> bool:
        """Records a receipt decided by `plan_inbound_receipt`; once per inbound (False for a
        repeat)."""
        if self._closed(plan["inbound_id"]):
            return False
        if any(r["quantity"] <= 0 for r in plan["received"]):
            raise InvalidTransition("received quantities must be positive")
        self.trigger_event(self.InboundReceived, **plan)
        return True

    def cancel_inbound(self, inbound_id: str, reason: str) -> list[str]:
        """The inbound will not come: its expectation is dropped and its pre-sales handed back
        (answered, in the order they were taken, for the caller to backorder)."""
        if self._closed(inbound_id) or inbound_id not in self.inbound:
            return []
        orders = self.presales_of(inbound_id)
        self._inbound_cancelled(inbound_id=inbound_id, reason=reason, backordered=orders)
        return orders

    @event("InboundCancelled")
    def _inbound_cancelled(self, inbound_id: str, reason: str, backordered: list[str]) -> None:
        for order_id in backordered:
            self.presales.pop(order_id, None)
        self.inbound.pop(inbound_id, None)
        self.receipts.append(f"inbound:{inbound_id}")

    # ------------------------------------------------------------------ transfers out
    def ship_out(self, key: str, reason: str) -> int:
        """The units reserved under `key` (e.g. "transfer:<id>") leave the shelf for another
        warehouse: off hand here, in transit until the other end receives them. Returns the
        units; 0 when nothing is reserved under the key (a repeat)."""
        quantity = self.reservations.get(key, 0)
        if not quantity:
            return 0
        self._shipped_out(
            key=key,
            quantity=quantity,
            allocations=[dict(a) for a in self.allocations.get(key, [])],
            reason=reason,
        )
        return quantity

    @event("ShippedOut")
    def _shipped_out(
        self, key: str, quantity: int, allocations: list[dict[str, Any]], reason: str
    ) -> None:
        for a in allocations:
            k = lot_key(a["lot"], a["bin"])
            entry = self.lots[k]
            entry["on_hand"] -= a["quantity"]
            entry["reserved"] -= a["quantity"]
            if entry["on_hand"] == 0 and entry["reserved"] == 0:
                del self.lots[k]
        self.on_hand -= quantity
        self.reservations.pop(key, None)
        self.allocations.pop(key, None)
        self.shipped_out[key] = self.shipped_out.get(key, 0) + quantity
