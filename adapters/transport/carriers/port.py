"""The carrier adapter port: what the transport context asks of any carrier, real or sandbox.

Shaped like karrio's connectors (rate, create label, void label, track), reduced to plain frozen
dataclasses so the domain never sees a carrier SDK. Rating normally goes through our own rate
engine and contract cards; `quote` stays in the port for carriers that price live.

Times are always passed in (no clock here) and must be timezone-aware; they are kept in UTC.
Addresses are plain mappings with the canonical order keys: name, company, line1, line2, city,
region, postcode, country (ISO 3166-1 alpha-2), phone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Literal, Protocol, runtime_checkable

LabelFormat = Literal["PDF", "ZPL"]
LABEL_FORMATS: tuple[str, ...] = ("PDF", "ZPL")


class CarrierError(Exception):
    """The carrier (or the sandbox standing in for it) refused the request."""


def _utc(value: datetime, what: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be a timezone-aware datetime, got {value!r}")
    return value.astimezone(UTC)


def _frozen_address(value: Mapping[str, str], what: str) -> Mapping[str, str]:
    if not isinstance(value, Mapping):
        raise ValueError(f"{what} must be a mapping of address fields")
    return MappingProxyType({str(k): "" if v is None else str(v) for k, v in value.items()})


@dataclass(frozen=True)
class Parcel:
    weight_g: int
    dims_mm: tuple[int, int, int]

    def __post_init__(self) -> None:
        if int(self.weight_g) <= 0:
            raise ValueError(f"parcel weight must be positive, got {self.weight_g!r} g")
        dims = tuple(int(d) for d in self.dims_mm)
        if len(dims) != 3 or min(dims) <= 0:
            raise ValueError(f"parcel dims_mm must be three positive lengths, got {self.dims_mm!r}")
        object.__setattr__(self, "weight_g", int(self.weight_g))
        object.__setattr__(self, "dims_mm", dims)


def _parcels(value: Sequence[Parcel]) -> tuple[Parcel, ...]:
    parcels = tuple(value)
    if not parcels:
        raise ValueError("at least one parcel is needed")
    if not all(isinstance(p, Parcel) for p in parcels):
        raise ValueError("parcels must be Parcel instances")
    return parcels


@dataclass(frozen=True)
class LabelRequest:
    carrier: str
    service: str
    shipment_id: str
    sender: Mapping[str, str]
    recipient: Mapping[str, str]
    parcels: tuple[Parcel, ...]
    created_at: datetime
    reference: str = ""
    label_format: LabelFormat = "PDF"

    def __post_init__(self) -> None:
        if self.label_format not in LABEL_FORMATS:
            raise ValueError(
                f"label_format must be one of {LABEL_FORMATS}, got {self.label_format!r}"
            )
        object.__setattr__(self, "sender", _frozen_address(self.sender, "sender"))
        object.__setattr__(self, "recipient", _frozen_address(self.recipient, "recipient"))
        object.__setattr__(self, "parcels", _parcels(self.parcels))
        object.__setattr__(self, "created_at", _utc(self.created_at, "created_at"))

    @property
    def total_weight_g(self) -> int:
        return sum(p.weight_g for p in self.parcels)


@dataclass(frozen=True)
class Label:
    carrier: str
    service: str
    waybill: str
    label_format: LabelFormat
    label_bytes: bytes
    created_at: datetime
    tracking_url: str
    shipment_id: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "created_at", _utc(self.created_at, "created_at"))


@dataclass(frozen=True)
class VoidResult:
    ok: bool
    reason: str | None = None


@dataclass(frozen=True)
class TrackingEvent:
    carrier: str
    waybill: str
    code: str  # carrier-native event code, mapped by tracking_codes.normalise
    description: str
    occurred_at: datetime
    location: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "occurred_at", _utc(self.occurred_at, "occurred_at"))


@dataclass(frozen=True)
class QuoteRequest:
    origin: Mapping[str, str]  # country and postcode at least
    destination: Mapping[str, str]
    parcels: tuple[Parcel, ...]
    goods_type: str = "general"

    def __post_init__(self) -> None:
        object.__setattr__(self, "origin", _frozen_address(self.origin, "origin"))
        object.__setattr__(self, "destination", _frozen_address(self.destination, "destination"))
        object.__setattr__(self, "parcels", _parcels(self.parcels))


@dataclass(frozen=True)
class CarrierQuote:
    carrier: str
    service: str
    total: Decimal
    currency: str
    transit_days: tuple[int, int]


@runtime_checkable
class CarrierConnector(Protocol):
    carrier: str

    def quote(self, request: QuoteRequest) -> list[CarrierQuote]:
        """Live rates from the carrier; empty when the carrier is rated by our own cards."""
        ...

    def create_label(self, request: LabelRequest) -> Label: ...

    def void_label(self, waybill: str) -> VoidResult:
        """Cancel an unused label. Carriers refuse once the parcel is dispatched (ok=False)."""
        ...

    def track(self, waybill: str) -> list[TrackingEvent]:
        """Carrier-native events, oldest first; map them with tracking_codes.normalise."""
        ...
