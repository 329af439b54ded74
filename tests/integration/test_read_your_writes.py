"""No valid order lost between workers (issue #14): reference data one worker acknowledged is
seen by every worker before it answers "unknown".

Two API workers on one store, as `uvicorn --workers 2` or `crossdock consume` beside the API
run them: each its own connections and its own caches. Their caches' periodic look at the log
is pushed out of reach (REFERENCE_TTL_S), so only the miss path (look at the log before
answering "unknown") can explain an answer; no test waits or times anything.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from adapters.reference.seed import seed_reference
from api.app import build_services, create_app
from api.auth import KeyStore, new_key
from tests.application.builders import packed_order
from tests.e2e.test_http import web

NEVER_S = 1e9  # no periodic look at the log during a test

PRODUCT = {
    "name": "Travel kettle 0.8 l",
    "unit_weight_g": 700,
    "dimensions_mm": [180, 140, 140],
    "hs_code": "8516.71",
    "origin_country": "CN",
    "unit_value": "14.00",
    "currency": "USD",
}

DEALER = {
    "name": "Bay Area Home Goods Inc",
    "credit_limit": "50000.00",
    "currency": "USD",
    "regions": ["US-CA"],
    "unpaid_balance": "0.00",
}

DEALER_CSV_HEAD = (
    "dealer_id,order_number,placed_at,currency,customer_name,customer_email,customer_phone,"
    "ship_name,ship_line1,ship_line2,ship_city,ship_region,ship_postcode,ship_country,sku,"
    "quantity,unit_price\n"
)

# A service on a lane no shipped card serves (China to Chile).
CHILE_CARD = (
    "card,carrier,andes_post\ncard,service,eco\ncard,name,Andes Post Eco\ncard,version,1\n"
    "card,effective_from,2020-01-01\ncard,currency,USD\ncard,divisor,5000\n"
    "zone,CN,CL,,Z1\nband,Z1,2,18.00\nband,Z1,10,42.00\ntransit,Z1,8,14\n"
)


class Worker:
    """One worker's HTTP client and the keys every worker shares."""

    def __init__(self, client: TestClient, keys: dict[str, dict[str, str]], svc: Any) -> None:
        self.client, self.keys, self.svc = client, keys, svc

    def put(self, path: str, key: str, json: Any) -> Any:
        return self.client.put(path, json=json, headers=self.keys[key])

    def post(self, path: str, key: str, csv: str | None = None, **kwargs: Any) -> Any:
        if csv is None:
            return self.client.post(path, headers=self.keys[key], **kwargs)
        headers = {**self.keys[key], "Content-Type": "text/csv"}
        return self.client.post(path, headers=headers, content=csv.encode())

    def web_order(self, external_id: str, sku: str) -> Any:
        return self.post("/v1/channels/web/orders", "web", json=web(external_id, [(sku, 1)]))

    def dealer_order(self, dealer: str, number: str, sku: str = "SKU-TEA-001") -> Any:
        row = (
            f"{dealer},{number},2026-11-20T09:00:00+00:00,USD,Bay Area,b@x.us,,Bay Area,"
            f"1 Market St,,San Francisco,CA,94105,US,{sku},2,4.00\n"
        )
        return self.post("/v1/channels/dealer/orders:csv", "dealer", csv=DEALER_CSV_HEAD + row)

    def quote(self, origin: str, destination: str) -> Any:
        return self.post(
            "/v1/rates/quote",
            "web",
            json={
                "origin": {"country": origin},
                "destination": {"country": destination},
                "parcels": [{"weight_g": 1500}],
            },
        )


@pytest.fixture
def two_workers(store) -> Iterator[tuple[Worker, Worker]]:
    """Two API workers on one store (SQLite file and PostgreSQL), the first seeded, both
    with their caches of reference data, rate cards and customs rules loaded."""
    keys, entries = {}, []
    for name, role, scope in [
        ("admin", "admin", None),
        ("web", "connector", "web"),
        ("dealer", "connector", "dealer"),
        ("customs", "customs", None),
    ]:
        key, entry = new_key(name, role, scope)
        keys[name] = {"Authorization": f"Bearer {key}"}
        entries.append(entry)
    first = build_services(store, KeyStore(entries))
    seed_reference(first.app)
    first.app.warehouse.receive_stock("LAX", "SKU-TEA-001", 500, "opening")
    second = build_services(store, KeyStore(entries))
    services = (first, second)
    for svc in services:
        svc.app.store.REFERENCE_TTL_S = NEVER_S
        # what a serving process holds once it answered its first requests
        svc.app.reference.current(), svc.app.rates.rate_cards(), svc.app.customs.tariffs
    with TestClient(create_app(first)) as a, TestClient(create_app(second)) as b:
        yield Worker(a, keys, first), Worker(b, keys, second)


def refusals(responses: list[Any]) -> list[str]:
    return [r.text for r in responses if r.status_code >= 400]


def test_orders_for_a_product_created_a_moment_ago_are_taken_by_every_worker(two_workers):
    a, b = two_workers
    assert b.web_order("RYW-0", "SKU-TEA-001").status_code == 201  # b is serving, cache warm
    created = a.put("/v1/admin/products/SKU-RYW-KETTLE", "admin", PRODUCT)
    assert created.status_code == 200 and created.json()["changed"]
    # At once, through both, the other worker first.
    pushed = [(b if i % 2 else a).web_order(f"RYW-{i}", "SKU-RYW-KETTLE") for i in range(1, 9)]
    assert refusals(pushed) == []
    assert [r.status_code for r in pushed] == [201] * 8
    # Both workers list it, and a SKU nobody registered is still refused by both.
    for worker in (a, b):
        listed = worker.client.get("/v1/reference", headers=worker.keys["admin"]).json()
        assert "SKU-RYW-KETTLE" in {p["sku"] for p in listed["products"]}
        unknown = worker.web_order("RYW-X", "SKU-NOBODY-MADE")
        assert unknown.status_code == 422 and "unknown SKU" in unknown.text


def test_a_dealers_orders_right_after_its_registration_are_taken_by_every_worker(two_workers):
    a, b = two_workers
    assert b.dealer_order("DLR-US-01", "PO-WARM").status_code == 201  # b holds the dealers
    registered = a.put("/v1/admin/dealers/DLR-US-NEW", "admin", DEALER)
    assert registered.status_code == 200 and registered.json()["changed"]
    pushed = [b.dealer_order("DLR-US-NEW", "PO-1"), a.dealer_order("DLR-US-NEW", "PO-2")]
    assert refusals(pushed) == []
    statuses = [o["status"] for r in pushed for o in r.json()["orders"]]
    assert statuses == ["allocated", "allocated"]  # credit checked against the new dealer
    unknown = b.dealer_order("DLR-NOBODY", "PO-3")
    assert unknown.status_code == 422 and "unknown dealer" in unknown.text


def test_an_order_right_after_its_goods_are_prohibited_is_held_by_every_worker(two_workers):
    """A decision on reference data, not a refusal: the batch reads what another worker
    published before it began (the one log read it makes anyway)."""
    a, b = two_workers
    assert b.web_order("PG-0", "SKU-TEA-001").json()["order"]["status"] == "allocated"
    hs = a.svc.app.reference.product("SKU-TEA-001").hs_code
    ban = {"hs_prefix": hs.replace(".", "")[:4], "category": "tea", "reason": "test ban"}
    published = a.put(
        "/v1/admin/prohibited-goods", "admin", {"source": "test", "rules": {"US": [ban]}}
    )
    assert published.status_code == 200 and published.json()["changed"], published.text
    for worker, external_id in ((b, "PG-1"), (a, "PG-2")):
        order = worker.web_order(external_id, "SKU-TEA-001").json()["order"]
        assert order["status"] == "held"
        assert [h["code"] for h in order["hold_reasons"]] == ["prohibited_goods"]


def test_a_lane_quote_right_after_a_card_is_published_uses_it_on_every_worker(two_workers):
    a, b = two_workers
    before = b.quote("CN", "CL")  # b holds the shipped cards: none serves the lane
    assert before.status_code == 200 and before.json()["rates"] == []
    published = a.post("/v1/admin/rate-cards", "admin", csv=CHILE_CARD)
    assert published.status_code == 201, published.text
    for worker in (b, a):
        rates = worker.quote("CN", "CL").json()["rates"]
        assert [(r["carrier"], r["service"]) for r in rates] == [("andes_post", "eco")]
    for worker in (b, a):
        cards = worker.client.get("/v1/rate-cards", headers=worker.keys["admin"]).json()
        assert "andes_post" in {c["carrier"] for c in cards["cards"]}


def test_an_order_on_a_lane_a_card_opened_a_moment_ago_is_not_held_for_no_carrier(two_workers):
    a, b = two_workers
    a.svc.app.warehouse.receive_stock("SZX", "SKU-PHONE-CASE", 20, "opening")

    def to_chile(worker: Worker, external_id: str) -> dict[str, Any]:
        order = web(external_id, [("SKU-PHONE-CASE", 1)], "CL", "8320000")
        pushed = worker.post("/v1/channels/web/orders", "web", json=order)
        assert pushed.status_code == 201, pushed.text
        return pushed.json()["order"]  # type: ignore[no-any-return]

    held = to_chile(b, "CL-0")  # b has priced the lane on the shipped cards: no carrier
    assert held["status"] == "held"
    assert [h["code"] for h in held["hold_reasons"]] == ["no_carrier_for_lane"]
    assert a.post("/v1/admin/rate-cards", "admin", csv=CHILE_CARD).status_code == 201
    for worker, external_id in ((b, "CL-1"), (a, "CL-2")):
        taken = to_chile(worker, external_id)
        assert taken["status"] == "allocated" and taken["hold_reasons"] == []


def test_a_landed_cost_quote_right_after_rules_for_a_market_are_published(two_workers):
    a, b = two_workers

    def landed_to_nz(worker: Worker) -> Any:
        goods = [{"sku": "SKU-PHONE-CASE", "value": "40.00", "currency": "USD", "quantity": 2}]
        body = {"goods": goods, "destination": "NZ", "warehouse_id": "SZX", "currency": "NZD"}
        return worker.post("/v1/quotes/landed-cost", "admin", json=body)

    refused = landed_to_nz(b)  # b holds the shipped rules: none for NZ
    assert refused.status_code == 422 and "no customs rules for NZ" in refused.text
    markets = json.loads(a.svc.app.customs.shipped_files["markets.json"])
    markets["markets"]["NZ"] = markets["markets"]["AU"]  # the test's NZ: AU's rules
    published = a.put(
        "/v1/admin/customs-rules",
        "admin",
        {"files": {"markets.json": markets}, "note": "NZ goods and services tax"},
    )
    assert published.status_code == 200 and published.json()["changed"], published.text
    for worker in (b, a):
        quoted = landed_to_nz(worker)
        assert quoted.status_code == 200, quoted.text
        assert quoted.json()["currency"] == "NZD"


def test_a_shipment_packed_right_after_a_ban_is_declared_on_the_new_rules(two_workers):
    """A decision recorded on customs rules (the declaration drafted at packing) is made on
    the rules another worker published a moment ago: the banned good is flagged."""
    a, b = two_workers
    packer = b.svc.app
    _, first = packed_order(packer, "SZX", "SKU-PHONE-CASE", 2, "7.50", external_id="CB-1")
    before = packer.customs.get_declaration(UUID(first["declaration_id"]))
    assert before.status == "approved" and before.flags == []
    restricted = json.loads(a.svc.app.customs.shipped_files["restricted_goods.json"])
    ban = {"hs_prefix": "3926", "category": "plastics", "reason": "test ban", "level": "prohibited"}
    restricted["rules"]["US"] = [*restricted["rules"].get("US", []), ban]
    published = a.put(
        "/v1/admin/customs-rules",
        "customs",
        {"files": {"restricted_goods.json": restricted}, "note": "ban plastics to the US"},
    )
    assert published.status_code == 200 and published.json()["changed"], published.text
    _, second = packed_order(packer, "SZX", "SKU-PHONE-CASE", 2, "7.50", external_id="CB-2")
    after = packer.customs.get_declaration(UUID(second["declaration_id"]))
    assert after.status == "pending_review"
    assert [f["code"] for f in after.flags] == ["prohibited"]
    assert after.versions["tariff"] == published.json()["version"]


def test_a_known_sku_costs_no_look_at_the_log(two_workers, monkeypatch):
    """The fast path stays fast: with the reference data cached, orders for known SKUs and
    dealers read nothing from the log for it (batched intake runs thousands a second)."""
    _, b = two_workers
    assert b.web_order("FAST-0", "SKU-TEA-001").status_code == 201  # b is serving
    looks: list[str] = []
    store = b.svc.app.store
    for name in ("max_notification_id", "changed_since"):
        original = getattr(store, name)
        monkeypatch.setattr(
            store, name, lambda *args, _n=name, _f=original: looks.append(_n) or _f(*args)
        )
    pushed = [b.web_order(f"FAST-{i}", "SKU-TEA-001") for i in range(5)]
    pushed.append(b.dealer_order("DLR-US-01", "PO-FAST"))
    assert refusals(pushed) == []
    assert looks == []
