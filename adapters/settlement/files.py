"""Settlement's file work behind its ports (domains/settlement/ports.py): carrier bill files
read (bills.py), matched three ways (reconcile.py) and written out as reports and dispute files
(exports.py), with pandas; what crosses to the use cases is plain lists and dicts."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from adapters.settlement.bills import BillFrame, BillRejected, parse_bill
from adapters.settlement.exports import dispute_file, to_csv, to_xlsx
from adapters.settlement.reconcile import reconcile
from domains.common import ValidationFailed
from domains.settlement.ports import Reconciled

# What reconcile() needs of each issued label (the "expected" side).
EXPECTED_COLUMNS = [
    "waybill",
    "carrier",
    "service",
    "order_id",
    "shipment_id",
    "status",
    "chargeable_weight_kg",
    "quoted_base_cents",
    "quoted_fuel_cents",
    "fuel_pct",
    "quoted_surcharges",
    "quoted_total_cents",
    "currency",
]
# A recorded bill line (CarrierBill.lines).
LINE_COLUMNS = [
    "line",
    "waybill",
    "service",
    "billed_weight_kg",
    "total_cents",
    "currency",
    "expected_cents",
    "discrepancy_kinds",
]


class PandasBillFiles:
    def read(self, data: bytes, filename: str, layout: str, carrier: str) -> BillFrame:
        try:
            return parse_bill(data, filename, layout, carrier=carrier)
        except BillRejected as exc:
            raise ValidationFailed(
                [
                    {
                        "loc": (f"line {e['line']}: " if e.get("line") else "")
                        + str(e.get("field") or "file"),
                        "msg": e["msg"],
                        "line": e.get("line"),
                    }
                    for e in exc.errors
                ]
            ) from None

    def report(self, bill: Reconciled, fmt: str, table: str = "lines") -> bytes:
        frame = pd.DataFrame(bill.lines, columns=LINE_COLUMNS)
        frame["has_discrepancy"] = frame["discrepancy_kinds"].fillna("") != ""
        found = pd.DataFrame(bill.discrepancies)
        if fmt == "xlsx":
            return to_xlsx(frame, found, bill.totals)
        return to_csv(frame, found, bill.totals, table=table)

    def disputes(self, disputed: list[dict[str, Any]], carrier: str) -> bytes:
        return dispute_file(pd.DataFrame(disputed), carrier)


def reconcile_bill(
    bill: BillFrame, issued_labels: list[dict[str, Any]], previously_billed: set[str]
) -> Reconciled:
    """The three-way match (reconcile.py), its outcome as JSON types: each line compact."""
    expected = pd.DataFrame(issued_labels, columns=EXPECTED_COLUMNS)
    lines, discrepancies, totals = reconcile(bill, expected, previously_billed=previously_billed)
    compact = [
        [
            int(r.line),
            r.waybill,
            r.service,
            float(r.billed_weight_kg),
            int(r.total_cents),
            r.currency,
            None if pd.isna(r.expected_cents) else int(r.expected_cents),
            r.discrepancy_kinds,
        ]
        for r in lines.itertuples()
    ]
    return Reconciled(
        lines=compact,
        discrepancies=json.loads(discrepancies.to_json(orient="records")),
        totals=json.loads(json.dumps(totals, default=str)),
    )
