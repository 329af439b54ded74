"""Rate-card arithmetic (domains/transport: rating, charges, quotes, cards) on generated cards
and shipments, and on the sample cards the application ships.

Generated cards have one to three zones of ascending weight bands with non-decreasing prices
(a tariff), with or without a step price above the top band, a dimensional divisor or none,
per-shipment or per-parcel pricing, a fuel percentage, a minimum charge, remote-area postcodes
and oversize rules. Shipments are one to three parcels with or without dimensions.

Properties:
- a quote's total is the sum of its charge lines, each in whole cents, in billing order;
- the fuel line is the card's percentage of base + remote area + oversize, to the cent
  (half up), and the minimum charge is respected (an uplift makes the total exactly it);
- dimensional weight never lowers the chargeable weight, which is the larger of actual and
  dimensional rounded up to the next 0.5 kg;
- a heavier shipment never costs less on the same card and lane (base and total);
- `quote_all` orders the rates cheapest first and each equals its card's own quote.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from hypothesis import assume, event, given, settings
from hypothesis import strategies as st

from adapters.transport.rate_cards import load_sample_cards
from domains.transport.rating import (
    OversizeRule,
    Parcel,
    QuoteRequest,
    RateCard,
    RateDetail,
    RemoteAreaSurcharge,
    WeightBand,
    ZoneRates,
    ZoneRule,
    chargeable_weight_kg,
    quote_all,
    quote_card,
)
from tests.properties.settings import REPRODUCIBLE

DAY = date(2025, 6, 2)
CENT = Decimal("0.01")
ORDER = ("base", "remote_area", "oversize", "fuel", "minimum_charge_uplift")
REMOTE_PREFIXES = ("995", "967")


def money(low: int, high: int) -> st.SearchStrategy[Decimal]:
    return st.integers(low, high).map(lambda c: Decimal(c).scaleb(-2))


@st.composite
def zone_rates(draw: st.DrawFn) -> ZoneRates:
    """Ascending bands (multiples of 0.5 kg) with non-decreasing prices, as tariffs are."""
    tops = sorted(draw(st.sets(st.integers(1, 60), min_size=1, max_size=5)))
    steps = draw(st.lists(st.integers(0, 4_000), min_size=len(tops), max_size=len(tops)))
    price, bands = 0, []
    for top, step in zip(tops, steps, strict=True):
        price += step
        bands.append(WeightBand(Decimal(top) / 2, Decimal(price).scaleb(-2)))
    transit = draw(st.integers(1, 10))
    return ZoneRates(
        tuple(bands), transit, transit + draw(st.integers(0, 5)), draw(st.none() | money(0, 900))
    )


@st.composite
def cards(draw: st.DrawFn, *, currency: str = "USD", service: str = "express") -> RateCard:
    zones = {f"Z{i}": draw(zone_rates()) for i in range(draw(st.integers(1, 3)))}
    names = sorted(zones)
    rules = [ZoneRule("CN", "US", names[0])]
    if len(names) > 1:
        rules.append(ZoneRule("CN", "US", names[1], "9"))
    if len(names) > 2:
        rules.append(ZoneRule("CN", "US", names[2], "995"))
    return RateCard(
        carrier="acme",
        service=service,
        name=f"Acme {service}",
        version="2025",
        effective_from=date(2025, 1, 1),
        currency=currency,
        divisor=draw(st.sampled_from([None, 4000, 5000, 6000])),
        zones=tuple(rules),
        zone_rates=zones,
        pricing_basis=draw(st.sampled_from(["shipment", "parcel"])),
        fuel_surcharge_pct=draw(st.integers(0, 3_500).map(lambda b: Decimal(b).scaleb(-2))),
        remote_areas={"US": REMOTE_PREFIXES},
        remote_area_surcharge=RemoteAreaSurcharge(
            draw(money(0, 2_000)), draw(money(0, 300)), draw(money(0, 3_000))
        ),
        oversize_rules=tuple(
            OversizeRule(f"rule{i}", draw(money(100, 9_000)), side, girth)
            for i, (side, girth) in enumerate(
                draw(
                    st.lists(
                        st.tuples(
                            st.none() | st.integers(40, 150).map(Decimal),
                            st.none() | st.integers(150, 400).map(Decimal),
                        ),
                        min_size=1,
                        max_size=2,
                    )
                )
            )
        ),
        minimum_charge=draw(money(0, 6_000)),
    )


dims = st.tuples(st.integers(10, 1_600), st.integers(10, 1_200), st.integers(10, 1_000))
parcels = st.builds(Parcel, st.integers(1, 40_000), st.none() | dims)
postcodes = st.none() | st.sampled_from(["10001", "90210", "99501", "99577", "96701"])


def request(parcel_list: list[Parcel], postcode: str | None) -> QuoteRequest:
    return QuoteRequest(
        origin_country="CN",
        destination_country="US",
        destination_postcode=postcode,
        parcels=parcel_list,
        ship_date=DAY,
    )


def half_up(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@settings(REPRODUCIBLE, max_examples=300)
@given(cards(), st.lists(parcels, min_size=1, max_size=3), postcodes)
def test_a_quote_is_the_sum_of_its_charges_with_fuel_and_minimum_as_the_card_says(
    card: RateCard, parcel_list: list[Parcel], postcode: str | None
) -> None:
    rate = quote_card(card, request(parcel_list, postcode))
    assume(isinstance(rate, RateDetail))  # above the top band without a step price: excluded
    assert isinstance(rate, RateDetail)
    amounts = [c.amount for c in rate.charges]
    assert rate.total == sum(amounts, Decimal("0"))
    assert all(a == a.quantize(CENT) and a >= 0 for a in amounts)
    kinds = [c.charge_type for c in rate.charges]
    for kind in set(kinds):
        event(kind)  # which charges the examples reach: pytest --hypothesis-show-statistics
    assert kinds == sorted(kinds, key=ORDER.index), "charges in billing order"
    assert kinds[0] == "base" and kinds.count("base") == 1

    by = {
        k: sum((c.amount for c in rate.charges if c.charge_type == k), Decimal("0")) for k in ORDER
    }
    fuel_base = by["base"] + by["remote_area"] + by["oversize"]
    if card.fuel_surcharge_pct:
        assert by["fuel"] == half_up(fuel_base * card.fuel_surcharge_pct / 100)
    else:
        assert "fuel" not in kinds
    before_uplift = fuel_base + by["fuel"]
    assert rate.total >= card.minimum_charge
    if "minimum_charge_uplift" in kinds:
        assert before_uplift < card.minimum_charge and rate.total == card.minimum_charge
    else:
        assert rate.total == before_uplift >= card.minimum_charge
    # The chargeable weight quoted is the parcels' chargeable weights added up.
    assert rate.chargeable_weight_kg == sum(
        (chargeable_weight_kg(p, card.divisor) for p in parcel_list), Decimal("0")
    )


@settings(REPRODUCIBLE, max_examples=500)
@given(parcels, st.sampled_from([None, 1000, 4000, 5000, 6000]))
def test_dimensional_weight_never_lowers_the_chargeable_weight(
    parcel: Parcel, divisor: int | None
) -> None:
    actual = Fraction(parcel.weight_g, 1000)  # kg
    billed = actual
    if divisor is not None and parcel.dims_mm is not None:
        a, b, c = parcel.dims_mm
        billed = max(actual, Fraction(a * b * c, 1000) / divisor)  # cm3 / divisor = kg
    chargeable = chargeable_weight_kg(parcel, divisor)
    assert chargeable >= chargeable_weight_kg(Parcel(parcel.weight_g), divisor)
    # The larger of actual and dimensional, rounded up to the next 0.5 kg (at least 0.5 kg).
    assert chargeable * 2 == (chargeable * 2).to_integral_value()
    assert Fraction(chargeable) >= billed >= actual
    assert chargeable == Decimal("0.5") or Fraction(chargeable) - billed < Fraction(1, 2)


@settings(REPRODUCIBLE, max_examples=300)
@given(
    cards(),
    st.lists(parcels, min_size=1, max_size=3),
    st.data(),
    postcodes,
)
def test_a_heavier_shipment_never_costs_less_on_the_same_card_and_lane(
    card: RateCard, parcel_list: list[Parcel], data: st.DataObject, postcode: str | None
) -> None:
    i = data.draw(st.integers(0, len(parcel_list) - 1), label="heavier parcel")
    extra = data.draw(st.integers(1, 20_000), label="extra grams")
    heavier = list(parcel_list)
    heavier[i] = Parcel(parcel_list[i].weight_g + extra, parcel_list[i].dims_mm)
    light = quote_card(card, request(parcel_list, postcode))
    heavy = quote_card(card, request(heavier, postcode))
    assume(isinstance(light, RateDetail) and isinstance(heavy, RateDetail))
    assert isinstance(light, RateDetail) and isinstance(heavy, RateDetail)
    assert heavy.zone == light.zone
    assert heavy.chargeable_weight_kg >= light.chargeable_weight_kg
    assert heavy.charges[0].amount >= light.charges[0].amount  # base
    assert heavy.total >= light.total


@settings(REPRODUCIBLE, max_examples=150)
@given(
    st.lists(
        st.sampled_from(["express", "saver", "economy", "post"]),
        min_size=1,
        max_size=4,
        unique=True,
    ).flatmap(lambda services: st.tuples(*(cards(service=s) for s in services))),
    st.lists(parcels, min_size=1, max_size=3),
    postcodes,
)
def test_quote_all_is_cheapest_first_and_each_rate_is_its_cards_quote(
    card_set: tuple[RateCard, ...], parcel_list: list[Parcel], postcode: str | None
) -> None:
    req = request(parcel_list, postcode)
    rates, excluded = quote_all(card_set, req)
    assert len(rates) + len(excluded) == len(card_set)
    totals = [r.total for r in rates]
    assert totals == sorted(totals)
    by_service = {c.service: c for c in card_set}
    for r in rates:
        assert r == quote_card(by_service[r.service], req)


def test_sample_cards_never_charge_less_for_more_weight():
    """The shipped sample tariffs: in every zone, each further half-kilogram (up to 20 above
    the top band) costs at least as much as the one before."""
    checked = 0
    for card in load_sample_cards():
        for zone, table in card._tables.items():
            top = len(table.prices) - 1
            prices = [table.price(u) for u in range(1, top + 21)]
            carried = [p for p in prices if p is not None]
            assert carried == sorted(carried), (card.carrier, card.service, card.version, zone)
            checked += 1
    assert checked >= 8
