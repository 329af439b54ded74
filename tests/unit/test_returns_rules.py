"""The returns context's pure rules: the refund's arithmetic, where a return goes, when the
returned-goods relief applies, which photo URLs are refused, and a claim file a spreadsheet
cannot be tricked by."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

from adapters.returns.claim_files import claim_file
from domains.returns.reliefs import returned_goods_relief
from domains.returns.rules import candidate_warehouses, photo_errors, refund

TERRITORY = {"DE": "EU", "FR": "EU", "NL": "EU"}.get


def territory(country):
    return TERRITORY(country, country)


def test_refund_is_price_less_discount_share_plus_tax_share_per_returned_unit():
    canonical = {
        "currency": "EUR",
        "lines": [
            {"sku": "A", "quantity": 3, "unit_price": "20.00", "discount": "6.00", "tax": "11.40"},
            {"sku": "B", "quantity": 1, "unit_price": "5.00"},  # before the discount/tax merge
        ],
    }
    r = refund(canonical, {"A": 2, "B": 1})
    # A: 20.00 - 6.00/3 + 11.40/3 = 21.80 a unit, x 2 = 43.60; B: 5.00 - 0 + 0 = 5.00.
    assert [(x["sku"], x["amount"]) for x in r["lines"]] == [("A", "43.60"), ("B", "5.00")]
    assert (r["amount"], r["currency"]) == ("48.60", "EUR")


def test_a_return_goes_to_a_warehouse_in_the_buyers_territory_own_country_first():
    warehouses = {
        "FRA": SimpleNamespace(country="DE", layout={"zones": ["A"]}),
        "PAR": SimpleNamespace(country="FR", layout={"zones": ["A"]}),
        "AMS": SimpleNamespace(country="NL", layout=None),  # cannot receive: no layout
        "LAX": SimpleNamespace(country="US", layout={"zones": ["A"]}),
    }
    assert candidate_warehouses("FR", warehouses, territory, "LAX") == (["PAR", "FRA"], True)
    assert candidate_warehouses("NL", warehouses, territory, "LAX") == (["FRA", "PAR"], True)
    # No warehouse in Japan: back to where it was shipped from, across the border.
    assert candidate_warehouses("JP", warehouses, territory, "LAX") == (["LAX"], False)


def test_returned_goods_relief_needs_the_same_territory_and_the_time_limit():
    out = date(2026, 1, 10)
    ok = returned_goods_relief("EU", "EU", out, date(2026, 2, 1))
    assert ok["applies"] and ok["covers"] == ["duty", "import_vat"]
    # 3 x 365 = 1095 days is the limit: day 1096 is too late.
    late = returned_goods_relief("EU", "EU", out, date.fromordinal(out.toordinal() + 1096))
    assert not late["applies"] and "over 1095" in late["why"]
    assert not returned_goods_relief("EU", "CN", out, date(2026, 2, 1))["applies"]
    # US 9801.00.10 has no time limit, and relieves duty only.
    us = returned_goods_relief("US", "US", out, date(2035, 1, 1))
    assert us["applies"] and us["covers"] == ["duty"]
    assert not returned_goods_relief("ID", "ID", out, date(2026, 2, 1))["applies"]


def test_photos_must_be_http_urls():
    bad = photo_errors(["https://x.example/a.jpg", "file:///etc/passwd", "javascript:x", "http://"])
    assert [e["loc"] for e in bad] == ["photos[1]", "photos[2]", "photos[3]"]


def test_a_claim_file_row_never_starts_a_formula():
    claim = {
        "id": "o-S1-lost",
        "kind": "lost",
        "currency": "USD",
        "amount": "20.00",
        "shipment": {"waybill": "1Z999", "service": "ground", "dispatched_at": "2026-11-20T09:00:00+00:00",
                     "destination": "US"},
        "evidence": {"tracking": [], "photos": ["=HYPERLINK(\"http://evil\")"],
                     "declared_value": {"amount": "20.00", "lines": [{"sku": "A", "units": 2}]}},
    }  # fmt: skip
    name, content = claim_file("ups", [claim])
    header, row = list(csv.reader(io.StringIO(content.decode())))
    assert name.endswith(".csv") and header[0] == "Tracking Number" and row[0] == "1Z999"
    assert row[header.index("Supporting Documents")].startswith("'=")
    assert Decimal(row[header.index("Merchandise Value")]) == Decimal("20.00")
