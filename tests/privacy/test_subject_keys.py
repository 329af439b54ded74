"""Crypto-shredding on each store (SQLite file, PostgreSQL schema): a batch of orders gets its
subjects' keys in the store's own database, one per person however their email was spelt; an
erasure leaves no trace of the person in any table, and another process that had their key
cached stops reading their data too."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import adapters.privacy.keys as keys_module
from adapters.bootstrap import build_app
from adapters.reference.seed import seed_reference
from domains.crossdock import Crossdock
from domains.orders.intake import Intake
from tests.conftest import pg_connect
from tests.privacy.helpers import HUGO, ZOFIA, find_in, order_body, scan_sqlite


@pytest.fixture
def app(store: dict[str, str]) -> Iterator[Crossdock]:
    a = build_app(store)
    seed_reference(a)
    a.warehouse.receive_stock("FRA", "SKU-BIKE-LIGHT", 100, "opening")
    yield a
    a.close()


def item(person: dict[str, Any], ext: str, **customer: Any) -> Intake:
    body = order_body(person, ext, "SKU-BIKE-LIGHT", 1, "16.00")
    body["customer"].update(customer)
    return Intake("web", body, body)


def scan(store: dict[str, str], person: dict[str, Any]) -> tuple[dict, list[str]]:
    if store["PERSISTENCE_MODULE"] == "eventsourcing.sqlite":
        return scan_sqlite(store["SQLITE_DBNAME"], person)
    found: dict[str, list[str]] = {}
    with pg_connect(store, in_schema=True) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                (store["POSTGRES_SCHEMA"],),
            )
        ]
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"'):  # noqa: S608 - schema names
                for value in row:
                    if value is None or isinstance(value, int | float):
                        continue
                    blob = bytes(value) if isinstance(value, bytes | memoryview) else str(value)
                    blob = blob if isinstance(blob, bytes) else blob.encode()
                    found.setdefault(table, []).extend(find_in(blob, person))
    return {t: hits for t, hits in found.items() if hits}, tables


def key_rows(app: Crossdock) -> int:
    return app.privacy.keys.db.query("SELECT COUNT(*) AS n FROM privacy_subject_keys")[0]["n"]


def test_a_batch_keys_each_person_once_and_erasure_leaves_no_trace(app, store):
    outcomes, _ = app.orders.intake_batch(
        [
            item(ZOFIA, "B-1"),
            item(ZOFIA, "B-2", email=" ZOFIA.k.brennan@example.ORG "),
            item(HUGO, "B-3"),
        ]
    )
    assert [o.created for o in outcomes] == [True, True, True]
    assert key_rows(app) == 2  # one key per person
    access = app.privacy.access(ZOFIA["email"], None)
    assert access["counts"]["orders"] == 2
    assert {o["personal_data"]["ship_to"]["line1"] for o in access["orders"]} == {ZOFIA["line1"]}

    result, _ = app.privacy.erase(None, ZOFIA["phone"].replace(" ", ""), "dpo", "request")
    assert result["counts"]["orders"] == 0  # she is keyed by her email, not her phone
    result, _ = app.privacy.erase(ZOFIA["email"], None, "dpo", "request")
    assert result["counts"]["orders"] == 2 and result["key_deleted"] is True
    assert key_rows(app) == 1

    found, tables = scan(store, ZOFIA)
    assert found == {}
    assert "privacy_subject_keys" in tables and len(tables) > 5
    # Hugo is untouched, and the stock his and her orders took is still reserved.
    hugo = app.privacy.access(HUGO["email"], None)["orders"][0]["personal_data"]
    assert hugo["customer"]["name"] == HUGO["name"]
    for o in outcomes:
        assert app.orders.get_order(o.order_id).status == "allocated"


def test_another_process_stops_reading_an_erased_person(app, store, monkeypatch):
    monkeypatch.setattr(keys_module, "ERASURE_CHECK_S", 0.0)
    (outcome,), _ = app.orders.intake_batch([item(ZOFIA, "P-1")])
    other = build_app(store)  # another process on the same database
    try:
        order = other.orders.get_order(outcome.order_id)
        assert other.orders.personal.customer(order.canonical)["email"] == ZOFIA["email"]
        app.privacy.erase(ZOFIA["email"], None, "dpo", "request")
        customer = other.orders.personal.customer(order.canonical)
        assert customer["email"] is None and customer["name"].startswith("erased-subject-")
    finally:
        other.close()
