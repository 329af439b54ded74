"""Transport read models: shipments from allocation to delivery (carrier, waybill, tracking,
SLA alerts), and every label ever issued with what was quoted for it (the "expected" side of a
carrier bill) with the waybills already billed (duplicates across bills); and the queries that
read them."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from domains.warehouse.waves import cutoff_for
from projections.db import ViewDB
from projections.runner import Projector

ORDER = "domains.orders.model:Order."
BILL = "domains.settlement.model:CarrierBill."


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
            # A split after an earlier one replaces its plan (dropped by a pre-sale gone short,
            # or released by an update from the channel: domains/orders/channel_events.py).
            db.execute("DELETE FROM view_shipments WHERE order_id = ?", (oid,))
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
        elif kind == "PresaleBackordered":  # the plan is dropped; a new split numbers anew
            db.execute("DELETE FROM view_shipments WHERE order_id = ?", (oid,))
        elif kind == "PresaleConverted":  # the inbound arrived: the shipment can be waved
            db.execute(
                "UPDATE view_shipments SET status = 'allocated' WHERE shipment_id = ? "
                "AND status = 'presale'",
                (f"{oid}-S{event.shipment_no}",),
            )

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
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '[]', ?)",
            (
                f"{oid}-S{s['shipment_no']}",
                oid,
                s["shipment_no"],
                s["warehouse_id"],
                "presale" if s.get("presale") else "allocated",  # waits for its inbound
                meta["channel"],
                meta["placed_at"],
                cutoff_for(meta["placed_at"], meta["channel"]),
                json.dumps(s["lines"]),
                s["weight_g"],
                meta["destination"],
            ),
        )


def _cents(amount: Any) -> int:
    from decimal import Decimal

    return int((Decimal(str(amount)) * 100).to_integral_value())


class LabelsView(Projector):
    name = "labels"
    tables = ("view_label_quotes", "view_labels", "view_billed")
    topic_prefixes = (ORDER, BILL)
    ddl = (
        """CREATE TABLE IF NOT EXISTS view_label_quotes (
            shipment_id TEXT PRIMARY KEY, choice TEXT NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS view_labels (
            waybill TEXT NOT NULL, carrier TEXT NOT NULL, service TEXT NOT NULL,
            order_id TEXT NOT NULL, shipment_id TEXT NOT NULL, status TEXT NOT NULL,
            chargeable_weight_kg REAL, quoted_base_cents INTEGER, quoted_fuel_cents INTEGER,
            fuel_pct REAL, quoted_surcharges TEXT, quoted_total_cents INTEGER, currency TEXT,
            labelled_at TEXT NOT NULL, PRIMARY KEY (carrier, waybill))""",
        """CREATE TABLE IF NOT EXISTS view_billed (
            carrier TEXT NOT NULL, waybill TEXT NOT NULL, bill_id TEXT NOT NULL,
            PRIMARY KEY (carrier, waybill, bill_id))""",
    )

    @staticmethod
    def _labelled(db: ViewDB, event: Any) -> None:
        """The label's row, with the quoted charges split into base, fuel (and its share of
        the rest) and named surcharges, in cents, from the carrier choice it was issued for."""
        sid = f"{event.originator_id}-S{event.shipment_no}"
        rows = db.query("SELECT choice FROM view_label_quotes WHERE shipment_id = ?", (sid,))
        choice = json.loads(rows[0]["choice"]) if rows else {}
        charges = {c["charge_type"]: c for c in choice.get("charges", [])}
        base = _cents(charges["base"]["amount"]) if "base" in charges else None
        fuel = _cents(charges["fuel"]["amount"]) if "fuel" in charges else None
        extra = {
            c["name"]: _cents(c["amount"]) for t, c in charges.items() if t not in ("base", "fuel")
        }
        fuel_pct = round(fuel * 100 / (base + sum(extra.values())), 2) if base and fuel else None
        db.execute(
            "INSERT INTO view_labels VALUES (?, ?, ?, ?, ?, 'labelled', ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                event.waybill,
                event.carrier,
                event.service,
                str(event.originator_id),
                sid,
                float(choice["chargeable_weight_kg"])
                if choice.get("chargeable_weight_kg")
                else None,
                base,
                fuel,
                fuel_pct,
                json.dumps(extra),
                _cents(choice["total"]) if choice.get("total") else None,
                choice.get("currency"),
                event.timestamp.isoformat(),
            ),
        )

    def handle(self, db: ViewDB, event: Any, notification_id: int) -> None:
        kind = type(event).__name__
        if kind == "CarrierSelected":
            db.execute(
                "INSERT INTO view_label_quotes VALUES (?, ?) ON CONFLICT (shipment_id) "
                "DO UPDATE SET choice = excluded.choice",
                (
                    f"{event.originator_id}-S{event.shipment_no}",
                    json.dumps(event.decision["choice"]),
                ),
            )
        elif kind == "Labelled":
            self._labelled(db, event)
        elif kind == "LabelVoided":
            db.execute(
                "UPDATE view_labels SET status = 'voided' WHERE waybill = ?", (event.waybill,)
            )
        elif kind == "Dispatched":
            db.execute(
                "UPDATE view_labels SET status = 'dispatched' WHERE shipment_id = ? "
                "AND status = 'labelled'",
                (f"{event.originator_id}-S{event.shipment_no}",),
            )
        elif kind == "LinesBilled":
            for waybill in event.waybills:
                db.execute(
                    "INSERT INTO view_billed VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                    (event.carrier, waybill, str(event.originator_id)),
                )


# --- queries -----------------------------------------------------------------------------
def wave_candidates(db: ViewDB, warehouse_id: str, cutoff: str) -> list[dict[str, Any]]:
    """Shipments of the warehouse still waiting for a wave (allocated) whose cut-off is at or
    before `cutoff` (ISO text, UTC), earliest cut-off first: order_id, shipment_no, cutoff."""
    return db.query(
        "SELECT order_id, shipment_no, cutoff FROM view_shipments WHERE warehouse_id = ? "
        "AND status = 'allocated' AND cutoff <= ? ORDER BY cutoff, shipment_id",
        (warehouse_id, cutoff),
    )


def open_shipments(db: ViewDB) -> list[dict[str, Any]]:
    """Every shipment not delivered and not cancelled, all columns (the SLA check's input)."""
    return db.query("SELECT * FROM view_shipments WHERE status NOT IN ('delivered', 'cancelled')")


def shipments_with_alerts(db: ViewDB) -> list[dict[str, Any]]:
    """Shipments that have raised an SLA alert, by shipment id; `alerts` is the JSON list."""
    return db.query(
        "SELECT shipment_id, order_id, warehouse_id, carrier, waybill, status, "
        "alerts FROM view_shipments WHERE alerts <> '[]' ORDER BY shipment_id"
    )


def dispatched_shipments(db: ViewDB) -> list[dict[str, Any]]:
    """What a carrier scorecard needs of every dispatched shipment."""
    return db.query(
        "SELECT s.carrier, s.service, s.warehouse_id, s.destination, s.dispatched_at, "
        "s.delivered_at, s.eta, s.quoted_days_max, s.alerts, s.tracking_status, s.hold_reason "
        "FROM view_shipments s WHERE s.dispatched_at IS NOT NULL"
    )


def shipment_record(db: ViewDB) -> list[dict[str, Any]]:
    """What the carrier record needs of every dispatched shipment (domains/transport/record.py):
    the scorecard's columns, the parcel weight and the label's quoted cost."""
    return db.query(
        "SELECT s.carrier, s.service, s.warehouse_id, s.destination, s.dispatched_at, "
        "s.delivered_at, s.eta, s.weight_g, l.chargeable_weight_kg, l.quoted_total_cents, "
        "l.currency FROM view_shipments s LEFT JOIN view_labels l "
        "ON l.carrier = s.carrier AND l.waybill = s.waybill WHERE s.dispatched_at IS NOT NULL"
    )


def issued_labels(db: ViewDB) -> list[dict[str, Any]]:
    """Every label ever issued (voided ones too) with what was quoted for it: the expected side
    of a carrier bill."""
    return db.query(
        "SELECT waybill, carrier, service, order_id, shipment_id, status, chargeable_weight_kg, "
        "quoted_base_cents, quoted_fuel_cents, fuel_pct, quoted_surcharges, quoted_total_cents, "
        "currency FROM view_labels"
    )


def billed_waybills(db: ViewDB, carrier: str) -> set[str]:
    """The carrier's waybills that some recorded bill already charged for."""
    return {
        r["waybill"]
        for r in db.query("SELECT waybill FROM view_billed WHERE carrier = ?", (carrier,))
    }


class TransportViews:
    """The shipments view as transport's use cases read it (domains/transport/ports.py): each
    read first brings the views up to the log (`fresh`, from projections/live.py)."""

    def __init__(self, db: ViewDB, fresh: Callable[[], None]) -> None:
        self.db = db
        self.fresh = fresh

    def open_shipments(self) -> list[dict[str, Any]]:
        self.fresh()
        return open_shipments(self.db)

    def shipments_with_alerts(self) -> list[dict[str, Any]]:
        self.fresh()
        return [dict(r, alerts=json.loads(r["alerts"])) for r in shipments_with_alerts(self.db)]

    def dispatched_shipments(self) -> list[dict[str, Any]]:
        self.fresh()
        return dispatched_shipments(self.db)

    def shipment_record(self) -> list[dict[str, Any]]:
        self.fresh()
        return shipment_record(self.db)
