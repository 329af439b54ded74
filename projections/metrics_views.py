"""What the health metrics read: the few facts no other view keeps (units on hand moved per
warehouse and day, when customs cleared a declaration, each metric's target), and queries over
the other contexts' views (shipments, orders, declarations, claims, returns)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

from projections.db import ViewDB, Where
from projections.runner import Projector

INV = "domains.warehouse.model:Inventory."
DECL = "domains.customs.model:Declaration."
TARGET = "domains.metrics.model:MetricTarget."
CLEARED = ("cleared", "released")


def _on_hand_delta(kind: str, event: Any) -> int:
    """Units an Inventory event puts on hand (negative: takes off), as the stock view counts."""
    if kind == "Received":
        return int(event.quantity)
    if kind in ("Picked", "ShippedOut"):
        return -int(event.quantity)
    if kind == "ShortPicked":
        return -int(event.missing)
    if kind == "Counted":
        return int(event.difference)
    if kind == "InboundReceived":
        return sum(int(r["quantity"]) for r in event.received)
    return 0


class MetricsView(Projector):
    name = "metrics"
    tables = (
        "view_metric_inventories",
        "view_metric_stock_moves",
        "view_metric_clearances",
        "view_metric_targets",
    )
    topic_prefixes = (INV, DECL, TARGET)
    ddl = (
        """CREATE TABLE IF NOT EXISTS view_metric_inventories (
            inventory_id TEXT PRIMARY KEY, warehouse_id TEXT NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS view_metric_stock_moves (
            warehouse_id TEXT NOT NULL, day TEXT NOT NULL, units INTEGER NOT NULL,
            PRIMARY KEY (warehouse_id, day))""",
        """CREATE TABLE IF NOT EXISTS view_metric_clearances (
            declaration_id TEXT PRIMARY KEY, cleared_at TEXT NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS view_metric_targets (
            metric TEXT PRIMARY KEY, value TEXT NOT NULL, unit TEXT NOT NULL,
            set_by TEXT NOT NULL, set_at TEXT NOT NULL, note TEXT NOT NULL)""",
    )

    def handle(self, db: ViewDB, event: Any, notification_id: int) -> None:
        kind = type(event).__name__
        topic = type(event).__qualname__
        if topic.startswith("MetricTarget.") and kind == "TargetSet":
            db.execute(
                "INSERT INTO view_metric_targets VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (metric) "
                "DO UPDATE SET value = excluded.value, unit = excluded.unit, "
                "set_by = excluded.set_by, set_at = excluded.set_at, note = excluded.note",
                (event.metric, event.value, event.unit, event.set_by, event.set_at, event.note),
            )
        elif topic.startswith("Declaration."):
            if kind == "ClearanceUpdated" and event.status in CLEARED:
                db.execute(
                    "INSERT INTO view_metric_clearances VALUES (?, ?) "
                    "ON CONFLICT (declaration_id) DO NOTHING",
                    (str(event.originator_id), event.at),
                )
        elif topic.startswith("Inventory."):
            self._inventory(db, kind, event)

    @staticmethod
    def _inventory(db: ViewDB, kind: str, event: Any) -> None:
        inv = str(event.originator_id)
        if kind == "Opened":
            db.execute(
                "INSERT INTO view_metric_inventories VALUES (?, ?) "
                "ON CONFLICT (inventory_id) DO NOTHING",
                (inv, event.warehouse_id),
            )
            return
        delta = _on_hand_delta(kind, event)
        if delta:
            db.execute(
                "INSERT INTO view_metric_stock_moves (warehouse_id, day, units) "
                "SELECT warehouse_id, ?, ? FROM view_metric_inventories WHERE inventory_id = ? "
                "ON CONFLICT (warehouse_id, day) DO UPDATE SET "
                "units = view_metric_stock_moves.units + excluded.units",
                (event.timestamp.date().isoformat(), delta, inv),
            )


# --- queries -----------------------------------------------------------------------------
_SHIPMENTS = (
    "SELECT s.shipment_id, s.order_id, s.warehouse_id, s.channel, s.carrier, s.destination, "
    "s.lines, o.received_at, s.dispatched_at, s.delivered_at, s.eta, s.alerts, "
    "s.tracking_status, s.hold_reason FROM view_shipments s "
    "LEFT JOIN view_orders o ON o.order_id = s.order_id WHERE s.status <> 'cancelled' "
    "AND (s.dispatched_at IS NOT NULL OR s.waybill IS NOT NULL)"
)


def metric_shipments(db: ViewDB) -> list[dict[str, Any]]:
    """Every shipment labelled or dispatched (what any metric counts; the many waiting for a
    wave are left in the view), with its order's receipt time and its units."""
    out = []
    for r in db.query(_SHIPMENTS):
        lines = json.loads(r.pop("lines"))
        out.append(
            dict(r, units=sum(int(ln["quantity"]) for ln in lines), alerts=json.loads(r["alerts"]))
        )
    return out


def lost_claims(db: ViewDB) -> set[str]:
    return {
        r["shipment_id"]
        for r in db.query("SELECT shipment_id FROM view_claims WHERE kind = 'lost'")
    }


def returns_by_shipment(db: ViewDB) -> dict[str, int]:
    rows = db.query("SELECT shipment_id, COUNT(*) AS n FROM view_returns GROUP BY shipment_id")
    return {r["shipment_id"]: int(r["n"]) for r in rows}


def submitted_declarations(db: ViewDB) -> list[dict[str, Any]]:
    """Parcel declarations submitted to customs, with their shipment's warehouse and carrier
    and when customs cleared (or released) them."""
    return db.query(
        "SELECT d.declaration_id, d.channel, d.destination, d.submitted_at, d.held_at, "
        "c.cleared_at, s.warehouse_id, s.carrier FROM view_declarations d "
        "LEFT JOIN view_shipments s ON s.shipment_id = d.order_id || '-S' || d.shipment_no "
        "LEFT JOIN view_metric_clearances c ON c.declaration_id = d.declaration_id "
        "WHERE d.submitted_at IS NOT NULL AND d.channel <> 'inbound'"
    )


def stock_moves(db: ViewDB, warehouse: str | None) -> dict[date, int]:
    where = Where().equal("warehouse_id", warehouse)
    rows = db.query(
        f"SELECT day, SUM(units) AS units FROM view_metric_stock_moves WHERE {where.sql} "  # noqa: S608
        "GROUP BY day",
        where.params,
    )
    return {date.fromisoformat(r["day"]): int(r["units"]) for r in rows}


def filter_choices(db: ViewDB) -> dict[str, list[str]]:
    """The warehouses, channels, carriers and destinations shipments have had."""
    out = {}
    for dim, column in (("warehouse", "warehouse_id"), ("channel", "channel"),
                        ("carrier", "carrier"), ("destination", "destination")):  # fmt: skip
        rows = db.query(
            f"SELECT DISTINCT {column} AS v FROM view_shipments "  # noqa: S608 - fixed names
            f"WHERE {column} IS NOT NULL ORDER BY {column}"
        )
        out[dim] = [r["v"] for r in rows]
    return out


def metric_targets(db: ViewDB) -> dict[str, dict[str, Any]]:
    rows = db.query("SELECT metric, value, set_by, set_at, note FROM view_metric_targets")
    return {r.pop("metric"): r for r in rows}


class MetricViews:
    """The views as the metrics use cases read them (domains/metrics/ports.py): each read
    first brings the views up to the log."""

    def __init__(self, db: ViewDB, fresh: Callable[[], None]) -> None:
        self.db = db
        self.fresh = fresh

    def shipments(self) -> list[dict[str, Any]]:
        self.fresh()
        return metric_shipments(self.db)

    def lost_claims(self) -> set[str]:
        return lost_claims(self.db)

    def returns_by_shipment(self) -> dict[str, int]:
        return returns_by_shipment(self.db)

    def declarations(self) -> list[dict[str, Any]]:
        return submitted_declarations(self.db)

    def stock_moves(self, warehouse: str | None) -> dict[date, int]:
        return stock_moves(self.db, warehouse)

    def targets(self) -> dict[str, dict[str, Any]]:
        self.fresh()
        return metric_targets(self.db)

    def filter_choices(self) -> dict[str, list[str]]:
        return filter_choices(self.db)
