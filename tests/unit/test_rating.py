"""Rate cards and quotes: chargeable weight, each surcharge, zones, limits, versions, CSV import."""

from __future__ import annotations

import json
import random
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest

from adapters.transport.rate_cards import SAMPLE_DIR, load_sample_cards, parse_rate_card_csv
from domains.transport.charges import (
    fuel_charge,
    minimum_charge_uplift,
    oversize_charges,
    remote_area_charge,
)
from domains.transport.rating import (
    SAMPLE_NOTE,
    Exclusion,
    OversizeRule,
    Parcel,
    QuoteRequest,
    RateCard,
    RateCardRejected,
    RateDetail,
    RemoteAreaSurcharge,
    WeightBand,
    ZoneRates,
    ZoneRule,
    chargeable_weight_kg,
    quote_all,
    quote_card,
)

D = Decimal
DAY = date(2025, 6, 2)
FX = {"USD": D("1"), "EUR": D("1.08"), "IDR": D("0.000062"), "GBP": D("1.27"), "CNY": D("0.14")}


def card(**overrides) -> RateCard:
    """A small card: CN -> US (zone A, or B for ZIPs starting 9, C for 995), CN -> GB (zone A)."""
    fields = dict(
        carrier="acme",
        service="express",
        name="Acme Express",
        version="2025",
        effective_from=date(2025, 1, 1),
        currency="USD",
        divisor=5000,
        zones=(
            ZoneRule("CN", "US", "A"),
            ZoneRule("CN", "US", "B", "9"),
            ZoneRule("CN", "US", "C", "995"),
            ZoneRule("CN", "GB", "A"),
        ),
        zone_rates={
            "A": ZoneRates(
                (WeightBand(D("0.5"), D("10")), WeightBand(D("2"), D("20"))), 2, 4, D("1.50")
            ),
            "B": ZoneRates((WeightBand(D("2"), D("30")),), 3, 5, D("2.00")),
            "C": ZoneRates((WeightBand(D("2"), D("50")),), 4, 8, None),
        },
        fuel_surcharge_pct=D("10"),
        remote_areas={"US": ("995", "967"), "GB": ("HS", "KW15")},
        remote_area_surcharge=RemoteAreaSurcharge(D("0"), D("2.00"), D("5.00")),
        oversize_rules=(
            OversizeRule("long", D("7.00"), longest_side_cm=D("100")),
            OversizeRule("large", D("40.00"), length_plus_girth_cm=D("300")),
        ),
        max_weight_kg=D("70"),
        max_length_cm=D("150"),
        refused_goods=frozenset({"lithium_batteries", "alcohol"}),
    )
    fields.update(overrides)
    return RateCard(**fields)


def req(*parcels: Parcel, dest="US", postcode=None, origin="CN", goods=(), day=DAY) -> QuoteRequest:
    return QuoteRequest(
        origin_country=origin,
        destination_country=dest,
        destination_postcode=postcode,
        parcels=list(parcels) or [Parcel(1000)],
        goods_types=frozenset(goods),
        ship_date=day,
    )


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(D("0.01"), rounding=ROUND_HALF_UP)


def charges(rate: RateDetail | Exclusion) -> dict[str, Decimal]:
    assert isinstance(rate, RateDetail), rate
    out: dict[str, Decimal] = {}
    for c in rate.charges:
        out[c.charge_type] = out.get(c.charge_type, D(0)) + c.amount
    assert sum(out.values()) == rate.total
    return out


# --- chargeable weight ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("weight_g", "dims_mm", "divisor", "expected"),
    [
        (10_000, (300, 200, 100), 5000, "10"),  # actual wins
        (1_000, (500, 400, 300), 5000, "12"),  # dimensional: 60000 cm3 / 5000
        (1_000, (500, 400, 250), 5000, "10"),  # exactly 10 kg: no rounding up
        (1_000, (500, 400, 251), 5000, "10.5"),  # a hair over: next 0.5 kg
        (1_000, (500, 400, 300), 6000, "10"),  # divisor per service
        (1_000, (500, 400, 300), None, "1"),  # no divisor: actual only
        (10, None, 5000, "0.5"),  # at least 0.5 kg
        (1_001, None, 5000, "1.5"),
        (1_500, None, 5000, "1.5"),
    ],
)
def test_chargeable_weight_is_the_larger_rounded_up_to_half_a_kg(
    weight_g, dims_mm, divisor, expected
):
    assert chargeable_weight_kg(Parcel(weight_g, dims_mm), divisor) == D(expected)


def test_quote_uses_dimensional_weight():
    rate = quote_card(card(), req(Parcel(1000, (400, 300, 200))))  # 24000 cm3 / 5000 = 4.8 kg
    assert rate.chargeable_weight_kg == D("5")


# --- surcharges, in order ------------------------------------------------------------------


def test_base_and_fuel():
    rate = quote_card(card(), req(Parcel(1500)))
    assert charges(rate) == {"base": D("20.00"), "fuel": D("2.00")}
    assert rate.total == D("22.00") and rate.currency == "USD" and rate.zone == "A"
    assert (rate.transit_days_min, rate.transit_days_max) == (2, 4)


def test_fuel_applies_to_base_remote_and_oversize_but_not_the_minimum_uplift():
    # GB HS: remote (max(5.00, 2.00 x 2 kg)); 110 cm long: oversize "long" 7.00.
    rate = quote_card(card(), req(Parcel(2000, (1100, 100, 90)), dest="GB", postcode="HS1 2AB"))
    got = charges(rate)
    assert got["base"] == D("20.00") and got["remote_area"] == D("5.00")
    assert got["oversize"] == D("7.00")
    assert got["fuel"] == D("3.20")  # 10% of 32.00
    assert [c.charge_type for c in rate.charges] == ["base", "remote_area", "oversize", "fuel"]


def test_remote_area_per_kg_above_its_minimum():
    rate = quote_card(card(), req(Parcel(4000), postcode="99501"))  # zone C, 4 kg > top 2 kg
    assert isinstance(rate, Exclusion)  # zone C has no step price: see the step tests
    rate = quote_card(card(), req(Parcel(4000), dest="GB", postcode="KW15 1AA"))
    assert charges(rate)["remote_area"] == D("8.00")  # 2.00 x 4 kg beats the 5.00 minimum


def test_remote_area_only_on_the_list_and_skipped_without_a_postcode():
    assert "remote_area" not in charges(quote_card(card(), req(dest="GB", postcode="SW1A 1AA")))
    # GB outward codes are matched whole: KW1 is not KW15.
    assert "remote_area" not in charges(quote_card(card(), req(dest="GB", postcode="KW1 5AB")))
    no_postcode = quote_card(card(), req(dest="GB"))
    assert "remote_area" not in charges(no_postcode)
    assert any("remote-area surcharge not checked" in n for n in no_postcode.notes)


def test_oversize_by_length_plus_girth_bills_the_dearest_rule_once_per_parcel():
    # 120 cm long (> 100: "long") and 120 + 2 x (60 + 50) = 340 cm (> 300: "large").
    big = Parcel(5000, (1200, 600, 500))
    rate = quote_card(card(), req(big, Parcel(1000, (200, 200, 200)), dest="GB"))
    oversize = [c for c in rate.charges if c.charge_type == "oversize"]
    assert [(c.name, c.amount) for c in oversize] == [("Oversize: large (parcel 1)", D("40.00"))]


def test_oversize_is_not_checked_without_dimensions():
    rate = quote_card(card(), req(Parcel(1000), dest="GB"))
    assert "oversize" not in charges(rate)
    assert any("no dimensions" in n for n in rate.notes)


def test_minimum_charge_uplift_makes_the_total_the_minimum():
    rate = quote_card(card(minimum_charge=D("25.00")), req(Parcel(400)))  # 10 + 1 fuel = 11
    got = charges(rate)
    assert got["base"] == D("10.00") and got["fuel"] == D("1.00")
    assert got["minimum_charge_uplift"] == D("14.00") and rate.total == D("25.00")
    assert rate.charges[-1].charge_type == "minimum_charge_uplift"
    above = quote_card(card(minimum_charge=D("5.00")), req(Parcel(400)))
    assert "minimum_charge_uplift" not in charges(above)


# --- each charge on its own (domains/transport/charges.py) ---------------------------------


def test_remote_area_charge_is_the_cards_formula_on_the_chargeable_weight():
    c = card()
    s = c.remote_area_surcharge
    remote = req(dest="GB", postcode="KW15 1AA")
    for kg in (D("0.5"), D("2"), D("4"), D("10.5")):
        charge = remote_area_charge(c, remote, kg)
        assert charge is not None and charge.charge_type == "remote_area"
        assert charge.amount == cents(max(s.minimum, s.flat + s.per_kg * kg))
    assert remote_area_charge(c, req(dest="GB", postcode="KW1 5AB"), D("2")) is None
    assert remote_area_charge(c, req(dest="GB"), D("2")) is None  # no postcode: not checked


def test_oversize_charges_bill_each_parcel_the_dearest_rule_it_triggers():
    c = card()
    dearest_first = sorted(c.oversize_rules, key=lambda r: r.amount, reverse=True)

    def triggered(dims: tuple[int, int, int]) -> list[OversizeRule]:
        a, b, longest = sorted(dims)  # mm; the limits are in cm
        return [
            r
            for r in dearest_first
            if (r.longest_side_cm is not None and longest > r.longest_side_cm * 10)
            or (
                r.length_plus_girth_cm is not None
                and longest + 2 * (a + b) > r.length_plus_girth_cm * 10
            )
        ]

    parcels = [
        Parcel(1000, (1200, 600, 500)),  # both rules: only the dearest
        Parcel(1000, (1100, 100, 90)),  # too long only
        Parcel(1000, (200, 200, 200)),
        Parcel(1000),  # no dimensions: not checked
    ]
    expected = [
        (f"Oversize: {hits[0].name} (parcel {i})", hits[0].amount)
        for i, p in enumerate(parcels, start=1)
        if p.dims_mm and (hits := triggered(p.dims_mm))
    ]
    got = oversize_charges(c, req(*parcels, dest="GB"))
    assert [(ch.name, ch.amount) for ch in got] == expected and len(expected) == 2


def test_fuel_is_the_cards_percentage_of_the_charges_before_it():
    c = card(fuel_surcharge_pct=D("12.5"))
    for subtotal in (D("20.00"), D("32.04"), D("0.04")):
        fuel = fuel_charge(c, subtotal)
        assert fuel is not None and fuel.amount == cents(subtotal * c.fuel_surcharge_pct / 100)
    assert fuel_charge(card(fuel_surcharge_pct=D("0")), D("20.00")) is None


def test_minimum_charge_uplift_is_the_difference_up_to_the_minimum():
    c = card(minimum_charge=D("25.00"))
    for subtotal in (D("0.01"), D("11.00"), D("24.99")):
        uplift = minimum_charge_uplift(c, subtotal)
        assert uplift is not None and subtotal + uplift.amount == c.minimum_charge
    assert minimum_charge_uplift(c, c.minimum_charge) is None
    assert minimum_charge_uplift(c, D("30.00")) is None


def test_money_is_quantized_half_up_to_cents():
    rate = quote_card(card(fuel_surcharge_pct=D("12.5")), req(Parcel(400)))  # 10.00 x 12.5%
    assert charges(rate)["fuel"] == D("1.25")
    rate = quote_card(card(fuel_surcharge_pct=D("0.05")), req(Parcel(400)))  # 0.005 -> 0.01
    assert charges(rate)["fuel"] == D("0.01")


# --- zones ---------------------------------------------------------------------------------


def test_the_longest_postcode_prefix_wins():
    assert quote_card(card(), req(postcode="10001")).zone == "A"  # whole-country rule
    assert quote_card(card(), req(postcode="90210")).zone == "B"
    assert quote_card(card(), req(postcode="99501")).zone == "C"
    assert quote_card(card(), req(postcode="99 501")).zone == "C"  # spaces do not matter


def test_without_a_postcode_the_whole_country_zone_is_used_and_said():
    rate = quote_card(card(), req())
    assert rate.zone == "A"
    assert any("zone A, the card's zone for all of US" in n for n in rate.notes)


def test_without_a_postcode_or_a_whole_country_rule_the_dearest_zone_is_quoted():
    only_prefixes = card(zones=(ZoneRule("CN", "US", "A", "1"), ZoneRule("CN", "US", "B", "9")))
    rate = quote_card(only_prefixes, req(Parcel(1000)))
    assert rate.zone == "B" and charges(rate)["base"] == D("30.00")
    assert (rate.transit_days_min, rate.transit_days_max) == (2, 5)  # the range over A and B
    assert any("dearest" in n for n in rate.notes)
    no_match = quote_card(only_prefixes, req(postcode="50001"))
    assert no_match == Exclusion("acme", "express", "no zone from CN to US postcode 50001")


def test_an_unknown_lane_is_excluded_saying_so():
    assert quote_card(card(), req(dest="AQ")) == Exclusion(
        "acme", "express", "no zone from CN to AQ"
    )
    assert quote_card(card(), req(origin="DE")).reason == "no zone from DE to US"


# --- step pricing --------------------------------------------------------------------------


def test_step_price_per_started_half_kg_above_the_top_band():
    rate = quote_card(card(), req(Parcel(3200)))  # 3.5 kg: top band 2 kg + 3 steps of 1.50
    assert charges(rate)["base"] == D("24.50")
    rate = quote_card(card(), req(Parcel(2000)))  # exactly the top band
    assert charges(rate)["base"] == D("20.00")


def test_above_the_top_band_without_a_step_price_is_excluded():
    rate = quote_card(card(), req(Parcel(2100), postcode="99501"))
    assert rate == Exclusion(
        "acme",
        "express",
        "chargeable weight 2.5 kg is above the top band (2 kg) of zone C and the card has no step price",
    )


def test_pricing_per_shipment_adds_weights_per_parcel_prices_each():
    parcels = (Parcel(1000), Parcel(1000))
    shipment = quote_card(card(), req(*parcels))  # 2 kg together: 20.00
    parcel = quote_card(card(pricing_basis="parcel"), req(*parcels))  # 20.00 + 20.00
    assert charges(shipment)["base"] == D("20.00") and charges(parcel)["base"] == D("40.00")
    assert shipment.chargeable_weight_kg == parcel.chargeable_weight_kg == D("2")


# --- what a service will not carry ---------------------------------------------------------


def test_refused_goods_are_excluded_naming_them():
    assert (
        quote_card(card(), req(goods=["lithium_batteries"])).reason == "refuses lithium_batteries"
    )
    both = quote_card(card(), req(goods=["general", "alcohol", "lithium_batteries"]))
    assert both.reason == "refuses alcohol, lithium_batteries"
    assert isinstance(quote_card(card(), req(goods=["general"])), RateDetail)


def test_max_weight_and_length_per_parcel():
    heavy = req(Parcel(1000), Parcel(75_000))
    assert quote_card(card(), heavy).reason == "parcel 2 weighs 75 kg, over the 70 kg limit"
    assert isinstance(quote_card(card(), req(Parcel(70_000))), RateDetail)  # at the limit is fine
    long = req(Parcel(1000, (200, 1600, 100)))
    assert quote_card(card(), long).reason == "parcel 1 is 160 cm long, over the 150 cm limit"
    assert quote_card(card(), req(Parcel(70_500))).reason.endswith("70.5 kg, over the 70 kg limit")


# --- versions and sorting ------------------------------------------------------------------


def test_the_card_version_in_force_on_the_ship_date_is_used():
    old = card(version="2024", effective_from=date(2024, 1, 1), effective_to=date(2024, 12, 31))
    new = card(version="2025", effective_from=date(2025, 1, 1), fuel_surcharge_pct=D("20"))
    for day, version in [(date(2024, 12, 31), "2024"), (date(2025, 1, 1), "2025"), (DAY, "2025")]:
        rates, excluded = quote_all([old, new], req(day=day))
        assert [r.card_version for r in rates] == [version] and excluded == []
    rates, excluded = quote_all([old, new], req(day=date(2023, 6, 1)))
    assert rates == [] and excluded == [
        Exclusion("acme", "express", "no card effective on 2023-06-01")
    ]
    assert "not effective on 2023-06-01" in quote_card(old, req(day=date(2023, 6, 1))).reason


def test_future_only_card_means_no_card_effective():
    future = card(effective_from=date(2030, 1, 1))
    _, excluded = quote_all([future], req(day=date(2026, 1, 1)))
    assert excluded[0].reason == "no card effective on 2026-01-01"


def test_rates_sort_by_total_then_transit_and_need_fx_across_currencies():
    slow = card(
        service="slow",
        zone_rates={
            **card().zone_rates,
            "A": ZoneRates((WeightBand(D("2"), D("20")),), 5, 9, None),
        },
    )
    fast = card(service="fast")
    dear = card(service="dear", fuel_surcharge_pct=D("50"))
    rates, _ = quote_all([dear, slow, fast], req(Parcel(1500)))
    assert [r.service for r in rates] == ["fast", "slow", "dear"]  # 22 (2-4 d), 22 (5-9 d), 30
    euro = card(service="euro", currency="EUR", fuel_surcharge_pct=D("0"))  # 20.00 EUR
    with pytest.raises(ValueError, match="pass fx"):
        quote_all([fast, euro], req(Parcel(1500)))
    rates, _ = quote_all([fast, euro], req(Parcel(1500)), fx={"USD": D("1"), "EUR": D("1.08")})
    assert [r.service for r in rates] == ["euro", "fast"]  # 21.60 USD before 22.00 USD
    rates, _ = quote_all([fast, euro], req(Parcel(1500)), fx={"USD": D("1"), "EUR": D("1.2")})
    assert [r.service for r in rates] == ["fast", "euro"]


# --- the shipped sample cards --------------------------------------------------------------


def test_shenzhen_to_the_us_10_kg_general_goods():
    rates, excluded = quote_all(load_sample_cards(), req(Parcel(10_000), goods=["general"]), FX)
    assert len(rates) >= 3
    assert {r.carrier for r in rates} >= {"dhl_express", "ups", "fedex"}
    totals = [r.total for r in rates]
    assert totals == sorted(totals)
    for rate in rates:
        got = charges(rate)
        assert rate.chargeable_weight_kg == D("10") and got["base"] > 0 and got["fuel"] > 0
        assert rate.sample and rate.transit_days_min <= rate.transit_days_max
        assert rate.as_dict()["total"] == str(rate.total)
    dhl = next(r for r in rates if r.carrier == "dhl_express")
    assert dhl.card_version == "2025"
    reasons = {(e.carrier, e.service): e.reason for e in excluded}
    assert reasons[("postal", "economy")] == "parcel 1 weighs 10 kg, over the 2 kg limit"
    assert reasons[("ups", "ground")] == "no zone from CN to US"


def test_sample_cards_cover_the_warehouse_origins_and_are_marked():
    cards = load_sample_cards()
    warehouses = json.loads((SAMPLE_DIR.parent / "warehouses.json").read_text())
    origins = {rule.origin_country for c in cards for rule in c.zones}
    assert {w["country"] for w in warehouses} <= origins
    assert all(c.sample and c.note == SAMPLE_NOTE for c in cards)
    services = {c.key for c in cards}
    assert {
        ("dhl_express", "express_worldwide"),
        ("ups", "worldwide_saver"),
        ("fedex", "international_priority"),
        ("postal", "economy"),
        ("ups", "ground"),
        ("dhl_parcel_de", "paket"),
        ("jnt_express", "express"),
    } <= services


def test_sample_regional_services():
    cards = load_sample_cards()
    la = quote_all(cards, req(Parcel(2000), origin="US", postcode="90210"), FX)[0]
    assert [(r.service, r.zone) for r in la] == [("ground", "2")]
    hawaii = quote_all(cards, req(Parcel(2000), origin="US", postcode="96813"), FX)[0][0]
    assert hawaii.zone == "44" and "remote_area" in charges(hawaii)
    berlin = quote_all(cards, req(Parcel(2000), origin="DE", dest="DE", postcode="10115"), FX)[0]
    assert [(r.carrier, r.currency) for r in berlin] == [("dhl_parcel_de", "EUR")]
    jakarta = quote_all(cards, req(Parcel(300), origin="ID", dest="ID", postcode="10110"), FX)[0][0]
    assert jakarta.zone == "JABODETABEK" and "minimum_charge_uplift" in charges(jakarta)
    assert jakarta.total == D("12000.00") and jakarta.currency == "IDR"
    to_sg = quote_all(cards, req(Parcel(3000), origin="ID", dest="SG"), FX)[0]
    assert "jnt_express" in {r.carrier for r in to_sg}


def test_every_total_is_the_sum_of_its_charges():
    cards = load_sample_cards()
    rng = random.Random(7)
    for _ in range(200):
        parcels = [
            Parcel(
                rng.randint(50, 40_000),
                rng.choice([None, tuple(rng.randint(50, 1300) for _ in range(3))]),
            )
            for _ in range(rng.randint(1, 3))
        ]
        request = req(
            *parcels,
            origin=rng.choice(["CN", "US", "DE", "GB", "ID"]),
            dest=rng.choice(["US", "DE", "GB", "ID", "SG", "FR", "AU", "JP"]),
            postcode=rng.choice([None, "99501", "10115", "HS1 2AB", "98111"]),
        )
        rates, excluded = quote_all(cards, request, FX)
        assert len(rates) + len(excluded) == 9  # one answer per service
        for rate in rates:
            charges(rate)


# --- CSV import ----------------------------------------------------------------------------

GOOD_CSV = """\
# a small card
card,carrier,acme
card,service,express
card,name,"Acme Express, worldwide"
card,effective_from,2025-01-01
card,currency,USD
card,divisor,5000
card,fuel_surcharge_pct,10
card,minimum_charge,12.00
card,max_weight_kg,30
card,remote_area_per_kg,0.50
card,remote_area_minimum,5.00
card,sample,true
zone,CN,US,,A
zone,CN,US,995 996,B
zone,CN,GB,,A
band,A,0.5,10.00
band,A,2,20.00
step,A,1.50
band,B,2,30.00,,
transit,A,2,4
transit,B,3,6
remote_area,GB,HS ZE
oversize,long piece,100,,7.00
refuse,lithium_batteries
"""


def test_a_good_csv_becomes_a_card():
    c = parse_rate_card_csv(GOOD_CSV.encode("utf-8-sig"))
    assert (c.carrier, c.service, c.version, c.currency, c.divisor) == (
        "acme",
        "express",
        "2025-01-01",
        "USD",
        5000,
    )
    assert c.name == "Acme Express, worldwide" and c.sample and c.note == SAMPLE_NOTE
    assert c.refused_goods == frozenset({"lithium_batteries"}) and c.effective_to is None
    rate = quote_card(c, req(Parcel(3200)))
    assert charges(rate) == {"base": D("24.50"), "fuel": D("2.45")}
    assert quote_card(c, req(postcode="99601")).zone == "B"


def errors_of(text: str | bytes) -> list[dict]:
    with pytest.raises(RateCardRejected) as info:
        parse_rate_card_csv(text)
    return info.value.errors


def test_csv_errors_name_every_bad_row_by_line():
    lines = GOOD_CSV.splitlines()
    lines[5] = "card,currency,XXX"  # line 6: ISO's "no currency"
    lines[14] = "zone,CN,USA,,B"  # line 15
    lines[17] = "band,A,2,20,00"  # line 18: a comma for a decimal point
    lines[19] = "band,B,1.25,30.00"  # line 20
    lines[22] = "remote_area,GB,HS Z-E1!"  # line 23
    lines += ["parcel,A,1", "card,carrier,other", "transit,A,5,1", "step,A,-1"]  # lines 26-29
    got = errors_of("\n".join(lines) + "\n")
    by_line = {e["line"]: e for e in got}
    assert [e["line"] for e in got] == [6, 15, 18, 20, 23, 26, 27, 28, 29]
    assert by_line[6]["field"] == "card.currency"
    assert by_line[15] == {
        "line": 15,
        "field": "zone.destination_country",
        "msg": "'USA' is not an ISO 3166 alpha-2 country code",
    }
    assert by_line[18]["field"] == "band" and "expected 3" in by_line[18]["msg"]
    assert by_line[20]["field"] == "band.max_kg" and "0.5" in by_line[20]["msg"]
    assert by_line[23]["field"] == "remote_area.postcode_prefixes"
    assert by_line[26]["field"] == "record"
    assert by_line[27] == {
        "line": 27,
        "field": "card.carrier",
        "msg": "set again (first on line 2)",
    }
    assert by_line[28] == {
        "line": 28,
        "field": "transit.max_days",
        "msg": "1 is less than min_days 5",
    }
    assert by_line[29]["field"] == "step.price_per_half_kg"


def test_csv_cross_row_errors():
    text = GOOD_CSV.replace("band,A,2,20.00", "band,A,2,9.00").replace("transit,B,3,6\n", "")
    text += "band,Z,1,5.00\n"  # line 25
    got = errors_of(text)
    assert got == [
        {"line": 15, "field": "zone.zone", "msg": "zone B has no transit row"},
        {
            "line": 18,
            "field": "band.price",
            "msg": "9.00 for up to 2 kg is less than 10.00 for up to 0.5 kg (line 17)",
        },
        {"line": 25, "field": "band.zone", "msg": "zone Z is not used by any zone row"},
    ]


def test_csv_missing_settings_are_file_level_errors():
    text = "\n".join(ln for ln in GOOD_CSV.splitlines() if not ln.startswith("card,currency"))
    got = errors_of(text)
    assert got == [
        {
            "line": None,
            "field": "card.currency",
            "msg": "required: add a row 'card,currency,<value>'",
        }
    ]


def test_csv_rejects_empty_and_non_utf8_files():
    assert errors_of("")[0]["field"] == "file"
    assert errors_of("# only a comment\n\n")[0]["msg"].startswith("no rows")
    bad = GOOD_CSV.encode().replace(b"Acme Express", b"Acme \xff")
    assert errors_of(bad) == [{"line": 4, "field": "file", "msg": "not UTF-8 text"}]


def test_csv_duplicate_zone_rule_and_bad_dates():
    text = GOOD_CSV + "zone,CN,US,996,A\n"
    assert errors_of(text) == [
        {
            "line": 26,
            "field": "zone.postcode_prefixes",
            "msg": "CN to US postcode prefix 996 is zoned already on line 15",
        }
    ]
    text = GOOD_CSV + "card,effective_to,2024-02-30\n"
    assert errors_of(text)[0]["msg"] == "'2024-02-30' is not a real date"
    text = GOOD_CSV + "card,effective_to,2024-12-31\n"
    assert errors_of(text)[0]["msg"] == "2024-12-31 is before effective_from 2025-01-01"


def test_csv_header_row_is_optional_and_semicolons_get_a_hint():
    with_header = "record,a,b,c,d\n" + GOOD_CSV
    assert parse_rate_card_csv(with_header).carrier == "acme"
    got = errors_of(GOOD_CSV.replace("card,carrier,acme", "card;carrier;acme"))
    assert got[0]["line"] == 2 and "use commas between cells" in got[0]["msg"]
