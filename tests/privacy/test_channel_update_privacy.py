"""Updates from the channel keep personal data sealed: a changed address is recorded under the
order's data subject (erased with it), and once the person is erased a resend of their data
records nothing of them again."""

from __future__ import annotations

from tests.privacy.helpers import ZOFIA, order_body, scan_sqlite, ship_to_gb

MOVED = {**ZOFIA, "line1": "77 Unmistakable Crescent"}


def resend(c, person, ext="Z-U"):
    body = order_body(person, ext, "SKU-BIKE-LIGHT", 2, "16.00")
    return c.post("/v1/channels/web/orders", json=body, headers=c.keys["web"])


def test_a_changed_address_is_sealed_and_erased_with_the_order(desk):
    c = desk
    oid, _, _ = ship_to_gb(c, ZOFIA, "Z-U")
    r = resend(c, MOVED)
    assert [(u["kind"], u["applied"]) for u in r.json()["updates"]] == [("address_change", True)]
    assert c.get(f"/v1/orders/{oid}", headers=c.keys["admin"]).json()["ship_to"]["line1"] == (
        MOVED["line1"]
    )
    assert scan_sqlite(c.db_path, MOVED)[0] == {}  # the new address is nowhere in clear

    erased = c.post(
        "/v1/privacy/erasure-requests",
        json={"email": ZOFIA["email"], "reason": "GDPR art. 17 request #12"},
        headers=c.keys["dpo"],
    )
    assert erased.status_code == 201, erased.text
    after = c.get(f"/v1/orders/{oid}", headers=c.keys["admin"]).json()
    assert after["ship_to"]["line1"] is None  # the update's address went with her key

    # The connector re-polls with her data: nothing of her is recorded again.
    before = c.svc.app.orders.store.max_notification_id()
    again = resend(c, {**ZOFIA, "line1": "5 Yet Another Street"})
    assert again.status_code == 200 and again.json()["updates"] == []
    assert c.svc.app.orders.store.max_notification_id() == before
    assert scan_sqlite(c.db_path, ZOFIA)[0] == {}
