"""Shared by the outbox tests: a real SMTP server (aiosmtpd), a webhook receiver (http.server
in a thread) that can be started late on a port chosen early, a Shopify order for a German
buyer taken from receipt to dispatch over HTTP, and carrier scan codes looked up by status."""

from __future__ import annotations

import copy
import email
import json
import socket
import threading
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from adapters.outbox.worker import Outbox, build_outbox
from adapters.transport.carriers.tracking_codes import CODE_TABLES
from api.auth import new_key
from tests.e2e.test_warehouse_http import receipt
from tests.journey import pack, scan_all, wave

FIXTURES = Path(__file__).parent.parent / "fixtures"
SECRET = "whsec_test_0123456789abcdef"
BUYER = {"email": "greta.vogel@example.de", "first_name": "Greta", "last_name": "Vogel"}
SKU = "SKU-BIKE-LIGHT"  # the same as tests/journey.py's, whose pack() it uses


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Mailbox:
    """aiosmtpd handler: every message received, parsed."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append((list(envelope.rcpt_tos), email.message_from_bytes(envelope.content)))
        return "250 OK"


class SmtpServer:
    def __init__(self) -> None:
        self.box = Mailbox()
        self.port = free_port()
        self.controller = Controller(self.box, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

    def to(self, address: str) -> list[Message]:
        return [m for rcpt, m in self.box.messages if address in rcpt]


class Receiver:
    """A webhook receiver on `port`; `start()` may come after deliveries already failed."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/crossdock"

    def start(self) -> Receiver:
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real receivers do

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((dict(self.headers.items()), body))
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(b) for _, b in self.received]


def outbox_for(c: Any, smtp: SmtpServer | None, kafka_producer: Any = None, **extra: str) -> Outbox:
    """The outbox over the test's services, e-mailing through `smtp`, jitter drawn at 0.5."""
    env = {"CROSSDOCK_OUTBOX_MAX_ATTEMPTS": "3", **extra}
    if smtp is not None:
        env |= {
            "CROSSDOCK_SMTP_HOST": "127.0.0.1",
            "CROSSDOCK_SMTP_PORT": str(smtp.port),
            "CROSSDOCK_SMTP_FROM": "orders@crossdock.test",
            "CROSSDOCK_CUSTOMS_TEAM_EMAIL": "customs-team@crossdock.test",
        }
    c.svc.outbox = build_outbox(
        c.svc.app, c.svc.db, env, kafka_producer=kafka_producer, draw=lambda: 0.5
    )
    return c.svc.outbox


def subscribe(c: Any, url: str, events: list[str] | None = None) -> dict[str, Any]:
    body = {"channel": "shopify", "url": url, "secret": SECRET}
    if events:
        body["events"] = events
    r = c.post("/v1/admin/outbox/subscriptions", json=body, headers=c.keys["admin"])
    assert r.status_code == 201, r.text
    return r.json()


ADDRESSES = {
    "DE": {"city": "Berlin", "zip": "10115", "country": "Germany", "country_code": "DE"},
    "GB": {"city": "London", "zip": "SW1A 1AA", "country": "United Kingdom", "country_code": "GB"},
}


def shopify_order(ext: str, country: str = "DE") -> dict[str, Any]:
    """The Shopify fixture as Greta Vogel's order of two bike lights, to Berlin (or London)."""
    raw = copy.deepcopy(json.loads((FIXTURES / "shopify_order.json").read_text()))
    o = raw["order"]
    o["id"] = int(ext.split("-")[-1]) + 5724893450000
    o["name"] = f"#{ext}"
    o["email"] = o["contact_email"] = BUYER["email"]
    o["customer"].update(BUYER)
    o["shipping_address"].update(
        first_name="Greta", last_name="Vogel", name="Greta Vogel", address1="Lindenstr. 5",
        address2=None, **ADDRESSES[country],
    )  # fmt: skip
    line = o["line_items"][0]
    line.update(sku=SKU, quantity=2, id=int(ext.split("-")[-1]) + 14193837620000)
    o["line_items"] = [line]
    return raw


def dispatched(c: Any, ext: str, country: str = "DE") -> dict[str, Any]:
    """A Shopify order received, picked, packed, given a carrier, labelled and dispatched over
    HTTP: its ids, the raw payload sent, the carrier and the waybill."""
    if "shopify" not in c.keys:
        key, entry = new_key("shop", "connector", "shopify")
        c.svc.keys.add([entry])
        c.keys["shopify"] = {"Authorization": f"Bearer {key}"}
    receipt(c, "fra", f"R-{ext}", SKU, 50, "L1", "A-03-04-1")
    raw = shopify_order(ext, country)
    r = c.post("/v1/channels/shopify/orders", json=raw, headers=c.keys["shopify"])
    assert r.status_code == 201 and r.json()["order"]["status"] == "allocated", r.text
    oid = r.json()["order"]["id"]
    sid = f"{oid}-S1"
    scan_all(c, wave(c), ext)
    packed = pack(c, sid, 2)
    chosen = c.post(f"/v1/shipments/{sid}/carrier", json={}, headers=c.keys["fra"])
    assert chosen.status_code == 200, chosen.text
    label = c.post(f"/v1/shipments/{sid}/label", json={}, headers=c.keys["fra"])
    assert label.status_code == 201, label.text
    sent = c.post(f"/v1/shipments/{sid}/dispatch", headers=c.keys["fra"])
    assert sent.status_code == 200, sent.text
    declaration = {"declaration_id": packed.get("declaration_id")}
    return {
        "order_id": oid,
        "shipment_id": sid,
        "raw": raw,
        **declaration,
        **label.json(),
        **sent.json(),
    }


def scan_code(carrier: str, status: str, incident: str | None = None) -> str:
    """The carrier's own code for a normalised status (as the tracking codes map it)."""
    table = CODE_TABLES[carrier]
    return next(code for code, entry in table.items() if entry == (status, incident))


def scan(c: Any, carrier: str, waybill: str, code: str, at: str) -> dict[str, Any]:
    if "carrier" not in c.keys:
        key, entry = new_key("carrier-hook", "carrier", carrier)
        c.svc.keys.add([entry])
        c.keys["carrier"] = {"Authorization": f"Bearer {key}"}
    r = c.post(
        f"/v1/carriers/{carrier}/tracking",
        headers=c.keys["carrier"],
        json={"events": [{"waybill": waybill, "code": code, "occurred_at": at}]},
    )
    assert r.status_code == 200, r.text
    return r.json()["results"][0]
