"""A replenishment suggestion: one (warehouse, SKU) as of one day, with every number that made
it (forecast method and parameters, error, lead time, service level, stock position) and the
versions of the data and rules used. An admin accepts it (an inbound shipment is booked; its
id is recorded) or rejects it (who and why). Event bodies only record decisions made before."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domains.common import InvalidTransition, stable_id

PENDING, ACCEPTED, REJECTED = "pending", "accepted", "rejected"


def suggestion_id(as_of: str, warehouse_id: str, sku: str) -> str:
    return f"RPL-{as_of}-{warehouse_id}-{sku}"


class ReplenishmentSuggestion(Aggregate):
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
        self.decision: dict[str, Any] | None = None

    def _require_pending(self) -> None:
        if self.status != PENDING:
            raise InvalidTransition(f"suggestion {self.suggestion_id} is already {self.status}")

    def accept(self, by: str, inbound_id: str, quantity: int, at: str) -> None:
        self._require_pending()
        self._accepted(by=by, inbound_id=inbound_id, quantity=quantity, at=at)

    @event("ReplenishmentAccepted")
    def _accepted(self, by: str, inbound_id: str, quantity: int, at: str) -> None:
        self.status = ACCEPTED
        self.decision = {"by": by, "inbound_id": inbound_id, "quantity": quantity, "at": at}

    def reject(self, by: str, reason: str, at: str) -> None:
        self._require_pending()
        self._rejected(by=by, reason=reason, at=at)

    @event("ReplenishmentRejected")
    def _rejected(self, by: str, reason: str, at: str) -> None:
        self.status = REJECTED
        self.decision = {"by": by, "reason": reason, "at": at}

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
