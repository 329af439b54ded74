"""What settlement's use cases need from outside, as plain interfaces: the views the cost ledger
and the three-way match read, carrier bill files in and reports out, the (vectorised) match
itself and the cost group-by. Implemented in projections/ and adapters/settlement, wired in
adapters/bootstrap.py."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol


class LedgerViews(Protocol):
    """The views settlement reads (projections/settlement_views.py), brought up to date before
    each read."""

    def shipment_costs(self, order_id: str | None = None) -> list[dict[str, Any]]:
        """Every shipment with a current label (or one order's): its label's carrier, service
        and quoted total in cents, its declaration's duty, VAT and incoterm, its order's total;
        `lines` is the shipment's list of lines."""
        ...

    def issued_labels(self) -> list[dict[str, Any]]:
        """Every label ever issued (voided ones too) with what was quoted for it."""
        ...

    def billed_waybills(self, carrier: str) -> set[str]:
        """The carrier's waybills some recorded bill already charged for."""
        ...

    def carrier_bills(self, carrier: str | None = None) -> list[dict[str, Any]]:
        """The recorded bills, newest first (all or one carrier's): id, carrier, filename,
        uploaded_by, uploaded_at (ISO), totals, and `discrepancies` as [{currency,
        difference_cents, resolution}], without their lines."""
        ...


class LandedCosts(Protocol):
    """The landed cost per unit of stock received from inbound shipments
    (projections/inbound_views.py)."""

    def unit_costs(
        self, wanted: Iterable[tuple[str, str, str | None]]
    ) -> dict[tuple[str, str, str | None], dict[str, Any]]:
        """For each (warehouse, SKU, lot): {unit_cost, currency, source ("lot" when the lot
        came from an inbound, else "weighted_average" of the SKU's inbound lots there),
        inbound_id}; none known: left out."""
        ...


@dataclass(frozen=True)
class Reconciled:
    """A bill matched three ways: each line as [line, waybill, service, billed kg, billed
    cents, currency, expected cents or None, discrepancy kinds], each discrepancy found (JSON
    types) and the bill's totals (JSON types)."""

    lines: list[list[Any]]
    discrepancies: list[dict[str, Any]]
    totals: dict[str, Any]


class BillFiles(Protocol):
    """Carrier bill files in, bill reports out (adapters/settlement/files.py)."""

    def read(self, data: bytes, filename: str, layout: str, carrier: str) -> Any:
        """The parsed bill, for `Reconcile`; a bad file raises ValidationFailed with its bad
        rows by line number."""
        ...

    def report(self, bill: Reconciled, fmt: str, table: str = "lines") -> bytes:
        """Every line of a bill (discrepancy rows marked) and a summary, as "xlsx"; as "csv",
        one `table`: "lines", "discrepancies" (with their resolutions) or "summary"."""
        ...

    def disputes(self, disputed: list[dict[str, Any]], carrier: str) -> bytes:
        """The dispute file (CSV) for one carrier's disputed discrepancies."""
        ...


# (parsed bill, issued labels, waybills billed before) -> the bill matched three ways
Reconcile = Callable[[Any, list[dict[str, Any]], set[str]], Reconciled]

# (cost ledger rows, column to group by) -> per group: shipments, orders, cost, order_value,
# cost_per_order, cost_share_of_order_value (adapters/settlement/ledger.py)
CostTotals = Callable[[list[dict[str, Any]], str], list[dict[str, Any]]]
