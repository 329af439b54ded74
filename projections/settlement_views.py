"""Settlement queries: what the cost ledger reads, across the transport (shipments, labels),
customs (declarations) and orders views; and settlement's own view of the carrier bills (each
bill's head and totals, and its discrepancies' currency, difference and resolution), which the
bill list reads instead of every bill's stream (a bill's stream holds all its lines)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from projections.db import ViewDB, Where
from projections.runner import Projector
from projections.transport_views import BILL, billed_waybills, issued_labels

_SHIPMENT_COSTS = (
    "SELECT s.shipment_id, s.order_id, s.warehouse_id, s.destination, s.channel, s.lines, "
    "s.dispatched_at, s.placed_at, l.carrier, l.service, l.quoted_total_cents, l.currency, "
    "l.labelled_at, d.duty, d.vat, d.currency AS duty_currency, d.incoterm, "
    "o.total AS order_total, o.currency AS order_currency "
    "FROM view_shipments s JOIN view_labels l ON l.shipment_id = s.shipment_id "
    "AND l.status <> 'voided' LEFT JOIN view_declarations d ON "
    "d.order_id || '-S' || d.shipment_no = s.shipment_id "
    "LEFT JOIN view_orders o ON o.order_id = s.order_id"
)


def shipment_costs(db: ViewDB, order_id: str | None = None) -> list[dict[str, Any]]:
    """Every shipment with a current (not voided) label, or only the given order's: the label's
    carrier, service and quoted total (cents, label currency), its customs duty and VAT and
    incoterm when declared, and its order's total. Costing (FX, handling) is the caller's."""
    where = Where().equal("s.order_id", order_id)
    return db.query(f"{_SHIPMENT_COSTS} WHERE {where.sql}", where.params)  # noqa: S608 - fixed SQL


class BillsView(Projector):
    name = "carrier_bills"
    tables = ("view_carrier_bills", "view_bill_discrepancies")
    topic_prefixes = (BILL,)
    ddl = (
        """CREATE TABLE IF NOT EXISTS view_carrier_bills (
            bill_id TEXT PRIMARY KEY, carrier TEXT NOT NULL, filename TEXT NOT NULL,
            uploaded_by TEXT NOT NULL, uploaded_at TEXT NOT NULL, totals TEXT NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS view_bill_discrepancies (
            bill_id TEXT NOT NULL, number INTEGER NOT NULL, currency TEXT,
            difference_cents BIGINT, resolution TEXT, PRIMARY KEY (bill_id, number))""",
    )

    def handle(self, db: ViewDB, event: Any, notification_id: int) -> None:
        kind, bill_id = type(event).__name__, str(event.originator_id)
        if kind == "Uploaded":
            db.execute(
                "INSERT INTO view_carrier_bills VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (bill_id) DO NOTHING",
                (
                    bill_id,
                    event.carrier,
                    event.filename,
                    event.uploaded_by,
                    event.timestamp.isoformat(),
                    json.dumps(event.totals),
                ),
            )
        elif kind == "DiscrepancyFound":
            d = event.discrepancy
            db.execute(
                "INSERT INTO view_bill_discrepancies VALUES (?, ?, ?, ?, NULL) "
                "ON CONFLICT (bill_id, number) DO NOTHING",
                (bill_id, event.number, d.get("currency"), d.get("difference_cents")),
            )
        elif kind == "DiscrepancyResolved":
            db.execute(
                "UPDATE view_bill_discrepancies SET resolution = ? WHERE bill_id = ? "
                "AND number = ?",
                (event.resolution, bill_id, event.number),
            )


def carrier_bills(db: ViewDB, carrier: str | None = None) -> list[dict[str, Any]]:
    """The bills, newest first (all or one carrier's): id, carrier, filename, uploaded_by,
    uploaded_at, totals, and `discrepancies` [{currency, difference_cents, resolution}]."""
    where = Where().equal("carrier", carrier)
    bills = db.query(
        f"SELECT * FROM view_carrier_bills WHERE {where.sql} "  # noqa: S608 - fixed SQL
        "ORDER BY uploaded_at DESC, bill_id",
        where.params,
    )
    found: dict[str, list[dict[str, Any]]] = {b["bill_id"]: [] for b in bills}
    listed = f"SELECT bill_id FROM view_carrier_bills WHERE {where.sql}"  # noqa: S608
    columns = "bill_id, currency, difference_cents, resolution"
    sql = f"SELECT {columns} FROM view_bill_discrepancies WHERE bill_id IN ({listed})"  # noqa: S608
    rows = db.query(sql + " ORDER BY bill_id, number", where.params)
    for r in rows:
        if r["bill_id"] in found:
            found[r.pop("bill_id")].append(r)
    return [
        {
            "id": b["bill_id"],
            "carrier": b["carrier"],
            "filename": b["filename"],
            "uploaded_by": b["uploaded_by"],
            "uploaded_at": b["uploaded_at"],
            "totals": json.loads(b["totals"]),
            "discrepancies": found[b["bill_id"]],
        }
        for b in bills
    ]


class SettlementViews:
    """The views as settlement's use cases read them (domains/settlement/ports.py): each read
    first brings the views up to the log (`fresh`, from projections/live.py)."""

    def __init__(self, db: ViewDB, fresh: Callable[[], None]) -> None:
        self.db = db
        self.fresh = fresh

    def shipment_costs(self, order_id: str | None = None) -> list[dict[str, Any]]:
        self.fresh()
        return [dict(r, lines=json.loads(r["lines"])) for r in shipment_costs(self.db, order_id)]

    def issued_labels(self) -> list[dict[str, Any]]:
        self.fresh()
        return issued_labels(self.db)

    def billed_waybills(self, carrier: str) -> set[str]:
        self.fresh()
        return billed_waybills(self.db, carrier)

    def carrier_bills(self, carrier: str | None = None) -> list[dict[str, Any]]:
        self.fresh()
        return carrier_bills(self.db, carrier)
