"""Erasure and access requests over HTTP, as a privacy officer meets them: the person's data is
readable where the business needs it until they are erased; afterwards every copy reads as a
pseudonym, no trace of them is left anywhere in the database, and the orders still ship, bill
and list."""

from __future__ import annotations

import io

from pypdf import PdfReader

from tests.privacy.helpers import HUGO, ZOFIA, scan_sqlite, ship_to_gb


def pdf_text(content: bytes) -> str:
    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)


def test_erasure_leaves_no_trace_and_the_business_carries_on(desk):
    c = desk
    oid, sid, did = ship_to_gb(c, ZOFIA, "Z-1")
    other_oid, _, _ = ship_to_gb(c, HUGO, "H-1")
    c.post(f"/v1/shipments/{sid}/carrier", json={}, headers=c.keys["fra"])
    assert c.post(f"/v1/shipments/{sid}/label", json={}, headers=c.keys["fra"]).status_code == 201

    # Before: the people who need the name see it.
    order = c.get(f"/v1/orders/{oid}", headers=c.keys["admin"]).json()
    assert order["customer"]["email"] == ZOFIA["email"]
    assert order["ship_to"]["line1"] == ZOFIA["line1"]
    label = pdf_text(c.get(f"/v1/shipments/{sid}/label", headers=c.keys["fra"]).content)
    assert ZOFIA["name"] in label
    invoice = c.get(
        f"/v1/customs/declarations/{did}/documents/commercial-invoice.pdf",
        headers=c.keys["customs"],
    )
    assert ZOFIA["name"] in pdf_text(invoice.content)
    # ... yet the stored data holds no plaintext of her, even now.
    assert scan_sqlite(c.db_path, ZOFIA)[0] == {}

    # Access request, by phone written differently from the order.
    access = c.get(
        "/v1/privacy/subjects", params={"phone": "+447700-900461"}, headers=c.keys["dpo"]
    )
    assert access.status_code == 200, access.text
    held = access.json()
    assert held["counts"] == {"orders": 0, "shipments": 0, "declarations": 0}  # keyed by email
    access = c.get(
        "/v1/privacy/subjects",
        params={"email": " zofia.k.brennan@EXAMPLE.org"},
        headers=c.keys["dpo"],
    ).json()
    assert access["counts"] == {"orders": 1, "shipments": 1, "declarations": 1}
    assert access["erased"] is False
    [held_order] = access["orders"]
    assert held_order["order_id"] == oid
    assert held_order["declarations"][0]["declaration_id"] == did
    assert held_order["personal_data"]["customer"]["name"] == ZOFIA["name"]
    assert held_order["personal_data"]["raw_payload"]["ship_to"]["line1"] == ZOFIA["line1"]

    # Erasure.
    r = c.post(
        "/v1/privacy/erasure-requests",
        json={
            "email": ZOFIA["email"],
            "reason": f"GDPR art. 17 request #311 from {ZOFIA['name']} <{ZOFIA['email'].lower()}>",
        },
        headers=c.keys["dpo"],
    )
    assert r.status_code == 201, r.text
    out = r.json()
    pseudonym = out["pseudonym"]
    assert pseudonym.startswith("erased-subject-") and out["key_deleted"] is True
    assert out["counts"] == {"orders": 1, "shipments": 1, "declarations": 1}
    assert out["retained"]["declarations"][0]["declaration_id"] == did

    # After: no trace of her in any table, nor in the database files.
    found, tables = scan_sqlite(c.db_path, ZOFIA)
    assert found == {}
    assert {"stored_events", "view_orders", "privacy_subject_keys"} <= set(tables)
    assert c.svc.app.privacy.keys.has_key(out["subject_id"]) is False

    # Readers show the pseudonym.
    order = c.get(f"/v1/orders/{oid}", headers=c.keys["admin"]).json()
    assert order["customer"] == {"name": pseudonym, "email": None, "phone": None}
    assert order["ship_to"]["name"] == pseudonym and order["ship_to"]["line1"] is None
    assert order["ship_to"]["country"] == "GB" and order["ship_to"]["postcode"] == "SW1A 1AA"
    events = c.get(f"/v1/orders/{oid}/events", headers=c.keys["admin"]).json()["events"]
    assert events[0]["data"]["raw_payload"] == {"erased": pseudonym}
    label = pdf_text(c.get(f"/v1/shipments/{sid}/label", headers=c.keys["fra"]).content)
    assert pseudonym in label and ZOFIA["name"] not in label
    # The customs record is kept, values and HS codes intact, under the pseudonym.
    declaration = c.get(f"/v1/customs/declarations/{did}", headers=c.keys["customs"]).json()
    assert declaration["document"]["importer"]["name"] == pseudonym
    assert declaration["document"]["importer"]["email"] is None
    data = c.get(
        f"/v1/customs/declarations/{did}/documents/declaration.json", headers=c.keys["customs"]
    ).json()
    invoice = pdf_text(
        c.get(
            f"/v1/customs/declarations/{did}/documents/commercial-invoice.pdf",
            headers=c.keys["customs"],
        ).content
    )
    assert pseudonym in invoice and ZOFIA["name"] not in invoice
    assert data["lines"][0]["hs_code"] in invoice and data["lines"][0]["total_value"] in invoice

    # The business carries on: the order lists, ships and bills; the other customer is intact.
    listed = c.get("/v1/orders", params={"channel": "web"}, headers=c.keys["admin"]).json()
    assert oid in {o["id"] for o in listed["items"]}
    assert c.post(f"/v1/shipments/{sid}/dispatch", headers=c.keys["fra"]).status_code == 200
    costs = c.get(f"/v1/finance/orders/{oid}/costs", headers=c.keys["finance"])
    assert costs.status_code == 200 and costs.json()["shipments"], costs.text
    other = c.get(f"/v1/orders/{other_oid}", headers=c.keys["admin"]).json()
    assert other["customer"]["email"] == HUGO["email"]
    # The same payload again is still recognised as the order already taken in.
    again = c.post(
        "/v1/channels/web/orders", json=order_body_of(ZOFIA, "Z-1"), headers=c.keys["web"]
    )
    assert again.status_code == 200 and again.json()["order"]["id"] == oid

    # The access request now says she is erased; the request and outcome are events.
    access = c.get(
        "/v1/privacy/subjects", params={"email": ZOFIA["email"]}, headers=c.keys["dpo"]
    ).json()
    assert access["erased"] is True
    assert access["orders"][0]["personal_data"]["customer"]["name"] == pseudonym
    kinds = [
        n.topic.rsplit(".", 1)[-1]
        for n in c.svc.app.recorder.select_notifications(start=1, limit=10_000)
        if n.topic.startswith("domains.privacy.model:PrivacyRequest.")
    ]
    assert kinds == ["Requested", "Completed"]


def order_body_of(person, ext):
    from tests.privacy.helpers import order_body

    return order_body(person, ext, "SKU-BIKE-LIGHT", 2, "16.00")


def test_privacy_requests_need_the_role_and_an_identifier(desk):
    c = desk
    body = {"email": ZOFIA["email"], "reason": "request"}
    for who in ("web", "fra", "customs", "finance"):
        assert (
            c.post("/v1/privacy/erasure-requests", json=body, headers=c.keys[who]).status_code
            == 403
        )
        assert (
            c.get(
                "/v1/privacy/subjects", params={"email": ZOFIA["email"]}, headers=c.keys[who]
            ).status_code
            == 403
        )
    assert c.post("/v1/privacy/erasure-requests", json=body).status_code == 401
    for bad in (
        {"reason": "x"},
        {"email": "not-an-address", "reason": "x"},
        {"email": ZOFIA["email"]},
        {"phone": "12", "reason": "x"},
    ):
        r = c.post("/v1/privacy/erasure-requests", json=bad, headers=c.keys["admin"])
        assert r.status_code == 422, (bad, r.text)
    assert c.get("/v1/privacy/subjects", headers=c.keys["dpo"]).status_code == 422
    # A person we hold nothing about: answered, nothing erased.
    r = c.post(
        "/v1/privacy/erasure-requests",
        json={"email": "nobody@example.com", "reason": "request"},
        headers=c.keys["dpo"],
    )
    assert r.status_code == 201 and r.json()["counts"]["orders"] == 0
    assert r.json()["key_deleted"] is False
