"""Settlement use cases: record a reconciled carrier bill and work its discrepancies.

Parsing and the (pandas, vectorised) three-way match run in adapters/settlement before this is
called; here the outcome becomes events: the bill, the waybills it charges, one event per
discrepancy with expected and billed amounts, and each resolution with who and why.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domains.common import NotFound
from domains.settlement.model import CarrierBill
from domains.store import Store


class SettlementUseCases:
    def __init__(self, store: Store) -> None:
        self.store = store

    def record_bill(
        self,
        carrier: str,
        layout: str,
        filename: str,
        file_hash: str,
        by: str,
        lines: list[list[Any]],
        discrepancies: list[dict[str, Any]],
        totals: dict[str, Any],
    ) -> tuple[CarrierBill, bool, int]:
        """Idempotent per (carrier, file): the same file again answers the bill already made."""
        existing = self.store.get_or_none(CarrierBill.create_id(carrier, file_hash))
        if isinstance(existing, CarrierBill):
            return existing, False, 0
        bill = CarrierBill(
            carrier=carrier,
            layout=layout,
            filename=filename,
            file_hash=file_hash,
            uploaded_by=by,
            totals=totals,
        )
        bill.bill_lines(carrier=carrier, waybills=[ln[1] for ln in lines], lines=lines)
        for n, d in enumerate(discrepancies, start=1):
            bill.found(number=n, discrepancy=d)
        registry = self.store.registry()
        registry.add("carrier_bill", str(bill.id))
        return bill, True, self.store.commit(bill, registry)

    def get_bill(self, bill_id: UUID) -> CarrierBill:
        bill = self.store.get_or_none(bill_id)
        if not isinstance(bill, CarrierBill):
            raise NotFound("carrier bill", str(bill_id))
        return bill

    def resolve_discrepancy(
        self, bill_id: UUID, number: int, resolution: str, by: str, reason: str
    ) -> tuple[CarrierBill, int]:
        bill = self.get_bill(bill_id)
        bill.resolve(number=number, resolution=resolution, by=by, reason=reason)
        return bill, self.store.commit(bill)

    def bills(self) -> list[CarrierBill]:
        return [self.get_bill(UUID(i)) for i in self.store.registry().entries.get("carrier_bill", [])]
