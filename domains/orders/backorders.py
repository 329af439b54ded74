"""Orders held for stock, per SKU, oldest first: the index that lets arriving stock find the
orders waiting for it without reading a view that may lag.

One `BackorderQueue` stream per SKU, written in the SAME transaction as the hold (intake, a
re-review, a pre-sale backordered) and as the release, so it never disagrees with the orders:
a queue entry without a held order is dropped when met; a held order is always queued. Each
entry keeps what the release needs to skip it without reading the order (units of this SKU,
all its lines, destination, channel).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domains.common import stable_id


class BackorderQueue(Aggregate):
    @staticmethod
    def create_id(sku: str) -> UUID:
        return stable_id("backorders", sku)

    @event("Opened")
    def __init__(self, sku: str) -> None:
        self.sku = sku
        self.seq = 0
        # order id -> {held_at, seq, quantity (of this SKU), lines, destination, channel}
        self.waiting: dict[str, dict[str, Any]] = {}

    def __deepcopy__(self, memo: dict[int, Any]) -> BackorderQueue:
        """Copied out of the repository's cache for every command: flat entries, shallow
        copies (entry `lines` are never changed in place)."""
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone.waiting = {order: dict(entry) for order, entry in self.waiting.items()}
        return clone

    def wait(
        self,
        order_id: str,
        held_at: str,
        lines: dict[str, int],
        destination: str,
        channel: str,
    ) -> bool:
        """Queues the order (False when it already waits: it keeps its place)."""
        if order_id in self.waiting:
            return False
        self._waited(
            order_id=order_id,
            held_at=held_at,
            lines=dict(lines),
            destination=destination,
            channel=channel,
        )
        return True

    @event("Waiting")
    def _waited(
        self,
        order_id: str,
        held_at: str,
        lines: dict[str, int],
        destination: str,
        channel: str,
    ) -> None:
        self.seq += 1
        self.waiting[order_id] = {
            "held_at": held_at,
            "seq": self.seq,
            "quantity": lines.get(self.sku, 0),
            "lines": lines,
            "destination": destination,
            "channel": channel,
        }

    def leave(self, order_id: str, outcome: str, trigger: dict[str, Any] | None) -> bool:
        """The order no longer waits for this SKU (`outcome`: allocated, cancelled, held for
        another reason...), and what triggered it."""
        if order_id not in self.waiting:
            return False
        self._left(order_id=order_id, outcome=outcome, trigger=trigger)
        return True

    @event("Left")
    def _left(self, order_id: str, outcome: str, trigger: dict[str, Any] | None) -> None:
        self.waiting.pop(order_id, None)

    def claim(self, free: int) -> int:
        """Units of `free` stock the waiting orders would take, oldest first (each takes its
        units when they fit, as the release does): what a new order must leave them."""
        remaining = free
        for entry in self.waiting.values():  # in the order they started waiting
            if entry["quantity"] <= remaining:
                remaining -= entry["quantity"]
                if not remaining:
                    break
        return free - remaining

    def restocked(self, trigger: dict[str, Any]) -> None:
        """Stock of this SKU arrived (`trigger`: the receipt, inbound, count or cancellation).
        Recorded in the same transaction as the stock, so a hold decided on the stock before it
        conflicts with this and is decided again: no order starts waiting for stock that
        arrived while it was being decided."""
        self._restocked(trigger=trigger)

    @event("Restocked")
    def _restocked(self, trigger: dict[str, Any]) -> None:
        pass

    def oldest_first(self) -> list[tuple[str, dict[str, Any]]]:
        return sorted(self.waiting.items(), key=lambda kv: (kv[1]["held_at"], kv[1]["seq"]))


BACKORDER_TOPICS = [
    f"domains.orders.backorders:BackorderQueue.{name}"
    for name in ("Opened", "Waiting", "Left", "Restocked")
]
