"""Carriers over HTTP: quotes, rate card import, carrier choice with its reasons, labels,
void until dispatch, tracking (duplicates, late arrivals, delivered final), SLA alerts from
missing scans, scorecards."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from pypdf import PdfReader

from adapters.transport.carriers.waybills import validate
from api.auth import new_key
from tests.e2e.test_warehouse_http import floor, order, receipt  # noqa: F401 - fixture

CARD = FIXTURE = None


def test_quote_shenzhen_to_us_lists_services_with_breakdowns(floor):  # noqa: F811
    c = floor
    r = c.post(
        "/v1/rates/quote",
        headers=c.keys["web"],
        json={
            "origin": {"warehouse_id": "SZX"},
            "destination": {"country": "US"},
            "parcels": [{"weight_g": 10000}],
        },
    )
    assert r.status_code == 200, r.text
    rates = r.json()["rates"]
    assert len(rates) >= 3
    totals = [float(x["compare_total"]) for x in rates]
    assert totals == sorted(totals)
    first = rates[0]
    assert first["chargeable_weight_kg"] == "10" or first["chargeable_weight_kg"].startswith("10")
    assert {ch["charge_type"] for ch in first["charges"]} >= {"base", "fuel"}
    excluded = {(e["carrier"], e["reason"]) for e in r.json()["excluded"]}
    assert any(carrier == "postal" and "limit" in reason for carrier, reason in excluded)
    lithium = c.post(
        "/v1/rates/quote",
        headers=c.keys["web"],
        json={
            "origin": {"country": "CN"},
            "destination": {"country": "US"},
            "parcels": [{"weight_g": 500}],
            "goods_types": ["lithium_batteries"],
        },
    ).json()
    assert any("lithium" in e["reason"] for e in lithium["excluded"])
    bad = c.post(
        "/v1/rates/quote",
        headers=c.keys["web"],
        json={"origin": {"country": "XX"}, "destination": {}, "parcels": [{"weight_g": 0}]},
    )
    assert bad.status_code == 422


def test_rate_card_import_rejects_bad_rows_with_line_numbers(floor):  # noqa: F811
    c = floor
    before = len(c.get("/v1/rate-cards", headers=c.keys["admin"]).json()["cards"])
    csv = (
        "card,carrier,acme\ncard,service,eco\ncard,name,Acme Eco\ncard,version,1\n"
        "card,effective_from,2026-01-01\ncard,currency,USD\ncard,divisor,5000\n"
        "zone,CN,US,,Z1\nband,Z1,0.5,abc\ntransit,Z1,5,3\n"
    )
    r = c.post(
        "/v1/admin/rate-cards",
        content=csv.encode(),
        headers={**c.keys["admin"], "Content-Type": "text/csv"},
    )
    assert r.status_code == 422
    lines = {d["line"] for d in r.json()["detail"]}
    assert 9 in lines
    assert len(c.get("/v1/rate-cards", headers=c.keys["admin"]).json()["cards"]) == before
    assert (
        c.post(
            "/v1/admin/rate-cards",
            content=csv.encode(),
            headers={**c.keys["ann"], "Content-Type": "text/csv"},
        ).status_code
        == 403
    )


def packed_shipment(c, ext):
    receipt(c, "ann", f"R-{ext}", "SKU-PHONE-CASE", 10, "P1", "A-02-05-1")
    o = order(c, ext, [("SKU-PHONE-CASE", 2)])
    c.post("/v1/warehouses/LAX/waves", json={}, headers=c.keys["ann"])
    t = c.get("/v1/handheld/tasks/next", headers=c.keys["ann"]).json()
    for n, line in enumerate(t["next"]):
        c.post(
            f"/v1/handheld/tasks/{t['id']}/scans",
            headers=c.keys["ann"],
            json={
                "scan_id": f"{ext}-{n}",
                "bin": line["bin"],
                "sku": line["sku"],
                "lot": line["lot"],
                "quantity": line["quantity"],
            },
        )
    sid = f"{o['id']}-S1"
    r = c.post(
        f"/v1/handheld/shipments/{sid}/pack",
        headers=c.keys["ann"],
        json={
            "parcels": [
                {
                    "weight_g": 125,
                    "dimensions_mm": [200, 150, 50],
                    "items": [{"sku": "SKU-PHONE-CASE", "quantity": 2}],
                }
            ]
        },
    )
    assert r.status_code == 200, r.text
    return o, sid


@pytest.fixture
def carrier_keys(floor):  # noqa: F811
    return floor


def test_carrier_choice_label_void_dispatch_tracking_and_scorecard(floor):  # noqa: F811
    c = floor
    o, sid = packed_shipment(c, "T1")
    r = c.post(f"/v1/shipments/{sid}/carrier", json={"policy": "cheapest"}, headers=c.keys["ann"])
    assert r.status_code == 200, r.text
    decision = r.json()["decision"]
    assert decision["policy"] == "cheapest" and decision["choice"] is not None
    assert len(decision["ranked"]) >= 1 and "excluded" in decision and decision["card_versions"]
    assert decision["choice"] == decision["ranked"][0]
    events = c.get(f"/v1/orders/{o['id']}/events", headers=c.keys["admin"]).json()["events"]
    assert events[-1]["type"] == "CarrierSelected"
    carrier = decision["choice"]["carrier"]

    label = c.post(f"/v1/shipments/{sid}/label", json={"format": "PDF"}, headers=c.keys["ann"])
    assert label.status_code == 201, label.text
    waybill = label.json()["waybill"]
    assert validate(carrier, waybill)
    pdf = c.get(f"/v1/shipments/{sid}/label", headers=c.keys["ann"])
    assert pdf.headers["content-type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert waybill in text.replace(" ", "")
    assert c.post(f"/v1/shipments/{sid}/label", json={}, headers=c.keys["ann"]).status_code == 409
    void = c.post(f"/v1/shipments/{sid}/void", json={"reason": "wrong box"}, headers=c.keys["ann"])
    assert void.status_code == 200 and void.json()["voided"] == waybill
    again = c.post(
        f"/v1/shipments/{sid}/label", json={"format": "ZPL"}, headers=c.keys["ann"]
    ).json()
    assert again["waybill"] != waybill and validate(carrier, again["waybill"])
    zpl = c.get(f"/v1/shipments/{sid}/label", headers=c.keys["ann"]).content
    assert zpl.startswith(b"^XA") and again["waybill"].encode() in zpl
    sent = c.post(f"/v1/shipments/{sid}/dispatch", headers=c.keys["ann"])
    assert sent.status_code == 200 and sent.json()["order_status"] == "dispatched"
    assert (
        c.post(
            f"/v1/shipments/{sid}/void", json={"reason": "late"}, headers=c.keys["ann"]
        ).status_code
        == 409
    )

    key, entry = new_key("carrier-hook", "carrier", carrier)
    c.svc.keys.add([entry])
    hook = {"Authorization": f"Bearer {key}"}
    wb = again["waybill"]
    t0 = c.clock.now()

    def ev(code, hours):
        return {
            "waybill": wb,
            "code": code,
            "occurred_at": (t0 + timedelta(hours=hours)).isoformat(),
        }

    codes = {"ups": ("P", "I", "D"), "dhl_express": ("PU", "AF", "OK"), "fedex": ("PU", "IT", "DL")}
    pu, it, dl = codes.get(carrier, ("PU", "AF", "OK"))
    assert (
        c.post(
            f"/v1/carriers/{carrier}/tracking", json={"events": [ev(it, 5)]}, headers=c.keys["ann"]
        ).status_code
        == 403
    )
    other = "dhl_express" if carrier != "dhl_express" else "ups"
    assert (
        c.post(
            f"/v1/carriers/{other}/tracking", json={"events": [ev(it, 5)]}, headers=hook
        ).status_code
        == 404
    )
    r = c.post(
        f"/v1/carriers/{carrier}/tracking",
        headers=hook,
        json={
            "events": [
                ev(it, 5),
                ev(it, 5),
                ev(pu, 1),
                {"waybill": "NOPE123456", "code": it, "occurred_at": t0.isoformat()},
            ]
        },
    ).json()["results"]
    assert [x["result"] for x in r] == ["recorded", "duplicate", "recorded", "unknown_waybill"]
    assert r[2]["shipment_status"] == "in_transit"  # the late pick-up scan does not step back
    r = c.post(
        f"/v1/carriers/{carrier}/tracking", headers=hook, json={"events": [ev(dl, 30), ev(it, 40)]}
    ).json()["results"]
    assert [x["shipment_status"] for x in r] == ["delivered", "delivered"]  # delivered is final
    assert c.get(f"/v1/orders/{o['id']}", headers=c.keys["admin"]).json()["status"] == "delivered"
    cards = c.get("/v1/carriers/scorecards", headers=c.keys["admin"]).json()["items"]
    (row,) = cards
    assert row["carrier"] == carrier and row["lane"] == "US-US" and row["delivered"] == 1
    assert row["on_time_rate"] == 1.0 and row["mean_transit_days"] == pytest.approx(
        30 / 24, abs=0.01
    )


def test_sla_alerts_come_from_missing_scans(floor):  # noqa: F811
    c = floor
    o, sid = packed_shipment(c, "T2")
    c.post(f"/v1/shipments/{sid}/carrier", json={}, headers=c.keys["ann"])
    c.post(f"/v1/shipments/{sid}/label", json={}, headers=c.keys["ann"])
    c.post(f"/v1/shipments/{sid}/dispatch", headers=c.keys["ann"])
    assert c.post("/v1/exceptions/check", headers=c.keys["admin"]).json()["raised"] == []
    c.clock.at += timedelta(hours=24, minutes=5)
    raised = c.post("/v1/exceptions/check", headers=c.keys["admin"]).json()["raised"]
    assert [a["kind"] for a in raised] == ["no_scan_24h"] and raised[0]["suggested_action"]
    assert c.post("/v1/exceptions/check", headers=c.keys["admin"]).json()["raised"] == []
    queue = c.get("/v1/exceptions", headers=c.keys["admin"]).json()["items"]
    assert [(q["shipment_id"], q["kind"]) for q in queue] == [(sid, "no_scan_24h")]
    events = [
        e["type"]
        for e in c.get(f"/v1/orders/{o['id']}/events", headers=c.keys["admin"]).json()["events"]
    ]
    assert events[-1] == "ExceptionRaised"
