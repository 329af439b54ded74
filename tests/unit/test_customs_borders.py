"""The one customs rule (domains/customs/borders.py) on the shipped rules: the customs-territory
table, when a declaration is needed, and the VAT scheme of each B2C case at its threshold.

Every figure is derived in a comment from the shipped data (adapters/data/customs/): on
2026-11-20 the EU block in force is the one from 2026-07-01 (IOSS <= EUR 150, the interim flat
EUR 3 duty per subheading <= EUR 150, formal entry over EUR 150), phone cases (HS 3926.90) pay
6.5% in the EU's SAMPLE table, 6% in GB's, 5.3% in the US's; VAT DE 19%, FR 20%, GB 20%.
Amounts are in the destination currency so no exchange rate is involved.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from adapters.customs.rules import DATA_DIR, FILES, load_tariffs, tables_from_files
from domains.customs.borders import assess_consignment, crosses_border
from domains.customs.registrations import EU_MEMBERS
from domains.customs.tariff import CustomsLine, Money

ON = date(2026, 11, 20)
RULES = load_tariffs()
REGISTERED = {"ioss_number": "IM2760000001", "seller_vat_number": "GB980780684"}
EU27 = sorted(EU_MEMBERS)


def case(value: str, currency: str = "EUR") -> list[CustomsLine]:
    return [CustomsLine("3926.90", Decimal(value), currency, 1, "Silicone phone case", "CN")]


def assess(value, origin, destination, currency="EUR", freight="10.00", **kw):
    kw.setdefault("registrations", REGISTERED)
    return assess_consignment(
        case(value, currency),
        destination,
        "DDP",
        RULES,
        {currency: Decimal(1)},
        ON,
        origin=origin,
        freight=Money(Decimal(freight), currency),
        **kw,
    )


# ------------------------------------------------------------------------ the territory table
def test_the_eu_customs_union_holds_all_27_member_states_and_the_others_are_their_own():
    assert len(EU27) == 27
    assert {RULES.territory_of(c) for c in EU27} == {"EU"}
    for country in ("GB", "US", "CA", "AU", "JP", "SG", "MY", "TH", "ID", "SA", "CN"):
        assert RULES.territory_of(country) == country
    assert RULES.territory_of("LI") == RULES.territory_of("CH") == "CH"
    assert RULES.territory_of("ZZ") == "ZZ"  # a country in no territory is its own
    assert RULES.territories_version.startswith("territories-")


def test_the_territory_table_notes_the_exceptions_it_does_not_cover():
    notes = " ".join(json.loads((DATA_DIR / "territories.json").read_text())["not_covered"])
    for place in ("Canary Islands", "Channel Islands", "Northern Ireland"):
        assert place in notes


def test_the_territory_table_is_part_of_the_rules_version_and_a_stored_version_without_it_loads():
    files = {n: (DATA_DIR / n).read_text() for n in FILES}  # a version published before it
    older = tables_from_files(files)
    assert older.territories == RULES.territories and older.version == RULES.version
    table = json.loads((DATA_DIR / "territories.json").read_text())
    table["territories"]["GB"]["members"].append("IM")
    changed = tables_from_files({**files, "territories.json": json.dumps(table)})
    assert changed.territory_of("IM") == "GB"
    assert changed.version != RULES.version
    assert changed.territories_version != RULES.territories_version
    table["territories"]["US"]["members"].append("GB")  # one country in two territories
    with pytest.raises(ValueError, match="GB is in both"):
        tables_from_files({**files, "territories.json": json.dumps(table)})


@pytest.mark.parametrize(
    ("origin", "destination", "crosses"),
    [
        ("DE", "FR", False), ("DE", "DE", False), ("DE", "AT", False), ("DE", "NL", False),
        ("US", "US", False), ("ID", "ID", False), ("GB", "GB", False),
        ("DE", "GB", True), ("GB", "DE", True), ("CN", "US", True), ("US", "CA", True),
    ],
)  # fmt: skip
def test_a_declaration_is_needed_only_between_customs_territories(origin, destination, crosses):
    assert crosses_border(RULES, origin, destination) is crosses
    decision = assess("20.00", origin, destination).decision
    assert decision.declaration_needed is crosses
    assert (decision.origin_territory, decision.destination_territory) == (
        RULES.territory_of(origin), RULES.territory_of(destination),
    )  # fmt: skip
    assert (decision.rules_version, decision.territories_version) == (
        RULES.version, RULES.territories_version,
    )  # fmt: skip


# ------------------------------------------------------------------- inside one territory
def test_a_domestic_sale_has_no_duty_no_import_vat_and_its_vat_in_the_price():
    a = assess("100.00", "DE", "DE", freight="5.00")
    d = a.duties
    assert (a.decision.vat_scheme, a.decision.vat_country) == ("DOMESTIC", "DE")
    assert (d.duty, d.import_vat, d.vat_at_sale, d.total_taxes) == (0, 0, 0, 0)
    assert d.schemes == () and d.vat_rate == Decimal("0.19")
    # 105.00 (goods + delivery) contains 105.00 x 0.19 / 1.19 = 16.7647... -> 16.76 of VAT
    assert d.inputs["vat_in_price"] == "16.76"


def test_an_intra_eu_distance_sale_is_taxed_at_the_destinations_rate_under_oss():
    a = assess("100.00", "DE", "FR", freight="5.00")
    assert (a.decision.vat_scheme, a.decision.vat_country) == ("EU_OSS", "FR")
    assert a.duties.vat_rate == Decimal("0.20") and a.duties.duty == 0
    assert a.duties.inputs["vat_in_price"] == "17.50"  # 105.00 x 0.20 / 1.20
    assert any("10,000" in n for n in a.duties.notes)


def test_below_the_eu_distance_threshold_the_origins_rate_applies_when_configured():
    a = assess("100.00", "DE", "FR", freight="5.00", over_eu_distance_threshold=False)
    assert (a.decision.vat_scheme, a.decision.vat_country) == ("EU_DISTANCE_SALE_ORIGIN", "DE")
    assert a.duties.vat_rate == Decimal("0.19")


def test_an_intra_eu_sale_to_a_business_is_reverse_charged():
    assert assess("100.00", "DE", "NL", b2c=False).decision.vat_scheme == "EU_INTRA_B2B"


# ------------------------------------------------------------------- EU imports
def test_eu_import_at_150_eur_with_an_ioss_number_is_ioss():
    d = assess("150.00", "CN", "DE").duties
    # IOSS: VAT at sale on goods + delivery, 160.00 x 0.19 = 30.40; nothing at the border but
    # the interim flat EUR 3 duty (one subheading) for consignments up to EUR 150.
    assert d.vat_at_sale == Decimal("30.40") and d.import_vat == 0
    assert d.duty == Decimal("3.00")
    assert assess("150.00", "CN", "DE").decision.vat_scheme == "EU_IOSS"


def test_eu_import_at_150_eur_without_an_ioss_number_pays_import_vat_at_the_border():
    a = assess("150.00", "CN", "DE", registrations={})
    d = a.duties
    # import VAT on CIF + duty: (150.00 + 10.00 + 3.00) x 0.19 = 30.97
    assert (d.duty, d.import_vat, d.vat_at_sale) == (Decimal("3.00"), Decimal("30.97"), 0)
    assert a.decision.vat_scheme == "EU_IMPORT_LOW_VALUE"


def test_eu_import_over_150_eur_pays_import_vat_and_duty_at_the_border():
    a = assess("150.01", "CN", "DE")
    d = a.duties
    # duty 6.5% on CIF 160.01 = 10.40065 -> 10.40; VAT (160.01 + 10.40) x 0.19 = 32.3779 -> 32.38
    assert (d.duty, d.import_vat, d.vat_at_sale) == (Decimal("10.40"), Decimal("32.38"), 0)
    assert a.decision.vat_scheme == "EU_IMPORT" and d.formal_entry


def test_amazon_is_the_deemed_supplier_for_eu_ioss_sales_only():
    assert assess("150.00", "CN", "DE", marketplace="Amazon").decision.deemed_supplier == (
        "Amazon (marketplace)"
    )
    assert assess("150.01", "CN", "DE", marketplace="Amazon").decision.deemed_supplier is None
    assert assess("150.00", "CN", "DE").decision.deemed_supplier is None  # not a marketplace


# ------------------------------------------------------------------- GB imports
def test_gb_import_at_135_gbp_is_vat_at_the_point_of_sale():
    a = assess("135.00", "DE", "GB", currency="GBP", marketplace="Amazon")
    d = a.duties
    # UK VAT at sale on goods + delivery: 145.00 x 0.20 = 29.00; no duty, no import VAT
    assert (d.duty, d.import_vat, d.vat_at_sale) == (0, 0, Decimal("29.00"))
    assert a.decision.vat_scheme == "GB_POINT_OF_SALE"
    assert a.decision.deemed_supplier == "Amazon (marketplace)"


def test_gb_import_over_135_gbp_pays_import_vat_and_duty_at_the_border():
    a = assess("135.01", "DE", "GB", currency="GBP", marketplace="Amazon")
    d = a.duties
    # duty 6% on CIF 145.01 = 8.7006 -> 8.70; VAT (145.01 + 8.70) x 0.20 = 30.742 -> 30.74
    assert (d.duty, d.import_vat, d.vat_at_sale) == (Decimal("8.70"), Decimal("30.74"), 0)
    assert a.decision.vat_scheme == "GB_IMPORT" and a.decision.deemed_supplier is None


# ------------------------------------------------------------------- US imports
@pytest.mark.parametrize(
    ("value", "duty", "relief"),
    [
        ("10.00", "0.53", "US_DE_MINIMIS_SUSPENDED"),  # 10.00 x 5.3% (FOB: no freight)
        ("800.00", "42.40", "US_DE_MINIMIS_SUSPENDED"),  # the old de minimis: still dutiable
        ("800.01", "42.40", "STANDARD"),  # 800.01 x 5.3% = 42.40053 -> 42.40
    ],
)
def test_us_imports_are_dutiable_whatever_the_value(value, duty, relief):
    a = assess(value, "CN", "US", currency="USD")
    assert a.duties.duty == Decimal(duty) and a.duties.vat == 0
    assert (a.decision.vat_scheme, a.decision.import_scheme) == ("US_IMPORT", relief)


def test_an_unknown_origin_is_taken_to_be_abroad():
    a = assess("20.00", None, "DE")
    assert a.decision.declaration_needed and a.decision.origin_territory is None
