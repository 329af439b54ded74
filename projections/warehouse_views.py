"""Warehouse read models: stock by lot and bin (expiry, putaway), daily demand, and pick lists
for the handhelds, and the queries that read them. (Shipments awaiting a wave are read from
the transport shipment view; stock per warehouse and SKU from the order spine's stock view.)"""

from __future__ import annotations

from typing import Any

from projections.db import ViewDB
from projections.runner import Projector

INV = "domains.warehouse.model:Inventory."
PICK = "domains.warehouse.picking:PickList."


class LotsView(Projector):
    name = "lots"
    tables = ("view_lot_keys", "view_lots", "view_demand")
    topic_prefixes = (INV,)
    ddl = (
        """CREATE TABLE IF NOT EXISTS view_lot_keys (
            inventory_id TEXT PRIMARY KEY, warehouse_id TEXT NOT NULL, sku TEXT NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS view_lots (
            inventory_id TEXT NOT NULL, warehouse_id TEXT NOT NULL, sku TEXT NOT NULL,
            lot TEXT NOT NULL, bin TEXT NOT NULL, expiry TEXT, on_hand INTEGER NOT NULL,
            reserved INTEGER NOT NULL, PRIMARY KEY (inventory_id, lot, bin))""",
        "CREATE INDEX IF NOT EXISTS view_lots_wh ON view_lots (warehouse_id, expiry)",
        """CREATE TABLE IF NOT EXISTS view_demand (
            warehouse_id TEXT NOT NULL, sku TEXT NOT NULL, day TEXT NOT NULL,
            quantity INTEGER NOT NULL, PRIMARY KEY (warehouse_id, sku, day))""",
    )

    def handle(self, db: ViewDB, event: Any, notification_id: int) -> None:
        kind = type(event).__name__
        inv = str(event.originator_id)
        if kind == "Opened":
            db.execute(
                "INSERT INTO view_lot_keys VALUES (?, ?, ?)", (inv, event.warehouse_id, event.sku)
            )
            return
        if kind == "Received":
            self._add(db, inv, event.lot, event.bin, event.expiry, event.quantity, 0)
        elif kind == "Reserved":
            for a in event.allocations:
                self._add(db, inv, a["lot"], a["bin"], None, 0, a["quantity"])
            key = db.query(
                "SELECT warehouse_id, sku FROM view_lot_keys WHERE inventory_id = ?", (inv,)
            )[0]
            db.execute(
                "INSERT INTO view_demand VALUES (?, ?, ?, ?) ON CONFLICT (warehouse_id, sku, day) "
                "DO UPDATE SET quantity = view_demand.quantity + excluded.quantity",
                (
                    key["warehouse_id"],
                    key["sku"],
                    event.as_of
                    or event.timestamp.date().isoformat(),  # the decision's business day
                    event.quantity,
                ),
            )
        elif kind == "ReservationReleased":
            for a in event.allocations:
                self._add(db, inv, a["lot"], a["bin"], None, 0, -a["quantity"])
        elif kind == "Picked":
            self._add(db, inv, event.lot, event.bin, None, -event.quantity, -event.quantity)
        elif kind == "ShortPicked":
            self._add(db, inv, event.lot, event.bin, None, -event.missing, -event.missing)
        elif kind == "InboundReceived":  # received lots on hand, pre-sales now reserved
            for r in event.received:
                self._add(db, inv, r["lot"], r["bin"], r["expiry"], r["quantity"], 0)
            for c in event.converted:
                for a in c["allocations"]:
                    self._add(db, inv, a["lot"], a["bin"], None, 0, a["quantity"])
        elif kind == "ShippedOut":
            for a in event.allocations:
                self._add(db, inv, a["lot"], a["bin"], None, -a["quantity"], -a["quantity"])
        elif kind == "Counted":
            self._add(db, inv, event.lot, event.bin, event.expiry, 0, 0)
            db.execute(
                "UPDATE view_lots SET on_hand = ? WHERE inventory_id = ? AND lot = ? AND bin = ?",
                (event.counted, inv, event.lot, event.bin or ""),
            )
        db.execute(
            "DELETE FROM view_lots WHERE inventory_id = ? AND on_hand = 0 AND reserved = 0", (inv,)
        )

    @staticmethod
    def _add(
        db: ViewDB,
        inv: str,
        lot: str,
        bin_code: str | None,
        expiry: str | None,
        on_hand: int,
        reserved: int,
    ) -> None:
        db.execute(
            "INSERT INTO view_lots (inventory_id, warehouse_id, sku, lot, bin, expiry, on_hand, "
            "reserved) SELECT inventory_id, warehouse_id, sku, ?, ?, ?, ?, ? FROM view_lot_keys "
            "WHERE inventory_id = ? ON CONFLICT (inventory_id, lot, bin) DO UPDATE SET "
            "on_hand = view_lots.on_hand + excluded.on_hand, "
            "reserved = view_lots.reserved + excluded.reserved, "
            "expiry = COALESCE(excluded.expiry, view_lots.expiry)",
            (lot, bin_code or "", expiry, on_hand, reserved, inv),
        )


class PickListsView(Projector):
    name = "pick_lists"
    tables = ("view_pick_lists",)
    topic_prefixes = (PICK,)
    ddl = (
        """CREATE TABLE IF NOT EXISTS view_pick_lists (
            pick_list_id TEXT PRIMARY KEY, warehouse_id TEXT NOT NULL, wave_id TEXT NOT NULL,
            cart_no INTEGER NOT NULL, cutoff TEXT NOT NULL, status TEXT NOT NULL, picker TEXT,
            lines INTEGER NOT NULL, route_m REAL NOT NULL, s_shape_m REAL NOT NULL,
            created_at TEXT NOT NULL)""",
        "CREATE INDEX IF NOT EXISTS view_pick_lists_wh ON view_pick_lists (warehouse_id, status, cutoff)",
    )

    def handle(self, db: ViewDB, event: Any, notification_id: int) -> None:
        kind = type(event).__name__
        pid = str(event.originator_id)
        if kind == "Created":
            db.execute(
                "INSERT INTO view_pick_lists VALUES (?, ?, ?, ?, ?, 'open', NULL, ?, ?, ?, ?)",
                (
                    pid,
                    event.warehouse_id,
                    event.wave_id,
                    event.cart_no,
                    event.cutoff,
                    len(event.lines),
                    event.route["length_m"],
                    event.route["s_shape_m"],
                    event.timestamp.isoformat(),
                ),
            )
        elif kind == "Assigned":
            db.execute(
                "UPDATE view_pick_lists SET status = 'assigned', picker = ? WHERE pick_list_id = ?",
                (event.picker, pid),
            )
        elif kind in ("Scanned", "ShortReported") and event.done:
            db.execute("UPDATE view_pick_lists SET status = 'done' WHERE pick_list_id = ?", (pid,))


# --- queries -----------------------------------------------------------------------------
def pick_lists_for(db: ViewDB, warehouse_id: str, picker: str) -> list[str]:
    """Ids of the pick lists a picker may be offered: open ones and those already assigned to
    them, earliest cut-off first, at most 50."""
    rows = db.query(
        "SELECT pick_list_id FROM view_pick_lists WHERE warehouse_id = ? AND "
        "(status = 'open' OR (status = 'assigned' AND picker = ?)) ORDER BY cutoff, created_at "
        "LIMIT 50",
        (warehouse_id, picker),
    )
    return [r["pick_list_id"] for r in rows]


def demand_since(db: ViewDB, warehouse_id: str, since: str) -> dict[str, int]:
    """Units reserved per SKU in the warehouse from the business day `since` (ISO date) on."""
    rows = db.query(
        "SELECT sku, SUM(quantity) AS q FROM view_demand WHERE warehouse_id = ? "
        "AND day >= ? GROUP BY sku",
        (warehouse_id, since),
    )
    return {r["sku"]: r["q"] for r in rows}


def demand_history(db: ViewDB, warehouse_id: str) -> list[dict[str, Any]]:
    """Units reserved per SKU and business day in the warehouse (warehouse_id, sku, day,
    quantity)."""
    return db.query(
        "SELECT warehouse_id, sku, day, quantity FROM view_demand WHERE warehouse_id = ?",
        (warehouse_id,),
    )


def expiring_lots(db: ViewDB, warehouse_id: str) -> list[dict[str, Any]]:
    """Lots in stock that have an expiry date, soonest first (then by SKU): sku, lot, bin,
    expiry, on_hand, reserved."""
    return db.query(
        "SELECT sku, lot, bin, expiry, on_hand, reserved FROM view_lots WHERE "
        "warehouse_id = ? AND expiry IS NOT NULL AND on_hand > 0 ORDER BY expiry, sku",
        (warehouse_id,),
    )
