"""Orders held over a dealer's credit limit, decided again once a payment freed credit.

The receivables context calls `reexamine_credit_holds` AFTER the payment's own commit (the
`release_after_commit` pattern of domains/orders/restock.py): the payment is recorded whatever
happens here. The dealer's held orders are taken oldest first, each reviewed again under the
same rules as intake (no rule overridden) in one transaction with the dealer's stream, so the
credit an order takes is seen by the next. The first order still over the limit stops the
pass: a younger, smaller order does not jump the queue of the dealer's own orders.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from domains.common import InvalidTransition
from domains.orders.allocation import Allocator
from domains.orders.intake import IntakeBatch
from domains.orders.model import ALLOCATED, HELD, Order
from domains.reference.application import ReferenceUseCases
from domains.store import Store, retry_on_conflict


def held_for_credit(order: Any) -> bool:
    return (
        isinstance(order, Order)
        and order.status == HELD
        and any(h["code"] == "over_credit_limit" for h in order.hold_reasons)
    )


class CreditHoldUseCases:
    """Mixed into `OrderUseCases` (domains/orders/application.py), which provides these."""

    store: Store
    reference: ReferenceUseCases
    allocator: Allocator

    def _batch(self, follower: Any = None) -> IntakeBatch:
        raise NotImplementedError

    def reexamine_credit_holds(
        self, order_ids: Sequence[str], trigger: dict[str, Any]
    ) -> dict[str, Any]:
        """`order_ids`: the dealer's orders held over its limit, oldest first. Answers
        {"examined", "allocated", "still_held": [ids]}; never raises for a conflict that keeps
        coming back (the orders stay held; the next payment tries again)."""

        def attempt(_: int) -> dict[str, Any]:
            batch = self._batch()
            ref = self.reference.current()
            examined: list[str] = []
            allocated: list[str] = []
            for order_id in order_ids:
                order = self.store.get_or_none(UUID(order_id))
                if not held_for_credit(order):
                    continue  # released, cancelled or re-examined meanwhile
                assert isinstance(order, Order)
                examined.append(order_id)
                order.reexamine_for_credit(trigger=trigger)
                batch.touch(order)
                self.allocator.review_and_allocate(batch, order, ref)
                if order.status == ALLOCATED:
                    allocated.append(order_id)
                if held_for_credit(order):
                    break
            if batch.touched:
                self.store.commit(*batch.touched.values())
            return {"examined": examined, "allocated": allocated}

        try:
            result = retry_on_conflict(attempt)
        except InvalidTransition as exc:
            return {"pending": True, "reason": str(exc), "examined": [], "allocated": []}
        result["still_held"] = [
            i for i in order_ids if held_for_credit(self.store.get_or_none(UUID(i)))
        ]
        return result
