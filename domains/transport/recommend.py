"""The carrier record as a collaborator of transport's use cases: each lane's record read from
the shipments and claims views (domains/transport/record.py does the arithmetic), the
per-lane recommendation, and each quote's late and loss probabilities for best-value choice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from domains.transport.ports import RecordRows, ShipmentViews
from domains.transport.record import (
    RecordSettings,
    lane_records,
    quote_record,
    recommend,
    with_claims,
)


@dataclass
class CarrierRecord:
    views: ShipmentViews
    rows: RecordRows
    settings: RecordSettings
    countries: Callable[[], Mapping[str, str]]  # warehouse -> country
    claim_counts: Callable[[], list[dict[str, Any]]] | None = None

    def records(self) -> list[dict[str, Any]]:
        countries = self.countries()
        rows = self.rows(self.views.shipment_record(), countries)
        counts = self.claim_counts() if self.claim_counts else []
        return lane_records(with_claims(rows, counts, countries), self.settings)

    def recommendations(self, origin: str, destination: str) -> dict[str, Any]:
        return recommend(self.records(), f"{origin}-{destination}", self.settings)

    def for_quotes(self, lane: str, quotes: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        records = self.records()
        return {
            f"{q['carrier']}/{q['service']}": quote_record(
                records, lane, q["carrier"], q["service"], self.settings
            )
            for q in quotes
        }


def declared_value(
    canonical: dict[str, Any], lines: list[dict[str, Any]], rate: Decimal
) -> Decimal:
    """The shipment's goods at the order's prices, in the quotes' comparison currency (`rate`:
    order currency -> comparison currency): what a lost parcel costs us."""
    prices = {ln["sku"]: Decimal(str(ln.get("unit_price") or 0)) for ln in canonical["lines"]}
    total = sum((prices.get(ln["sku"], Decimal(0)) * ln["quantity"] for ln in lines), Decimal(0))
    return (total * rate).quantize(Decimal("0.01"))
