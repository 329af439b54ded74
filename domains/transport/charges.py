"""The charges of a quote on one card, in billing order (the total depends on it): base,
remote area, oversize, fuel on those, and the uplift to the minimum charge. See
domains.transport.rating for the rules; each amount is in cents as it is computed, so the
charges always add up to the total exactly.

Pure: standard library only.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import NamedTuple

from domains.transport.cards import ZERO, RateCard, ZoneTable, plain, to_cents
from domains.transport.quotes import CannotCarry, ChargeDetail, QuoteRequest, half_kg_to_kg


class BaseRate(NamedTuple):
    price: Decimal
    zone: str
    transit_min: int
    transit_max: int


def base_rate(card: RateCard, zones: Sequence[str], units: Sequence[int]) -> BaseRate:
    """The price at the zone or, without the postcode a zone needs, at the dearest of the
    candidate zones; transit is the range over them."""
    best: tuple[Decimal, str] | None = None
    transit_min, transit_max = 10**6, 0
    for zone in zones:
        table = card._tables[zone]
        price = _zone_price(card, zone, table, units)
        if best is None or price > best[0]:
            best = (price, zone)
        transit_min = min(transit_min, table.transit[0])
        transit_max = max(transit_max, table.transit[1])
    assert best is not None  # a lane has at least one zone
    return BaseRate(best[0], best[1], transit_min, transit_max)


def _zone_price(card: RateCard, zone: str, table: ZoneTable, units: Sequence[int]) -> Decimal:
    """Per shipment: the parcels' chargeable weights together, as express carriers bill a
    multi-piece shipment; per parcel: each parcel priced alone and summed, as posts do."""
    if card.pricing_basis == "shipment":
        total_units = sum(units)
        price = table.price(total_units)
        if price is None:
            raise CannotCarry(_over_top(zone, total_units, table))
        return price
    price = ZERO
    for u in units:
        p = table.price(u)
        if p is None:
            raise CannotCarry(_over_top(zone, u, table))
        price += p
    return price


def _over_top(zone: str, units: int, table: ZoneTable) -> str:
    return (
        f"chargeable weight {half_kg_to_kg(units)} kg is above the top band "
        f"({half_kg_to_kg(len(table.prices) - 1)} kg) of zone {zone} and the card has no step "
        "price"
    )


def charges_in_order(
    card: RateCard, request: QuoteRequest, base: BaseRate, chargeable: Decimal
) -> tuple[list[ChargeDetail], Decimal]:
    """The charges in billing order, and their total: the fuel is on the charges before it,
    the minimum charge on all of them."""
    charges = [ChargeDetail(f"Base rate, zone {base.zone}, {chargeable} kg", base.price, "base")]
    remote = remote_area_charge(card, request, chargeable)
    if remote is not None:
        charges.append(remote)
    charges.extend(oversize_charges(card, request))
    subtotal = sum((c.amount for c in charges[1:]), base.price)
    fuel = fuel_charge(card, subtotal)
    if fuel is not None:
        charges.append(fuel)
        subtotal += fuel.amount
    uplift = minimum_charge_uplift(card, subtotal)
    if uplift is not None:
        charges.append(uplift)
        subtotal += uplift.amount
    return charges, subtotal


def remote_area_charge(
    card: RateCard, request: QuoteRequest, chargeable_kg: Decimal
) -> ChargeDetail | None:
    """Once per shipment, when the destination postcode is on the card's remote list:
    max(minimum, flat + per kg x chargeable kg)."""
    dest = request.destination_country
    remote = card._remote.get(dest)
    keys = request._postcode_keys
    if not (keys and remote and any(k in remote for k in keys)):
        return None
    return ChargeDetail(
        f"Remote area surcharge ({dest} {request.destination_postcode})",
        card.remote_area_surcharge.amount(chargeable_kg),
        "remote_area",
    )


def oversize_charges(card: RateCard, request: QuoteRequest) -> list[ChargeDetail]:
    """Per parcel with dimensions, the dearest oversize rule it triggers (longest side or
    length plus girth over the limit); rules do not stack on one parcel."""
    charges: list[ChargeDetail] = []
    if not card._oversize:
        return charges
    for i, (_, volume, longest, girth) in enumerate(request._geometry, start=1):
        if volume is None:
            continue
        for amount, name, max_side, max_girth in card._oversize:  # dearest first
            if (max_side is not None and longest > max_side) or (
                max_girth is not None and girth > max_girth
            ):
                charges.append(ChargeDetail(f"Oversize: {name} (parcel {i})", amount, "oversize"))
                break
    return charges


def fuel_charge(card: RateCard, subtotal: Decimal) -> ChargeDetail | None:
    """The card's fuel percentage of the transport charges so far (base, remote area,
    oversize): carriers index fuel on the surcharges that are transport too."""
    if not card._fuel_rate:
        return None
    fuel = to_cents(subtotal * card._fuel_rate)
    return ChargeDetail(f"Fuel surcharge {plain(card.fuel_surcharge_pct)}%", fuel, "fuel")


def minimum_charge_uplift(card: RateCard, subtotal: Decimal) -> ChargeDetail | None:
    """The difference up to the card's minimum charge. No fuel on it: the minimum is what the
    shipment costs all in."""
    if subtotal >= card.minimum_charge:
        return None
    return ChargeDetail(
        f"Minimum charge {card.minimum_charge} {card.currency}",
        to_cents(card.minimum_charge - subtotal),
        "minimum_charge_uplift",
    )
