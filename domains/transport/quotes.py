"""What a quote is asked (parcels, lane, date, goods) and what it answers (a rate with its
charges, or an exclusion saying why not), and the chargeable weight carriers bill.

Pure: standard library only. The vocabulary follows karrio's RateDetails/ChargeDetails so
quotes read the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from domains.transport.postcodes import postcode_keys

HALF_KG_G = 500


class CannotCarry(Exception):
    """Why a service cannot take the shipment; `quote_card` answers it as an `Exclusion`."""


@dataclass(frozen=True, slots=True)
class Parcel:
    weight_g: int
    dims_mm: tuple[int, int, int] | None = None  # any order

    def __post_init__(self) -> None:
        if self.weight_g <= 0:
            raise ValueError("a parcel weighs more than 0 g")
        if self.dims_mm is not None and (len(self.dims_mm) != 3 or min(self.dims_mm) <= 0):
            raise ValueError("dimensions are three positive lengths in mm")


@dataclass(frozen=True, kw_only=True)
class QuoteRequest:
    origin_country: str
    destination_country: str
    parcels: Sequence[Parcel]
    ship_date: date
    goods_types: frozenset[str] = frozenset()
    origin_postcode: str | None = None  # accepted; cards zone by origin country
    destination_postcode: str | None = None

    # Per-parcel geometry and the postcode's lookup keys, shared by every card quoted.
    _geometry: tuple[tuple[int, int | None, int, int], ...] = field(
        init=False, repr=False, compare=False
    )
    _postcode_keys: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        s = object.__setattr__
        s(self, "origin_country", self.origin_country.upper())
        s(self, "destination_country", self.destination_country.upper())
        s(self, "parcels", tuple(self.parcels))
        s(self, "goods_types", frozenset(self.goods_types))
        if not self.parcels:
            raise ValueError("a quote needs at least one parcel")
        geometry: list[tuple[int, int | None, int, int]] = []
        for p in self.parcels:
            if p.dims_mm is None:
                geometry.append((p.weight_g, None, 0, 0))
            else:
                a, b, c = sorted(p.dims_mm)
                geometry.append((p.weight_g, a * b * c, c, c + 2 * (a + b)))
        s(self, "_geometry", tuple(geometry))
        pc = self.destination_postcode
        s(self, "_postcode_keys", postcode_keys(self.destination_country, pc) if pc else ())


@dataclass(frozen=True, slots=True)
class ChargeDetail:
    name: str
    amount: Decimal
    charge_type: str  # base, remote_area, oversize, fuel, minimum_charge_uplift


@dataclass(frozen=True)
class RateDetail:
    carrier: str
    service: str
    service_name: str
    card_version: str
    zone: str
    chargeable_weight_kg: Decimal
    charges: tuple[ChargeDetail, ...]
    total: Decimal
    currency: str
    transit_days_min: int
    transit_days_max: int
    sample: bool = False
    notes: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """Plain data for events and answers: amounts as strings, never floats."""
        return {
            "carrier": self.carrier,
            "service": self.service,
            "service_name": self.service_name,
            "card_version": self.card_version,
            "zone": self.zone,
            "chargeable_weight_kg": str(self.chargeable_weight_kg),
            "charges": [
                {"name": c.name, "amount": str(c.amount), "charge_type": c.charge_type}
                for c in self.charges
            ],
            "total": str(self.total),
            "currency": self.currency,
            "transit_days_min": self.transit_days_min,
            "transit_days_max": self.transit_days_max,
            "sample": self.sample,
            "notes": list(self.notes),
        }


@dataclass(frozen=True, slots=True)
class Exclusion:
    carrier: str
    service: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"carrier": self.carrier, "service": self.service, "reason": self.reason}


# --- chargeable weight ----------------------------------------------------------------------


def chargeable_units(weight_g: int, volume_mm3: int | None, divisor: int | None) -> int:
    """Chargeable half-kilograms: ceil(max(actual g, dimensional g) / 500), at least one.

    Dimensional kg = cm3 / divisor, so dimensional grams = mm3 / divisor exactly."""
    units = -(-weight_g // HALF_KG_G)
    if divisor is not None and volume_mm3 is not None:
        units = max(units, -(-volume_mm3 // (divisor * HALF_KG_G)))
    return max(units, 1)


def chargeable_weight_kg(parcel: Parcel, divisor: int | None) -> Decimal:
    """max(actual, L x W x H cm / divisor) in kg, rounded up to the next 0.5 kg."""
    volume = None
    if parcel.dims_mm is not None:
        a, b, c = parcel.dims_mm
        volume = a * b * c
    return Decimal(chargeable_units(parcel.weight_g, volume, divisor)) / 2


def half_kg_to_kg(units: int) -> Decimal:
    return Decimal(units) / 2
