"""Customs borders as a user sees them over HTTP: the landed-cost quote charges import duty and
import VAT only across a customs border (and says which VAT scheme applies and why); a parcel
packed in Frankfurt for France has no declaration, its order's history says why, and it is
dispatched without waiting for customs."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.e2e.test_customs_http import ship_from_fra
from tests.e2e.test_warehouse_http import floor  # noqa: F401 - fixture

CASE = {"sku": "SKU-PHONE-CASE", "value": "15.00", "currency": "EUR", "quantity": 2}


def quote(c, warehouse, destination, currency="EUR"):
    return c.post(
        "/v1/quotes/landed-cost",
        headers=c.keys["web"],
        json={
            "goods": [CASE],
            "destination": destination,
            "warehouse_id": warehouse,
            "incoterm": "DDP",
            "currency": currency,
        },
    )


@pytest.mark.parametrize(
    ("warehouse", "destination", "scheme"),
    [
        ("FRA", "FR", "EU_OSS"),
        ("FRA", "DE", "DOMESTIC"),
        ("FRA", "AT", "EU_OSS"),
        ("FRA", "NL", "EU_OSS"),
        ("LAX", "US", "DOMESTIC"),
        ("CGK", "ID", "DOMESTIC"),
        ("BHX", "GB", "DOMESTIC"),
    ],
)
def test_a_landed_cost_inside_one_customs_territory_has_no_duty_and_no_import_vat(
    floor,  # noqa: F811
    warehouse,
    destination,
    scheme,  # noqa: F811
):
    r = quote(floor, warehouse, destination)
    if r.status_code == 422 and "no carrier service" in r.text:
        pytest.skip(f"no carrier serves {warehouse} -> {destination} in today's rate cards")
    assert r.status_code == 200, r.text
    body = r.json()
    items = {i["item"]: i for i in body["items"]}
    assert Decimal(items["duty"]["amount"]) == 0 and Decimal(items["vat"]["amount"]) == 0
    assert "in the price" in items["vat"]["label"]  # the VAT is part of the sale, not an import
    assert body["customs"]["declaration_needed"] is False
    assert body["customs"]["vat_scheme"] == scheme
    assert body["customs"]["origin_territory"] == body["customs"]["destination_territory"]
    # The total is goods + freight only.
    assert Decimal(body["total"]) == Decimal(items["goods"]["amount"]) + Decimal(
        items["freight"]["amount"]
    )


@pytest.mark.parametrize(
    ("warehouse", "destination", "currency", "scheme"),
    [
        ("FRA", "GB", "GBP", "GB_POINT_OF_SALE"),
        ("BHX", "DE", "EUR", "EU_IOSS"),
        ("SZX", "US", "USD", "US_IMPORT"),
        ("LAX", "CA", "CAD", "IMPORT"),
    ],
)
def test_a_landed_cost_across_a_customs_border_is_an_import(
    floor,  # noqa: F811
    warehouse,
    destination,
    currency,
    scheme,  # noqa: F811
):
    r = quote(floor, warehouse, destination, currency)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["customs"]["declaration_needed"] is True
    assert body["customs"]["vat_scheme"] == scheme
    assert body["customs"]["origin_territory"] != body["customs"]["destination_territory"]
    assert body["duties"]["scheme"] == body["customs"]["import_scheme"]
    if scheme == "US_IMPORT":  # dutiable from the first dollar
        assert Decimal(body["duty"]) > 0


def test_a_parcel_from_frankfurt_to_paris_is_not_declared_and_leaves_without_customs(
    floor,  # noqa: F811
):
    c = floor
    sid, packed = ship_from_fra(c, "FR1", "SKU-BIKE-LIGHT", 2, "16.00", "FR", "75001")
    assert packed["declaration_id"] is None and packed["declaration_status"] is None
    oid = sid.rsplit("-S", 1)[0]
    events = c.get(f"/v1/orders/{oid}/events", headers=c.keys["admin"]).json()["events"]
    (why,) = [e["data"] for e in events if e["type"] == "CustomsNotRequired"]
    decision = why["decision"]
    assert decision["declaration_needed"] is False
    assert (decision["origin"], decision["destination"]) == ("DE", "FR")
    assert decision["origin_territory"] == decision["destination_territory"] == "EU"
    assert decision["vat_scheme"] == "EU_OSS" and decision["vat_rate"] in ("0.2", "0.20")
    assert decision["rules_version"] and decision["territories_version"]
    queue = c.get("/v1/customs/declarations", headers=c.keys["customs"]).json()
    assert all(d.get("destination") != "FR" for d in queue.get("items", []))
    assert c.post(f"/v1/shipments/{sid}/carrier", json={}, headers=c.keys["fra"]).status_code == 200
    assert c.post(f"/v1/shipments/{sid}/label", json={}, headers=c.keys["fra"]).status_code == 201
    assert c.post(f"/v1/shipments/{sid}/dispatch", headers=c.keys["fra"]).status_code == 200
