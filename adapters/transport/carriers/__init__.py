"""Carrier adapters: the connector port, waybill formats, labels, tracking-code mapping, sandbox."""

from adapters.transport.carriers.port import (
    CarrierConnector,
    CarrierError,
    CarrierQuote,
    Label,
    LabelRequest,
    Parcel,
    QuoteRequest,
    TrackingEvent,
    VoidResult,
)
from adapters.transport.carriers.sandbox import SandboxCarrier

__all__ = [
    "CarrierConnector",
    "CarrierError",
    "CarrierQuote",
    "Label",
    "LabelRequest",
    "Parcel",
    "QuoteRequest",
    "SandboxCarrier",
    "TrackingEvent",
    "VoidResult",
]
