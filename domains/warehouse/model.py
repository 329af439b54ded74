"""Stock per (warehouse, SKU): the consistency boundary for reservations.

A reservation is saved in the same transaction as the order's split; optimistic concurrency on
this aggregate is what stops two orders from reserving the same last units.
"""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domains.common import InsufficientStock, InvalidTransition, stable_id


class Inventory(Aggregate):
    @staticmethod
    def create_id(warehouse_id: str, sku: str) -> UUID:
        return stable_id("inventory", warehouse_id, sku)

    @event("Opened")
    def __init__(self, warehouse_id: str, sku: str) -> None:
        self.warehouse_id = warehouse_id
        self.sku = sku
        self.on_hand = 0
        self.reservations: dict[str, int] = {}
        self.receipts: list[str] = []

    @property
    def reserved(self) -> int:
        return sum(self.reservations.values())

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    def receive(self, quantity: int, receipt_ref: str) -> bool:
        """Idempotent per receipt reference: a repeated receipt is not counted twice."""
        if receipt_ref in self.receipts:
            return False
        if quantity <= 0:
            raise InvalidTransition("received quantity must be positive")
        self._received(quantity=quantity, receipt_ref=receipt_ref)
        return True

    @event("Received")
    def _received(self, quantity: int, receipt_ref: str) -> None:
        self.on_hand += quantity
        self.receipts.append(receipt_ref)

    def reserve(self, order_id: str, quantity: int) -> None:
        if quantity <= 0:
            raise InvalidTransition("reserved quantity must be positive")
        if quantity > self.available:
            raise InsufficientStock(self.warehouse_id, self.sku, quantity, self.available)
        self._reserved(order_id=order_id, quantity=quantity)

    @event("Reserved")
    def _reserved(self, order_id: str, quantity: int) -> None:
        self.reservations[order_id] = self.reservations.get(order_id, 0) + quantity

    def release(self, order_id: str) -> int:
        quantity = self.reservations.get(order_id, 0)
        if quantity:
            self._released(order_id=order_id, quantity=quantity)
        return quantity

    @event("ReservationReleased")
    def _released(self, order_id: str, quantity: int) -> None:
        self.reservations.pop(order_id, None)
