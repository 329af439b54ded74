"""What the metrics read (projections/metrics_views.py), wired in adapters/bootstrap.py."""

from __future__ import annotations

from datetime import date
from typing import Any, Protocol


class MetricReads(Protocol):
    def shipments(self) -> list[dict[str, Any]]:
        """Every labelled or dispatched shipment with its order's receipt time: shipment_id, order_id,
        warehouse_id, channel, carrier, destination, units, received_at, dispatched_at,
        delivered_at, eta, alerts (a list), tracking_status, hold_reason."""
        ...

    def lost_claims(self) -> set[str]:
        """Shipment ids with a carrier claim for a lost parcel."""
        ...

    def returns_by_shipment(self) -> dict[str, int]:
        """Returns opened per outbound shipment id."""
        ...

    def declarations(self) -> list[dict[str, Any]]:
        """Parcel declarations submitted to customs: declaration_id, channel, destination,
        warehouse_id, carrier, submitted_at, held_at, cleared_at."""
        ...

    def stock_moves(self, warehouse: str | None) -> dict[date, int]:
        """Net units put on or taken off hand per day (all warehouses, or one)."""
        ...

    def targets(self) -> dict[str, dict[str, Any]]:
        """Each metric's current target: value, set_by, set_at."""
        ...

    def filter_choices(self) -> dict[str, list[str]]:
        """Per filter (warehouse, channel, carrier, destination), the values shipments had."""
        ...
