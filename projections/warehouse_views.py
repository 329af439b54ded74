"""Warehouse read models: stock by lot and bin (expiry, putaway), daily demand, shipments
awaiting a wave, and pick lists for the handhelds."""

from __future__ import annotations

import json
from typing import Any

from domains.warehouse.application import cutoff_for
from projections.db import ViewDB
from projections.runner import Projector

INV = "domains.warehouse.model:Inventory."
ORDER = "domains.orders.model:Order."
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


class ShipmentsView(Projector):
    name = "shipments"
    schema_version = 2  # v2: carrier, waybill, tracking and SLA columns
    tables = ("view_order_meta", "view_shipments")
    topic_prefixes = (ORDER,)
    ddl = (
        """CREATE TABLE IF NOT EXISTS view_order_meta (
            order_id TEXT PRIMARY KEY, channel TEXT NOT NULL, placed_at TEXT NOT NULL,
            destination TEXT NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS view_shipments (
            shipment_id TEXT PRIMARY KEY, order_id TEXT NOT NULL, shipment_no INTEGER NOT NULL,
            warehouse_id TEXT NOT NULL, status TEXT NOT NULL, channel TEXT NOT NULL,
            placed_at TEXT NOT NULL, cutoff TEXT NOT NULL, lines TEXT NOT NULL,
            weight_g INTEGER NOT NULL, pick_list_id TEXT, flags TEXT NOT NULL,
            destination TEXT, carrier TEXT, service TEXT, waybill TEXT, quoted_days_max INTEGER,
            dispatched_at TEXT, eta TEXT, tracking_status TEXT, last_scan_at TEXT,
            on_hold_since TEXT, hold_reason TEXT, delivered_at TEXT, alerts TEXT NOT NULL DEFAULT '[]')""",
        "CREATE INDEX IF NOT EXISTS view_shipments_wh ON view_shipments (warehouse_id, status, cutoff)",
    )

    def handle(self, db: ViewDB, event: Any, notification_id: int) -> None:
        kind = type(event).__name__
        oid = str(event.originator_id)
        if kind == "Received":
            db.execute(
                "INSERT INTO view_order_meta VALUES (?, ?, ?, ?)",
                (
                    oid,
                    event.channel,
                    event.canonical["placed_at"],
                    event.canonical["ship_to"]["country"],
                ),
            )
        elif kind == "Split":
            for s in event.decision["plan"]:
                self._insert(db, oid, s)
        elif kind == "ShortageResolved":
            sid = f"{oid}-S{event.shipment_no}"
            if event.resolution in ("resplit", "backordered"):
                row = db.query("SELECT lines FROM view_shipments WHERE shipment_id = ?", (sid,))
                lines = json.loads(row[0]["lines"]) if row else []
                for ln in lines:
                    if ln["sku"] == event.sku:
                        ln["quantity"] -= event.quantity
                lines = [ln for ln in lines if ln["quantity"] > 0]
                db.execute(
                    "UPDATE view_shipments SET lines = ? WHERE shipment_id = ?",
                    (json.dumps(lines), sid),
                )
            if event.new_shipment:
                self._insert(db, oid, event.new_shipment)
        elif kind in ("ShipmentWaved", "ShipmentPicked", "ShipmentPacked"):
            status = {
                "ShipmentWaved": "waved",
                "ShipmentPicked": "picked",
                "ShipmentPacked": "packed",
            }[kind]
            db.execute(
                "UPDATE view_shipments SET status = ?, pick_list_id = COALESCE(?, pick_list_id), "
                "flags = ? WHERE shipment_id = ?",
                (
                    status,
                    getattr(event, "pick_list_id", None),
                    json.dumps(getattr(event, "flags", [])),
                    f"{oid}-S{event.shipment_no}",
                ),
            )
        elif kind in self._transport:
            self._transport[kind](db, event, f"{oid}-S{event.shipment_no}")
        elif kind == "Cancelled":
            db.execute("UPDATE view_shipments SET status = 'cancelled' WHERE order_id = ?", (oid,))

    # --- transport steps ----------------------------------------------------------------
    @staticmethod
    def _carrier(db: ViewDB, e: Any, sid: str) -> None:
        choice = e.decision["choice"]
        db.execute(
            "UPDATE view_shipments SET status = 'carrier_selected', carrier = ?, service = ?, "
            "quoted_days_max = ? WHERE shipment_id = ?",
            (choice["carrier"], choice["service"], choice["transit_days_max"], sid),
        )

    @staticmethod
    def _labelled(db: ViewDB, e: Any, sid: str) -> None:
        db.execute(
            "UPDATE view_shipments SET status = 'labelled', waybill = ? WHERE shipment_id = ?",
            (e.waybill, sid),
        )

    @staticmethod
    def _voided(db: ViewDB, e: Any, sid: str) -> None:
        db.execute(
            "UPDATE view_shipments SET status = 'carrier_selected', waybill = NULL "
            "WHERE shipment_id = ?",
            (sid,),
        )

    @staticmethod
    def _dispatched(db: ViewDB, e: Any, sid: str) -> None:
        db.execute(
            "UPDATE view_shipments SET status = 'dispatched', dispatched_at = ?, eta = ?, "
            "tracking_status = 'pending' WHERE shipment_id = ?",
            (
                e.timestamp.isoformat()
                if not getattr(e, "dispatched_at", None)
                else e.dispatched_at,
                e.eta,
                sid,
            ),
        )

    @staticmethod
    def _tracked(db: ViewDB, e: Any, sid: str) -> None:
        t = e.event_data
        row = db.query(
            "SELECT last_scan_at, on_hold_since FROM view_shipments WHERE shipment_id = ?", (sid,)
        )
        last = max(filter(None, [row[0]["last_scan_at"] if row else None, t["occurred_at"]]))
        on_hold = t["occurred_at"] if e.tracking_status == "on_hold" else None
        if e.tracking_status == "on_hold" and row and row[0]["on_hold_since"]:
            on_hold = row[0]["on_hold_since"]
        db.execute(
            "UPDATE view_shipments SET status = ?, tracking_status = ?, last_scan_at = ?, "
            "on_hold_since = ?, hold_reason = ?, delivered_at = COALESCE(delivered_at, ?) "
            "WHERE shipment_id = ?",
            (
                "delivered" if e.tracking_status == "delivered" else "in_transit",
                e.tracking_status,
                last,
                on_hold,
                t.get("incident") if on_hold else None,
                t["occurred_at"] if e.tracking_status == "delivered" else None,
                sid,
            ),
        )

    @staticmethod
    def _alerted(db: ViewDB, e: Any, sid: str) -> None:
        row = db.query("SELECT alerts FROM view_shipments WHERE shipment_id = ?", (sid,))
        alerts = json.loads(row[0]["alerts"]) if row else []
        alerts.append(
            {
                "kind": e.kind,
                "detected_at": e.detected_at,
                "detail": e.detail,
                "suggested_action": e.suggested_action,
            }
        )
        db.execute(
            "UPDATE view_shipments SET alerts = ? WHERE shipment_id = ?", (json.dumps(alerts), sid)
        )

    _transport = {
        "CarrierSelected": _carrier,
        "Labelled": _labelled,
        "LabelVoided": _voided,
        "Dispatched": _dispatched,
        "TrackingRecorded": _tracked,
        "ExceptionRaised": _alerted,
    }

    @staticmethod
    def _insert(db: ViewDB, oid: str, s: dict[str, Any]) -> None:
        meta = db.query(
            "SELECT channel, placed_at, destination FROM view_order_meta WHERE order_id = ?", (oid,)
        )[0]
        db.execute(
            "INSERT INTO view_shipments (shipment_id, order_id, shipment_no, warehouse_id, status,"
            " channel, placed_at, cutoff, lines, weight_g, flags, destination) VALUES "
            "(?, ?, ?, ?, 'allocated', ?, ?, ?, ?, ?, '[]', ?)",
            (
                f"{oid}-S{s['shipment_no']}",
                oid,
                s["shipment_no"],
                s["warehouse_id"],
                meta["channel"],
                meta["placed_at"],
                cutoff_for(meta["placed_at"], meta["channel"]),
                json.dumps(s["lines"]),
                s["weight_g"],
                meta["destination"],
            ),
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
