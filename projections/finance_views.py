"""Finance read models: every label ever issued with what was quoted for it (the "expected"
side of a carrier bill), and the waybills already billed (duplicates across bills)."""

from __future__ import annotations

import json
from typing import Any

from projections.db import ViewDB
from projections.runner import Projector

ORDER = "domains.orders.model:Order."
BILL = "domains.settlement.model:CarrierBill."


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
            sid = f"{event.originator_id}-S{event.shipment_no}"
            rows = db.query("SELECT choice FROM view_label_quotes WHERE shipment_id = ?", (sid,))
            choice = json.loads(rows[0]["choice"]) if rows else {}
            charges = {c["charge_type"]: c for c in choice.get("charges", [])}
            base = _cents(charges["base"]["amount"]) if "base" in charges else None
            fuel = _cents(charges["fuel"]["amount"]) if "fuel" in charges else None
            extra = {
                c["name"]: _cents(c["amount"])
                for t, c in charges.items()
                if t not in ("base", "fuel")
            }
            fuel_pct = (
                round(fuel * 100 / (base + sum(extra.values())), 2) if base and fuel else None
            )
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
