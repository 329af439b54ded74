"""What the returns context needs from outside: its views (projections/returns_views.py) and
the carriers' claim file formats (adapters/returns/claim_files.py). Wired in
adapters/bootstrap.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol


class ReturnViews(Protocol):
    def returns(self, **filters: Any) -> list[dict[str, Any]]:
        """Return rows (newest first), filtered by channel, warehouse_id, status, order_id."""
        ...

    def analysis(self) -> dict[str, Any]:
        """Return rates by SKU, reason, channel and carrier."""
        ...

    def claims(self, **filters: Any) -> list[dict[str, Any]]:
        """Claim rows, filtered by carrier, status."""
        ...

    def claim_counts(self) -> list[dict[str, Any]]:
        """Per carrier, service, warehouse and destination: claims, paid."""
        ...

    def ledger_entries(self, order_id: str | None = None) -> list[dict[str, Any]]:
        """Return costs and claim credits, each {entry_id, kind, ref, order_id, carrier,
        amount (a credit negative), currency, date}."""
        ...

    def quiet_shipments(self) -> list[dict[str, Any]]:
        """Dispatched, undelivered shipments with a no-scan alert: shipment_id, order_id,
        shipment_no, last_scan_at, dispatched_at, alerts (JSON text)."""
        ...


# (carrier, claim rows as plain data) -> (file name, CSV bytes)
ClaimFile = Callable[[str, list[dict[str, Any]]], tuple[str, bytes]]
