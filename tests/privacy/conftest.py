"""A privacy officer's desk: the HTTP API over a fresh SQLite store, with keys for each role."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from adapters.reference.seed import seed_reference
from api.app import build_services, create_app
from api.auth import KeyStore, new_key
from tests.e2e.test_warehouse_http import Clock


@pytest.fixture
def desk(sqlite_store):
    keys, entries = {}, []
    for name, role, scope in [
        ("admin", "admin", None),
        ("web", "connector", "web"),
        ("fra", "warehouse", "FRA"),
        ("customs", "customs", None),
        ("finance", "finance", None),
        ("dpo", "privacy", None),
    ]:
        key, entry = new_key(name, role, scope)
        keys[name] = {"Authorization": f"Bearer {key}"}
        entries.append(entry)
    svc = build_services(sqlite_store, KeyStore(entries), Clock())
    seed_reference(svc.app)
    with TestClient(create_app(svc)) as c:
        c.keys, c.svc, c.db_path = keys, svc, sqlite_store["SQLITE_DBNAME"]
        yield c
