"""A carrier bill: uploaded, reconciled three ways (quote, label, bill line), and each
discrepancy worked through: accepted, disputed or credited, with who and why."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domains.common import InvalidTransition, stable_id

RESOLUTIONS = ("accepted", "disputed", "credited")
FINAL = ("accepted", "credited")  # a disputed row may still be accepted or credited


class CarrierBill(Aggregate):
    @staticmethod
    def create_id(carrier: str, file_hash: str) -> UUID:
        return stable_id("carrier-bill", carrier, file_hash)

    @event("Uploaded")
    def __init__(
        self,
        carrier: str,
        layout: str,
        filename: str,
        file_hash: str,
        uploaded_by: str,
        totals: dict[str, Any],
    ) -> None:
        self.carrier = carrier
        self.layout = layout
        self.filename = filename
        self.file_hash = file_hash
        self.uploaded_by = uploaded_by
        self.totals = totals
        self.discrepancies: list[dict[str, Any]] = []

    @event("LinesBilled")
    def bill_lines(self, carrier: str, waybills: list[str], lines: list[list[Any]]) -> None:
        """The waybills this bill charges for (duplicates across bills are found from these)
        and each line's outcome: [line, waybill, service, billed kg, billed cents, currency,
        expected cents, discrepancy kinds]."""
        self.lines = lines

    @event("DiscrepancyFound")
    def found(self, number: int, discrepancy: dict[str, Any]) -> None:
        self.discrepancies.append(dict(discrepancy, number=number, resolution=None))

    @event("DiscrepancyResolved")
    def resolve(self, number: int, resolution: str, by: str, reason: str) -> None:
        if resolution not in RESOLUTIONS:
            raise InvalidTransition(f"resolution is one of {', '.join(RESOLUTIONS)}")
        if not reason.strip():
            raise InvalidTransition("a resolution needs a reason")
        if not 1 <= number <= len(self.discrepancies):
            raise InvalidTransition(f"bill has no discrepancy {number}")
        entry = self.discrepancies[number - 1]
        if entry["resolution"] in FINAL:
            raise InvalidTransition(f"discrepancy {number} is already {entry['resolution']}")
        entry.update(resolution=resolution, resolved_by=by, reason=reason)
