"""Planning read models and the reads planning makes (domains/planning/ports.py):
replenishment and slow-mover suggestions by status, the receipt day of every lot (for its age), and queries
over other contexts' views: stock with what is inbound (the order spine's `view_stock`), units
on hand per lot (`view_lots`), order lines (`view_shipments`) and daily demand (`view_demand`,
units reserved per business day: `RecordedDemand`, the production demand source)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from projections.db import ViewDB
from projections.runner import Projector

SUGGESTION = "domains.planning.model:ReplenishmentSuggestion."
SLOW_MOVER = "domains.planning.model:SlowMoverSuggestion."
INV = "domains.warehouse.model:Inventory."


class ReplenishmentView(Projector):
    name = "replenishment"
    tables = ("view_replenishment",)
    topic_prefixes = (SUGGESTION,)
    ddl = (
        """CREATE TABLE IF NOT EXISTS view_replenishment (
            suggestion_id TEXT PRIMARY KEY, warehouse_id TEXT NOT NULL, sku TEXT NOT NULL,
            as_of TEXT NOT NULL, status TEXT NOT NULL, order_quantity INTEGER NOT NULL,
            body TEXT NOT NULL, decision TEXT, stream_id TEXT NOT NULL)""",
        "CREATE INDEX IF NOT EXISTS view_replenishment_st ON view_replenishment (status, as_of)",
    )

    def handle(self, db: ViewDB, event: Any, notification_id: int) -> None:
        kind = type(event).__name__
        if kind == "ReplenishmentSuggested":
            body = {
                k: getattr(event, k)
                for k in ("supplier", "figures", "forecast", "accuracy", "versions", "suggested_by")
            }
            db.execute(
                "INSERT INTO view_replenishment VALUES (?, ?, ?, ?, 'pending', ?, ?, NULL, ?)",
                (event.suggestion_id, event.warehouse_id, event.sku, event.as_of,
                 event.figures["order_quantity"], json.dumps(body), str(event.originator_id)),
            )  # fmt: skip
            return
        decided(db, "view_replenishment", event)


def decided(db: ViewDB, table: str, event: Any) -> None:
    """A suggestion's accept or reject (`...Accepted`, `...Rejected`): its status and the
    decision's fields (who, why, when and what was booked)."""
    status = "accepted" if type(event).__name__.endswith("Accepted") else "rejected"
    fields = ("by", "reason", "inbound_id", "quantity", "transfers", "at")
    decision = {k: v for k, v in vars(event).items() if k in fields}
    assert table in ("view_replenishment", "view_slow_mover_suggestions")
    db.execute(
        f"UPDATE {table} SET status = ?, decision = ? WHERE stream_id = ?",  # noqa: S608 (one of two names above)
        (status, json.dumps(decision), str(event.originator_id)),
    )


class SlowMoverSuggestionView(Projector):
    name = "slow_mover_suggestions"
    tables = ("view_slow_mover_suggestions",)
    topic_prefixes = (SLOW_MOVER,)
    ddl = (
        """CREATE TABLE IF NOT EXISTS view_slow_mover_suggestions (
            suggestion_id TEXT PRIMARY KEY, warehouse_id TEXT NOT NULL, sku TEXT NOT NULL,
            kind TEXT NOT NULL, as_of TEXT NOT NULL, status TEXT NOT NULL,
            body TEXT NOT NULL, decision TEXT, stream_id TEXT NOT NULL)""",
        "CREATE INDEX IF NOT EXISTS view_slow_mover_st ON view_slow_mover_suggestions "
        "(warehouse_id, as_of)",
    )

    def handle(self, db: ViewDB, event: Any, notification_id: int) -> None:
        if type(event).__name__ == "SlowMoverSuggested":
            body = {k: getattr(event, k) for k in ("stock", "figures", "versions", "suggested_by")}
            db.execute(
                "INSERT INTO view_slow_mover_suggestions "
                "VALUES (?, ?, ?, ?, ?, 'pending', ?, NULL, ?)",
                (event.suggestion_id, event.warehouse_id, event.sku, event.kind, event.as_of,
                 json.dumps(body), str(event.originator_id)),
            )  # fmt: skip
            return
        decided(db, "view_slow_mover_suggestions", event)


class LotReceiptsView(Projector):
    """The first day each lot of each (warehouse, SKU) was received: a lot's age."""

    name = "lot_receipts"
    tables = ("view_lot_receipt_keys", "view_lot_receipts")
    topic_prefixes = (INV,)
    ddl = (
        """CREATE TABLE IF NOT EXISTS view_lot_receipt_keys (
            inventory_id TEXT PRIMARY KEY, warehouse_id TEXT NOT NULL, sku TEXT NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS view_lot_receipts (
            warehouse_id TEXT NOT NULL, sku TEXT NOT NULL, lot TEXT NOT NULL,
            received_on TEXT NOT NULL, PRIMARY KEY (warehouse_id, sku, lot))""",
    )

    def handle(self, db: ViewDB, event: Any, notification_id: int) -> None:
        kind = type(event).__name__
        inv = str(event.originator_id)
        if kind == "Opened":
            db.execute(
                "INSERT INTO view_lot_receipt_keys VALUES (?, ?, ?)",
                (inv, event.warehouse_id, event.sku),
            )
            return
        if kind == "Received":
            lots, day = [event.lot], event.timestamp.date().isoformat()
        elif kind == "InboundReceived":
            lots, day = [r["lot"] for r in event.received], event.as_of[:10]
        else:
            return
        for lot in lots:
            db.execute(
                "INSERT INTO view_lot_receipts SELECT warehouse_id, sku, ?, ? FROM "
                "view_lot_receipt_keys WHERE inventory_id = ? ON CONFLICT DO NOTHING",
                (lot, day, inv),
            )


class PlanningViews:
    """The reads planning makes (`PlanningReads`)."""

    def __init__(self, db: ViewDB, fresh: Callable[[], None]) -> None:
        self.db = db
        self.fresh = fresh

    def stock(self, warehouse: str | None = None) -> list[dict[str, Any]]:
        self.fresh()
        # '?' compared with '' stands for "any" (a typed parameter: PostgreSQL cannot type
        # a bare NULL in "? IS NULL")
        return self.db.query(
            "SELECT warehouse_id, sku, on_hand, reserved, inbound, reserved_inbound "
            "FROM view_stock WHERE (? = '' OR warehouse_id = ?)",
            (warehouse or "", warehouse or ""),
        )

    def lots(self, warehouse: str | None = None) -> list[dict[str, Any]]:
        self.fresh()
        return self.db.query(
            "SELECT l.warehouse_id, l.sku, l.lot, SUM(l.on_hand) AS on_hand, r.received_on "
            "FROM view_lots l LEFT JOIN view_lot_receipts r ON r.warehouse_id = l.warehouse_id "
            "AND r.sku = l.sku AND r.lot = l.lot WHERE (? = '' OR l.warehouse_id = ?) "
            "GROUP BY l.warehouse_id, l.sku, l.lot, r.received_on HAVING SUM(l.on_hand) > 0",
            (warehouse or "", warehouse or ""),
        )

    def suggestions(self, status: str | None = None) -> list[dict[str, Any]]:
        self.fresh()
        rows = self.db.query(
            "SELECT suggestion_id, warehouse_id, sku, as_of, status, order_quantity, body, "
            "decision FROM view_replenishment WHERE (? = '' OR status = ?) "
            "ORDER BY as_of DESC, suggestion_id",
            (status or "", status or ""),
        )
        return [
            {**{k: v for k, v in r.items() if k not in ("body", "decision")},
             **json.loads(r["body"]), "decision": json.loads(r["decision"] or "null")}
            for r in rows
        ]  # fmt: skip

    def slow_mover_suggestions(
        self, status: str | None = None, warehouse: str | None = None
    ) -> list[dict[str, Any]]:
        self.fresh()
        rows = self.db.query(
            "SELECT suggestion_id, warehouse_id, sku, kind, as_of, status, body, decision "
            "FROM view_slow_mover_suggestions WHERE (? = '' OR status = ?) "
            "AND (? = '' OR warehouse_id = ?) ORDER BY as_of DESC, suggestion_id",
            (status or "", status or "", warehouse or "", warehouse or ""),
        )
        return [
            {**{k: v for k, v in r.items() if k not in ("body", "decision")},
             **json.loads(r["body"]), "decision": json.loads(r["decision"] or "null")}
            for r in rows
        ]  # fmt: skip

    def order_lines(self) -> list[dict[str, Any]]:
        self.fresh()
        rows = self.db.query("SELECT order_id, lines FROM view_shipments", ())
        return [
            {"order_id": r["order_id"], "sku": ln["sku"]}
            for r in rows
            for ln in json.loads(r["lines"])
        ]


class RecordedDemand:
    """Units reserved per (warehouse, SKU) and business day, as recorded (`view_demand`)."""

    version = "recorded-view_demand-v1"

    def __init__(self, db: ViewDB, fresh: Callable[[], None]) -> None:
        self.db = db
        self.fresh = fresh

    def pairs(self) -> list[tuple[str, str]]:
        self.fresh()
        rows = self.db.query("SELECT DISTINCT warehouse_id, sku FROM view_demand", ())
        return [(r["warehouse_id"], r["sku"]) for r in rows]

    def daily(self, warehouse: str, sku: str, end: date, days: int) -> list[float]:
        self.fresh()
        start = end - timedelta(days=days - 1)
        rows = self.db.query(
            "SELECT day, quantity FROM view_demand WHERE warehouse_id = ? AND sku = ? "
            "AND day >= ? AND day <= ?",
            (warehouse, sku, start.isoformat(), end.isoformat()),
        )
        by_day = {r["day"][:10]: float(r["quantity"]) for r in rows}
        return [by_day.get((start + timedelta(days=i)).isoformat(), 0.0) for i in range(days)]
