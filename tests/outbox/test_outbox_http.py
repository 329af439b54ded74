"""Back to the channel and the buyer, end to end over HTTP: a Shopify order dispatched reaches
the channel's webhook as a signed Shopify fulfilment with the tracking number, and the buyer
as a German e-mail read back from a real SMTP server; tracking updates follow; a receiver that
is down is retried, dead-lettered, and replayed once it is back."""

from __future__ import annotations

import json
from datetime import timedelta

from adapters.outbox.webhooks import verify
from tests.e2e.test_warehouse_http import floor  # noqa: F401 - fixture
from tests.outbox.helpers import (
    BUYER,
    SECRET,
    Receiver,
    SmtpServer,
    dispatched,
    outbox_for,
    scan,
    scan_code,
    subscribe,
)
from tests.privacy.helpers import scan_sqlite


def test_dispatch_reaches_shopify_signed_and_the_buyer_in_german(floor, tmp_path):  # noqa: F811
    c = floor
    receiver = Receiver().start()
    with SmtpServer() as smtp:
        outbox = outbox_for(c, smtp)
        sub = subscribe(c, receiver.url)
        assert sub["secret"] == SECRET  # answered at registration only
        listed = c.get("/v1/admin/outbox/subscriptions", headers=c.keys["admin"]).json()
        assert [s["id"] for s in listed["items"]] == [sub["id"]] and "secret" not in listed[
            "items"
        ][0]
        shipped = dispatched(c, "OB-1001")
        stats = outbox.run_once()
        # One event (Dispatched) -> one webhook (one subscription) + one buyer e-mail.
        assert (stats.delivered, stats.retried, stats.dead) == (2, 0, 0)

        ((headers, raw_body),) = receiver.received
        unix_now = int(c.clock.now().timestamp())  # the outbox signs at the application clock
        assert verify(SECRET, headers["X-Crossdock-Signature"], raw_body, unix_now)
        assert not verify(
            "another-secret-of-16+", headers["X-Crossdock-Signature"], raw_body, unix_now
        )
        assert not verify(SECRET, headers["X-Crossdock-Signature"], raw_body + b" ", unix_now)
        assert headers["X-Crossdock-Event"] == "shipment_confirmed"
        body = json.loads(raw_body)
        assert body["delivery_id"] == headers["X-Crossdock-Delivery"]
        ext = str(shipped["raw"]["order"]["id"])  # Shopify's order id is our external id
        assert body["operation"] == "fulfillment.create" and body["external_id"] == ext
        fulfilment = body["payload"]["fulfillment"]
        assert fulfilment["tracking_info"]["number"] == shipped["waybill"]
        assert fulfilment["tracking_info"]["url"] == shipped["tracking_url"]
        assert fulfilment["notify_customer"] is False
        # Shopify's own line item id (from the raw payload), not our SKU.
        line = shipped["raw"]["order"]["line_items"][0]
        (pair,) = fulfilment["line_items_by_fulfillment_order"]
        assert pair["fulfillment_order_line_items"] == [{"id": line["id"], "quantity": 2}]

        (mail,) = smtp.to(BUYER["email"])
        assert mail["Subject"] == f"Ihre Bestellung {ext} ist unterwegs"  # shipped to Berlin
        text = mail.get_payload(decode=True).decode()
        assert "Hallo Greta Vogel" in text and shipped["waybill"] in text
        assert "Sendungsnummer" in text
        assert mail["X-Crossdock-Delivery"]

        # Nothing sent twice: the next pass finds nothing due, the log re-read queues nothing.
        assert outbox.run_once().delivered == 0 and len(receiver.received) == 1
        # A worker that died before saving its position reads the whole log again: the
        # messages it derives are the ones already queued (same ids), so nothing goes twice.
        c.svc.db.execute("DELETE FROM outbox_tracking")
        assert outbox.run_once().delivered == 0 and len(receiver.received) == 1
        assert outbox.ledger.position() == c.svc.app.max_notification_id()

        carrier, waybill = shipped["carrier"], shipped["waybill"]
        t0 = c.clock.now()
        ofd = scan_code(carrier, "out_for_delivery")
        dl = scan_code(carrier, "delivered")
        scan(c, carrier, waybill, ofd, (t0 + timedelta(hours=20)).isoformat())
        scan(c, carrier, waybill, dl, (t0 + timedelta(hours=26)).isoformat())
        # a late out-for-delivery scan after delivery tells nobody anything
        scan(c, carrier, waybill, ofd, (t0 + timedelta(hours=21)).isoformat())
        # Per order and receiver one message a pass, in log order: two passes for two scans.
        assert outbox.run_once().delivered == 2  # out for delivery: webhook and e-mail
        assert outbox.run_once().delivered == 2  # delivered: webhook and e-mail
        assert [b["type"] for b in receiver.bodies()] == [
            "shipment_confirmed", "out_for_delivery", "delivered"
        ]  # fmt: skip
        assert receiver.bodies()[-1]["payload"]["tracking_number"] == waybill
        subjects = [m["Subject"] for m in smtp.to(BUYER["email"])]
        assert subjects[1:] == [
            f"Ihre Bestellung {ext} kommt heute",
            f"Ihre Bestellung {ext} wurde zugestellt",
        ]
        # What was sent to whom is recorded by data subject, never by address.
        log = c.get(
            f"/v1/admin/outbox/messages?order_id={shipped['order_id']}", headers=c.keys["admin"]
        ).json()["items"]
        mails = [m for m in log if m["target"] == "email:buyer"]
        assert [m["kind"] for m in mails] == ["shipped", "out_for_delivery", "delivered"]
        assert all(m["attempt_log"][0]["detail"].startswith("sent to subject ") for m in mails)
    receiver.stop()
    found, _ = scan_sqlite(c.svc.app.env["SQLITE_DBNAME"], {
        "name": "Greta Vogel", "email": BUYER["email"], "phone": "+33612345678",
        "line1": "Lindenstr. 5",
    })  # fmt: skip
    assert not [t for t in found if t.startswith("outbox")], found


def test_receiver_down_is_retried_dead_lettered_and_replayed_once(floor):  # noqa: F811
    c = floor
    receiver = Receiver()  # its port is chosen, nothing listens yet
    outbox = outbox_for(c, None)  # CROSSDOCK_OUTBOX_MAX_ATTEMPTS=3, jitter draw 0.5
    subscribe(c, receiver.url, events=["shipment_confirmed"])
    assert (
        c.post(
            "/v1/admin/outbox/subscriptions",
            json={"channel": "shopify", "url": "ftp://x"},
            headers=c.keys["admin"],
        ).status_code
        == 422
    )
    assert c.get("/v1/admin/outbox/dead-letters", headers=c.keys["fra"]).status_code == 403
    dispatched(c, "OB-1002")
    first = outbox.run_once()
    assert (first.delivered, first.retried) == (0, 1)
    # Not due again before its back-off: base 30 s, equal jitter at draw 0.5 -> 15 + 7.5 s.
    c.clock.at += timedelta(seconds=22)
    assert outbox.run_once().retried == 0
    c.clock.at += timedelta(seconds=1)
    assert outbox.run_once().retried == 1  # attempt 2; then wait 30 + 15 s
    c.clock.at += timedelta(seconds=45)
    assert outbox.run_once().dead == 1  # attempt 3 of 3
    dead = c.get("/v1/admin/outbox/dead-letters", headers=c.keys["admin"]).json()["items"]
    (letter,) = dead
    assert letter["tries"] == 3 and "ConnectionRefused" in letter["last_error"]
    c.clock.at += timedelta(days=1)
    assert outbox.run_once().delivered == 0  # dead letters stay put

    receiver.start()
    try:
        r = c.post(f"/v1/admin/outbox/dead-letters/{letter['id']}/replay", headers=c.keys["admin"])
        assert r.json() == {"requeued": 1}
        assert (
            c.post("/v1/admin/outbox/dead-letters/nope/replay", headers=c.keys["admin"]).status_code
            == 404
        )
        assert outbox.run_once().delivered == 1
        assert outbox.run_once().delivered == 0
        assert len(receiver.received) == 1
        assert receiver.received[0][0]["X-Crossdock-Delivery"] == letter["id"]
        log = c.svc.outbox.use_cases.messages(letter["order_id"])
        assert [a["outcome"] for a in log[0]["attempt_log"]] == ["failed"] * 3 + ["delivered"]
        assert c.get("/v1/admin/outbox/dead-letters", headers=c.keys["admin"]).json() == {
            "items": []
        }
    finally:
        receiver.stop()


def test_customs_hold_over_48h_emails_the_customs_team_with_the_checklist(floor):  # noqa: F811
    c = floor
    with SmtpServer() as smtp:
        outbox = outbox_for(c, smtp)
        # To London: a declaration is drafted (auto-approved under GBP 135), e-mails in English.
        shipped = dispatched(c, "OB-1003", country="GB")
        outbox.run_once()  # the shipped e-mail
        carrier, waybill = shipped["carrier"], shipped["waybill"]
        held = scan_code(carrier, "on_hold", "customs_delay")
        scan(c, carrier, waybill, held, (c.clock.now() + timedelta(hours=2)).isoformat())
        outbox.run_once()
        buyer = [m["Subject"] for m in smtp.to(BUYER["email"])]
        assert buyer[-1].startswith("Action needed: customs is holding your order")
        assert smtp.to("customs-team@crossdock.test") == []  # not yet 48 h
        c.clock.at += timedelta(hours=2 + 48, minutes=1)
        raised = c.post("/v1/exceptions/check", headers=c.keys["admin"]).json()["raised"]
        assert "customs_hold_48h" in [a["kind"] for a in raised]
        outbox.run_once()
        (alert,) = smtp.to("customs-team@crossdock.test")
        assert waybill in alert["Subject"]
        text = alert.get_payload(decode=True).decode()
        assert "[ ] commercial invoice missing" in text and "[ ] importer details missing" in text
        assert f"Declaration {shipped['declaration_id']}: approved" in text


def test_an_erased_buyer_gets_no_email(floor):  # noqa: F811
    c = floor
    with SmtpServer() as smtp:
        outbox = outbox_for(c, smtp)
        shipped = dispatched(c, "OB-1004")
        erased = c.post(
            "/v1/privacy/erasure-requests",
            json={"email": BUYER["email"], "reason": "asked to be forgotten"},
            headers=c.keys["admin"],
        )
        assert erased.status_code == 201, erased.text
        stats = outbox.run_once()
        assert (stats.delivered, stats.skipped) == (0, 1)
        assert smtp.box.messages == []
        (mail,) = c.svc.outbox.use_cases.messages(shipped["order_id"])
        assert mail["status"] == "skipped" and mail["attempt_log"][0]["detail"].endswith("erased")
