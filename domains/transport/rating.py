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

The cards themselves are in domains.transport.cards, what a quote is asked and answers in
domains.transport.quotes, postcodes in domains.transport.postcodes, and each charge in
domains.transport.charges; this module re-exports them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal

# A name imported as itself is only re-exported: callers import it from this module.
from domains.transport.cards import CENT as CENT
from domains.transport.cards import PRICING_BASES as PRICING_BASES
from domains.transport.cards import SAMPLE_NOTE as SAMPLE_NOTE
from domains.transport.cards import ZERO as ZERO
from domains.transport.cards import Lane, RateCard, plain
from domains.transport.cards import OversizeRule as OversizeRule
from domains.transport.cards import RateCardRejected as RateCardRejected
from domains.transport.cards import RemoteAreaSurcharge as RemoteAreaSurcharge
from domains.transport.cards import WeightBand as WeightBand
from domains.transport.cards import ZoneRates as ZoneRates
from domains.transport.cards import ZoneRule as ZoneRule
from domains.transport.charges import base_rate, charges_in_order
from domains.transport.postcodes import SPACED_POSTCODE_COUNTRIES as SPACED_POSTCODE_COUNTRIES
from domains.transport.postcodes import normalize_postcode as normalize_postcode
from domains.transport.postcodes import postcode_keys as postcode_keys
from domains.transport.quotes import HALF_KG_G as HALF_KG_G
from domains.transport.quotes import (
    CannotCarry,
    Exclusion,
    QuoteRequest,
    RateDetail,
    chargeable_units,
    half_kg_to_kg,
)
from domains.transport.quotes import ChargeDetail as ChargeDetail
from domains.transport.quotes import Parcel as Parcel
from domains.transport.quotes import chargeable_weight_kg as chargeable_weight_kg

__all__ = [
    "CENT",
    "HALF_KG_G",
    "PRICING_BASES",
    "SAMPLE_NOTE",
    "SPACED_POSTCODE_COUNTRIES",
    "ZERO",
    "ChargeDetail",
    "Exclusion",
    "OversizeRule",
    "Parcel",
    "QuoteRequest",
    "RateCard",
    "RateCardRejected",
    "RateDetail",
    "RemoteAreaSurcharge",
    "WeightBand",
    "ZoneRates",
    "ZoneRule",
    "chargeable_weight_kg",
    "normalize_postcode",
    "postcode_keys",
    "quote_all",
    "quote_card",
    "select_cards",
]


def quote_card(card: RateCard, request: QuoteRequest) -> RateDetail | Exclusion:
    """Price `request` on `card`, or say precisely why the service cannot carry it."""
    notes: list[str] = []
    try:
        lane = _lane(card, request)
        zones = _zones_to_price(card, request, lane, notes)
        _check_parcel_limits(card, request, notes)
        units = [chargeable_units(w, v, card.divisor) for w, v, _, _ in request._geometry]
        base = base_rate(card, zones, units)
    except CannotCarry as refusal:
        return Exclusion(card.carrier, card.service, str(refusal))
    if len(zones) > 1:
        notes.insert(
            0,
            f"no destination postcode: priced at zone {base.zone}, the dearest of the zones for "
            f"{request.destination_country} ({', '.join(zones)}); transit is the range over them",
        )
    chargeable = half_kg_to_kg(sum(units))
    charges, total = charges_in_order(card, request, base, chargeable)
    return RateDetail(
        carrier=card.carrier,
        service=card.service,
        service_name=card.name,
        card_version=card.version,
        zone=base.zone,
        chargeable_weight_kg=chargeable,
        charges=tuple(charges),
        total=total,
        currency=card.currency,
        transit_days_min=base.transit_min,
        transit_days_max=base.transit_max,
        sample=card.sample,
        notes=tuple(notes),
    )


# --- whether the service can take it ---------------------------------------------------------


def _lane(card: RateCard, request: QuoteRequest) -> Lane:
    """The card's zones from the origin to the destination country, if the card is in force on
    the ship date, serves that lane and takes these goods."""
    if not card.effective_on(request.ship_date):
        until = card.effective_to.isoformat() if card.effective_to else "open-ended"
        raise CannotCarry(
            f"card {card.version} is not effective on {request.ship_date.isoformat()} "
            f"({card.effective_from.isoformat()} to {until})"
        )
    origin, dest = request.origin_country, request.destination_country
    lane = card._lanes.get((origin, dest))
    if lane is None:
        raise CannotCarry(f"no zone from {origin} to {dest}")
    refused = request.goods_types & card.refused_goods
    if refused:
        raise CannotCarry("refuses " + ", ".join(sorted(refused)))
    return lane


def _zones_to_price(
    card: RateCard, request: QuoteRequest, lane: Lane, notes: list[str]
) -> tuple[str, ...]:
    """The zone of the destination postcode (the longest listed prefix, else the country's
    zone). Without a postcode: the card's zone for the whole country or, when it has none,
    every zone of the country (the dearest is charged); the notes say so."""
    prefixes, default = lane
    keys = request._postcode_keys
    dest = request.destination_country
    if keys:
        zone = next((prefixes[k] for k in keys if k in prefixes), default)
        if zone is None:
            raise CannotCarry(
                f"no zone from {request.origin_country} to {dest} postcode "
                f"{request.destination_postcode}"
            )
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
    return candidates


def _check_parcel_limits(card: RateCard, request: QuoteRequest, notes: list[str]) -> None:
    """Per parcel, what the carrier will physically accept (actual weight, longest side)."""
    max_g, max_mm = card._max_weight_g, card._max_length_mm
    for i, (weight_g, volume, longest, _) in enumerate(request._geometry, start=1):
        if max_g is not None and weight_g > max_g:
            raise CannotCarry(
                f"parcel {i} weighs {plain(Decimal(weight_g) / 1000)} kg, over the "
                f"{plain(card.max_weight_kg or ZERO)} kg limit"
            )
        if max_mm is not None and volume is not None and longest > max_mm:
            raise CannotCarry(
                f"parcel {i} is {plain(Decimal(longest) / 10)} cm long, over the "
                f"{plain(card.max_length_cm or ZERO)} cm limit"
            )
        if volume is None:
            notes.append(
                f"parcel {i} has no dimensions: priced on actual weight; size limits and "
                "oversize not checked"
            )


# --- every service ----------------------------------------------------------------------------


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
