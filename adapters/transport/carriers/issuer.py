"""Bridges the transport use cases (plain dicts) to carrier connectors, and re-renders labels.

The sandbox connector keeps its own counter; here each label is issued from a sequence the
application derives from the shipment, so every process issues the same number for the same
shipment and a retry never double-issues.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from adapters.transport.carriers.labels import render
from adapters.transport.carriers.port import LabelRequest, Parcel
from adapters.transport.carriers.sandbox import SandboxCarrier
from adapters.transport.carriers.waybills import CARRIERS


def to_request(carrier: str, data: dict[str, Any]) -> LabelRequest:
    return LabelRequest(
        carrier=carrier,
        service=data["service"],
        shipment_id=data["shipment_id"],
        sender=data["sender"],
        recipient=data["recipient"],
        parcels=tuple(Parcel(p["weight_g"], tuple(p["dims_mm"])) for p in data["parcels"]),
        created_at=datetime.fromisoformat(data["created_at"]),
        reference=data.get("reference", ""),
        label_format=data.get("label_format", "PDF"),
    )


class SandboxIssuer:
    """A sandbox 'carrier account': real number formats and check digits, printable labels."""

    sandbox = True

    def __init__(self, carrier: str) -> None:
        self.carrier = carrier

    def issue(self, sequence: int, data: dict[str, Any]) -> dict[str, Any]:
        connector = SandboxCarrier(self.carrier, start=sequence)
        label = connector.create_label(to_request(self.carrier, data))
        return {"waybill": label.waybill, "tracking_url": label.tracking_url}

    def render(self, data: dict[str, Any], waybill: str) -> bytes:
        return render(
            to_request(self.carrier, data), waybill, banner="SANDBOX - NOT VALID FOR SHIPPING"
        )


def sandbox_issuers() -> dict[str, SandboxIssuer]:
    return {code: SandboxIssuer(code) for code in CARRIERS}
