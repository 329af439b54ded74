"""Settlement queries: what the cost ledger reads. Settlement keeps no view tables of its own
yet; it reads across the transport (shipments, labels), customs (declarations) and orders
views."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from projections.db import ViewDB, Where
from projections.transport_views import billed_waybills, issued_labels

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
