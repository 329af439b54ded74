"""A German dealer's own purchase-order export, taken in over HTTP through its import profile:
created and revised by an admin, the file uploaded by the dealer portal's connector, every order
stored under the dealer's own number and recording the profile version that mapped it."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from adapters.reference.seed import seed_reference
from api.app import build_services, create_app
from api.auth import KeyStore
from api.routes_dealer_profiles import EXAMPLE
from tests.api_keys import bearer_keys

DEALER = "DLR-EU-01"  # Rheinland Trade GmbH: EUR, regions DE/AT/NL
PROFILES = f"/v1/dealers/{DEALER}/import-profiles"
UPLOAD = "/v1/channels/dealer/orders:csv"

# The dealer's ERP export as its buyers download it: 12 columns named in German, semicolons,
# Windows-1252, decimal comma with thousands dot, local Berlin time without an offset, and no
# currency column at all (the profile's constant says EUR).
HEADER = (
    "Bestellnummer;Bestelldatum;Artikelnummer;Menge;Einzelpreis;Empfänger;Straße;PLZ;Ort;Land;"
    "E-Mail;Telefon"
)
SHIP = "Weinhaus Müller;Königsallee 12;40212;Düsseldorf;DE;einkauf@weinhaus-mueller.example.de;+49 211 555 0100"
EXPORT = [
    HEADER,
    f"4711;07.12.2026 14:30;SKU-TEA-001;12;4,15;{SHIP}",
    f"4711;07.12.2026 14:30;SKU-PHONE-CASE;3;1.050,00;{SHIP}",
    f"4712;28.06.2026 09:15;SKU-TEA-001;2;4,15;{SHIP}",
]

PROFILE: dict[str, Any] = EXAMPLE  # the routes' documented example is this dealer's profile


@pytest.fixture
def client(sqlite_store):
    keys, entries = bearer_keys([("admin", "admin", None), ("dealer", "connector", "dealer")])
    svc = build_services(sqlite_store, KeyStore(entries))
    seed_reference(svc.app)
    for wh, sku in [("FRA", "SKU-TEA-001"), ("FRA", "SKU-PHONE-CASE"), ("LAX", "SKU-TEA-001")]:
        svc.app.warehouse.receive_stock(wh, sku, 100, "opening")
    with TestClient(create_app(svc)) as c:
        c.keys = keys
        yield c


def upload(client: TestClient, rows: list[str], query: str = f"?dealer={DEALER}") -> Any:
    body = ("\r\n".join(rows) + "\r\n").encode("cp1252")
    headers = {**client.keys["dealer"], "Content-Type": "text/csv"}
    return client.post(UPLOAD + query, content=body, headers=headers)


def received(client: TestClient, order_id: str) -> dict[str, Any]:
    events = client.get(f"/v1/orders/{order_id}/events", headers=client.keys["admin"]).json()
    return events["events"][0]["data"]


def order_count(client: TestClient) -> int:
    return client.get("/v1/orders", headers=client.keys["admin"]).json()["total"]


def test_the_dealers_own_export_is_taken_in_through_its_profile(client):
    # Only an admin saves a profile: the dealer portal's key is refused.
    refused = client.post(PROFILES, json=PROFILE, headers=client.keys["dealer"])
    assert refused.status_code == 403
    made = client.post(PROFILES, json=PROFILE, headers=client.keys["admin"])
    assert made.status_code == 201, made.text
    assert made.json()["version"] == 1
    listed = client.get(PROFILES, headers=client.keys["dealer"]).json()
    assert listed["default"] == "erp-export"  # a dealer's first profile is its default

    r = upload(client, EXPORT)  # no profile named: the dealer's default reads it
    assert r.status_code == 201, r.text
    orders = {o["external_id"]: o for o in r.json()["orders"]}
    assert set(orders) == {"4711", "4712"}  # the dealer's own numbers, no prefix

    first = client.get(f"/v1/orders/{orders['4711']['id']}", headers=client.keys["admin"]).json()
    # 7 December 14:30 in Berlin is CET (UTC+01:00): 13:30 UTC
    assert first["placed_at"] == "2026-12-07T13:30:00+00:00"
    assert first["currency"] == "EUR"  # the profile's constant: the file has no currency
    # The file has no discount or tax columns: intake completes them as zero (amounts.py).
    assert first["lines"] == [
        {
            "sku": "SKU-TEA-001",
            "quantity": 12,
            "unit_price": "4.15",
            "discount": "0.00",
            "tax": "0.00",
        },
        {  # "1.050,00"
            "sku": "SKU-PHONE-CASE",
            "quantity": 3,
            "unit_price": "1050.00",
            "discount": "0.00",
            "tax": "0.00",
        },
    ]
    assert first["ship_to"]["line1"] == "Königsallee 12"  # read as cp1252, not mojibake
    second = client.get(f"/v1/orders/{orders['4712']['id']}", headers=client.keys["admin"]).json()
    # 28 June 09:15 in Berlin is summer time (CEST, UTC+02:00): 07:15 UTC
    assert second["placed_at"] == "2026-06-28T07:15:00+00:00"

    raw = received(client, orders["4711"]["id"])["raw_payload"]
    assert raw["import_profile"] == {"dealer_id": DEALER, "id": "erp-export", "version": 1}
    assert raw["rows"][1]["line"] == 3 and raw["rows"][1]["cells"]["Einzelpreis"] == "1.050,00"

    again = upload(client, EXPORT, f"?dealer={DEALER}&profile=erp-export")
    assert again.status_code == 200 and again.json()["existing"] == 2


def test_bad_rows_name_the_line_the_dealers_column_and_the_value_and_store_nothing(client):
    client.post(PROFILES, json=PROFILE, headers=client.keys["admin"])
    rows = [*EXPORT]
    rows[2] = rows[2].replace(";3;", ";drei;")
    rows[3] = rows[3].replace("28.06.2026 09:15", "2026-06-28T09:15")
    r = upload(client, rows)
    assert r.status_code == 422
    assert r.json()["detail"] == [
        {
            "loc": "line 3: Menge",
            "msg": "expected a number written like '1.234,56', got 'drei'",
        },
        {
            "loc": "line 4: Bestelldatum",
            "msg": "'2026-06-28T09:15' matches none of the profile's date formats "
            "('%d.%m.%Y %H:%M', '%d.%m.%Y')",
        },
    ]
    unknown = upload(client, [EXPORT[0], EXPORT[1].replace("SKU-TEA-001", "TEE-0815")])
    assert unknown.status_code == 422
    (error,) = unknown.json()["detail"]
    assert error["source"] == "line 2: Artikelnummer" and "TEE-0815" in error["msg"]
    assert error["order"] == "4711"
    assert order_count(client) == 0


def test_profile_errors_are_422_naming_the_field(client):
    bad = {
        **PROFILE,
        "columns": {**PROFILE["columns"], "menge": "Menge"},
        "date_formats": ["%d.%m.%Y %H:%M", "%d.%m.%Y %k"],  # %k: glibc strftime only
        "time_zone": "Europe/Düsseldorf",
        "encoding": "ebcdic",
    }
    r = client.post(PROFILES, json=bad, headers=client.keys["admin"])
    assert r.status_code == 422
    locs = [e["loc"] for e in r.json()["detail"]]
    assert locs == ["columns.menge", "date_formats[1]", "time_zone", "encoding"]
    assert client.get(PROFILES, headers=client.keys["admin"]).json()["items"] == []
    unknown_dealer = client.post(
        "/v1/dealers/DLR-NOPE/import-profiles", json=PROFILE, headers=client.keys["admin"]
    )
    assert unknown_dealer.status_code == 404


def test_a_revision_bumps_the_version_and_later_orders_record_it(client):
    client.post(PROFILES, json=PROFILE, headers=client.keys["admin"])
    first = upload(client, EXPORT[:3]).json()["orders"][0]
    revised = {k: v for k, v in PROFILE.items() if k != "id"}
    revised["date_formats"] = [*PROFILE["date_formats"], "%d.%m.%y %H:%M"]  # 2-digit years too
    r = client.put(f"{PROFILES}/erp-export", json=revised, headers=client.keys["admin"])
    assert r.status_code == 200 and r.json()["version"] == 2
    same = client.put(f"{PROFILES}/erp-export", json=revised, headers=client.keys["admin"])
    assert same.json()["version"] == 2 and same.json()["notification_id"] == 0

    later = upload(client, [HEADER, EXPORT[3].replace("28.06.2026", "28.06.26")])
    assert later.status_code == 201, later.text
    second = later.json()["orders"][0]
    versions = [
        received(client, o["id"])["raw_payload"]["import_profile"]["version"]
        for o in (first, second)
    ]
    assert versions == [1, 2]
    # The first file again, now read by version 2: the same orders, not a conflict.
    assert upload(client, EXPORT[:3]).status_code == 200

    shown = client.get(f"{PROFILES}/erp-export", headers=client.keys["dealer"]).json()
    assert [v["version"] for v in shown["versions"]] == [1, 2]
    assert shown["versions"][0]["profile"]["date_formats"] == PROFILE["date_formats"]


def test_two_dealers_with_the_same_order_number_are_two_orders(client):
    client.post(PROFILES, json=PROFILE, headers=client.keys["admin"])
    ours = upload(client, EXPORT[:2]).json()["orders"][0]
    # Another dealer's PO 4711 in today's CSV format (no profile; dealer_id column).
    us = (
        "dealer_id,order_number,placed_at,currency,customer_name,customer_email,customer_phone,"
        "ship_name,ship_line1,ship_line2,ship_city,ship_region,ship_postcode,ship_country,sku,"
        "quantity,unit_price\r\n"
        "DLR-US-01,4711,2026-12-07T09:00:00-08:00,USD,Pacific Coast,,,Pacific Coast,"
        "1 Harbor Way,,Los Angeles,CA,90001,US,SKU-TEA-001,5,4.00\r\n"
    )
    theirs = client.post(
        UPLOAD,
        content=us.encode(),
        headers={**client.keys["dealer"], "Content-Type": "text/csv"},
    )
    assert theirs.status_code == 201, theirs.text
    (other,) = theirs.json()["orders"]
    assert other["external_id"] == ours["external_id"] == "4711"
    assert other["id"] != ours["id"]
    assert order_count(client) == 2


def test_a_file_sent_for_one_dealer_may_not_name_another(client):
    row = "DLR-US-01,4711,2026-12-07T09:00:00Z,USD,P,,,P,1 Way,,LA,CA,90001,US,SKU-TEA-001,5,4.00"
    head = (
        "dealer_id,order_number,placed_at,currency,customer_name,customer_email,customer_phone,"
        "ship_name,ship_line1,ship_line2,ship_city,ship_region,ship_postcode,ship_country,sku,"
        "quantity,unit_price"
    )
    # DLR-EU-01 has no profile yet: today's format, but the file must be that dealer's.
    r = upload(client, [head, row])
    assert r.status_code == 422
    assert r.json()["detail"] == [
        {
            "loc": "line 2: dealer_id",
            "msg": "'DLR-US-01' is not the dealer this file was sent for (DLR-EU-01)",
        }
    ]
