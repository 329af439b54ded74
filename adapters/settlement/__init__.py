"""Settlement: carrier bill parsing, three-way reconciliation (quote, label, bill line), exports.

    bills.parse_bill(data, filename, layout)          -> BillFrame (or raises BillRejected)
    reconcile.reconcile(bill, expected, ...)           -> (lines, discrepancies, totals)
    exports.to_xlsx / to_csv / dispute_file           -> bytes

Money is integer cents (int64) everywhere; weights are kg (float64) with an exact integer gram
column used for every comparison.
"""

from adapters.settlement.bills import LAYOUTS, BillFrame, BillRejected, parse_bill
from adapters.settlement.exports import dispute_file, to_csv, to_xlsx
from adapters.settlement.reconcile import DISCREPANCY_KINDS, reconcile

__all__ = [
    "DISCREPANCY_KINDS",
    "LAYOUTS",
    "BillFrame",
    "BillRejected",
    "dispute_file",
    "parse_bill",
    "reconcile",
    "to_csv",
    "to_xlsx",
]
