"""Dealer import profiles: what a profile must say to be saved, and how a dealer's own export
reads through it (dates in the dealer's zone, its number format, its encoding; errors that name
the file line, the dealer's column and the value)."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.orders.channels import PayloadError, read_dealer_file
from api.routes_dealer_profiles import EXAMPLE
from domains.reference.import_profiles import ImportProfile, profile_errors

HEADER = (
    "Bestellnummer;Bestelldatum;Artikelnummer;Menge;Einzelpreis;Empfänger;Straße;PLZ;Ort;Land;"
    "E-Mail;Telefon"
)


def spec(**overrides: Any) -> dict[str, Any]:
    """The documented example (the OpenAPI example of the profile routes): a German dealer's
    export, semicolons, cp1252, 1.234,56, dates in Berlin local time, no currency column."""
    base = {k: v for k, v in EXAMPLE.items() if k not in ("id", "default")}
    return {**base, **overrides}


def profile(**overrides: Any) -> ImportProfile:
    return ImportProfile.of("DLR-EU-01", "erp", 3, spec(**overrides))


def row(number: str = "4711", when: str = "07.12.2026 14:30", qty: str = "2", price: str = "4,15"):
    ship = "Weinhaus Müller;Königsallee 12;40212;Düsseldorf;DE;einkauf@weinhaus.example.de;"
    return f"{number};{when};SKU-TEA-001;{qty};{price};{ship}"


def read(*rows: str, **overrides: Any):
    text = "\r\n".join([HEADER, *rows]) + "\r\n"
    return read_dealer_file(text.encode("cp1252"), profile(**overrides))


def errors_of(*rows: str, **overrides: Any) -> dict[str, str]:
    with pytest.raises(PayloadError) as info:
        read(*rows, **overrides)
    return {e.loc: e.msg for e in info.value.errors}


# ------------------------------------------------------------------------ saving a profile
def test_a_complete_profile_has_no_errors():
    assert profile_errors(spec()) == []


def test_profile_errors_name_each_bad_field():
    bad = spec(
        columns={**spec()["columns"], "qty": "Stück"},
        date_formats=["%d.%m.%Y %H:%M", "%d.%Q.%Y", "%H:%M"],
        time_zone="Europe/Berln",
        encoding="ebcdic-de",
        thousands_separator=",",  # the same as the decimal separator
    )
    locs = {e["loc"]: e["msg"] for e in profile_errors(bad)}
    assert set(locs) == {
        "columns.qty",
        "date_formats[1]",
        "date_formats[2]",
        "time_zone",
        "encoding",
        "thousands_separator",
    }
    assert "%Q" in locs["date_formats[1]"]
    assert "no day or month or year" in locs["date_formats[2]"]
    assert "Europe/Berln" in locs["time_zone"]


def test_a_required_field_needs_a_column_a_default_or_a_constant():
    columns = {k: v for k, v in spec()["columns"].items() if k != "ship_city"}
    assert profile_errors(spec(columns=columns, constants={})) == [
        {
            "loc": "columns.currency",
            "msg": "required: map it to a column, or give a constant or default",
        },
        {
            "loc": "columns.ship_city",
            "msg": "required: map it to a column, or give a constant or default",
        },
    ]


def test_the_order_number_is_never_a_constant_and_constants_are_canonical_values():
    bad = spec(constants={"currency": "euro", "order_number": "1"})
    locs = {e["loc"] for e in profile_errors(bad)}
    assert locs == {"constants.currency", "constants.order_number"}


# ------------------------------------------------------------------------ reading a file
def test_local_times_become_utc_across_daylight_saving():
    winter, summer = read(row("4711", "07.12.2026 14:30"), row("4712", "28.06.2026 09:15"))
    # 7 December: Berlin keeps CET, UTC+01:00, so 14:30 local is 13:30 UTC.
    assert winter.canonical["placed_at"] == "2026-12-07T13:30:00+00:00"
    # 28 June: summer time (CEST, UTC+02:00, from 29 March to 25 October 2026): 09:15 -> 07:15.
    assert summer.canonical["placed_at"] == "2026-06-28T07:15:00+00:00"


def test_a_date_only_format_is_tried_after_the_first():
    (order,) = read(row(when="07.12.2026"))
    # midnight in Berlin on 7 December (UTC+01:00) is 23:00 UTC the day before
    assert order.canonical["placed_at"] == "2026-12-06T23:00:00+00:00"


def test_a_local_time_the_clocks_skipped_is_refused():
    # 29 March 2026, 02:00 CET: clocks jump to 03:00 CEST; 02:30 never happened in Berlin.
    errors = errors_of(row(when="29.03.2026 02:30"))
    assert list(errors) == ["line 2: Bestelldatum"]
    assert "'29.03.2026 02:30' does not exist in Europe/Berlin" in errors["line 2: Bestelldatum"]


def test_numbers_in_the_dealers_format_and_the_number_kept_as_is():
    (order,) = read(row(qty="1.200", price="1.234,50"))
    # thousands dot, decimal comma: 1.200 units at 1.234,50 EUR
    assert order.canonical["lines"] == [
        {"sku": "SKU-TEA-001", "quantity": 1200, "unit_price": "1234.50"}
    ]
    assert order.canonical["external_id"] == "4711"  # the dealer's own number, no prefix
    assert order.canonical["dealer_id"] == "DLR-EU-01"
    assert order.canonical["currency"] == "EUR" and order.canonical["ship_to"]["country"] == "DE"
    assert "amounts" not in order.canonical  # no amount is mapped: intake completes them


def test_bad_cells_name_the_line_the_dealers_column_and_the_value():
    errors = errors_of(
        row(),
        row(qty="zwei"),
        row(price="4.15"),  # a dot-decimal price in a decimal-comma file
        row("4713", when="2026-12-07 14:30"),
    )
    assert errors == {
        "line 3: Menge": "expected a number written like '1.234,56', got 'zwei'",
        "line 4: Einzelpreis": "expected a number written like '1.234,56', got '4.15'",
        "line 5: Bestelldatum": "'2026-12-07 14:30' matches none of the profile's date formats "
        "('%d.%m.%Y %H:%M', '%d.%m.%Y')",
    }


def test_a_missing_column_is_named_as_the_dealer_names_it():
    text = HEADER.replace(";PLZ", "") + "\r\n"
    with pytest.raises(PayloadError) as info:
        read_dealer_file(text.encode("cp1252"), profile())
    assert [(e.loc, e.msg) for e in info.value.errors] == [
        ("line 1: header", "missing column(s) PLZ")
    ]


def test_a_file_not_in_the_profiles_encoding_names_the_byte_and_line():
    text = HEADER + "\r\n" + row() + "\r\n"
    with pytest.raises(PayloadError) as info:
        read_dealer_file(text.encode("cp1252"), profile(encoding="utf-8"))
    (error,) = info.value.errors
    # "Empfänger" in cp1252: the ä is the single byte e4, which in UTF-8 would open a 3-byte
    # character that the plain "n" after it cannot continue. Every character before it is
    # ASCII (one byte each), so its offset is its index in the header line (63).
    offset = HEADER.index("ä")
    assert error.loc == "file"
    assert f"byte(s) e4 at offset {offset} (line 1)" in error.msg


def test_header_row_skips_the_exports_title_lines_and_lines_keep_their_file_numbers():
    text = "Bestellexport Rheinland Trade\r\n\r\n" + HEADER + "\r\n" + row(qty="x") + "\r\n"
    with pytest.raises(PayloadError) as info:
        read_dealer_file(text.encode("cp1252"), profile(header_row=3))
    assert [e.loc for e in info.value.errors] == ["line 4: Menge"]


def test_mapped_amounts_follow_the_shared_contract_and_a_mismatch_is_recorded():
    columns = {**spec()["columns"], "shipping": "Versand", "total": "Gesamt"}
    header = HEADER + ";Versand;Gesamt"
    text = "\r\n".join(
        [header, row(qty="2", price="4,15") + ";5,90;14,00", row(qty="1", price="10,00") + ";;"]
    )
    (order,) = read_dealer_file(text.encode("cp1252"), profile(columns=columns))
    # items 2 x 4.15 + 1 x 10.00 = 18.30; shipping 5.90; no tax, discounts or fees mapped:
    # computed 18.30 + 5.90 = 24.20, while the dealer reports 14.00: 14.00 - 24.20 = -10.20
    assert order.canonical["amounts"] == {
        "items_subtotal": "18.30",
        "items_discount": "0.00",
        "shipping": "5.90",
        "shipping_discount": "0.00",
        "tax": "0.00",
        "fees": "0.00",
        "total": "14.00",
        "tax_included": False,
        "mismatch": {
            "reported_total": "14.00",
            "computed_total": "24.20",
            "difference": "-10.20",
        },
    }
    assert order.source_paths["amounts.shipping"] == "line 2: Versand"


def test_an_order_level_cell_that_differs_on_a_later_row_is_refused():
    errors = errors_of(row(), row(when="08.12.2026 09:00"))
    assert list(errors) == ["line 3: Bestelldatum"]
    assert (
        "'08.12.2026 09:00' differs from '07.12.2026 14:30' on line 2"
        in errors["line 3: Bestelldatum"]
    )


def test_hostile_settings_are_refused_naming_the_field():
    # a zone name no file can have, a NUL encoding, an endless pattern: 422s, not crashes
    bad = spec(time_zone="a" * 5000, encoding="\x00", date_formats=["%d" * 100])
    locs = {e["loc"] for e in profile_errors(bad)}
    assert locs == {"time_zone", "encoding", "date_formats[0]"}


def test_a_date_written_with_its_own_offset_keeps_it():
    (order,) = read(row(when="07.12.2026 14:30 -0500"), date_formats=["%d.%m.%Y %H:%M %z"])
    # 14:30 at UTC-05:00 is 19:30 UTC, whatever the profile's zone says
    assert order.canonical["placed_at"] == "2026-12-07T19:30:00+00:00"
