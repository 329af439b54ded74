"""Outbox delivery rate: signed webhooks delivered per second to a local receiver.

2,000 shipment confirmations are queued in the outbox's tables (a SQLite file, as by the
processor), then delivery passes run until none is due: each message is signed
(HMAC-SHA256), POSTed over a kept-alive connection to a receiver in another process, and its
attempt and new state recorded (one transaction per pass of 200). The receiver answers 204.

    .venv/bin/python -m scripts.bench_outbox [--messages 2000]
"""

from __future__ import annotations

import argparse
import multiprocessing
import tempfile
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from rich.console import Console
from rich.table import Table

from adapters.outbox.delivery import Delivery
from adapters.outbox.ledger import SqlOutboxLedger
from adapters.outbox.webhooks import WebhookSender
from projections.db import ViewDB


class _Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def _serve(port: int, ready: Any) -> None:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    ready.set()
    server.serve_forever()


def _queue(ledger: SqlOutboxLedger, n: int, subscription: str) -> None:
    now = datetime.now(UTC).isoformat()
    rows = [
        {
            "id": f"bench-{i}",
            "notification_id": i + 1,
            "seq": 0,
            "event_id": f"event-{i}",
            "order_id": f"order-{i}",
            "channel": "shopify",
            "kind": "shipment_confirmed",
            "target": f"webhook:{subscription}",
            "body": {
                "type": "shipment_confirmed",
                "order_id": f"order-{i}",
                "payload": {"tracking_info": {"number": f"JD{i:010d}", "company": "DHL"}},
            },
            "created_at": now,
        }
        for i in range(n)
    ]
    ledger.queue(rows, n)


def run(messages: int = 2000) -> dict[str, Any]:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ready = multiprocessing.Event()
    receiver = multiprocessing.Process(target=_serve, args=(port, ready), daemon=True)
    receiver.start()
    ready.wait(10)
    with tempfile.TemporaryDirectory() as tmp:
        db = ViewDB(
            {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(Path(tmp) / "o.db")}
        )
        ledger = SqlOutboxLedger(db)
        ledger.add_subscription(
            {"id": "sub_bench", "channel": "shopify", "url": f"http://127.0.0.1:{port}/hook",
             "secret": "whsec_bench_0123456789", "events": ["shipment_confirmed"],
             "created_at": datetime.now(UTC).isoformat(), "created_by": "bench"}
        )  # fmt: skip
        _queue(ledger, messages, "sub_bench")
        delivery = Delivery(SimpleNamespace(clock=_Clock()), ledger, webhooks=WebhookSender())
        started = time.perf_counter()
        delivered = 0
        while True:
            stats = delivery.deliver_once()
            if not (stats.delivered or stats.retried):
                break
            delivered += stats.delivered
        seconds = time.perf_counter() - started
        delivery.webhooks.close()
        db.close()
    receiver.terminate()
    return {
        "messages": messages,
        "delivered": delivered,
        "seconds": round(seconds, 2),
        "webhooks_per_s": round(delivered / seconds) if seconds else None,
    }


def report(result: dict[str, Any], console: Console) -> None:
    table = Table(title="Outbox: signed webhooks to a local receiver")
    for column in ("messages", "delivered", "seconds", "webhooks/s"):
        table.add_column(column, justify="right")
    table.add_row(
        f"{result['messages']:,}",
        f"{result['delivered']:,}",
        f"{result['seconds']:.2f}",
        f"{result['webhooks_per_s']:,}",
    )
    console.print(table)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    report(run(parser.parse_args().messages), Console())
