"""Inbound shipments over HTTP: an admin books one from a forwarder's packing list (422 naming
the rows), moves it through its stages, customs reviews its import declaration on the usual
desk, the destination warehouse's key receives it (another warehouse's key gets 404), finance
reads the landed costs; each role only where its policy lets it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient

from adapters.reference.seed import seed_reference
from api.app import build_services, create_app
from api.auth import KeyStore
from tests.api_keys import bearer_keys

ARRIVAL = (date.today() + timedelta(days=20)).isoformat()
HEAD = {
    "inbound_id": "ASN-77",
    "warehouse_id": "FRA",
    "mode": "sea",
    "carrier": "CMA CGM",
    "reference": "CSQU3054383",
    "expected_arrival": ARRIVAL,
    "origin_kind": "supplier",
    "origin": "Ningbo Trading",
    "origin_country": "CN",
    "allocation_basis": "weight",
    "currency": "USD",
}
PACKING_LIST = (
    "Carton No;SKU;Qty;Lot;Expiry;Net Weight (kg)\n"
    "1;SKU-PHONE-CASE;60;;;4.0\n"
    "2;SKU-CHARGER-65W;20;;;3.6\n"
)


@pytest.fixture
def api(sqlite_store):
    headers, entries = bearer_keys(
        [
            ("admin", "admin", None),
            ("fra", "warehouse", "FRA"),
            ("lax", "warehouse", "LAX"),
            ("customs", "customs", None),
            ("finance", "finance", None),
            ("amazon", "connector", "amazon"),
        ]
    )
    svc = build_services(sqlite_store, KeyStore(entries))
    seed_reference(svc.app)
    with TestClient(create_app(svc)) as c:
        c.keys = headers
        yield c


def upload(c, text: str, who: str = "admin", **params):
    return c.post(
        "/v1/admin/inbound:packing-list",
        params={**HEAD, **params},
        content=text.encode(),
        headers={**c.keys[who], "Content-Type": "text/csv"},
    )


def test_a_bad_packing_list_answers_422_naming_every_bad_row_and_column(api):
    text = PACKING_LIST + "3;SKU-NOPE;5;;;1\n4;SKU-TEA-001;x;;;1\n"
    r = upload(api, text)
    assert r.status_code == 422, r.text
    locs = {e["loc"] for e in r.json()["detail"]}
    assert {"row 4.SKU", "row 5.Qty", "row 5.Expiry", "row 5.Lot"} <= locs, locs
    assert api.get("/v1/inbound/ASN-77", headers=api.keys["admin"]).status_code == 404


def test_the_inbound_flow_by_role(api):
    k = api.keys
    assert upload(api, PACKING_LIST, who="fra").status_code == 403  # warehouses do not book
    r = upload(api, PACKING_LIST)
    assert r.status_code == 201, r.text
    assert r.json()["cartons"][0]["lines"][0]["unit_weight_kg"] == "0.0667"
    assert upload(api, PACKING_LIST).json()["created"] is False  # a repeat is answered

    # lists: the FRA key sees it, the LAX key sees none of FRA's, finance is not let in
    assert api.get("/v1/inbound", headers=k["fra"]).json()["total"] == 1
    assert api.get("/v1/inbound", headers=k["lax"]).json()["total"] == 0
    assert api.get("/v1/inbound", headers=k["finance"]).status_code == 403
    assert api.get("/v1/inbound/ASN-77", headers=k["lax"]).status_code == 404

    skipped = api.post("/v1/admin/inbound/ASN-77/stages", json={"stage": "delivered"},
                       headers=k["admin"])  # fmt: skip
    assert skipped.status_code == 409 and "next is departed" in skipped.json()["detail"]
    for stage in ("departed", "arrived_at_port"):
        r = api.post("/v1/admin/inbound/ASN-77/stages", json={"stage": stage}, headers=k["admin"])
        assert r.status_code == 200, r.text
    costs = {"freight": {"amount": "300", "currency": "USD"}, "fees": []}
    assert (
        api.put("/v1/admin/inbound/ASN-77/costs", json=costs, headers=k["fra"]).status_code == 403
    )
    assert (
        api.put("/v1/admin/inbound/ASN-77/costs", json=costs, headers=k["admin"]).status_code == 200
    )

    # customs: a B2B import declaration on the usual desk
    decision = api.post("/v1/admin/inbound/ASN-77/customs", headers=k["admin"]).json()
    did = decision["declaration_id"]
    queue = api.get("/v1/customs/declarations?channel=inbound", headers=k["customs"]).json()
    assert [d["declaration_id"] for d in queue["items"]] == [did]
    assert queue["items"][0]["inbound_id"] == "ASN-77"
    assert api.get(f"/v1/customs/declarations/{did}", headers=k["admin"]).status_code == 403
    shown = api.get(f"/v1/customs/declarations/{did}", headers=k["customs"]).json()
    assert shown["duties"]["customs"]["vat_scheme"] == "EU_IMPORT"
    early = api.post("/v1/admin/inbound/ASN-77/customs/clear", headers=k["admin"])
    assert early.status_code == 409
    ok = api.post(f"/v1/customs/declarations/{did}/approve", json={"note": "ok"},
                  headers=k["customs"])  # fmt: skip
    assert ok.status_code == 200, ok.text
    assert api.post("/v1/admin/inbound/ASN-77/customs/clear", headers=k["admin"]).status_code == 200
    for stage in ("released", "delivered"):
        api.post("/v1/admin/inbound/ASN-77/stages", json={"stage": stage}, headers=k["admin"])

    # the dock: only the destination warehouse's key
    receipt = {
        "receipt_id": "R-1",
        "counts": [
            {"carton_no": "1", "sku": "SKU-PHONE-CASE", "good": 60},
            {"carton_no": "2", "sku": "SKU-CHARGER-65W", "good": 18, "damaged": 2,
             "reason": "wet"},
        ],
    }  # fmt: skip
    url = "/v1/handheld/inbound/ASN-77/receipts"
    assert api.post(url, json=receipt, headers=k["lax"]).status_code == 404
    assert api.post(url, json=receipt, headers=k["customs"]).status_code == 403
    r = api.post(url, json=receipt, headers=k["fra"])
    assert r.status_code == 201, r.text
    assert [(d["kind"], d["quantity"]) for d in r.json()["discrepancies"]] == [("damaged", 2)]

    # landed costs: finance and admins
    assert api.get("/v1/finance/landed-costs", headers=k["fra"]).status_code == 403
    rows = api.get("/v1/finance/landed-costs?warehouse_id=FRA", headers=k["finance"]).json()
    assert {(x["sku"], x["units"]) for x in rows["items"]} == {
        ("SKU-PHONE-CASE", 60),
        ("SKU-CHARGER-65W", 18),
    }
