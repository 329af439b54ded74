"""The customs desk over HTTP: declarations drafted at packing with duties, flags and data
versions; review (approve, reject, amend with recomputed duty); dispatch only when approved;
documents whose figures equal the declaration's; clearance; landed cost; customs role only."""

from __future__ import annotations

import io

from pypdf import PdfReader

from tests.e2e.test_warehouse_http import floor, receipt  # noqa: F401 - fixture


def ship_from_fra(c, ext, sku, qty, price, country, postcode, region=None, channel="web"):
    receipt(c, "fra", f"R-{ext}", sku, 50, "L1", "A-03-04-1")
    body = {
        "external_id": ext,
        "placed_at": "2026-11-20T08:00:00Z",
        "currency": "EUR",
        "customer": {"name": "Kim Doe", "email": "kim@example.com"},
        "ship_to": {
            "name": "Kim Doe",
            "line1": "1 High St",
            "city": "Town",
            "region": region,
            "postcode": postcode,
            "country": country,
        },
        "lines": [{"sku": sku, "quantity": qty, "unit_price": price}],
    }
    r = c.post(f"/v1/channels/{channel}/orders", json=body, headers=c.keys["web"])
    assert r.status_code == 201 and r.json()["order"]["status"] == "allocated", r.text
    oid = r.json()["order"]["id"]
    c.post("/v1/warehouses/FRA/waves", json={}, headers=c.keys["fra"])
    t = c.get("/v1/handheld/tasks/next", headers=c.keys["fra"]).json()
    for n, line in enumerate(t["next"]):
        c.post(
            f"/v1/handheld/tasks/{t['id']}/scans",
            headers=c.keys["fra"],
            json={
                "scan_id": f"{ext}-{n}",
                "bin": line["bin"],
                "sku": line["sku"],
                "lot": line["lot"],
                "quantity": line["quantity"],
            },
        )
    product = c.svc.app.reference.product(sku)
    sid = f"{oid}-S1"
    packed = c.post(
        f"/v1/handheld/shipments/{sid}/pack",
        headers=c.keys["fra"],
        json={
            "parcels": [
                {
                    "weight_g": product.unit_weight_g * qty,
                    "dimensions_mm": [300, 200, 100],
                    "items": [{"sku": sku, "quantity": qty}],
                }
            ]
        },
    )
    assert packed.status_code == 200, packed.text
    return sid, packed.json()


def decl(c, did):
    return c.get(f"/v1/customs/declarations/{did}", headers=c.keys["customs"]).json()


def test_gb_consignment_under_135_is_clean_and_auto_approved(floor):  # noqa: F811
    c = floor
    sid, packed = ship_from_fra(c, "GB1", "SKU-BIKE-LIGHT", 2, "16.00", "GB", "SW1A 1AA")
    assert packed["declaration_status"] == "approved"
    d = decl(c, packed["declaration_id"])
    assert d["destination"] == "GB" and d["flags"] == []
    assert d["duties"]["vat_rate"] in ("0.2", "0.20") and d["duties"]["currency"] == "GBP"
    assert d["versions"]["tariff"] and "prohibited_list" in d["versions"]
    assert d["order_history"][0]["type"] == "Received"
    # The whole carrier chain then works, because the declaration is approved.
    c.post(f"/v1/shipments/{sid}/carrier", json={}, headers=c.keys["fra"])
    c.post(f"/v1/shipments/{sid}/label", json={}, headers=c.keys["fra"])
    assert c.post(f"/v1/shipments/{sid}/dispatch", headers=c.keys["fra"]).status_code == 200


def test_review_desk_amend_recomputes_and_dispatch_waits_for_approval(floor):  # noqa: F811
    c = floor
    sid, packed = ship_from_fra(c, "US1", "SKU-KNIFE-SET", 1, "79.00", "US", "10001", "NY")
    did = packed["declaration_id"]
    d = decl(c, did)
    # US: the duty-free de minimis is suspended, so duty is due from the first dollar.
    assert d["duties"]["currency"] == "USD" and float(d["duties"]["duty"]) > 0
    before = d["duties"]["duty"]
    # A reviewer changes the description to something vague and the HS code: recomputed.
    r = c.post(
        f"/v1/customs/declarations/{did}/amend",
        headers=c.keys["customs"],
        json={
            "reason": "classified by broker",
            "changes": [{"line_no": 1, "description": "gift", "hs_code": "9503.00"}],
        },
    )
    assert r.status_code == 200, r.text
    amended = r.json()
    assert amended["status"] == "pending_review"
    assert "vague_description" in [f["code"] for f in amended["flags"]]
    assert amended["duties"]["duty"] != before
    assert amended["reviews"][-1]["by"] == "customs" and amended["reviews"][-1]["reason"]
    queue = c.get(
        "/v1/customs/declarations?status=pending_review&flag=vague_description",
        headers=c.keys["customs"],
    ).json()
    assert [i["declaration_id"] for i in queue["items"]] == [did]
    c.post(f"/v1/shipments/{sid}/carrier", json={}, headers=c.keys["fra"])
    c.post(f"/v1/shipments/{sid}/label", json={}, headers=c.keys["fra"])
    blocked = c.post(f"/v1/shipments/{sid}/dispatch", headers=c.keys["fra"])
    assert blocked.status_code == 409 and "pending_review" in blocked.json()["detail"]
    assert (
        c.post(
            f"/v1/customs/declarations/{did}/reject",
            json={"reason": " "},
            headers=c.keys["customs"],
        ).status_code
        == 422
    )
    ok = c.post(
        f"/v1/customs/declarations/{did}/approve", json={"note": "fine"}, headers=c.keys["customs"]
    )
    assert ok.status_code == 200 and ok.json()["status"] == "approved"
    assert c.post(f"/v1/shipments/{sid}/dispatch", headers=c.keys["fra"]).status_code == 200
    for status, reason in (("submitted", None), ("held", "documents check"), ("released", None)):
        r = c.post(
            f"/v1/customs/declarations/{did}/clearance",
            headers=c.keys["customs"],
            json={"status": status, "reason": reason},
        )
        assert r.status_code == 200, r.text
    delays = c.get("/v1/customs/clearance-delays", headers=c.keys["customs"]).json()["items"]
    assert delays[0]["destination"] == "US" and delays[0]["delay_rate"] == 1.0


def test_documents_carry_the_declarations_figures(floor):  # noqa: F811
    c = floor
    _, packed = ship_from_fra(c, "US2", "SKU-KNIFE-SET", 2, "79.00", "US", "10001", "NY")
    did = packed["declaration_id"]
    data = c.get(
        f"/v1/customs/declarations/{did}/documents/declaration.json", headers=c.keys["customs"]
    ).json()
    pdf = c.get(
        f"/v1/customs/declarations/{did}/documents/commercial-invoice.pdf",
        headers=c.keys["customs"],
    )
    assert pdf.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    for figure in (
        data["lines"][0]["total_value"],
        data["lines"][0]["hs_code"],
        data["totals"]["duty"],
        data["totals"]["vat"],
        data["totals"]["goods_value"],
    ):
        assert figure in text, figure
    packing = c.get(
        f"/v1/customs/declarations/{did}/documents/packing-list.pdf", headers=c.keys["customs"]
    )
    ptext = "".join(p.extract_text() for p in PdfReader(io.BytesIO(packing.content)).pages)
    assert "SKU-KNIFE-SET" in ptext


def test_only_customs_works_the_desk_and_landed_cost_is_itemised(floor):  # noqa: F811
    c = floor
    for who in ("admin", "ann", "web"):
        assert c.get("/v1/customs/declarations", headers=c.keys[who]).status_code == 403
    r = c.post(
        "/v1/quotes/landed-cost",
        headers=c.keys["web"],
        json={
            "goods": [{"sku": "SKU-KNIFE-SET", "value": "79.00", "currency": "EUR"}],
            "destination": "GB",
            "warehouse_id": "FRA",
            "incoterm": "DDP",
            "currency": "GBP",
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    items = {i["item"]: i["amount"] for i in body["items"]}
    assert {"goods", "freight", "vat"} <= set(items) and body["currency"] == "GBP"
    assert abs(sum(float(v) for v in items.values()) - float(body["total"])) < 0.01
    bad = c.post(
        "/v1/quotes/landed-cost",
        headers=c.keys["web"],
        json={"goods": [{"sku": "NOPE", "value": "1", "currency": "EUR"}], "destination": "ZZ"},
    )
    assert bad.status_code == 422


def test_rule_changes_are_versioned_events_that_new_declarations_cite(floor):  # noqa: F811
    import json
    from pathlib import Path

    c = floor
    _, first = ship_from_fra(c, "GB2", "SKU-BIKE-LIGHT", 1, "16.00", "GB", "SW1A 1AA")
    v1 = decl(c, first["declaration_id"])["versions"]["tariff"]
    rules = json.loads((Path("adapters/data/customs/restricted_goods.json")).read_text())
    rules["rules"]["GB"] = [
        {"hs_prefix": "8512", "category": "lights", "reason": "test ban", "level": "prohibited"}
    ]
    bad = c.put(
        "/v1/admin/customs-rules",
        headers=c.keys["admin"],
        json={"files": {"markets.json": {"nonsense": 1}}, "note": "broken"},
    )
    assert bad.status_code == 422
    ok = c.put(
        "/v1/admin/customs-rules",
        headers=c.keys["customs"],
        json={"files": {"restricted_goods.json": rules}, "note": "ban lights to GB"},
    )
    assert ok.status_code == 200 and ok.json()["changed"] and ok.json()["version"] != v1
    assert (
        c.put(
            "/v1/admin/customs-rules",
            headers=c.keys["ann"],
            json={"files": {"restricted_goods.json": rules}, "note": "x"},
        ).status_code
        == 403
    )
    _, second = ship_from_fra(c, "GB3", "SKU-BIKE-LIGHT", 1, "16.00", "GB", "SW1A 1AA")
    d = decl(c, second["declaration_id"])
    assert d["versions"]["tariff"] == ok.json()["version"] and d["status"] == "pending_review"
    assert [f["code"] for f in d["flags"]] == ["prohibited"]
    assert decl(c, first["declaration_id"])["versions"]["tariff"] == v1  # the old one keeps its own


def test_a_review_that_loses_a_race_answers_409_and_stores_nothing(floor, monkeypatch):  # noqa: F811
    """Two desks act on one declaration at once: the one whose save comes second is told to
    retry (409), never a 500, and nothing of its change is stored."""
    c = floor
    _, packed = ship_from_fra(c, "US9", "SKU-KNIFE-SET", 1, "79.00", "US", "10001", "NY")
    did = packed["declaration_id"]
    amend = {"reason": "broker", "changes": [{"line_no": 1, "description": "knife set"}]}
    r = c.post(f"/v1/customs/declarations/{did}/amend", headers=c.keys["customs"], json=amend)
    assert r.json()["status"] == "pending_review"
    customs = c.svc.app.customs
    read = customs.get_declaration

    def read_then_a_colleague_saves(declaration_id):
        stale = read(declaration_id)
        monkeypatch.setattr(customs, "get_declaration", read)  # one interleaving only
        customs.approve_declaration(declaration_id, "colleague", "looks fine")
        return stale

    monkeypatch.setattr(customs, "get_declaration", read_then_a_colleague_saves)
    r = c.post(
        f"/v1/customs/declarations/{did}/reject",
        json={"reason": "undervalued"},
        headers=c.keys["customs"],
    )
    assert r.status_code == 409 and "saved first; retry" in r.json()["detail"], r.text
    after = decl(c, did)
    assert after["status"] == "approved"  # the colleague's approval, not the rejection
    assert [rv["action"] for rv in after["reviews"]][-1] == "approve"
    assert "reject" not in [rv["action"] for rv in after["reviews"]]
