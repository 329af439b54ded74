"""Two real API processes on one store (SQLite file and PostgreSQL), as `uvicorn --workers 2`
runs them but each on its own port, so the test chooses which worker answers: reference data
acknowledged by one is never "unknown" to the other (issue #14). Their periodic look at the
log is set out of reach (CROSSDOCK_REFERENCE_TTL_S), so only the look before answering
"unknown" can explain the answers; nothing is timed.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api_keys import bearer_keys
from tests.conftest import make_app
from tests.e2e.test_http import web
from tests.integration.test_read_your_writes import (
    CHILE_CARD,
    DEALER,
    DEALER_CSV_HEAD,
    PRODUCT,
    refusals,
)

ROOT = Path(__file__).resolve().parents[2]
STARTUP_S = 120  # a worker loads the solver and warms its caches before it answers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.log = log
        with log.open("ab") as out:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "api.main:app",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                ],  # fmt: skip
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=60)

    def wait_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_S
        while True:
            if self.proc.poll() is not None:
                pytest.fail(f"worker exited ({self.proc.returncode}):\n{self.log.read_text()}")
            try:
                if self.http.get("/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"worker not up in {STARTUP_S}s:\n{self.log.read_text()[-4000:]}")
            time.sleep(0.1)

    def stop(self) -> None:
        self.http.close()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def workers(store, tmp_path) -> Iterator[tuple[Any, Any, dict[str, dict[str, str]]]]:
    seeded = make_app(store)
    seeded.warehouse.receive_stock("LAX", "SKU-TEA-001", 500, "opening")
    seeded.close()
    keys, entries = bearer_keys(
        [
            ("admin", "admin", None),
            ("web", "connector", "web"),
            ("dealer", "connector", "dealer"),
        ]
    )
    prefixes = ("CROSSDOCK_", "POSTGRES_", "PERSISTENCE_", "SQLITE_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env.update(store)
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "CROSSDOCK_API_KEYS": json.dumps(entries),
            "CROSSDOCK_REFERENCE_TTL_S": "1e9",
        }
    )
    servers = [Server(env, tmp_path / f"worker-{n}.log") for n in (1, 2)]
    try:
        for s in servers:
            s.wait_ready()
        yield servers[0].http, servers[1].http, keys
    finally:
        for s in servers:
            s.stop()


def test_two_worker_processes_never_refuse_what_the_other_acknowledged(workers):
    a, b, keys = workers

    def order(worker: Any, external_id: str, sku: str) -> Any:
        return worker.post(
            "/v1/channels/web/orders", json=web(external_id, [(sku, 1)]), headers=keys["web"]
        )

    def dealer_order(worker: Any, number: str) -> Any:
        row = (
            f"DLR-US-NEW,{number},2026-11-20T09:00:00+00:00,USD,Bay Area,b@x.us,,Bay Area,"
            "1 Market St,,San Francisco,CA,94105,US,SKU-TEA-001,2,4.00\n"
        )
        headers = {**keys["dealer"], "Content-Type": "text/csv"}
        return worker.post(
            "/v1/channels/dealer/orders:csv", content=DEALER_CSV_HEAD + row, headers=headers
        )

    def quote(worker: Any) -> list[tuple[str, str]]:
        body = {
            "origin": {"country": "CN"},
            "destination": {"country": "CL"},
            "parcels": [{"weight_g": 1500}],
        }
        rates = worker.post("/v1/rates/quote", json=body, headers=keys["web"]).json()["rates"]
        return [(r["carrier"], r["service"]) for r in rates]

    assert order(b, "TW-0", "SKU-TEA-001").status_code == 201  # b is serving
    assert quote(b) == []  # and holds the shipped cards: none serves China to Chile

    put = a.put("/v1/admin/products/SKU-TW-KETTLE", json=PRODUCT, headers=keys["admin"])
    assert put.status_code == 200, put.text
    pushed = [order(w, f"TW-{i}", "SKU-TW-KETTLE") for i, w in enumerate((b, a, b, a), 1)]
    assert refusals(pushed) == []

    put = a.put("/v1/admin/dealers/DLR-US-NEW", json=DEALER, headers=keys["admin"])
    assert put.status_code == 200, put.text
    pushed = [dealer_order(b, "PO-1"), dealer_order(a, "PO-2")]
    assert refusals(pushed) == []

    card = a.post(
        "/v1/admin/rate-cards",
        content=CHILE_CARD,
        headers={**keys["admin"], "Content-Type": "text/csv"},
    )
    assert card.status_code == 201, card.text
    assert quote(b) == quote(a) == [("andes_post", "eco")]
