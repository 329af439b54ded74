"""Carrier claims over HTTP: a parcel that goes quiet is claimed as lost once the configured
days pass after its no-scan alert, submitted in the carrier's claim file, accepted, paid (a
credit in the ledger), and counted on the carrier's scorecard; a damage claim from a return."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest

from domains.returns.rules import LOST_AFTER_DAYS
from tests.e2e.delivery import deliver, dispatch, open_return
from tests.e2e.test_transport_http import packed_shipment
from tests.e2e.test_warehouse_http import floor  # noqa: F401 - fixture


@pytest.fixture
def sqlite_store(store):
    """The `floor` these tests run on, on each store (SQLite, and PostgreSQL when reachable):
    the views' SQL and the ledger differ by dialect."""
    return store


def test_a_lost_parcel_becomes_a_paid_claim_credited_in_the_ledger(floor):  # noqa: F811
    c = floor
    # packed_shipment: a US web order for 2 phone cases at 10.00 USD, from LAX.
    o, sid = packed_shipment(c, "LOST1")
    label = dispatch(c, sid, "ann")
    c.clock.at += timedelta(hours=24, minutes=5)
    raised = c.post("/v1/exceptions/check", headers=c.keys["admin"]).json()["raised"]
    assert [a["kind"] for a in raised] == ["no_scan_24h"]
    # Right after the alert the parcel is only late, not lost.
    check = "/v1/claims/lost-check"
    assert c.post(check, headers=c.keys["admin"]).json()["opened"] == []
    c.clock.at += timedelta(days=LOST_AFTER_DAYS, minutes=1)
    (claim,) = c.post(check, headers=c.keys["admin"]).json()["opened"]
    assert c.post(check, headers=c.keys["admin"]).json()["opened"] == []  # once per shipment
    # Claimed: what the shipment carried at its order value, 2 x 10.00 USD.
    assert (claim["kind"], claim["amount"], claim["currency"]) == ("lost", "20.00", "USD")
    assert claim["carrier"] == label["carrier"] and claim["shipment"]["waybill"] == label["waybill"]
    assert claim["rule"]["lost_after_days"] == LOST_AFTER_DAYS
    assert claim["evidence"]["tracking"] == []  # not one scan since dispatch

    file = c.post(
        "/v1/claims/submissions", headers=c.keys["finance"], json={"carrier": claim["carrier"]}
    )
    assert file.status_code == 200 and file.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(file.text)))
    assert len(rows) == 2 and label["waybill"] in rows[1] and "20.00" in rows[1]
    again = c.post(
        "/v1/claims/submissions", headers=c.keys["finance"], json={"carrier": claim["carrier"]}
    )
    assert again.status_code == 409  # nothing left open against this carrier

    url = f"/v1/claims/{claim['id']}"
    greedy = c.post(
        f"{url}/decision", headers=c.keys["finance"], json={"accepted": True, "amount": "25"}
    )
    assert greedy.status_code == 422  # more than claimed
    assert c.post(f"{url}/payment", headers=c.keys["finance"],
                  json={"amount": "18", "reference": "X"}).status_code == 409  # not accepted yet  # fmt: skip
    ok = c.post(
        f"{url}/decision", headers=c.keys["finance"], json={"accepted": True, "amount": "18.00"}
    )
    assert ok.status_code == 200 and ok.json()["status"] == "accepted"
    paid = c.post(
        f"{url}/payment", headers=c.keys["finance"], json={"amount": "18.00", "reference": "CR-77"}
    )
    assert paid.status_code == 200 and paid.json()["status"] == "paid"

    ledger = c.get(
        f"/v1/finance/ledger-entries?order_id={o['id']}", headers=c.keys["finance"]
    ).json()
    (credit,) = ledger["items"]
    # A credit: the 18.00 USD paid, as a negative cost.
    assert (credit["kind"], Decimal(credit["amount"]), credit["currency"]) == (
        "claim_credit", Decimal("-18.00"), "USD",
    )  # fmt: skip
    assert Decimal(credit["amount_base"]) < 0
    assert credit["day"] == c.clock.now().date().isoformat()  # the day it was paid

    cards = c.get("/v1/carriers/scorecards", headers=c.keys["admin"]).json()["items"]
    (row,) = [r for r in cards if r["carrier"] == claim["carrier"]]
    assert (row["claims"], row["claims_paid"], row["claims_paid_ratio"]) == (1, 1, 1.0)


def returned_and_graded(c, ext, reason, payer):
    """A delivered US order of 2 phone cases at 10.00 USD comes back (`reason`): one unit
    graded resellable, one dispose. The order and the receipt's answer."""
    o, sid = packed_shipment(c, ext)
    deliver(c, sid, "ann")
    ret = open_return(c, o["id"], "SKU-PHONE-CASE", 2, reason, payer)
    c.post(f"/v1/returns/{ret['id']}/label", headers=c.keys["admin"], json={})
    got = c.post(
        f"/v1/handheld/returns/{ret['id']}/receipts",
        headers=c.keys["ann"],
        json={"receipt_id": f"{ext}-R", "units": [{"sku": "SKU-PHONE-CASE", "grade": "resellable"},
                                                  {"sku": "SKU-PHONE-CASE", "grade": "dispose"}]},
    )  # fmt: skip
    assert got.status_code == 201, got.text
    return o, got.json()


def test_a_return_that_arrived_damaged_opens_the_carriers_claim_by_itself(floor):  # noqa: F811
    c = floor
    o, received = returned_and_graded(c, "DMG1", "damaged", "carrier")
    claim = c.get(f"/v1/claims/{received['claim_id']}", headers=c.keys["finance"]).json()
    # One unit graded dispose: 1 x 10.00 USD claimed, with the return as evidence.
    assert (claim["kind"], claim["amount"], claim["currency"]) == ("damaged", "10.00", "USD")
    assert claim["evidence"]["return_id"] == received["id"]
    assert claim["rule"]["opened"] == "return graded damaged"
    # An operator asking again for the same shipment gets the same claim.
    body = {"order_id": o["id"], "shipment_no": 1, "kind": "damaged", "return_id": received["id"]}
    again = c.post("/v1/claims", headers=c.keys["admin"], json=body).json()
    assert (again["id"], again["created"]) == (claim["id"], False)
    # The carrier paid the label: only handling (2 x 0.80 USD) is our return cost.
    kinds = [e["kind"] for e in c.get(f"/v1/finance/ledger-entries?order_id={o['id']}",
                                      headers=c.keys["finance"]).json()["items"]]  # fmt: skip
    assert kinds == ["return_handling"]


def test_an_operator_claims_damage_with_photos_checked_as_urls(floor):  # noqa: F811
    c = floor
    # "defective": the buyer's word is not carrier damage, so no claim opens by itself.
    o, received = returned_and_graded(c, "DMG2", "defective", "seller")
    assert received["claim_id"] is None
    body = {"order_id": o["id"], "shipment_no": 1, "kind": "damaged", "return_id": received["id"]}
    hostile = c.post("/v1/claims", headers=c.keys["admin"],
                     json={**body, "photos": ["javascript:alert(1)"]})  # fmt: skip
    assert hostile.status_code == 422 and hostile.json()["detail"][0]["loc"] == "photos[0]"
    photo = "https://photos.example.com/dmg2.jpg"
    r = c.post("/v1/claims", headers=c.keys["admin"], json={**body, "photos": [photo]})
    assert r.status_code == 201, r.text
    # The unit graded dispose: 1 x 10.00 USD claimed.
    assert (r.json()["amount"], r.json()["evidence"]["photos"]) == ("10.00", [photo])
