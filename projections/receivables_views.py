"""Receivables queries. The context keeps its invoices and payments on its own aggregates (a
dealer's account is small); what it reads from the views is which of a dealer's orders are
held over the credit limit, oldest first (the orders list, projections/orders_views.py)."""

from __future__ import annotations

from collections.abc import Callable

from projections.db import ViewDB, Where


def held_over_credit(db: ViewDB, dealer_id: str) -> list[str]:
    where = (
        Where()
        .equal("dealer_id", dealer_id)
        .equal("status", "held")
        .listed("hold_codes", "over_credit_limit")
    )
    rows = db.query(
        f"SELECT order_id FROM view_orders WHERE {where.sql} "  # noqa: S608 - fixed SQL
        "ORDER BY received_at, order_id",
        where.params,
    )
    return [r["order_id"] for r in rows]


class ReceivablesViews:
    """The CreditHolds port (domains/receivables/ports.py), read-your-writes."""

    def __init__(self, db: ViewDB, fresh: Callable[[], None]) -> None:
        self.db = db
        self.fresh = fresh

    def held_over_credit(self, dealer_id: str) -> list[str]:
        self.fresh()
        return held_over_credit(self.db, dealer_id)
