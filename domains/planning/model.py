"""Planning's suggestions, each an aggregate an admin decides (`Decidable`: pending, then
accepted or rejected once, with who and why):

- a replenishment suggestion: one (warehouse, SKU) as of one day, with every number that made
  it (forecast method and parameters, error, lead time, service level, stock position) and the
  versions of the data and rules used; accepting it books an inbound shipment (its id is
  recorded);
- a slow-mover suggestion: one (warehouse, SKU, kind: transfer, bundle or markdown) as of one
  day, with the stock's numbers (cover, lot ages, storage cost) and the suggestion's own
  (targets and their demand; support, confidence, lift; the markdown and why); accepting a
  transfer books it through the inbound transfer use cases, a bundle or markdown is recorded.

Event bodies only record decisions made before."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domains.common import InvalidTransition, stable_id

PENDING, ACCEPTED, REJECTED = "pending", "accepted", "rejected"


def suggestion_id(as_of: str, warehouse_id: str, sku: str) -> str:
    return f"RPL-{as_of}-{warehouse_id}-{sku}"


def slow_mover_id(as_of: str, warehouse_id: str, sku: str, kind: str) -> str:
    return f"SLM-{as_of}-{warehouse_id}-{sku}-{kind}"


class Decidable:
    """What every suggestion shares: decided once, from pending, with who and why. The
    events stay each aggregate's own (their names are in the stored topics)."""

    suggestion_id: str
    status: str
    decision: dict[str, Any] | None

    def _require_pending(self) -> None:
        if self.status != PENDING:
            raise InvalidTransition(f"suggestion {self.suggestion_id} is already {self.status}")

    def _decided(self, status: str, **decision: Any) -> None:
        self.status = status
        self.decision = decision

    def reject(self, by: str, reason: str, at: str) -> None:
        self._require_pending()
        self._rejected(by=by, reason=reason, at=at)

    def _rejected(self, by: str, reason: str, at: str) -> None:
        raise NotImplementedError  # each aggregate's own event


class ReplenishmentSuggestion(Decidable, Aggregate):
    @staticmethod
    def create_id(suggestion_id: str) -> UUID:
        return stable_id("replenishment", suggestion_id)

    @event("ReplenishmentSuggested")
    def __init__(
        self,
        suggestion_id: str,
        warehouse_id: str,
        sku: str,
        as_of: str,
        supplier: dict[str, Any],
        figures: dict[str, Any],
        forecast: dict[str, Any],
        accuracy: dict[str, Any],
        versions: dict[str, str],
        suggested_by: str,
        at: str,
    ) -> None:
        self.suggestion_id = suggestion_id
        self.warehouse_id = warehouse_id
        self.sku = sku
        self.as_of = as_of
        self.supplier = supplier
        self.figures = figures
        self.forecast = forecast
        self.accuracy = accuracy
        self.versions = versions
        self.suggested_by = suggested_by
        self.suggested_at = at
        self.status = PENDING
        self.decision = None

    def accept(self, by: str, inbound_id: str, quantity: int, at: str) -> None:
        self._require_pending()
        self._accepted(by=by, inbound_id=inbound_id, quantity=quantity, at=at)

    @event("ReplenishmentAccepted")
    def _accepted(self, by: str, inbound_id: str, quantity: int, at: str) -> None:
        self._decided(ACCEPTED, by=by, inbound_id=inbound_id, quantity=quantity, at=at)

    @event("ReplenishmentRejected")
    def _rejected(self, by: str, reason: str, at: str) -> None:
        self._decided(REJECTED, by=by, reason=reason, at=at)

    def summary(self) -> dict[str, Any]:
        return {
            "suggestion_id": self.suggestion_id,
            "warehouse_id": self.warehouse_id,
            "sku": self.sku,
            "as_of": self.as_of,
            "status": self.status,
            "supplier": self.supplier,
            "figures": self.figures,
            "forecast": self.forecast,
            "accuracy": self.accuracy,
            "versions": self.versions,
            "suggested_by": self.suggested_by,
            "decision": self.decision,
        }


class SlowMoverSuggestion(Decidable, Aggregate):
    @staticmethod
    def create_id(suggestion_id: str) -> UUID:
        return stable_id("slow-mover", suggestion_id)

    @event("SlowMoverSuggested")
    def __init__(
        self,
        suggestion_id: str,
        warehouse_id: str,
        sku: str,
        kind: str,
        as_of: str,
        stock: dict[str, Any],
        figures: dict[str, Any],
        versions: dict[str, str],
        suggested_by: str,
        at: str,
    ) -> None:
        """`stock`: the slow mover's numbers (free units, rate, days of cover, lots and their
        ages, storage cost); `figures`: the suggestion's own (its kind's numbers)."""
        self.suggestion_id = suggestion_id
        self.warehouse_id = warehouse_id
        self.sku = sku
        self.kind = kind
        self.as_of = as_of
        self.stock = stock
        self.figures = figures
        self.versions = versions
        self.suggested_by = suggested_by
        self.suggested_at = at
        self.status = PENDING
        self.decision = None

    def accept(self, by: str, reason: str, transfers: list[str], at: str) -> None:
        """`transfers`: the inbound ids of the transfers booked (a transfer only)."""
        self._require_pending()
        self._accepted(by=by, reason=reason, transfers=transfers, at=at)

    @event("SlowMoverAccepted")
    def _accepted(self, by: str, reason: str, transfers: list[str], at: str) -> None:
        self._decided(ACCEPTED, by=by, reason=reason, transfers=transfers, at=at)

    @event("SlowMoverRejected")
    def _rejected(self, by: str, reason: str, at: str) -> None:
        self._decided(REJECTED, by=by, reason=reason, at=at)

    def summary(self) -> dict[str, Any]:
        return {
            "suggestion_id": self.suggestion_id,
            "warehouse_id": self.warehouse_id,
            "sku": self.sku,
            "kind": self.kind,
            "as_of": self.as_of,
            "status": self.status,
            "stock": self.stock,
            "figures": self.figures,
            "versions": self.versions,
            "suggested_by": self.suggested_by,
            "decision": self.decision,
        }
