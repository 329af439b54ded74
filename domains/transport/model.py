"""Transport reference streams: rate cards (versioned per carrier service) and the waybill index.

A rate card is stored as the CSV the admin uploaded (the format adapters/transport/rate_cards.py documents)
plus what was parsed from it, so a quote can always say which version it priced with. The
waybill index maps a carrier's waybill back to the order and shipment, for tracking scans.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domains.common import stable_id


class RateCardStream(Aggregate):
    @staticmethod
    def create_id(carrier: str, service: str) -> UUID:
        return stable_id("rate-card", carrier, service)

    @event("Opened")
    def __init__(self, carrier: str, service: str) -> None:
        self.carrier = carrier
        self.service = service
        self.versions: list[dict[str, Any]] = []

    @event("VersionPublished")
    def publish(
        self, version: str, effective_from: str, csv_text: str, source: str, published_by: str
    ) -> None:
        self.versions.append(
            {
                "version": version,
                "effective_from": effective_from,
                "csv_text": csv_text,
                "source": source,
                "published_by": published_by,
            }
        )


class Waybill(Aggregate):
    @staticmethod
    def create_id(carrier: str, waybill: str) -> UUID:
        return stable_id("waybill", carrier, waybill)

    @event("Issued")
    def __init__(self, carrier: str, waybill: str, order_id: str, shipment_no: int) -> None:
        self.carrier = carrier
        self.waybill = waybill
        self.order_id = order_id
        self.shipment_no = shipment_no
