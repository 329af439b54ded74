"""The steps of the duty calculation, one rule at a time (domains/customs: valuation, reliefs,
duties, vat). Every expectation is worked out from the inputs, as a customs officer would."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest

from domains.customs.duties import duty_per_line, formal_entry, line_duty, reported_scheme
from domains.customs.registrations import registration_problems
from domains.customs.reliefs import check_relief, covering_relief
from domains.customs.tables import MarketRules, Money, Relief, hs_digits
from domains.customs.valuation import CustomsLine, DestinationMoney, allocate, value_consignment
from domains.customs.vat import line_tax

D = Decimal
CENT = D("0.01")


def market(**kw) -> MarketRules:
    fields = dict(
        country="XX", effective_from=date(2020, 1, 1), currency="EUR", vat_rate=D("0.20"),
        vat_name="VAT", vat_basis="CIF", duty_basis="CIF", default_duty_rate=D("0.05"),
        duty_rates={"61": D("0.10"), "6109": D("0.12")},
    )  # fmt: skip
    fields.update(kw)
    return MarketRules(**fields)


def eur_money(fx: dict[str, Decimal] | None = None) -> DestinationMoney:
    return DestinationMoney(fx or {}, "EUR", 2)


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


FLAT = Relief(
    code="FLAT3", threshold=D("150"), currency="EUR", relieves_duty=True,
    flat_duty_per_subheading=D("3"),
)  # fmt: skip
WAIVE = Relief(code="LOW", threshold=D("150"), currency="EUR", relieves_duty=True)


# --- step 1: valuation --------------------------------------------------------------------


@pytest.mark.parametrize(
    "total, weights",
    [("10.00", ["1", "1", "1"]), ("0.10", ["5", "3", "2"]), ("7.77", ["0", "0"]), ("1", ["9"])],
)
def test_freight_allocation_adds_up_and_follows_the_values(total, weights):
    shares = allocate(D(total), [D(w) for w in weights], 2)
    assert sum(shares) == D(total)
    ws = [D(w) for w in weights]
    if not sum(ws):  # nothing to weigh by: equal parts
        ws = [D(1)] * len(ws)
    for share, w in zip(shares, ws, strict=True):
        assert abs(share - D(total) * w / sum(ws)) < CENT  # within a cent of its exact part


def test_valuation_converts_each_line_and_the_freight_into_the_destination_currency():
    fx = {"USD": D("0.9")}
    money = eur_money(fx)
    lines = [CustomsLine("6109.10", D("10.05"), "USD"), CustomsLine("8471.30", D("20"), "EUR")]
    v = value_consignment(lines, Money(D("5.55"), "USD"), None, money)
    assert v.values == [cents(D("10.05") * fx["USD"]), D("20.00")]
    assert v.freight == cents(D("5.55") * fx["USD"]) and v.insurance == 0
    assert sum(v.shares) == v.freight
    assert v.cif_value == v.goods_value + v.freight
    assert v.digits == [hs_digits(ln.hs_code) for ln in lines]
    assert money.used == {"USD": str(fx["USD"])}  # the result cites the rate it used


# --- step 2: reliefs ----------------------------------------------------------------------


def check(relief: Relief, value: str, **kw):
    args = {"b2c": True, "ship_from": None, "registrations": {}} | kw
    return check_relief(relief, D(value), relief.threshold, **args)


def test_a_relief_applies_up_to_its_threshold_inclusive_or_below_it_exclusive():
    inclusive = WAIVE
    exclusive = Relief(code="LT", threshold=D("150"), currency="EUR", inclusive=False)
    assert check(inclusive, "150").applies
    assert not check(exclusive, "150").applies
    assert check(exclusive, "149.99").applies
    over = check(inclusive, "150.01")
    assert not over.applies and over.why_not == "over the threshold"


def test_a_relief_for_consumers_or_some_origins_only_says_why_it_does_not_apply():
    b2c_only = Relief(code="B2C", threshold=D("150"), currency="EUR", b2c_only=True)
    assert check(b2c_only, "10", b2c=False).why_not == "B2C consignments only"
    from_us = Relief(code="CUSMA", threshold=D("150"), currency="EUR", ship_from=frozenset({"US"}))
    assert check(from_us, "10", ship_from="US").applies
    assert "shipped from US" in check(from_us, "10", ship_from="CN").why_not


def test_an_optional_scheme_needs_the_registration_one_by_law_applies_without_it():
    ioss = Relief(
        code="IOSS", threshold=D("150"), currency="EUR", tax_at_sale=True,
        registration="ioss_number", registration_optional=True,
    )  # fmt: skip
    by_law = Relief(
        code="POS", threshold=D("150"), currency="EUR", tax_at_sale=True,
        registration="seller_vat_number",
    )  # fmt: skip
    without = check(ioss, "10")
    assert not without.applies and without.registration_missing
    assert check(ioss, "10", registrations={"ioss_number": "IM1"}).applies
    law = check(by_law, "10")
    assert law.applies and law.registration_missing


def test_a_relief_does_not_cover_its_excluded_prefixes():
    excise = Relief(
        code="LOW", threshold=D("150"), currency="EUR", relieves_duty=True,
        excluded_prefixes=("2208",),
    )  # fmt: skip
    assert covering_relief([excise], hs_digits("6109.10"), "relieves_duty") is excise
    assert covering_relief([excise], hs_digits("2208.30"), "relieves_duty") is None
    assert covering_relief([excise], hs_digits("6109.10"), "tax_at_sale") is None


# --- step 3: duty per line ----------------------------------------------------------------


def test_the_duty_of_a_line_is_the_longest_prefix_rate_on_its_dutiable_value():
    m = market()
    dutiable = D("123.45")
    for hs in ("6109.10", "6110.20", "8471.30"):
        rate, source = m.duty_rate_for(hs)
        d = line_duty(m, hs, dutiable, None, eur_money(), subheading_charged=False)
        assert (d.rate, d.source, d.treatment) == (rate, source, "ad_valorem")
        assert d.duty == cents(dutiable * rate)


def test_a_waived_line_pays_no_duty_and_names_the_relief():
    d = line_duty(market(), "6109.10", D("99"), WAIVE, eur_money(), subheading_charged=False)
    assert d.duty == 0 and d.rate is None and d.source == WAIVE.code
    assert d.treatment == "relieved"


def test_the_flat_duty_is_charged_once_per_subheading():
    fx = {"EUR": D("1")}
    lines = [
        CustomsLine("6109.10.00.10", D("20"), "EUR"),
        CustomsLine("6109.10.00.90", D("30"), "EUR"),  # same 6-digit subheading
        CustomsLine("8518.30", D("40"), "EUR"),
    ]
    money = eur_money(fx)
    m = market(duty_basis="FOB")
    v = value_consignment(lines, None, None, money)
    duties = duty_per_line(m, lines, v, [FLAT], money)
    subheadings = {hs_digits(ln.hs_code)[:6] for ln in lines}
    assert sum(d.duty for d in duties) == FLAT.flat_duty_per_subheading * len(subheadings)
    assert [d.treatment for d in duties] == [
        "flat_per_subheading",
        "flat_counted",
        "flat_per_subheading",
    ]
    assert [d.dutiable for d in duties] == v.values  # FOB: the goods alone


def test_duty_on_cif_includes_the_lines_share_of_freight():
    lines = [CustomsLine("6109.10", D("60"), "EUR"), CustomsLine("8471.30", D("40"), "EUR")]
    money = eur_money()
    v = value_consignment(lines, Money(D("10"), "EUR"), None, money)
    duties = duty_per_line(market(duty_basis="CIF"), lines, v, [], money)
    for d, value, share in zip(duties, v.values, v.shares, strict=True):
        assert d.dutiable == value + share
        assert d.duty == cents(d.dutiable * (d.rate or 0))


# --- step 4: tax per line -----------------------------------------------------------------


def test_import_vat_base_is_the_value_at_the_vat_basis_plus_the_duty():
    value, share, duty = D("100.00"), D("10.00"), D("12.00")
    for basis, base in (("CIF", value + share + duty), ("FOB", value + duty)):
        t = line_tax(market(vat_basis=basis), value, share, duty, at_sale=None, border_relief=None)
        assert (t.treatment, t.base) == ("border", base)


def test_vat_at_sale_is_on_the_price_with_or_without_delivery():
    value, share = D("50.00"), D("5.00")
    with_delivery = Relief(code="POS", threshold=D("1"), currency="EUR", tax_at_sale=True)
    goods_only = Relief(
        code="LVG", threshold=D("1"), currency="EUR", tax_at_sale=True, tax_at_sale_base="goods"
    )
    m = market()
    t = line_tax(m, value, share, D("0"), at_sale=with_delivery, border_relief=None)
    assert (t.treatment, t.base) == ("at_sale", value + share)
    t = line_tax(m, value, share, D("0"), at_sale=goods_only, border_relief=None)
    assert (t.treatment, t.base) == ("at_sale", value)


def test_no_import_tax_market_and_relieved_lines_add_nothing_to_a_vat_base():
    value, share = D("50.00"), D("5.00")
    t = line_tax(market(vat_basis=None), value, share, D("1"), at_sale=None, border_relief=None)
    assert (t.treatment, t.base) == ("none", 0)
    t = line_tax(market(), value, share, D("1"), at_sale=None, border_relief=WAIVE)
    assert (t.treatment, t.base) == ("relieved", 0)


# --- step 6: the scheme -------------------------------------------------------------------


def test_formal_entry_is_over_the_threshold_in_the_destination_currency():
    fx = {"USD": D("0.8")}
    m = market(formal_entry_threshold=Money(D("800"), "USD"))
    limit = D("800") * fx["USD"]
    assert not formal_entry(m, limit, eur_money(fx)).over
    assert formal_entry(m, limit + CENT, eur_money(fx)).over
    assert formal_entry(market(), D("1e9"), eur_money()).limit is None


def test_the_scheme_reported_at_sale_first_then_formal_entry_then_the_first_relief():
    pos = Relief(code="POS", threshold=D("1"), currency="EUR", tax_at_sale=True)
    assert reported_scheme(pos, True, ["A"]) == "POS"
    assert reported_scheme(None, True, ["A"]) == "FORMAL_ENTRY"
    assert reported_scheme(None, False, ["A", "B"]) == "A"
    assert reported_scheme(None, False, []) == "STANDARD"


# --- declaration screening: the registrations a consignment needs -------------------------

IOSS = Relief(
    code="IOSS", threshold=D("150"), currency="EUR", tax_at_sale=True,
    registration="ioss_number", registration_optional=True, excluded_prefixes=("2208",),
)  # fmt: skip


def needed(declaration: dict, goods_value: str, digits: list[str], **kw):
    m = market(reliefs=(IOSS,), **kw)
    b2c = declaration.get("b2c", True)
    return registration_problems(declaration, m, b2c, D(goods_value), digits, lambda c: D(1))


def test_an_ioss_number_is_needed_only_when_the_channel_uses_ioss_within_its_threshold():
    tshirt = [hs_digits("6109.10")]
    uses_ioss = {"vat_scheme": "IOSS"}
    assert needed(uses_ioss, "100", tshirt) == [("ioss_number", "missing", "IOSS", None)]
    assert needed({"vat_scheme": None}, "100", tshirt) == []
    over = str(IOSS.threshold + CENT)
    assert needed(uses_ioss, over, tshirt) == []
    assert needed(uses_ioss, "100", [hs_digits("2208.30")]) == []  # excluded goods only
    valid = {**uses_ioss, "ioss_number": "IM2760000011"}
    assert needed(valid, "100", tshirt) == []
    (problem,) = needed({**uses_ioss, "ioss_number": "IM123"}, "100", tshirt)
    assert problem[:1] == ("ioss_number",) and "IM123" in problem[1]


def test_a_business_import_into_the_eu_needs_the_importers_eori():
    b2b = {"b2c": False, "vat_scheme": None}
    assert needed(b2b, "1000", ["610910"], union="EU") == [
        ("importer_eori", "missing", "EU_B2B_IMPORT", None)
    ]
    assert needed({**b2b, "importer_eori": "DE123456789012345"}, "1000", [], union="EU") == []
    assert needed(b2b, "1000", ["610910"]) == []  # outside the EU
