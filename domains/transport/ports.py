"""What transport's use cases need from outside, as plain interfaces: carriers' label APIs,
carriers' tracking codes, the shipments view and the scorecard arithmetic. Implemented in
adapters/ and projections/, wired in adapters/bootstrap.py."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol


class CarrierConnector(Protocol):
    """A carrier's label API (adapters/transport/carriers): issues a waybill for a label request."""

    def issue(self, sequence: int, request: dict[str, Any]) -> dict[str, Any]: ...

    def render(self, data: dict[str, Any], waybill: str) -> Any: ...


class ShipmentViews(Protocol):
    """The shipments view (projections/transport_views.py), brought up to date before each
    read. Rows are the view's columns."""

    def open_shipments(self) -> list[dict[str, Any]]:
        """Every shipment neither delivered nor cancelled."""
        ...

    def shipments_with_alerts(self) -> list[dict[str, Any]]:
        """Shipments that raised an SLA alert, by shipment id; `alerts` is a list of dicts."""
        ...

    def dispatched_shipments(self) -> list[dict[str, Any]]:
        """What a carrier scorecard needs of every dispatched shipment."""
        ...

    def shipment_record(self) -> list[dict[str, Any]]:
        """Dispatched shipments with weight and the label's quoted cost (the carrier record)."""
        ...


# (carrier, carrier's code, description) -> (normalised status, incident reason or None)
TrackingCodes = Callable[[str, str, str], tuple[str, str | None]]

# (dispatched shipments, warehouse -> country) -> one row per carrier, service and lane:
# shipments, delivered, on_time, exceptions, mean_transit_days, quoted_days_max, on_time_rate,
# exception_rate (adapters/transport/scorecards.py)
Scorecards = Callable[[list[dict[str, Any]], Mapping[str, str]], list[dict[str, Any]]]
# (shipment record rows, warehouse -> country) -> one row per carrier, service and lane:
# shipments, delivered, late, transit_p50_days, transit_p90_days, kg, cost_per_kg, currency
# (adapters/transport/scorecards.py carrier_record_rows)
RecordRows = Callable[[list[dict[str, Any]], Mapping[str, str]], list[dict[str, Any]]]
