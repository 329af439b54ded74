"""Who may call what, route by route, as a caller meets it. Every route of the application (taken
from `app.routes`, so a route added without a policy in api/access.py fails here) is called with
no key, with a key of every role, and with a key bound to another channel, warehouse or carrier:
401, 403 and 404 (the same answer as for an object that does not exist), always before the body
is read. README.md's "Who may call what" is the table rendered from the same declarations."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from api.access import (
    DEALER_CHANNEL,
    POLICIES,
    AccessTable,
    Policy,
    check_policy,
    declared_routes,
    matrix_in,
    policy_of,
    render_matrix,
)
from api.app import create_app
from api.auth import ROLES, SCOPED
from tests.api_keys import bearer_keys
from tests.e2e.test_customs_http import ship_from_fra
from tests.e2e.test_warehouse_http import floor, order, receipt  # noqa: F401 - fixture

README = Path(__file__).parents[2] / "README.md"
NOT_JSON = b"{this is not json"


def _add_keys(c: Any, *keys: tuple[str, str, str | None]) -> None:
    headers, entries = bearer_keys(list(keys))
    c.keys.update(headers)
    c.svc.keys.add(entries)


def _return_to_fra(c: Any, order_id: str) -> str:
    """A web order's return on its way to FRA (recorded directly: the access test needs its
    owners, not its journey)."""
    from domains.returns.model import Return

    r = Return("ACC-R1", order_id, 1, "web", "operator", "",
               [{"sku": "SKU-BIKE-LIGHT", "quantity": 1, "reason": "other"}], "seller", "admin",
               {"warehouse_id": "FRA", "destination": "GB"})  # fmt: skip
    r.buy_label({"warehouse_id": "FRA", "quote": None})
    c.svc.app.store.commit(r)
    return "ACC-R1"


@pytest.fixture
def world(floor):  # noqa: F811
    """A GB-bound web order shipped from FRA (declared, carrier chosen and labelled) and an
    open FRA pick list; keys of every role, of that channel, warehouse and carrier and of
    others."""
    c = floor
    sid, packed = ship_from_fra(c, "ACC-1", "SKU-BIKE-LIGHT", 2, "16.00", "GB", "SW1A 1AA")
    chosen = c.post(f"/v1/shipments/{sid}/carrier", json={}, headers=c.keys["fra"])
    assert chosen.status_code == 200, chosen.text
    events = c.get(f"/v1/orders/{sid[:-3]}/events", headers=c.keys["admin"]).json()["events"]
    carrier = [e for e in events if e["type"] == "CarrierSelected"][-1]["data"]["decision"][
        "choice"
    ]["carrier"]
    label = c.post(f"/v1/shipments/{sid}/label", json={}, headers=c.keys["fra"])
    assert label.status_code == 201, label.text
    receipt(c, "fra", "R-ACC-2", "SKU-PHONE-CASE", 20, "L1", "A-03-04-2")
    order(c, "ACC-2", [("SKU-PHONE-CASE", 1)], country="DE", postcode="10115")
    c.post("/v1/warehouses/FRA/waves", json={}, headers=c.keys["fra"])
    task = c.get("/v1/handheld/tasks/next", headers={**c.keys["fra"], "X-Picker-Id": "zed"})
    assert task.status_code == 200, task.text
    c.svc.app.inbound.book(  # an inbound shipment to FRA
        "ACC-IN-1", "FRA", {"kind": "supplier", "name": "S", "country": "CN"}, "sea", "Maersk",
        "CSQU3054383", date(2026, 12, 20),
        [{"where": "r", "carton_no": "1", "sku": "SKU-PHONE-CASE", "quantity": 5}],
        "value", "USD", "admin",
    )  # fmt: skip
    _add_keys(
        c,
        ("amazon", "connector", "amazon"),
        ("dealer", "connector", "dealer"),
        ("hook", "carrier", carrier),
        ("other-hook", "carrier", "nobody-express"),
        ("privacy", "privacy", None),
    )
    c.samples = {
        "channel": "web",
        "order_id": sid[:-3],
        "shipment_id": sid,
        "declaration_id": packed["declaration_id"],
        "task_id": task.json()["id"],
        "warehouse_id": "FRA",
        "carrier": carrier,
        "code": "FRA",
        "sku": "SKU-BIKE-LIGHT",
        "kind": "declaration.json",
        "bill_id": str(uuid4()),
        "number": "1",
        "fmt": "csv",
        "inbound_id": "ACC-IN-1",
        "subscription_id": "sub_0000000000000000",
        "message_id": "00000000-0000-0000-0000-000000000000",
        "dealer_id": "DLR-EU-01",
        "profile_id": "erp-export",
        "payment_id": "line-0",
        "token": "0" * 32,  # no parcel has it: test_tracking_page_http.py opens real ones
        "return_id": _return_to_fra(c, sid[:-3]),
        "claim_id": f"{sid}-lost",
        "update_no": "1",
    }
    # The tenants the objects above belong to, and keys of each role: one of the object's
    # tenant (own) and one of another (other).
    c.own = {"connector": "web", "warehouse": "fra", "carrier": "hook"}
    c.other = {"connector": "amazon", "warehouse": "ann", "carrier": "other-hook"}
    c.unscoped = {
        "customs": "customs",
        "finance": "finance",
        "admin": "admin",
        "privacy": "privacy",
    }
    return c


def _url(path: str, samples: dict[str, str]) -> str:
    url = path
    for name in [p.split("}")[0] for p in path.split("{")[1:]]:
        assert name in samples, f"test_access.py: add a sample value for {{{name}}} ({path})"
        url = url.replace("{" + name + "}", samples[name])
    return url


def _call(c: TestClient, method: str, url: str, headers: dict[str, str], body: bytes) -> Any:
    return c.request(
        method, url, content=body, headers={**headers, "Content-Type": "application/json"}
    )


def test_every_route_declares_who_may_call_it(world):
    undeclared = [
        f"{m} {p}" for m, p in declared_routes(world.app.routes) if policy_of(m, p) is None
    ]
    assert undeclared == [], "declare these routes' access in api/access.py POLICIES"
    stale = set(POLICIES) - {f"{m} {p}" for m, p in declared_routes(world.app.routes)}
    assert stale == set(), "POLICIES names routes the application does not have"


def test_every_route_answers_every_role_and_tenant_as_declared(world):
    c = world
    answers = []
    for method, path in declared_routes(c.app.routes):
        policy = policy_of(method, path)
        assert policy is not None
        url = _url(path, c.samples)
        if policy.page:  # a page: by session, not key (tests/e2e/test_pages_http.py)
            r = c.request(method, url, follow_redirects=False)
            if not policy.public:  # not signed in: to the sign-in page, nothing done
                assert r.status_code == 303, (method, path, r.status_code)
                assert r.headers["location"].startswith("/pages/sign-in"), (method, path)
            assert r.status_code not in (401, 500), (method, path, r.status_code)
            continue
        if policy.public:  # no key asked for: a tracking link that leads nowhere is a 404
            r = c.request(method, url)
            expected = 404 if "{token}" in path else 200
            assert r.status_code == expected, (method, path, r.status_code)
            continue
        # No key, and a key of each role not allowed: refused before the body is read.
        r = _call(c, method, url, {}, NOT_JSON)
        assert r.status_code == 401, (method, path, r.status_code, r.text)
        assert r.headers["WWW-Authenticate"] == "Bearer"
        for role in ROLES:
            names = [c.own[role], c.other[role]] if role in SCOPED else [c.unscoped[role]]
            if role not in policy.roles:
                for name in names:
                    r = _call(c, method, url, c.keys[name], NOT_JSON)
                    assert r.status_code == 403, (method, path, name, r.status_code, r.text)
                    assert role in r.json()["detail"]
                continue
            if role in SCOPED and policy.owner is not None:
                # Another tenant's object is not there for this key; the body is never read.
                r = _call(c, method, url, c.keys[c.other[role]], NOT_JSON)
                assert r.status_code == 404, (method, path, role, r.status_code, r.text)
                refused = r.json()
                assert refused["error"] == "not_found", refused
                own = c.own[role]
                if policy.owner is DEALER_CHANNEL:  # the dealer channel's own routes
                    own = "dealer"
                r = _call(c, method, url, c.keys[own], b'{"__probe__": "x"}')
                assert r.status_code not in (401, 403), (method, path, role, r.text)
                assert not (r.status_code == 404 and r.json() == refused), (method, path, role)
                answers.append((method, path, role, r.status_code))
                continue
            for name in names:
                r = _call(c, method, url, c.keys[name], b'{"__probe__": "x"}')
                assert r.status_code not in (401, 403), (method, path, name, r.text)
                answers.append((method, path, role, r.status_code))
    assert len(answers) > len(POLICIES)  # every route was reached by someone


def test_another_carrier_cannot_set_clearance_and_the_carrier_of_the_shipment_can(world):
    c = world
    url = f"/v1/customs/declarations/{c.samples['declaration_id']}/clearance"
    body = {"status": "held", "reason": "x-ray"}
    other = c.post(url, json=body, headers=c.keys["other-hook"])
    assert other.status_code == 404
    # A carrier key for a declaration that does not exist gets the very same answer's shape.
    missing = c.post(
        f"/v1/customs/declarations/{uuid4()}/clearance", json=body, headers=c.keys["hook"]
    )
    assert missing.status_code == 404 and missing.json()["error"] == other.json()["error"]
    decl = c.get(url.rsplit("/", 1)[0], headers=c.keys["customs"]).json()
    assert decl["clearance"] == [] or all(
        e.get("source") != "other-hook" for e in decl["clearance"]
    )
    own = c.post(url, json=body, headers=c.keys["hook"])
    assert own.status_code == 200, own.text
    assert own.json()["clearance_status"] == "held"


@pytest.mark.parametrize("kind", ["declaration.json", "commercial-invoice.pdf", "packing-list.pdf"])
def test_a_warehouse_reads_only_its_own_shipments_customs_documents(world, kind):
    c = world
    url = f"/v1/customs/declarations/{c.samples['declaration_id']}/documents/{kind}"
    assert c.get(url, headers=c.keys["ann"]).status_code == 404  # LAX: not its shipment
    assert c.get(f"/v1/orders/{c.samples['order_id']}", headers=c.keys["ann"]).status_code == 404
    mine = c.get(url, headers=c.keys["fra"])
    assert mine.status_code == 200 and len(mine.content) > 100


def test_the_global_sla_check_is_for_admins_only(world):
    c = world
    for name in ("fra", "ann", "customs", "finance", "web"):
        r = c.post("/v1/exceptions/check", headers=c.keys[name])
        assert r.status_code == 403 and "needs one of admin" in r.json()["detail"]
    assert c.post("/v1/exceptions/check", headers=c.keys["admin"]).status_code == 200


def test_another_tenants_object_is_404_even_with_a_bad_body(world):
    c = world
    waves = c.post("/v1/warehouses/FRA/waves", json={"max_lines": "many"}, headers=c.keys["ann"])
    assert waves.status_code == 404
    mine = c.post("/v1/warehouses/FRA/waves", json={"max_lines": "many"}, headers=c.keys["fra"])
    assert mine.status_code == 422 and mine.json()["detail"][0]["loc"] == "max_lines"
    pack = c.post(
        f"/v1/handheld/shipments/{c.samples['shipment_id']}/pack",
        json={"parcels": 1},
        headers=c.keys["ann"],
    )
    assert pack.status_code == 404


def test_a_route_without_a_declared_policy_cannot_be_called(world):
    api = create_app(world.svc)

    @api.get("/v1/undeclared")
    async def undeclared() -> dict[str, str]:
        return {"secret": "yes"}

    missing = [f"{m} {p}" for m, p in declared_routes(api.routes) if policy_of(m, p) is None]
    assert missing == ["GET /v1/undeclared"]
    with TestClient(api) as c:
        r = c.get("/v1/undeclared", headers=world.keys["admin"])
        assert r.status_code == 403 and "secret" not in r.text
        assert "no access policy" in r.json()["detail"]


def test_readme_shows_the_matrix_rendered_from_the_declarations():
    table = render_matrix(create_app().routes)
    assert matrix_in(README.read_text()) == table, (
        "README.md's access matrix is stale: run `crossdock access-matrix --write`"
    )


def test_a_request_meets_the_policy_of_the_route_the_router_runs():
    table = AccessTable(create_app().routes)
    found = table.match("GET", "/v1/handheld/tasks/next")
    assert found == (POLICIES["GET /v1/handheld/tasks/next"], {})
    task = table.match("GET", "/v1/handheld/tasks/abc")
    assert task == (POLICIES["GET /v1/handheld/tasks/{task_id}"], {"task_id": "abc"})
    report = table.match("GET", "/v1/finance/carrier-bills/b1/report.csv")
    assert report is not None and report[1] == {"bill_id": "b1", "fmt": "csv"}
    assert table.match("HEAD", "/healthz") == (POLICIES["GET /healthz"], {})
    assert table.match("DELETE", "/v1/orders/x") is None  # no such route: the router's 405
    assert table.match("GET", "/v2/nothing") is None


def test_a_policy_letting_in_a_tenant_bound_role_must_say_how_it_is_confined():
    with pytest.raises(ValueError, match="allows warehouse: declare its owner"):
        check_policy("GET /v1/anything/{id}", Policy(("warehouse", "admin")))
    with pytest.raises(ValueError, match="unknown role 'root'"):
        check_policy("GET /v1/anything", Policy(("root",)))
    check_policy("GET /v1/anything", Policy(("admin", "privacy")))
