"""Read models for the order spine: the order list (with holds) and stock per warehouse and SKU,
and the queries that read them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from domains.orders.amounts import order_total
from projections.db import ViewDB, Where
from projections.runner import Projector


def _iso(ts: Any) -> str:
    return ts.isoformat()


class OrderListView(Projector):
    name = "orders"
    tables = ("view_orders",)
    topic_prefixes = ("domains.orders.model:Order.",)
    ddl = (
        """CREATE TABLE IF NOT EXISTS view_orders (
            order_id TEXT PRIMARY KEY, channel TEXT NOT NULL, external_id TEXT NOT NULL,
            status TEXT NOT NULL, dealer_id TEXT, placed_at TEXT NOT NULL,
            received_at TEXT NOT NULL, currency TEXT NOT NULL, total TEXT NOT NULL,
            country TEXT NOT NULL, line_count INTEGER NOT NULL, units INTEGER NOT NULL,
            shipments INTEGER NOT NULL, warehouses TEXT NOT NULL, hold_codes TEXT NOT NULL,
            hold_reasons TEXT NOT NULL, version INTEGER NOT NULL, updated_at TEXT NOT NULL)""",
        "CREATE INDEX IF NOT EXISTS view_orders_channel ON view_orders (channel, placed_at)",
        "CREATE INDEX IF NOT EXISTS view_orders_status ON view_orders (status, placed_at)",
        "CREATE INDEX IF NOT EXISTS view_orders_dealer ON view_orders (dealer_id)",
    )

    @staticmethod
    def _received(db: ViewDB, event: Any) -> None:
        """A new row: the order as received, its total the channel's (quantity x unit price
        for orders received before amounts were mapped)."""
        oid = str(event.originator_id)
        c = event.canonical
        total = order_total(c)
        db.execute(
            "INSERT INTO view_orders (order_id, channel, external_id, status, dealer_id, "
            "placed_at, received_at, currency, total, country, line_count, units, shipments,"
            " warehouses, hold_codes, hold_reasons, version, updated_at) VALUES "
            "(?, ?, ?, 'received', ?, ?, ?, ?, ?, ?, ?, ?, 0, '', '', '[]', ?, ?)",
            (
                oid,
                event.channel,
                event.external_id,
                c.get("dealer_id"),
                c["placed_at"],
                _iso(event.timestamp),
                c["currency"],
                str(total.quantize(Decimal("0.01"))),
                c["ship_to"]["country"],
                len(c["lines"]),
                sum(int(ln["quantity"]) for ln in c["lines"]),
                event.originator_version,
                _iso(event.timestamp),
            ),
        )

    def handle(self, db: ViewDB, event: Any, notification_id: int) -> None:
        kind = type(event).__name__
        oid = str(event.originator_id)
        common = (event.originator_version, _iso(event.timestamp), oid)
        if kind == "Received":
            self._received(db, event)
        elif kind == "Reviewed":
            holds = [
                {"rule": r["rule"], "code": r["code"], "reason": r["reason"]}
                for r in event.rules
                if not r["passed"] and not r.get("overridden")
            ]
            self._set(db, event.outcome, holds, common)
        elif kind == "Split":
            plan = event.decision["plan"]
            db.execute(
                "UPDATE view_orders SET status = 'allocated', shipments = ?, warehouses = ?, "
                "hold_codes = '', hold_reasons = '[]', version = ?, updated_at = ? "
                "WHERE order_id = ?",
                (len(plan), ",".join(s["warehouse_id"] for s in plan), *common),
            )
        elif kind in ("Backordered", "PresaleBackordered"):
            holds = [
                {"rule": "stock", "code": "insufficient_stock", "reason": "insufficient stock"}
            ]
            self._set(db, "held", holds, common)
        elif kind == "Released":
            self._set(db, "received", [], common)
        elif hasattr(event, "order_status"):  # fulfilment and transport steps carry it
            db.execute(
                "UPDATE view_orders SET status = ?, version = ?, updated_at = ? WHERE order_id = ?",
                (event.order_status, *common),
            )
        elif kind == "Cancelled":
            db.execute(
                "UPDATE view_orders SET status = 'cancelled', hold_codes = '', "
                "hold_reasons = '[]', version = ?, updated_at = ? WHERE order_id = ?",
                common,
            )

    @staticmethod
    def _set(db: ViewDB, status: str, holds: list[dict], common: tuple) -> None:
        db.execute(
            "UPDATE view_orders SET status = ?, hold_codes = ?, hold_reasons = ?, version = ?, "
            "updated_at = ? WHERE order_id = ?",
            (status, ",".join(h["code"] for h in holds), json.dumps(holds), *common),
        )


class StockView(Projector):
    """Per warehouse and SKU: on hand, reserved, expected inbound, reserved against inbound
    (pre-sold) and in transit out (shipped to another warehouse, not yet received there); per
    inbound: its units, expected arrival and pre-sold units."""

    name = "stock"
    schema_version = 2  # v2: inbound, pre-sold and in-transit columns and tables
    tables = ("view_stock", "view_stock_inbound", "view_stock_transit")
    topic_prefixes = ("domains.warehouse.model:Inventory.",)
    ddl = (
        """CREATE TABLE IF NOT EXISTS view_stock (
            inventory_id TEXT PRIMARY KEY, warehouse_id TEXT NOT NULL, sku TEXT NOT NULL,
            on_hand INTEGER NOT NULL, reserved INTEGER NOT NULL,
            inbound INTEGER NOT NULL DEFAULT 0, reserved_inbound INTEGER NOT NULL DEFAULT 0,
            in_transit_out INTEGER NOT NULL DEFAULT 0, version INTEGER NOT NULL,
            updated_at TEXT NOT NULL)""",
        "CREATE UNIQUE INDEX IF NOT EXISTS view_stock_key ON view_stock (warehouse_id, sku)",
        "CREATE INDEX IF NOT EXISTS view_stock_sku ON view_stock (sku)",
        """CREATE TABLE IF NOT EXISTS view_stock_inbound (
            inventory_id TEXT NOT NULL, inbound_id TEXT NOT NULL, units INTEGER NOT NULL,
            arrival TEXT NOT NULL, presold INTEGER NOT NULL,
            PRIMARY KEY (inventory_id, inbound_id))""",
        """CREATE TABLE IF NOT EXISTS view_stock_transit (
            inventory_id TEXT NOT NULL, transfer_key TEXT NOT NULL, units INTEGER NOT NULL,
            PRIMARY KEY (inventory_id, transfer_key))""",
        "CREATE INDEX IF NOT EXISTS view_stock_transit_key ON view_stock_transit (transfer_key)",
    )
    # Which column each event moves, and in which direction.
    _deltas = {
        "Received": ("on_hand", 1),
        "Reserved": ("reserved", 1),
        "ReservationReleased": ("reserved", -1),
        "PresaleReserved": ("reserved_inbound", 1),
        "PresaleReleased": ("reserved_inbound", -1),
    }
    # Picks and shorts take units out of both on-hand and reserved.
    _both = {"Picked": "quantity", "ShortPicked": "missing"}

    def handle(self, db: ViewDB, event: Any, notification_id: int) -> None:
        kind = type(event).__name__
        key = (event.originator_version, _iso(event.timestamp), str(event.originator_id))
        if kind == "Opened":
            db.execute(
                "INSERT INTO view_stock (warehouse_id, sku, on_hand, reserved, version, "
                "updated_at, inventory_id) VALUES (?, ?, 0, 0, ?, ?, ?)",
                (event.warehouse_id, event.sku, *key),
            )
            return
        if kind in self._both:
            n = int(getattr(event, self._both[kind]))
            self._move(db, key, on_hand=-n, reserved=-n)
            return
        if kind == "Counted":
            self._move(db, key, on_hand=int(event.difference))
            return
        if kind in ("InboundExpected", "InboundRescheduled", "InboundReceived", "InboundCancelled"):
            self._inbound(db, kind, event, key)
            return
        if kind == "ShippedOut":
            n = int(event.quantity)
            self._move(db, key, on_hand=-n, reserved=-n, in_transit_out=n)
            db.execute(
                "INSERT INTO view_stock_transit VALUES (?, ?, ?) ON CONFLICT "
                "(inventory_id, transfer_key) DO UPDATE SET "
                "units = view_stock_transit.units + excluded.units",
                (key[2], event.key, n),
            )
            return
        if kind not in self._deltas:
            return
        column, sign = self._deltas[kind]
        if kind.startswith("Presale"):
            db.execute(
                "UPDATE view_stock_inbound SET presold = presold + ? "
                "WHERE inventory_id = ? AND inbound_id = ?",
                (sign * int(event.quantity), key[2], event.inbound_id),
            )
        self._move(db, key, **{column: sign * int(event.quantity)})

    @staticmethod
    def _move(db: ViewDB, key: tuple, **deltas: int) -> None:
        sets = "".join(f"{column} = {column} + ?, " for column in deltas)
        db.execute(
            f"UPDATE view_stock SET {sets}version = ?, updated_at = ? "  # noqa: S608
            "WHERE inventory_id = ?",
            (*deltas.values(), *key),
        )

    def _inbound(self, db: ViewDB, kind: str, event: Any, key: tuple) -> None:
        inv = key[2]
        if kind == "InboundRescheduled":
            db.execute(
                "UPDATE view_stock_inbound SET arrival = ? WHERE inventory_id = ? "
                "AND inbound_id = ?",
                (event.arrival, inv, event.inbound_id),
            )
            self._move(db, key)
            return
        rows = db.query(
            "SELECT units, presold FROM view_stock_inbound WHERE inventory_id = ? "
            "AND inbound_id = ?",
            (inv, event.inbound_id),
        )
        units, presold = (rows[0]["units"], rows[0]["presold"]) if rows else (0, 0)
        if kind == "InboundExpected":
            new_units = sum(int(line["quantity"]) for line in event.lines)
            db.execute(
                "INSERT INTO view_stock_inbound VALUES (?, ?, ?, ?, 0) ON CONFLICT "
                "(inventory_id, inbound_id) DO UPDATE SET units = excluded.units, "
                "arrival = excluded.arrival",
                (inv, event.inbound_id, new_units, event.arrival),
            )
            self._move(db, key, inbound=new_units - units)
            return
        db.execute(
            "DELETE FROM view_stock_inbound WHERE inventory_id = ? AND inbound_id = ?",
            (inv, event.inbound_id),
        )
        if kind == "InboundCancelled":
            self._move(db, key, inbound=-units, reserved_inbound=-presold)
            return
        received = sum(int(r["quantity"]) for r in event.received)
        converted = sum(int(c["quantity"]) for c in event.converted)
        self._move(
            db,
            key,
            on_hand=received,
            reserved=converted,
            inbound=-units,
            reserved_inbound=-presold,
        )
        # A transfer's units arrived: no longer in transit at the warehouse they left.
        for row in db.query(
            "SELECT inventory_id, units FROM view_stock_transit WHERE transfer_key = ?",
            (f"transfer:{event.inbound_id}",),
        ):
            db.execute(
                "UPDATE view_stock SET in_transit_out = in_transit_out - ? WHERE inventory_id = ?",
                (row["units"], row["inventory_id"]),
            )
        db.execute(
            "DELETE FROM view_stock_transit WHERE transfer_key = ?",
            (f"transfer:{event.inbound_id}",),
        )


# --- queries -----------------------------------------------------------------------------
def _utc_text(value: datetime | None) -> str | None:
    """A time filter as the views store times: ISO text in UTC (naive means UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


def orders_page(
    db: ViewDB,
    *,
    limit: int,
    offset: int,
    channel: str | None = None,
    status: str | None = None,
    dealer: str | None = None,
    hold_code: str | None = None,
    warehouse: str | None = None,
    placed_from: datetime | None = None,
    placed_to: datetime | None = None,
    country: str | None = None,
    where: Where | None = None,
    after: tuple[str, str] | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """One page of the order list, newest first, and how many orders match. A filter left None
    is no filter; `hold_code` and `warehouse` match one item of the order's lists; `where` may
    bring more conditions (projections/journey_views.py). `after` (placed_at, order id) of
    the last row seen pages by keyset: the rows after it, however many were added since.
    Each row has its lists as lists (holds parsed) and its id as `id`."""
    where = (
        (where or Where())
        .equal("channel", channel)
        .equal("status", status)
        .equal("dealer_id", dealer)
        .equal("country", country)
        .listed("hold_codes", hold_code)
        .listed("warehouses", warehouse)
        .compare("placed_at", ">=", _utc_text(placed_from))
        .compare("placed_at", "<=", _utc_text(placed_to))
    )
    total = db.query(
        f"SELECT COUNT(*) AS n FROM view_orders WHERE {where.sql}",  # noqa: S608 - fixed SQL
        where.params,
    )[0]["n"]
    if after is not None:
        where.clause("placed_at < ? OR (placed_at = ? AND order_id > ?)", after[0], *after)
    rows = db.query(
        f"SELECT * FROM view_orders WHERE {where.sql} "  # noqa: S608 - fixed SQL
        "ORDER BY placed_at DESC, order_id LIMIT ? OFFSET ?",
        [*where.params, limit, offset],
    )
    for r in rows:
        r["hold_reasons"] = json.loads(r["hold_reasons"])
        r["warehouses"] = [w for w in r["warehouses"].split(",") if w]
        r["hold_codes"] = [c for c in r["hold_codes"].split(",") if c]
        r["id"] = r.pop("order_id")
    return rows, total


def stock_page(
    db: ViewDB,
    *,
    limit: int,
    offset: int,
    sku: str | None = None,
    warehouse: str | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """On hand, reserved and available per warehouse and SKU (in that order), with units
    expected inbound, reserved against inbound (pre-sold) and in transit out, and each inbound
    (id, units, expected arrival, pre-sold); one page, and how many rows match."""
    rows, total = db.page(
        "view_stock",
        Where().equal("sku", sku).equal("warehouse_id", warehouse),
        "warehouse_id, sku",
        limit,
        offset,
        columns="inventory_id, warehouse_id, sku, on_hand, reserved, "
        "on_hand - reserved AS available, inbound, reserved_inbound, in_transit_out, version",
    )
    ids = [r["inventory_id"] for r in rows]
    inbound: dict[str, list[dict[str, Any]]] = {}
    if ids:
        marks = ", ".join("?" for _ in ids)
        columns = "inventory_id, inbound_id, units, arrival, presold"
        sql = f"SELECT {columns} FROM view_stock_inbound WHERE inventory_id IN ({marks})"  # noqa: S608
        sql += " ORDER BY arrival, inbound_id"
        for row in db.query(sql, tuple(ids)):
            inbound.setdefault(row.pop("inventory_id"), []).append(row)
    for r in rows:
        r["inbounds"] = inbound.get(r.pop("inventory_id"), [])
    return rows, total


def warehouse_stock(db: ViewDB, warehouse_id: str) -> list[dict[str, Any]]:
    """On hand and reserved of every SKU the warehouse has had."""
    return db.query(
        "SELECT warehouse_id, sku, on_hand, reserved FROM view_stock WHERE warehouse_id = ?",
        (warehouse_id,),
    )
