"""Order intake through the lean dispatcher (api/fast_intake.py) answers exactly as the documented
FastAPI route does, for every outcome a connector can meet, and really bypasses FastAPI."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from adapters.reference.seed import seed_reference
from api.app import build_services, create_app
from api.auth import KeyStore
from api.routes_orders import MAX_JSON_BYTES
from tests.api_keys import bearer_keys

FIX = Path(__file__).parent.parent / "fixtures"
VOLATILE = {"received_at", "updated_at", "notification_id"}


def _keys() -> tuple[dict[str, dict[str, str]], list[dict]]:
    return bearer_keys(
        [
            ("amazon", "connector", "amazon"),
            ("web", "connector", "web"),
            ("admin", "admin", None),
            ("finance", "finance", None),
        ]
    )


def _conversation(client: TestClient, keys: dict[str, dict[str, str]]) -> list[Any]:
    """Every kind of answer intake gives, in an order where each step depends on the last."""
    amazon = json.loads((FIX / "amazon_order.json").read_text())
    web = json.loads((FIX / "web_order.json").read_text())
    url = "/v1/channels/{}/orders".format
    unknown_sku = copy.deepcopy(amazon)
    unknown_sku["OrderItems"][0]["SellerSKU"] = "SKU-DOES-NOT-EXIST"
    zero = copy.deepcopy(amazon)
    zero["OrderItems"][0]["QuantityOrdered"] = 0
    changed = copy.deepcopy(amazon)
    changed["OrderItems"][0]["QuantityOrdered"] += 1
    stranger = copy.deepcopy(amazon)  # another buyer under the same order id
    stranger["Order"]["BuyerInfo"] = {"BuyerEmail": "bo@example.org", "BuyerName": "Bo Other"}
    as_json = {"Content-Type": "application/json"}
    steps: list[tuple[str, dict[str, Any]]] = [
        (url("amazon"), {"json": amazon}),  # no key
        (url("amazon"), {"json": amazon, "headers": {"Authorization": "Bearer nope"}}),
        (url("amazon"), {"json": amazon, "headers": {"Authorization": "Basic abc"}}),
        (url("amazon"), {"json": amazon, "headers": {"Authorization": "Bearer"}}),
        (url("amazon"), {"json": amazon, "headers": keys["finance"]}),  # role
        (url("web"), {"json": web, "headers": keys["amazon"]}),  # another channel
        (url("amazon"), {"content": b"{not json", "headers": {**keys["amazon"], **as_json}}),
        (
            url("amazon"),
            {"content": b" " * (MAX_JSON_BYTES + 1), "headers": {**keys["amazon"], **as_json}},
        ),
        (url("amazon"), {"json": unknown_sku, "headers": keys["amazon"]}),
        (url("amazon"), {"json": zero, "headers": keys["amazon"]}),
        (url("amazon"), {"json": amazon, "headers": keys["amazon"]}),  # 201
        (url("amazon"), {"json": amazon, "headers": keys["amazon"]}),  # 200, the same order
        (url("amazon"), {"json": changed, "headers": keys["amazon"]}),  # 200, an update
        (url("amazon"), {"json": stranger, "headers": keys["amazon"]}),  # 409
        (url("web"), {"json": web, "headers": keys["admin"]}),  # admin may push any channel
        (url("dealer"), {"json": web, "headers": keys["admin"]}),  # not a JSON channel: 422
    ]
    answers = []
    for path, kwargs in steps:
        r = client.post(path, **kwargs)
        body = r.json()
        if isinstance(body.get("order"), dict):
            body = {k: v for k, v in body.items() if k not in VOLATILE}
            body["order"] = {k: v for k, v in body["order"].items() if k not in VOLATILE}
            for entry in body["order"].get("channel_updates", []):
                entry.pop("received_at")
        headers = {h: r.headers.get(h) for h in ("content-type", "location", "www-authenticate")}
        answers.append((path, r.status_code, headers, body))
    return answers


def _serve(tmp_path: Path, name: str, fast: bool, keys: list[dict]) -> TestClient:
    store = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(tmp_path / name)}
    svc = build_services(store, KeyStore(keys))
    seed_reference(svc.app)
    for wh, sku, qty in [("LAX", "SKU-TEA-001", 50), ("LAX", "SKU-PHONE-CASE", 50)]:
        svc.app.warehouse.receive_stock(wh, sku, qty, "opening")
    return TestClient(create_app(svc, fast_intake=fast))


def _same_subjects(answer: Any) -> Any:
    """An answer with the risk rule's customer pseudonym blanked: each store draws its own data
    subjects' pseudonyms, so the two servers name the same buyer differently (all else equal)."""
    path, status, headers, body = answer
    order = body.get("order") if isinstance(body, dict) else None
    for rule in ((order or {}).get("review") or {}).get("rules", []):
        if rule["rule"] == "risk" and "customer" in rule["inputs"]:
            rule["inputs"]["customer"] = "<pseudonym>"
    return path, status, headers, body


def test_the_lean_path_answers_exactly_as_the_fastapi_route(tmp_path, monkeypatch):
    keys, entries = _keys()
    reached_fastapi: list[tuple[str, str]] = []
    original = FastAPI.__call__

    async def spy(self, scope, receive, send):  # type: ignore[no-untyped-def]
        if scope["type"] == "http":
            reached_fastapi.append((scope["method"], scope["path"]))
        await original(self, scope, receive, send)

    monkeypatch.setattr(FastAPI, "__call__", spy)
    with _serve(tmp_path, "fast.db", True, entries) as fast:
        lean = _conversation(fast, keys)
    through_fastapi = list(reached_fastapi)
    reached_fastapi.clear()
    with _serve(tmp_path, "route.db", False, entries) as slow:
        documented = _conversation(slow, keys)

    statuses = [status for _, status, _, _ in documented]
    assert statuses == [
        *(401, 401, 401, 401, 403, 404, 422, 413, 422, 422),
        *(201, 200, 200, 409, 201, 422),
    ]
    for a, b in zip(lean, documented, strict=True):
        assert _same_subjects(a) == _same_subjects(b)
    # The lean path really took the JSON channels' pushes; only the dealer path (not one of
    # them) went through FastAPI, where the route's channel check answers 422.
    assert through_fastapi == [("POST", "/v1/channels/dealer/orders")]
    # On the documented path too, the access policy (api/access.py) answers a refused key, role
    # or channel before FastAPI routes the request; everything admitted reaches the route.
    admitted = [s for s in statuses if s not in (401, 403, 404)]
    assert len(reached_fastapi) == len(admitted)


def test_the_lean_path_stores_nothing_for_rejected_pushes(tmp_path):
    keys, entries = _keys()
    with _serve(tmp_path, "fast.db", True, entries) as client:
        amazon = json.loads((FIX / "amazon_order.json").read_text())
        amazon["OrderItems"][0]["SellerSKU"] = "SKU-DOES-NOT-EXIST"
        r = client.post("/v1/channels/amazon/orders", json=amazon, headers=keys["amazon"])
        assert r.status_code == 422
        assert r.json()["detail"][0]["source"] == "OrderItems[0].SellerSKU"
        listed = client.get("/v1/orders", headers=keys["admin"]).json()
        assert listed["total"] == 0


@pytest.mark.parametrize("fast", [True, False])
def test_openapi_still_documents_the_intake_route(tmp_path, fast):
    _, entries = _keys()
    with _serve(tmp_path, "docs.db", fast, entries) as client:
        spec = client.get("/openapi.json").json()
        post = spec["paths"]["/v1/channels/{channel}/orders"]["post"]
        assert set(post["responses"]) >= {"200", "201", "409", "422"}
