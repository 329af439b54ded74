"""Carrier rate cards and quotes: what each service would charge for a shipment, or why it can't.

Pure: standard library only. A rate card is contract data for one carrier service over one
effective period (a new tariff is a new version of the card). `quote_card` prices a request on
one card; `quote_all` compares every service, each on its card version in force on the ship
date. The vocabulary follows karrio's RateDetails/ChargeDetails so quotes read the same.

Chargeable weight, per parcel: the larger of the actual weight and the dimensional weight
(L x W x H in cm / the card's divisor, in kg), rounded UP to the next 0.5 kg, as carriers bill.
All of it is integer arithmetic in grams, millimetres and half-kilograms, so nothing rounds
twice. A card without a divisor (postal services) bills actual weight only.

Charges, in this order (the total depends on it):
  1. base: the zone's band price for the chargeable weight: the first band whose max_kg covers
     it; above the top band, the top band's price plus the step price per started 0.5 kg. Per
     shipment (the sum of the parcels' chargeable weights, as express carriers bill a multi-piece
     shipment) or per parcel (each parcel priced alone and summed, as posts and parcel networks
     do), as the card says.
  2. remote_area: if the destination postcode is on the card's remote list for that country:
     max(minimum, flat + per_kg x chargeable kg), once per shipment.
  3. oversize: per parcel, the dearest oversize rule it triggers (longest side over X cm, or
     length plus girth over Y cm); rules do not stack on one parcel.
  4. fuel: fuel_surcharge_pct of (base + remote_area + oversize). Carriers index fuel on the
     transport charge and on the surcharges that are transport too.
  5. minimum_charge_uplift: if the sum so far is below the card's minimum charge, the
     difference, so the total is the minimum. Fuel is not charged on the uplift: the minimum is
     what the shipment costs all in.
Each amount is quantized to cents (ROUND_HALF_UP) as it is computed, so the charges always add
up to the total exactly.

Country and weight alone are enough: without a destination postcode the remote-area check is
skipped and a zone that depends on the postcode falls back to the card's zone for the whole
country or, if it has none, to the dearest of the country's zones; the rate's notes say which.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from domains.common import DomainError

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HALF_KG_G = 500
PRICING_BASES = ("shipment", "parcel")
SAMPLE_NOTE = "SAMPLE rates, not a carrier's published tariff"
# Postcodes whose space is significant (outward code + 3-character inward code).
SPACED_POSTCODE_COUNTRIES = frozenset({"GB", "IM", "JE", "GY"})


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _plain(value: Decimal) -> str:
    """75 -> '75', 70.5 -> '70.5': numbers in reasons read like a person wrote them."""
    return format(value.normalize(), "f")


def _kg_from_g(grams: int) -> str:
    return _plain(Decimal(grams) / 1000)


def _cm_from_mm(mm: int) -> str:
    return _plain(Decimal(mm) / 10)


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


# --- postcodes ----------------------------------------------------------------------------


def normalize_postcode(country: str, postcode: str) -> str:
    """Upper case without spaces or hyphens; GB-style postcodes as 'OUTWARD INWARD'."""
    compact = postcode.upper().replace(" ", "").replace("-", "")
    if country in SPACED_POSTCODE_COUNTRIES and len(compact) >= 5:
        return compact[:-3] + " " + compact[-3:]
    return compact


def postcode_keys(country: str, postcode: str) -> tuple[str, ...]:
    """The prefixes a card may list for this postcode, most specific first.

    Generally every leading substring ('90210' -> '90210', '9021', ..., '9'). For GB-style
    postcodes the outward code and the area ('KW15 1AB' -> 'KW15', 'KW'), because a plain
    string prefix would let 'KW1' match 'KW15'."""
    pc = normalize_postcode(country, postcode)
    if not pc:
        return ()
    if country in SPACED_POSTCODE_COUNTRIES:
        outward = pc.split(" ", 1)[0]
        n = 0  # the area is the outward code's leading letters
        while n < len(outward) and outward[n].isalpha():
            n += 1
        area = outward[:n]
        return (outward, area) if area and area != outward else (outward,)
    return tuple(pc[:n] for n in range(len(pc), 0, -1))


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
        return _money(max(self.minimum, self.flat + self.per_kg * chargeable_kg))


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
class _ZoneTable:
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
    _lanes: dict[tuple[str, str], tuple[dict[str, str], str | None]] = field(
        init=False, repr=False, compare=False
    )
    _tables: dict[str, _ZoneTable] = field(init=False, repr=False, compare=False)
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
        lanes: dict[tuple[str, str], tuple[dict[str, str], str | None]] = {}
        for rule in self.zones:
            if rule.zone not in self.zone_rates:
                raise ValueError(f"zone {rule.zone!r} has no rates")
            key = (rule.origin_country, rule.destination_country)
            prefixes, default = lanes.get(key, ({}, None))
            if rule.postcode_prefix:
                prefixes[_rule_prefix(rule.destination_country, rule.postcode_prefix)] = rule.zone
            else:
                default = rule.zone
            lanes[key] = (prefixes, default)
        tables: dict[str, _ZoneTable] = {}
        for zone, rates in self.zone_rates.items():
            if not rates.bands:
                raise ValueError(f"zone {zone!r} has no weight bands")
            prices: list[Decimal] = [ZERO]
            for band in sorted(rates.bands, key=lambda b: b.max_kg):
                top = _half_kg_units(band.max_kg)
                if top < len(prices):
                    raise ValueError(f"zone {zone!r}: two bands end at {band.max_kg} kg")
                prices.extend([_money(band.price)] * (top - len(prices) + 1))
            step = rates.step_price_per_half_kg
            tables[zone] = _ZoneTable(
                tuple(prices),
                None if step is None else _money(step),
                (rates.transit_days_min, rates.transit_days_max),
            )
        remote = {
            country: frozenset(_rule_prefix(country, p) for p in prefixes)
            for country, prefixes in self.remote_areas.items()
        }
        oversize = tuple(
            sorted(
                (
                    (
                        _money(r.amount),
                        r.name,
                        _mm_limit(r.longest_side_cm),
                        _mm_limit(r.length_plus_girth_cm),
                    )
                    for r in self.oversize_rules
                ),
                key=lambda r: r[0],
                reverse=True,  # dearest first: the first rule a parcel triggers is the one billed
            )
        )
        max_weight_g = (
            None
            if self.max_weight_kg is None
            else int((self.max_weight_kg * 1000).to_integral_value(rounding="ROUND_FLOOR"))
        )
        s = object.__setattr__
        s(self, "_lanes", lanes)
        s(self, "_tables", tables)
        s(self, "_remote", remote)
        s(self, "_oversize", oversize)
        s(self, "_max_weight_g", max_weight_g)
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


def _rule_prefix(country: str, prefix: str) -> str:
    text = prefix.upper().replace("-", "")
    if country in SPACED_POSTCODE_COUNTRIES:
        return text.strip()
    return text.replace(" ", "")


# --- requests and answers -----------------------------------------------------------------


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


# --- quoting ------------------------------------------------------------------------------


def _chargeable_units(weight_g: int, volume_mm3: int | None, divisor: int | None) -> int:
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
    return Decimal(_chargeable_units(parcel.weight_g, volume, divisor)) / 2


def _kg(units: int) -> Decimal:
    return Decimal(units) / 2


def quote_card(card: RateCard, request: QuoteRequest) -> RateDetail | Exclusion:
    """Price `request` on `card`, or say precisely why the service cannot carry it."""

    def no(reason: str) -> Exclusion:
        return Exclusion(card.carrier, card.service, reason)

    if not card.effective_on(request.ship_date):
        until = card.effective_to.isoformat() if card.effective_to else "open-ended"
        return no(
            f"card {card.version} is not effective on {request.ship_date.isoformat()} "
            f"({card.effective_from.isoformat()} to {until})"
        )
    origin, dest = request.origin_country, request.destination_country
    lane = card._lanes.get((origin, dest))
    if lane is None:
        return no(f"no zone from {origin} to {dest}")
    refused = request.goods_types & card.refused_goods
    if refused:
        return no("refuses " + ", ".join(sorted(refused)))

    notes: list[str] = []
    prefixes, default = lane
    keys = request._postcode_keys
    if keys:
        zone = next((prefixes[k] for k in keys if k in prefixes), default)
        if zone is None:
            return no(f"no zone from {origin} to {dest} postcode {request.destination_postcode}")
        candidates: tuple[str, ...] = (zone,)
    elif default is not None:
        candidates = (default,)
        if prefixes:
            notes.append(
                f"no destination postcode: priced at zone {default}, the card's zone for all "
                f"of {dest}; give a postcode for the exact zone"
            )
    else:
        candidates = tuple(sorted(set(prefixes.values())))
    if not keys and card._remote.get(dest):
        notes.append("no destination postcode: remote-area surcharge not checked")

    # Limits, per parcel, on what the carrier will physically accept.
    max_g, max_mm = card._max_weight_g, card._max_length_mm
    for i, (weight_g, volume, longest, _) in enumerate(request._geometry, start=1):
        if max_g is not None and weight_g > max_g:
            return no(
                f"parcel {i} weighs {_kg_from_g(weight_g)} kg, over the "
                f"{_plain(card.max_weight_kg or ZERO)} kg limit"
            )
        if max_mm is not None and volume is not None and longest > max_mm:
            return no(
                f"parcel {i} is {_cm_from_mm(longest)} cm long, over the "
                f"{_plain(card.max_length_cm or ZERO)} cm limit"
            )
        if volume is None:
            notes.append(
                f"parcel {i} has no dimensions: priced on actual weight; size limits and "
                "oversize not checked"
            )

    divisor = card.divisor
    units = [_chargeable_units(w, v, divisor) for w, v, _, _ in request._geometry]
    total_units = sum(units)

    # Base, at the zone (or, without the postcode a zone needs, the dearest candidate zone).
    best: tuple[Decimal, str] | None = None
    transit_min, transit_max = 10**6, 0
    for zone in candidates:
        table = card._tables[zone]
        if card.pricing_basis == "shipment":
            price = table.price(total_units)
            if price is None:
                return no(_over_top(card, zone, total_units, table))
        else:
            price = ZERO
            for u in units:
                p = table.price(u)
                if p is None:
                    return no(_over_top(card, zone, u, table))
                price += p
        if best is None or price > best[0]:
            best = (price, zone)
        transit_min = min(transit_min, table.transit[0])
        transit_max = max(transit_max, table.transit[1])
    assert best is not None  # a lane has at least one zone
    base, zone = best
    if len(candidates) > 1:
        notes.insert(
            0,
            f"no destination postcode: priced at zone {zone}, the dearest of the zones for "
            f"{dest} ({', '.join(candidates)}); transit is the range over them",
        )

    chargeable = _kg(total_units)
    charges = [ChargeDetail(f"Base rate, zone {zone}, {chargeable} kg", base, "base")]
    subtotal = base

    remote = card._remote.get(dest)
    if keys and remote and any(k in remote for k in keys):
        amount = card.remote_area_surcharge.amount(chargeable)
        charges.append(
            ChargeDetail(
                f"Remote area surcharge ({dest} {request.destination_postcode})",
                amount,
                "remote_area",
            )
        )
        subtotal += amount

    if card._oversize:
        for i, (_, volume, longest, girth) in enumerate(request._geometry, start=1):
            if volume is None:
                continue
            for amount, name, max_side, max_girth in card._oversize:
                if (max_side is not None and longest > max_side) or (
                    max_girth is not None and girth > max_girth
                ):
                    charges.append(
                        ChargeDetail(f"Oversize: {name} (parcel {i})", amount, "oversize")
                    )
                    subtotal += amount
                    break

    if card._fuel_rate:
        fuel = _money(subtotal * card._fuel_rate)
        charges.append(
            ChargeDetail(f"Fuel surcharge {_plain(card.fuel_surcharge_pct)}%", fuel, "fuel")
        )
        subtotal += fuel

    if subtotal < card.minimum_charge:
        uplift = _money(card.minimum_charge - subtotal)
        charges.append(
            ChargeDetail(
                f"Minimum charge {card.minimum_charge} {card.currency}",
                uplift,
                "minimum_charge_uplift",
            )
        )
        subtotal += uplift

    return RateDetail(
        carrier=card.carrier,
        service=card.service,
        service_name=card.name,
        card_version=card.version,
        zone=zone,
        chargeable_weight_kg=chargeable,
        charges=tuple(charges),
        total=subtotal,
        currency=card.currency,
        transit_days_min=transit_min,
        transit_days_max=transit_max,
        sample=card.sample,
        notes=tuple(notes),
    )


def _over_top(card: RateCard, zone: str, units: int, table: _ZoneTable) -> str:
    return (
        f"chargeable weight {_kg(units)} kg is above the top band "
        f"({_kg(len(table.prices) - 1)} kg) of zone {zone} and the card has no step price"
    )


def select_cards(cards: Iterable[RateCard], on: date) -> tuple[list[RateCard], list[Exclusion]]:
    """For each carrier service, the card version in force on `on` (the latest-starting one if
    versions overlap); services with none are excluded, saying so."""
    by_service: dict[tuple[str, str], list[RateCard]] = {}
    for card in cards:
        by_service.setdefault(card.key, []).append(card)
    chosen: list[RateCard] = []
    excluded: list[Exclusion] = []
    for (carrier, service), versions in by_service.items():
        live = [c for c in versions if c.effective_on(on)]
        if live:
            chosen.append(max(live, key=lambda c: c.effective_from))
        else:
            excluded.append(Exclusion(carrier, service, f"no card effective on {on.isoformat()}"))
    return chosen, excluded


def quote_all(
    cards: Iterable[RateCard],
    request: QuoteRequest,
    fx: Mapping[str, Decimal] | None = None,
) -> tuple[list[RateDetail], list[Exclusion]]:
    """Every service's rate, cheapest first (then fastest), and the services excluded with why.

    `fx` gives, per card currency, units of one comparison currency; it only orders the rates
    (each keeps its own currency). Without it the rates must share one currency."""
    chosen, excluded = select_cards(cards, request.ship_date)
    rates: list[RateDetail] = []
    for card in chosen:
        result = quote_card(card, request)
        if isinstance(result, RateDetail):
            rates.append(result)
        else:
            excluded.append(result)
    currencies = {r.currency for r in rates}
    if fx is None:
        if len(currencies) > 1:
            raise ValueError(f"rates in {', '.join(sorted(currencies))}: pass fx to compare them")
        rate_of: Mapping[str, Decimal] = dict.fromkeys(currencies, Decimal(1))
    else:
        missing = currencies - fx.keys()
        if missing:
            raise ValueError(f"no fx rate for {', '.join(sorted(missing))}")
        rate_of = fx
    rates.sort(
        key=lambda r: (
            r.total * rate_of[r.currency],
            r.transit_days_max,
            r.transit_days_min,
            r.carrier,
            r.service,
        )
    )
    excluded.sort(key=lambda e: (e.carrier, e.service))
    return rates, excluded
