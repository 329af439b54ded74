"""The journey's read models: each order's promised delivery date (the order list filters by
it) and the buyer's tracking tokens (the public tracking page finds its shipment by one); the
queries the journey reads (SLA alerts per shipment, a token's shipment); and the order list's
journey filters (carrier, waybill, promised date, the customer search of privacy_views.py)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any
from uuid import UUID

from domains.journey import promised_date, shipment_id
from projections.db import ViewDB, Where
from projections.runner import Projector

ORDER = "domains.orders.model:Order."


class JourneyView(Projector):
    """`tokens` makes a shipment's tracking token (an HMAC under the server's secret, so a
    rebuild makes the same tokens); without it (a store with no keys) no token is listed."""

    name = "journey"
    tables = ("view_order_promises", "view_tracking_tokens")
    topic_prefixes = (ORDER,)
    ddl = (
        """CREATE TABLE IF NOT EXISTS view_order_promises (
            order_id TEXT PRIMARY KEY, channel TEXT NOT NULL, placed_at TEXT NOT NULL,
            promised_date TEXT NOT NULL)""",
        "CREATE INDEX IF NOT EXISTS view_order_promises_date"
        " ON view_order_promises (promised_date)",
        """CREATE TABLE IF NOT EXISTS view_tracking_tokens (
            token TEXT PRIMARY KEY, shipment_id TEXT NOT NULL, order_id TEXT NOT NULL)""",
    )

    def __init__(self, tokens: Callable[[str], str] | None = None) -> None:
        self.tokens = tokens

    def handle(self, db: ViewDB, event: Any, notification_id: int) -> None:
        kind = type(event).__name__
        oid = str(event.originator_id)
        if kind == "Received":
            placed = event.canonical["placed_at"]
            db.execute(
                "INSERT INTO view_order_promises VALUES (?, ?, ?, ?)",
                (oid, event.channel, placed, promised_date(event.channel, placed)),
            )
        elif kind == "Split":  # a pre-sold shipment carries its own promise
            presales = [s["presale"] for s in event.decision["plan"] if s.get("presale")]
            for presale in presales:
                self._later(db, oid, str(presale["promised_date"])[:10])
        elif kind == "PresaleRescheduled":
            self._later(db, oid, str(event.promised_date)[:10])
        elif kind == "Dispatched" and self.tokens is not None:
            sid = shipment_id(oid, event.shipment_no)
            db.execute(
                "INSERT INTO view_tracking_tokens VALUES (?, ?, ?) ON CONFLICT (token) DO NOTHING",
                (self.tokens(sid), sid, oid),
            )

    @staticmethod
    def _later(db: ViewDB, oid: str, promised: str) -> None:
        """The order is promised by its latest shipment's date."""
        db.execute(
            "UPDATE view_order_promises SET promised_date = ? WHERE order_id = ? "
            "AND promised_date < ?",
            (promised, oid, promised),
        )


# --- queries -----------------------------------------------------------------------------
def journey_filters(
    where: Where,
    *,
    carrier: str | None = None,
    waybill: str | None = None,
    promised_from: date | None = None,
    promised_to: date | None = None,
    search_terms: Sequence[str] = (),
) -> Where:
    """The order list's filters on the journey: a shipment with this carrier or (current)
    waybill, a promised date in the range, and every customer search term (blind index)."""
    if carrier:
        where.clause("order_id IN (SELECT order_id FROM view_shipments WHERE carrier = ?)", carrier)
    if waybill:
        where.clause("order_id IN (SELECT order_id FROM view_shipments WHERE waybill = ?)", waybill)
    bounds = [(">=", promised_from), ("<=", promised_to)]
    for op, day in bounds:
        if day is not None:
            where.clause(
                "order_id IN (SELECT order_id FROM view_order_promises "  # noqa: S608 - fixed op
                f"WHERE promised_date {op} ?)",
                day.isoformat(),
            )
    for term in search_terms:
        where.clause("order_id IN (SELECT order_id FROM view_order_search WHERE term = ?)", term)
    return where


def shipment_alerts(db: ViewDB, order_id: str) -> dict[int, list[dict[str, Any]]]:
    rows = db.query(
        "SELECT shipment_no, alerts FROM view_shipments WHERE order_id = ? AND alerts <> '[]'",
        (order_id,),
    )
    return {int(r["shipment_no"]): json.loads(r["alerts"]) for r in rows}


def shipment_of_token(db: ViewDB, token: str) -> str | None:
    rows = db.query("SELECT shipment_id FROM view_tracking_tokens WHERE token = ?", (token,))
    return rows[0]["shipment_id"] if rows else None


def promised_dates(db: ViewDB, order_ids: Sequence[str]) -> dict[str, str]:
    return db.lookup("view_order_promises", "order_id", "promised_date", order_ids)


class JourneyReads:
    """The journey's view port (domains/journey.py `JourneyViews`), read-your-writes."""

    def __init__(self, db: ViewDB, fresh: Callable[[], None]) -> None:
        self.db = db
        self.fresh = fresh

    def alerts_of(self, order_id: UUID) -> dict[int, list[dict[str, Any]]]:
        self.fresh()
        return shipment_alerts(self.db, str(order_id))

    def shipment_of_token(self, token: str) -> str | None:
        self.fresh()
        return shipment_of_token(self.db, token)
