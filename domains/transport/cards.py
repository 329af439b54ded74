"""Carrier rate cards: contract data for one carrier service over one effective period.

Pure: standard library only. A card is checked and turned into lookups once, when it is built
(`RateCard.__post_init__`), so pricing a quote on it (domains.transport.rating) is dictionary
hits and integer arithmetic.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from domains.common import DomainError
from domains.transport.postcodes import rule_prefix

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
PRICING_BASES = ("shipment", "parcel")
SAMPLE_NOTE = "SAMPLE rates, not a carrier's published tariff"
# Per lane: postcode prefix -> zone, and the zone for the rest of the country (None: none).
Lane = tuple[dict[str, str], str | None]


def to_cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def plain(value: Decimal) -> str:
    """75 -> '75', 70.5 -> '70.5': numbers in reasons read like a person wrote them."""
    return format(value.normalize(), "f")


class RateCardRejected(DomainError):
    """A rate card file that cannot become a card (answered 422). Nothing of it is kept.

    `errors` holds one {"line", "field", "msg"} per problem; line is 1-based, or None for a
    problem with the file as a whole (a required setting missing)."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        self.errors = errors
        super().__init__(
            "; ".join(
                (f"line {e['line']}: " if e.get("line") else "") + f"{e['field']}: {e['msg']}"
                for e in errors
            )
        )


# --- rate cards ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ZoneRule:
    """Shipments from `origin_country` to `destination_country` (postcodes starting with
    `postcode_prefix`, or the whole country when it is empty) are priced at `zone`.
    The longest matching prefix wins. For GB-style postcodes a prefix is a whole postcode area
    ('HS') or outward code ('KW15'); see `postcode_keys`."""

    origin_country: str
    destination_country: str
    zone: str
    postcode_prefix: str = ""


@dataclass(frozen=True)
class WeightBand:
    max_kg: Decimal
    price: Decimal


@dataclass(frozen=True)
class ZoneRates:
    bands: tuple[WeightBand, ...]  # ascending max_kg
    transit_days_min: int
    transit_days_max: int
    step_price_per_half_kg: Decimal | None = None  # above the top band; None: not carried


@dataclass(frozen=True)
class RemoteAreaSurcharge:
    flat: Decimal = ZERO
    per_kg: Decimal = ZERO
    minimum: Decimal = ZERO

    def amount(self, chargeable_kg: Decimal) -> Decimal:
        return to_cents(max(self.minimum, self.flat + self.per_kg * chargeable_kg))


@dataclass(frozen=True)
class OversizeRule:
    """A per-parcel surcharge when the longest side or the length plus girth (longest side +
    2 x (the other two), UPS's and FedEx's measure) exceeds its limit (either one triggers)."""

    name: str
    amount: Decimal
    longest_side_cm: Decimal | None = None
    length_plus_girth_cm: Decimal | None = None


def _half_kg_units(kg: Decimal) -> int:
    units = kg * 2
    if units != units.to_integral_value() or units <= 0:
        raise ValueError(f"{kg} kg is not a positive multiple of 0.5 kg")
    return int(units)


def _mm_limit(cm: Decimal | None) -> int | None:
    # An integer length in mm exceeds x cm exactly when it exceeds floor(10x) mm.
    return None if cm is None else int((cm * 10).to_integral_value(rounding="ROUND_FLOOR"))


@dataclass(frozen=True)
class ZoneTable:
    prices: tuple[Decimal, ...]  # price by chargeable half-kilograms, 1..top (index 0 unused)
    step: Decimal | None
    transit: tuple[int, int]

    def price(self, units: int) -> Decimal | None:
        top = len(self.prices) - 1
        if units <= top:
            return self.prices[units]
        if self.step is None:
            return None
        return self.prices[top] + self.step * (units - top)


@dataclass(frozen=True, kw_only=True)
class RateCard:
    """One carrier service's contract rates over one effective period (both dates inclusive)."""

    carrier: str
    service: str
    name: str
    version: str
    effective_from: date
    effective_to: date | None = None
    currency: str
    divisor: int | None  # dimensional weight divisor, cm3 per kg; None: actual weight only
    zones: tuple[ZoneRule, ...]
    zone_rates: Mapping[str, ZoneRates]
    pricing_basis: str = "shipment"  # or "parcel"
    fuel_surcharge_pct: Decimal = ZERO
    remote_areas: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # country -> prefixes
    remote_area_surcharge: RemoteAreaSurcharge = RemoteAreaSurcharge()
    oversize_rules: tuple[OversizeRule, ...] = ()
    minimum_charge: Decimal = ZERO
    max_weight_kg: Decimal | None = None  # per parcel, actual weight
    max_length_cm: Decimal | None = None  # per parcel, longest side
    refused_goods: frozenset[str] = frozenset()
    sample: bool = False
    note: str = ""

    # Lookups built once per card, so a quote is dictionary hits and integer arithmetic.
    _lanes: dict[tuple[str, str], Lane] = field(init=False, repr=False, compare=False)
    _tables: dict[str, ZoneTable] = field(init=False, repr=False, compare=False)
    _remote: dict[str, frozenset[str]] = field(init=False, repr=False, compare=False)
    _oversize: tuple[tuple[Decimal, str, int | None, int | None], ...] = field(
        init=False, repr=False, compare=False
    )
    _max_weight_g: int | None = field(init=False, repr=False, compare=False)
    _max_length_mm: int | None = field(init=False, repr=False, compare=False)
    _fuel_rate: Decimal = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.pricing_basis not in PRICING_BASES:
            raise ValueError(f"pricing_basis must be one of {PRICING_BASES}")
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise ValueError("effective_to is before effective_from")
        if self.divisor is not None and self.divisor <= 0:
            raise ValueError("divisor must be positive")
        s = object.__setattr__
        s(self, "_lanes", _lane_lookup(self.zones, self.zone_rates))
        s(self, "_tables", {zone: _price_table(zone, r) for zone, r in self.zone_rates.items()})
        s(self, "_remote", _remote_lookup(self.remote_areas))
        s(self, "_oversize", _oversize_lookup(self.oversize_rules))
        s(self, "_max_weight_g", _g_limit(self.max_weight_kg))
        s(self, "_max_length_mm", _mm_limit(self.max_length_cm))
        s(self, "_fuel_rate", self.fuel_surcharge_pct / 100)

    @property
    def key(self) -> tuple[str, str]:
        return (self.carrier, self.service)

    def effective_on(self, day: date) -> bool:
        return self.effective_from <= day and (
            self.effective_to is None or day <= self.effective_to
        )

    def describe(self) -> dict[str, Any]:
        return {
            "carrier": self.carrier,
            "service": self.service,
            "name": self.name,
            "version": self.version,
            "effective_from": self.effective_from.isoformat(),
            "effective_to": None if self.effective_to is None else self.effective_to.isoformat(),
            "currency": self.currency,
            "lanes": len(self._lanes),
            "zones": sorted(self.zone_rates),
            "sample": self.sample,
            "note": self.note,
        }


# --- the lookups a card is priced with ------------------------------------------------------


def _lane_lookup(
    zones: tuple[ZoneRule, ...], zone_rates: Mapping[str, ZoneRates]
) -> dict[tuple[str, str], Lane]:
    """Per (origin, destination) country: the zone of each postcode prefix, and the zone for
    the rest of the country (None: only the listed postcodes are served)."""
    lanes: dict[tuple[str, str], Lane] = {}
    for rule in zones:
        if rule.zone not in zone_rates:
            raise ValueError(f"zone {rule.zone!r} has no rates")
        key = (rule.origin_country, rule.destination_country)
        prefixes, default = lanes.get(key, ({}, None))
        if rule.postcode_prefix:
            prefixes[rule_prefix(rule.destination_country, rule.postcode_prefix)] = rule.zone
        else:
            default = rule.zone
        lanes[key] = (prefixes, default)
    return lanes


def _price_table(zone: str, rates: ZoneRates) -> ZoneTable:
    """The zone's price for every chargeable half-kilogram up to its top band: a band's price
    covers every half-kilogram above the band below it."""
    if not rates.bands:
        raise ValueError(f"zone {zone!r} has no weight bands")
    prices: list[Decimal] = [ZERO]
    for band in sorted(rates.bands, key=lambda b: b.max_kg):
        top = _half_kg_units(band.max_kg)
        if top < len(prices):
            raise ValueError(f"zone {zone!r}: two bands end at {band.max_kg} kg")
        prices.extend([to_cents(band.price)] * (top - len(prices) + 1))
    step = rates.step_price_per_half_kg
    return ZoneTable(
        tuple(prices),
        None if step is None else to_cents(step),
        (rates.transit_days_min, rates.transit_days_max),
    )


def _remote_lookup(remote_areas: Mapping[str, tuple[str, ...]]) -> dict[str, frozenset[str]]:
    return {
        country: frozenset(rule_prefix(country, p) for p in prefixes)
        for country, prefixes in remote_areas.items()
    }


def _oversize_lookup(
    rules: tuple[OversizeRule, ...],
) -> tuple[tuple[Decimal, str, int | None, int | None], ...]:
    """(amount, name, longest side limit mm, length + girth limit mm), dearest first: the first
    rule a parcel triggers is the one billed."""
    return tuple(
        sorted(
            (
                (
                    to_cents(r.amount),
                    r.name,
                    _mm_limit(r.longest_side_cm),
                    _mm_limit(r.length_plus_girth_cm),
                )
                for r in rules
            ),
            key=lambda r: r[0],
            reverse=True,
        )
    )


def _g_limit(kg: Decimal | None) -> int | None:
    # An integer weight in g exceeds x kg exactly when it exceeds floor(1000x) g.
    return None if kg is None else int((kg * 1000).to_integral_value(rounding="ROUND_FLOOR"))
