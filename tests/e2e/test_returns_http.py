"""Returns over HTTP, as the channel, the operator and the warehouse use them: a delivered
order comes back (label, receipt, grading, stock, refund, costs); a carrier's return_to_sender
opens a return by itself, once; a return across a border gets a re-import declaration with
the returned-goods relief."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.e2e.delivery import deliver, dispatch, open_return, scan
from tests.e2e.test_transport_http import packed_shipment
from tests.e2e.test_warehouse_http import floor  # noqa: F401 - fixture
from tests.privacy.helpers import ZOFIA, ship_to_gb


@pytest.fixture
def sqlite_store(store):
    """The `floor` these tests run on, on each store (SQLite, and PostgreSQL when reachable):
    the views' SQL and the ledger differ by dialect."""
    return store


def stock(c, warehouse, sku):
    rows = c.get(f"/v1/stock?warehouse={warehouse}&sku={sku}", headers=c.keys["admin"]).json()
    return rows["items"][0]["on_hand"]


def test_a_delivered_order_comes_back_graded_restocked_refunded_and_costed(floor):  # noqa: F811
    c = floor
    # packed_shipment: LAX received 10 phone cases in lot P1, a US web order for 2 at 10.00.
    o, sid = packed_shipment(c, "RET1")
    deliver(c, sid, "ann")
    url = f"/v1/orders/{o['id']}/returns"
    too_many = c.post(
        url,
        headers=c.keys["web"],
        json={"lines": [{"sku": "SKU-PHONE-CASE", "quantity": 3}], "reason": "defective",
              "label_payer": "seller"},
    )  # fmt: skip
    assert too_many.status_code == 422
    detail = too_many.json()["detail"][0]
    assert detail["loc"] == "lines[0].quantity" and "2 can still be returned" in detail["msg"]
    bad_reason = c.post(
        url,
        headers=c.keys["web"],
        json={"lines": [{"sku": "SKU-PHONE-CASE", "quantity": 1, "reason": "meh"}],
              "label_payer": "seller"},
    )  # fmt: skip
    assert bad_reason.status_code == 422 and "reason" in bad_reason.text
    body = {
        "lines": [{"sku": "SKU-PHONE-CASE", "quantity": 2}],
        "reason": "defective",
        "label_payer": "seller",
        "reference": "web-rma-1",
    }
    opened = c.post(url, headers=c.keys["web"], json=body)
    assert opened.status_code == 201, opened.text
    ret = opened.json()
    assert ret["source"] == "channel" and ret["status"] == "opened"
    assert c.post(url, headers=c.keys["web"], json=body).json()["id"] == ret["id"]  # same request
    # Both units are out on a return now: nothing more can be asked back.
    more = dict(body, reference="web-rma-2", lines=[{"sku": "SKU-PHONE-CASE", "quantity": 1}])
    assert c.post(url, headers=c.keys["web"], json=more).status_code == 422

    label = c.post(f"/v1/returns/{ret['id']}/label", headers=c.keys["web"], json={})
    assert label.status_code == 201, label.text
    decision = label.json()["label"]
    # The buyer is in the US: LAX, in the buyer's own country, receives; no border is crossed.
    assert decision["warehouse_id"] == "LAX" and decision["reimport"] is None
    assert decision["waybill"] and Decimal(decision["quote"]["total"]) > 0

    before = stock(c, "LAX", "SKU-PHONE-CASE")
    receipt = {
        "receipt_id": "RR-1",
        "units": [
            {"sku": "SKU-PHONE-CASE", "grade": "resellable"},
            {"sku": "SKU-PHONE-CASE", "grade": "quarantine", "note": "cracked"},
        ],
    }
    bad = {
        "receipt_id": "RR-0",
        "units": [
            {"sku": "SKU-PHONE-CASE", "grade": "resellable"},
            {"sku": "SKU-PHONE-CASE", "grade": "quarantine", "lot": "Z9"},  # never shipped
            {"sku": "SKU-PHONE-CASE", "grade": "resellable"},  # a third unit of two
        ],
    }
    refused = c.post(f"/v1/handheld/returns/{ret['id']}/receipts", headers=c.keys["ann"], json=bad)
    assert refused.status_code == 422
    assert {d["loc"] for d in refused.json()["detail"]} == {"units[1].lot", "units[2].quantity"}
    # Nothing of it was stored: not received, no unit back on the shelf.
    assert c.get(f"/v1/returns/{ret['id']}", headers=c.keys["ann"]).json()["status"] == "labelled"
    assert stock(c, "LAX", "SKU-PHONE-CASE") == before
    other = c.post(
        f"/v1/handheld/returns/{ret['id']}/receipts", headers=c.keys["fra"], json=receipt
    )
    assert other.status_code == 404  # FRA's key: not a return to its warehouse
    got = c.post(f"/v1/handheld/returns/{ret['id']}/receipts", headers=c.keys["ann"], json=receipt)
    assert got.status_code == 201, got.text
    done = got.json()
    assert [(u["grade"], u["lot"]) for u in done["units"]] == [
        ("resellable", "P1"),
        ("quarantine", "P1"),
    ]
    # One unit back on the shelf, in the lot it left in.
    assert stock(c, "LAX", "SKU-PHONE-CASE") == before + 1
    inv = c.svc.app.warehouse.stock_of([("LAX", "SKU-PHONE-CASE")])[0]
    assert any(e["lot"] == "P1" and e["bin"] == done["units"][0]["bin"] for e in inv.lots.values())
    # Refund: 2 units received x (10.00 price - 0 discount + 0 tax) = 20.00 in the order's USD.
    assert (done["refund"]["amount"], done["refund"]["currency"]) == ("20.00", "USD")
    again = c.post(
        f"/v1/handheld/returns/{ret['id']}/receipts", headers=c.keys["ann"], json=receipt
    )
    assert again.json()["applied"] is False and stock(c, "LAX", "SKU-PHONE-CASE") == before + 1

    ledger = c.get(f"/v1/finance/ledger-entries?order_id={o['id']}", headers=c.keys["finance"])
    entries = {e["kind"]: e for e in ledger.json()["items"]}
    # The seller pays the label (its quoted total) and handling: 2 units x 0.80 USD.
    assert entries["return_label"]["amount"] == decision["quote"]["total"]
    assert Decimal(entries["return_handling"]["amount"]) == 2 * Decimal("0.80")

    listed = c.get("/v1/returns", headers=c.keys["web"]).json()["items"]
    assert [(r["return_id"], r["status"], r["refund"]) for r in listed] == [
        (ret["id"], "received", "20.00")
    ]
    assert c.get("/v1/returns", headers=c.keys["fra"]).json()["items"] == []
    analysis = c.get("/v1/returns/analysis", headers=c.keys["admin"]).json()
    # 2 of the 2 phone cases dispatched came back; the one web shipment had one return.
    assert analysis["by_sku"] == [
        {"sku": "SKU-PHONE-CASE", "shipped_units": 2, "returned_units": 2, "return_rate": 1.0}
    ]
    assert analysis["by_reason"] == [{"reason": "defective", "returned_units": 2, "share": 1.0}]
    assert analysis["by_channel"][0]["return_rate"] == 1.0


def test_return_to_sender_opens_a_return_by_itself_once(floor):  # noqa: F811
    c = floor
    o, sid = packed_shipment(c, "RTS1")
    label = dispatch(c, sid, "ann")
    scan(c, label, "picked_up", 1)
    assert scan(c, label, "return_to_sender", 30)["result"] == "recorded"
    later = scan(c, label, "return_to_sender", 40)  # a second RTS scan: no second return
    assert later["result"] == "recorded"
    items = c.get(f"/v1/returns?order_id={o['id']}", headers=c.keys["admin"]).json()["items"]
    assert len(items) == 1
    (r,) = items
    assert (r["source"], r["reason"], r["units"], r["warehouse_id"]) == (
        "return_to_sender", "undeliverable", 2, "LAX",
    )  # fmt: skip
    one = c.get(f"/v1/returns/{r['return_id']}", headers=c.keys["ann"]).json()
    assert one["label"]["waybill"] == label["waybill"]  # it comes back on its own waybill


def test_a_return_across_the_border_is_declared_with_returned_goods_relief(floor):  # noqa: F811
    c = floor
    # ship_to_gb: FRA (Germany, EU) ships 2 bike lights to a buyer in London.
    oid, sid, _ = ship_to_gb(c, ZOFIA, "GBRET")
    deliver(c, sid, "fra")
    first = open_return(c, oid, "SKU-BIKE-LIGHT", 1, "wrong_item", "buyer")
    second = open_return(c, oid, "SKU-BIKE-LIGHT", 1, "damaged", "seller")
    assert first["source"] == "operator" and first["id"] != second["id"]
    # Default: BHX, the warehouse inside the buyer's customs territory (GB); nothing declared.
    near = c.post(f"/v1/returns/{first['id']}/label", headers=c.keys["admin"], json={}).json()
    assert near["label"]["warehouse_id"] == "BHX" and near["label"]["reimport"] is None
    # Sent back to Frankfurt instead: GB -> EU crosses a border, so a re-import declaration.
    back = c.post(
        f"/v1/returns/{second['id']}/label", headers=c.keys["admin"], json={"warehouse_id": "FRA"}
    )
    assert back.status_code == 201, back.text
    reimport = back.json()["label"]["reimport"]
    assert reimport["declaration_id"] and reimport["border"]["required"] is True
    relief = reimport["relief"]
    # The goods left the EU (FRA) days ago and come back to it: UCC art. 203 applies.
    assert relief["applies"] is True and "art. 203" in relief["rule"]["legal_basis"]
    assert relief["table_version"] and relief["rule"]["source"].startswith("https://")
    assert set(relief["relieved"]) == {"duty", "import_vat"}
    d = c.get(f"/v1/customs/declarations/{reimport['declaration_id']}", headers=c.keys["customs"])
    assert d.status_code == 200 and d.json()["destination"] == "DE"


def test_a_buyer_paid_label_is_charged_to_the_buyer_not_booked_as_our_cost(floor):  # noqa: F811
    c = floor
    oid, sid, _ = ship_to_gb(c, ZOFIA, "GBBUY")  # 2 bike lights at 16.00 EUR, FRA -> London
    deliver(c, sid, "fra")
    ret = open_return(c, oid, "SKU-BIKE-LIGHT", 1, "no_longer_needed", "buyer")
    quote = c.post(f"/v1/returns/{ret['id']}/label", headers=c.keys["admin"], json={}).json()
    quote = quote["label"]["quote"]
    got = c.post(
        f"/v1/handheld/returns/{ret['id']}/receipts",
        headers=c.keys["admin"],
        json={"receipt_id": "B1", "units": [{"sku": "SKU-BIKE-LIGHT", "grade": "refurbish"}]},
    )
    assert got.status_code == 201, got.text
    refund = got.json()["refund"]
    # 1 unit x 16.00 EUR refunded; the label's quoted total is for the channel to charge.
    assert (refund["amount"], refund["currency"]) == ("16.00", "EUR")
    assert refund["label_charge_to_buyer"] == {
        "amount": quote["total"],
        "currency": quote["currency"],
    }
    ledger = c.get(f"/v1/finance/ledger-entries?order_id={oid}", headers=c.keys["finance"]).json()
    assert [e["kind"] for e in ledger["items"]] == ["return_handling"]  # no label cost of ours
