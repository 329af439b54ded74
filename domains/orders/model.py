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

RECEIVED = "received"
APPROVED = "approved"
HELD = "held"
ALLOCATED = "allocated"
CANCELLED = "cancelled"


def order_total(canonical: dict[str, Any]) -> Decimal:
    return sum(
        (Decimal(line["unit_price"]) * line["quantity"] for line in canonical["lines"]),
        Decimal("0"),
    )


class Order(Aggregate):
    @staticmethod
    def create_id(channel: str, external_id: str) -> UUID:
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
    @event("Reviewed")
    def record_review(self, rules: list[dict[str, Any]], outcome: str) -> None:
        if self.status in (ALLOCATED, CANCELLED):
            raise InvalidTransition(f"order is {self.status}; it cannot be reviewed again")
        self.review = {"rules": rules, "outcome": outcome}
        self.hold_reasons = [
            {"rule": r["rule"], "code": r["code"], "reason": r["reason"]}
            for r in rules
            if not r["passed"] and r["rule"] not in self.overrides
        ]
        self.status = APPROVED if outcome == APPROVED else HELD

    @event("Split")
    def record_split(self, decision: dict[str, Any]) -> None:
        if self.status != APPROVED:
            raise InvalidTransition(f"order is {self.status}; only an approved order is split")
        self.split = decision
        self.status = ALLOCATED

    @event("Backordered")
    def backorder(self, shortages: list[dict[str, Any]]) -> None:
        """Stock vanished between review and reservation (a competing order won the race)."""
        self.status = HELD
        self.hold_reasons = [
            {
                "rule": "stock",
                "code": "insufficient_stock",
                "reason": "insufficient stock: "
                + "; ".join(f"{s['sku']} short by {s['short']}" for s in shortages),
            }
        ]

    @event("Released")
    def release(self, reason: str, released_by: str) -> None:
        if self.status != HELD:
            raise InvalidTransition(f"order is {self.status}; only a held order is released")
        if not reason.strip():
            raise InvalidTransition("a release needs a reason")
        # Stock cannot be overridden by a person: there is no stock to promise.
        self.overrides = sorted(
            {h["rule"] for h in self.hold_reasons if h["rule"] != "stock"} | set(self.overrides)
        )
        self.status = RECEIVED

    @event("Cancelled")
    def cancel(self, reason: str, cancelled_by: str) -> None:
        if self.status == CANCELLED:
            raise InvalidTransition("order is already cancelled")
        if not reason.strip():
            raise InvalidTransition("a cancellation needs a reason")
        self.status = CANCELLED
        self.cancel_reason = reason
        self.hold_reasons = []
