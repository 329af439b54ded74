"""The store the browser tests (and the page bench) run on: reference data, a key of each role,
and parcels declared at packing, some waiting for review (flags), one held by customs for three
days. Built through the HTTP API in process (the same calls as tests/e2e), then served."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from adapters.reference.seed import seed_reference
from api.app import build_services, create_app
from api.auth import KeyStore, new_key
from api.deps import Services
from tests.e2e.test_customs_http import ship_from_fra

PEOPLE = [
    ("admin", "admin", None),
    ("web", "connector", "web"),
    ("fra", "warehouse", "FRA"),
    ("customs", "customs", None),
    ("finance", "finance", None),
]


class Clock:
    """The store's clock, moved by the seed (a hold three days old)."""

    def __init__(self) -> None:
        self.at = datetime.now(UTC) - timedelta(days=3)

    def now(self) -> datetime:
        return self.at


def seeded(folder: Path) -> tuple[Services, dict[str, str], dict[str, Any]]:
    """Services over a fresh SQLite file, the plain keys by name, and what was seeded
    (declaration ids by order external id)."""
    keys, entries = {}, []
    for name, role, scope in PEOPLE:
        key, entry = new_key(name, role, scope)
        keys[name] = key
        entries.append(entry)
    clock = Clock()
    env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(folder / "e.db")}
    svc = build_services(env, KeyStore(entries), clock)
    seed_reference(svc.app)
    declared: dict[str, str] = {}
    # No `with`: the client's lifespan would close the services the server goes on to use.
    c = TestClient(create_app(svc))
    if True:
        c.keys = {n: {"Authorization": f"Bearer {k}"} for n, k in keys.items()}  # type: ignore[attr-defined]
        c.svc = svc  # type: ignore[attr-defined]
        for ext, sku, qty, price, country, postcode, region in PARCELS:
            _, packed = ship_from_fra(c, ext, sku, qty, price, country, postcode, region)
            declared[ext] = packed["declaration_id"]
        held = declared["US-HELD"]
        c.post(f"/v1/customs/declarations/{held}/approve", json={"note": "ok"},
               headers=c.keys["customs"])  # fmt: skip
        for status, reason in (("submitted", None), ("held", "documents requested")):
            r = c.post(f"/v1/customs/declarations/{held}/clearance", headers=c.keys["customs"],
                       json={"status": status, "reason": reason})  # fmt: skip
            assert r.status_code == 200, r.text
    clock.at = datetime.now(UTC)
    return svc, keys, {"declarations": declared}


# external id, SKU, quantity, unit price, country, postcode, region
PARCELS = [
    ("US-1", "SKU-KNIFE-SET", 1, "79.00", "US", "10001", "NY"),
    ("US-2", "SKU-KNIFE-SET", 2, "79.00", "US", "10001", "NY"),
    ("US-3", "SKU-KNIFE-SET", 1, "30.00", "US", "94105", "CA"),  # value 62% under: flagged
    ("US-4", "SKU-KNIFE-SET", 2, "20.00", "US", "60601", "IL"),  # flagged
    ("US-5", "SKU-KNIFE-SET", 1, "150.00", "US", "98101", "WA"),  # 90% over: flagged
    ("US-HELD", "SKU-KNIFE-SET", 1, "79.00", "US", "10001", "NY"),
    ("GB-1", "SKU-BIKE-LIGHT", 2, "16.00", "GB", "SW1A 1AA", None),
]
