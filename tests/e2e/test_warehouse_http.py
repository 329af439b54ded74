"""The warehouse floor over HTTP: receiving, FEFO, waves and routes, scans, shorts, packing,
expiry colours and replenishment, on a clock the test sets."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient

from adapters.reference.seed import seed_reference
from api.app import build_services, create_app
from api.auth import KeyStore, new_key
from domains.warehouse.model import Inventory

TODAY = date(2026, 11, 20)


class Clock:
    def __init__(self) -> None:
        self.at = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at


@pytest.fixture
def floor(sqlite_store):
    keys, entries = {}, []
    for name, role, scope in [
        ("admin", "admin", None),
        ("web", "connector", "web"),
        ("ann", "warehouse", "LAX"),
        ("bob", "warehouse", "LAX"),
        ("fra", "warehouse", "FRA"),
        ("customs", "customs", None),
        ("finance", "finance", None),
    ]:
        key, entry = new_key(name, role, scope)
        keys[name] = {"Authorization": f"Bearer {key}"}
        entries.append(entry)
    clock = Clock()
    svc = build_services(sqlite_store, KeyStore(entries), clock)
    seed_reference(svc.app)
    with TestClient(create_app(svc)) as c:
        c.keys, c.clock, c.svc = keys, clock, svc
        yield c


def receipt(c, who, rid, sku, qty, lot, bin_code, expiry=None):
    body = {"receipt_id": rid, "sku": sku, "quantity": qty, "lot": lot, "bin": bin_code}
    if expiry:
        body["expiry"] = expiry.isoformat()
    return c.post("/v1/handheld/receipts", json=body, headers=c.keys[who])


def order(c, ext, lines, country="US", postcode="90001"):
    body = {
        "external_id": ext,
        "placed_at": "2026-11-20T08:00:00Z",
        "currency": "USD",
        "customer": {"name": "A B"},
        "ship_to": {
            "name": "A B",
            "line1": "1 St",
            "city": "LA",
            "region": "CA",
            "postcode": postcode,
            "country": country,
        },
        "lines": [{"sku": s, "quantity": q, "unit_price": "10.00"} for s, q in lines],
    }
    r = c.post("/v1/channels/web/orders", json=body, headers=c.keys["web"])
    assert r.status_code == 201, r.text
    return r.json()["order"]


def test_receiving_validates_bin_expiry_and_is_idempotent(floor):
    c = floor
    bad_bin = receipt(c, "ann", "R1", "SKU-PHONE-CASE", 5, "L1", "A-14-01-1")
    assert (
        bad_bin.status_code == 422
        and "aisle 14 is beyond the 10 aisles" in bad_bin.json()["detail"][0]["msg"]
    )
    assert receipt(c, "ann", "R1", "SKU-PHONE-CASE", 5, "L1", "A-1-x-1").status_code == 422
    no_expiry = receipt(c, "ann", "R2", "SKU-TEA-001", 5, "T1", "A-01-01-1")
    assert no_expiry.status_code == 422 and no_expiry.json()["detail"][0]["loc"] == "expiry"
    expired = receipt(c, "ann", "R3", "SKU-TEA-001", 5, "T1", "A-01-01-1", TODAY)
    assert expired.status_code == 422 and "expired" in expired.json()["detail"][0]["msg"]
    ok = receipt(c, "ann", "R4", "SKU-PHONE-CASE", 5, "L1", "A-1-2-1")
    assert ok.status_code == 201 and ok.json()["bin"] == "A-01-02-1" and ok.json()["applied"]
    again = receipt(c, "ann", "R4", "SKU-PHONE-CASE", 5, "L1", "A-1-2-1")
    assert again.json()["applied"] is False and again.json()["on_hand"] == 5
    # An admin must say which warehouse; a FRA key cannot touch LAX.
    assert receipt(c, "admin", "R5", "SKU-PHONE-CASE", 5, "L1", "A-01-02-1").status_code == 422
    assert receipt(c, "customs", "R5", "SKU-PHONE-CASE", 5, "L1", "A-01-02-1").status_code == 403
    put = c.get(
        "/v1/handheld/putaway",
        params={"sku": "SKU-PHONE-CASE", "quantity": 3, "lot": "L1"},
        headers=c.keys["ann"],
    ).json()
    assert put["suggestion"]["bin"] == "A-01-02-1"  # the same lot is kept together
    count = c.post(
        "/v1/handheld/counts",
        headers=c.keys["ann"],
        json={
            "count_id": "C1",
            "bin": "A-01-02-1",
            "sku": "SKU-PHONE-CASE",
            "lot": "L1",
            "counted": 4,
            "reason": "cycle count",
        },
    ).json()
    assert count["difference"] == -1 and count["sku_on_hand"] == 4
    stock = c.get("/v1/stock?sku=SKU-PHONE-CASE", headers=c.keys["ann"]).json()["items"]
    assert stock[0]["on_hand"] == 4


def test_fefo_skips_expired_and_short_shelf_life_lots(floor):
    c = floor
    c.put(
        "/v1/admin/products/SKU-TEA-001",
        headers=c.keys["admin"],
        json={
            "name": "Oolong tea 250 g tin",
            "unit_weight_g": 300,
            "dimensions_mm": [90, 90, 120],
            "hs_code": "0902.30",
            "origin_country": "CN",
            "unit_value": "12.50",
            "currency": "USD",
            "perishable": True,
            "min_shelf_life_days": 30,
        },
    )
    receipt(c, "ann", "R1", "SKU-TEA-001", 5, "SOON", "A-01-01-1", TODAY + timedelta(days=20))
    receipt(c, "ann", "R2", "SKU-TEA-001", 5, "LATER", "A-05-10-1", TODAY + timedelta(days=200))
    receipt(c, "ann", "R3", "SKU-TEA-001", 5, "EARLY", "A-09-20-1", TODAY + timedelta(days=60))
    o = order(c, "F1", [("SKU-TEA-001", 7)])
    events = c.get(f"/v1/orders/{o['id']}", headers=c.keys["admin"]).json()
    assert events["status"] == "allocated"
    inv = c.svc.app.repository.get(
        __import__("domains.warehouse.model", fromlist=["x"]).Inventory.create_id(
            "LAX", "SKU-TEA-001"
        )
    )
    (alloc,) = inv.allocations.values()
    # FEFO: the lot inside the 30-day minimum shelf life is skipped; earliest eligible first.
    assert [(a["lot"], a["quantity"]) for a in alloc] == [("EARLY", 5), ("LATER", 2)]
    stock_rule = next(r for r in events["review"]["rules"] if r["rule"] == "stock")
    assert stock_rule["inputs"]["lines"][0]["available"] == 10
    c.clock.at += timedelta(days=200)  # LATER now expired too: nothing sellable is left
    held = order(c, "F2", [("SKU-TEA-001", 1)])
    assert held["status"] == "held" and held["hold_reasons"][0]["code"] == "insufficient_stock"


def stock_lax(c):
    receipt(c, "ann", "R1", "SKU-PHONE-CASE", 30, "P1", "A-02-05-1")
    receipt(c, "ann", "R2", "SKU-CHARGER-65W", 30, "C1", "A-07-25-1")
    receipt(c, "ann", "R3", "SKU-EARBUDS-TWS", 2, "E1", "A-04-15-2")
    receipt(c, "ann", "R4", "SKU-EARBUDS-TWS", 10, "E2", "A-09-03-1")
    receipt(c, "ann", "R5", "SKU-LED-STRIP", 1, "L1", "A-03-03-1")
    receipt(c, "fra", "R6", "SKU-LED-STRIP", 10, "L9", "A-01-01-1")


# -- one wave over LAX, worked by two pickers ---------------------------------------------
# W1 (phone cases, a charger) and W3 (a phone case) pick cleanly. W2 wants two earbuds and an
# LED strip: the earbuds' first lot E1 turns out to hold one good unit (the other is damaged,
# and lot E2 has more), and LAX's only LED strip is missing (FRA has ten).


@pytest.fixture
def waved(floor):
    """LAX stocked, three web orders in, one wave released in carts of at most three lines."""
    c = floor
    stock_lax(c)
    w = SimpleNamespace(c=c)
    w.o1 = order(c, "W1", [("SKU-PHONE-CASE", 2), ("SKU-CHARGER-65W", 1)])
    w.o2 = order(c, "W2", [("SKU-EARBUDS-TWS", 2), ("SKU-LED-STRIP", 1)])
    w.o3 = order(c, "W3", [("SKU-PHONE-CASE", 1)])
    w.wave = c.post("/v1/warehouses/LAX/waves", json={"max_lines": 3}, headers=c.keys["ann"])
    assert w.wave.status_code == 201, w.wave.text
    w.lists = w.wave.json()["pick_lists"]
    return w


@pytest.fixture
def claimed(waved):
    """Ann, then Bob, take the next list; `task` is the one holding W2, `who` its picker."""
    w, c = waved, waved.c
    w.got = {who: c.get("/v1/handheld/tasks/next", headers=c.keys[who]).json() for who in PICKERS}
    w.who, w.task = next(
        (who, t) for who, t in w.got.items() if any(n["order_id"] == w.o2["id"] for n in t["next"])
    )
    w.other = next(who for who in PICKERS if who != w.who)
    return w


PICKERS = ("ann", "bob")


def scan_body(line, scan_id, **changes):
    body = {
        "scan_id": scan_id,
        "bin": line["bin"],
        "sku": line["sku"],
        "lot": line["lot"],
        "quantity": line["quantity"],
    }
    return {**body, **changes}


def task_now(w):
    return w.c.get(f"/v1/handheld/tasks/{w.task['id']}", headers=w.c.keys[w.who]).json()


@pytest.fixture
def picked(claimed):
    """W2's picker works through the list as the floor turns out: lot E1 of the earbuds yields
    one good unit (one damaged), the LED strip's bin is empty, everything else is scanned (and
    every scan sent twice, as a handheld retrying would). Each step's answers are kept."""
    w, c = claimed, claimed.c
    url = f"/v1/handheld/tasks/{w.task['id']}"
    w.scans, w.repeats, w.shorts = [], [], {}
    for step in range(20):
        t = task_now(w)
        if not t["next"]:
            break
        line = t["next"][0]
        if line["sku"] == "SKU-EARBUDS-TWS" and line["lot"] == "E1":
            w.shorts["damaged"] = c.post(
                f"{url}/shorts",
                headers=c.keys[w.who],
                json={
                    "scan_id": f"short-{step}",
                    "bin": line["bin"],
                    "sku": line["sku"],
                    "lot": "E1",
                    "found": 1,
                    "reason": "damaged",
                },
            )
            continue
        if line["sku"] == "SKU-LED-STRIP":
            w.shorts["bin_empty"] = c.post(
                f"{url}/shorts",
                headers=c.keys[w.who],
                json={
                    "scan_id": f"short-{step}",
                    "bin": line["bin"],
                    "sku": line["sku"],
                    "lot": line["lot"],
                    "found": 0,
                    "reason": "bin_empty",
                },
            )
            continue
        body = scan_body(line, f"scan-{step}")
        w.scans.append(c.post(f"{url}/scans", headers=c.keys[w.who], json=body))
        w.repeats.append(c.post(f"{url}/scans", headers=c.keys[w.who], json=body))
    w.done = task_now(w)
    w.sid = f"{w.o2['id']}-S1"
    return w


def pack(c, who, sid, weight_g, items, dimensions_mm=(100, 100, 50)):
    parcel = {"weight_g": weight_g, "dimensions_mm": list(dimensions_mm), "items": items}
    return c.post(
        f"/v1/handheld/shipments/{sid}/pack", headers=c.keys[who], json={"parcels": [parcel]}
    )


TWO_EARBUDS = [{"sku": "SKU-EARBUDS-TWS", "quantity": 2}]


def test_a_wave_puts_every_reserved_shipment_on_a_cart_with_a_route_no_longer_than_s_shape(
    waved,
):
    c = waved.c
    assert waved.wave.json()["shipments"] == 3 and len(waved.lists) == 2
    assert all(p["route_m"] <= p["s_shape_m"] for p in waved.lists)
    for o in (waved.o1, waved.o2, waved.o3):
        assert c.get(f"/v1/orders/{o['id']}", headers=c.keys["admin"]).json()["status"] == (
            "picking"
        )


def test_a_shipment_is_never_waved_twice(waved):
    c = waved.c
    again = c.post("/v1/warehouses/LAX/waves", json={}, headers=c.keys["ann"]).json()
    assert again["shipments"] == 0


def test_two_pickers_asking_at_once_get_different_lists(waved):
    c = waved.c
    with ThreadPoolExecutor(2) as pool:
        got = list(
            pool.map(
                lambda who: c.get("/v1/handheld/tasks/next", headers=c.keys[who]).json(),
                PICKERS,
            )
        )
    assert {g["id"] for g in got} == {p["id"] for p in waved.lists}
    assert got[0]["picker"] != got[1]["picker"]
    # Asking again gives a picker the list they already hold, not a new one.
    assert c.get("/v1/handheld/tasks/next", headers=c.keys["ann"]).json()["id"] == got[0]["id"]


def test_a_wrong_bin_scan_is_refused_with_the_bin_to_go_to(claimed):
    w = claimed
    first = w.task["next"][0]
    wrong = w.c.post(
        f"/v1/handheld/tasks/{w.task['id']}/scans",
        headers=w.c.keys[w.who],
        json=scan_body(first, "s1", bin="A-10-30-3", quantity=1),
    )
    assert wrong.status_code == 422 and wrong.json()["expected"]["bin"] == first["bin"]
    assert "go to " + first["bin"] in wrong.json()["detail"][0]["msg"]
    assert task_now(w)["next"][0] == first  # nothing recorded


def test_a_wrong_lot_scan_is_refused_naming_the_lot(claimed):
    w = claimed
    first = w.task["next"][0]
    wrong_lot = w.c.post(
        f"/v1/handheld/tasks/{w.task['id']}/scans",
        headers=w.c.keys[w.who],
        json=scan_body(first, "s1", lot="NOPE", quantity=1),
    )
    assert wrong_lot.status_code == 422 and wrong_lot.json()["detail"][0]["loc"] == "lot"


def test_a_picker_cannot_scan_on_another_pickers_list(claimed):
    w = claimed
    stolen = w.c.post(
        f"/v1/handheld/tasks/{w.task['id']}/scans",
        headers=w.c.keys[w.other],
        json=scan_body(w.task["next"][0], "s1"),
    )
    assert stolen.status_code == 409
    own = w.c.post(
        f"/v1/handheld/tasks/{w.task['id']}/scans",
        headers=w.c.keys[w.who],
        json=scan_body(w.task["next"][0], "s1"),
    )
    assert own.status_code == 200, own.text


def test_a_repeated_scan_is_answered_not_applied_twice(picked):
    assert picked.scans and all(r.status_code == 200 for r in picked.scans), [
        r.text for r in picked.scans
    ]
    assert all(r.json()["repeated"] is True for r in picked.repeats)


def test_a_short_pick_with_another_lot_here_is_re_reserved_on_a_re_planned_route(picked):
    c, r = picked.c, picked.shorts["damaged"]
    assert r.status_code == 200, r.text
    assert "re-reserved in LAX" in r.json()["scan"]["resolution"]
    assert any(n["lot"] == "E2" for n in r.json()["task"]["next"])  # re-planned route
    earbuds = c.svc.app.repository.get(Inventory.create_id("LAX", "SKU-EARBUDS-TWS"))
    assert earbuds.on_hand == 12 - 1 - 2  # one damaged unit written off, two picked


def test_a_short_pick_with_no_stock_here_re_splits_to_another_warehouse(picked):
    c, r = picked.c, picked.shorts["bin_empty"]
    assert "re-split to FRA" in r.json()["scan"]["resolution"]
    o2_now = c.get(f"/v1/orders/{picked.o2['id']}", headers=c.keys["admin"]).json()
    assert [s["warehouse_id"] for s in o2_now["split"]["plan"]] == ["LAX", "FRA"]


def test_a_list_worked_through_with_shorts_is_done(picked):
    assert picked.done["status"] == "done"


def test_packing_refuses_parcels_that_do_not_hold_what_was_picked(picked):
    short_items = [{"sku": "SKU-EARBUDS-TWS", "quantity": 1}]
    bad = pack(picked.c, picked.who, picked.sid, 100, short_items)
    assert bad.status_code == 422 and "picked 2, packed 1" in bad.json()["detail"][0]["msg"]


def test_packing_flags_a_parcel_off_its_expected_weight(picked):
    heavy = pack(picked.c, picked.who, picked.sid, 250, TWO_EARBUDS)
    assert heavy.status_code == 200, heavy.text
    flags = heavy.json()["flags"]
    assert flags[0]["code"] == "weight_mismatch" and flags[0]["expected_g"] == 180


def test_a_packed_shipment_is_not_packed_again(picked):
    assert pack(picked.c, picked.who, picked.sid, 180, TWO_EARBUDS).status_code == 200
    again = pack(picked.c, picked.who, picked.sid, 180, TWO_EARBUDS, (1, 1, 1))
    assert again.status_code == 409


def test_another_warehouse_cannot_pack_the_shipment(picked):
    assert pack(picked.c, "fra", picked.sid, 180, TWO_EARBUDS, (1, 1, 1)).status_code == 404
    assert pack(picked.c, picked.who, picked.sid, 180, TWO_EARBUDS).status_code == 200


def test_backorder_when_no_warehouse_has_the_shortfall(floor):
    c = floor
    receipt(c, "ann", "R1", "SKU-DRONE-MINI", 2, "D1", "A-03-10-1")
    o = order(c, "B1", [("SKU-DRONE-MINI", 2)])
    c.post("/v1/warehouses/LAX/waves", json={}, headers=c.keys["ann"])
    t = c.get("/v1/handheld/tasks/next", headers=c.keys["ann"]).json()
    r = c.post(
        f"/v1/handheld/tasks/{t['id']}/shorts",
        headers=c.keys["ann"],
        json={
            "scan_id": "x",
            "bin": "A-03-10-1",
            "sku": "SKU-DRONE-MINI",
            "lot": "D1",
            "found": 1,
            "reason": "bin_empty",
        },
    )
    assert (
        "1 backordered" in r.json()["scan"]["resolution"] and r.json()["task"]["status"] == "done"
    )
    now = c.get(f"/v1/orders/{o['id']}", headers=c.keys["admin"]).json()
    assert now["split"]["plan"][0]["lines"] == [{"sku": "SKU-DRONE-MINI", "quantity": 1}]
    events = [
        e["type"]
        for e in c.get(f"/v1/orders/{o['id']}/events", headers=c.keys["admin"]).json()["events"]
    ]
    assert events[-2:] == ["ShortageResolved", "ShipmentPicked"]


def test_expiry_colours_at_their_boundaries(floor):
    c = floor
    for i, days in enumerate([0, 7, 8, 30, 31, 90, 91]):
        c.clock.at = datetime(2026, 11, 1, tzinfo=UTC)  # receive while still fresh
        receipt(
            c,
            "ann",
            f"R{i}",
            "SKU-TEA-001",
            1,
            f"T{days}",
            f"A-01-{i + 1:02d}-1",
            TODAY + timedelta(days=days),
        )
    c.clock.at = datetime(2026, 11, 20, 12, tzinfo=UTC)
    items = c.get("/v1/warehouses/LAX/expiry", headers=c.keys["ann"]).json()["items"]
    colours = {i["lot"]: i["colour"] for i in items}
    assert colours == {
        "T0": "red",
        "T7": "red",
        "T8": "yellow",
        "T30": "yellow",
        "T31": "blue",
        "T90": "blue",
    }
    assert next(i for i in items if i["lot"] == "T0")["expired"] is True
    reds = c.get("/v1/warehouses/LAX/expiry?colour=red", headers=c.keys["ann"]).json()["items"]
    assert {i["lot"] for i in reds} == {"T0", "T7"}


def test_replenishment_lists_skus_below_reorder_point(floor):
    c = floor
    receipt(c, "ann", "R1", "SKU-YOGA-MAT", 40, "Y1", "A-06-06-1")
    receipt(c, "ann", "R2", "SKU-KETTLE-1L7", 500, "K1", "A-08-08-1")
    for n in range(6):
        order(c, f"Y{n}", [("SKU-YOGA-MAT", 5)])
    body = c.get("/v1/warehouses/LAX/replenishment?history_days=7", headers=c.keys["ann"]).json()
    (row,) = body["items"]
    # 30 units reserved today over a 7-day window: mean 30/7 a day, lead time 7 days.
    assert row["sku"] == "SKU-YOGA-MAT" and row["mean_daily"] == round(30 / 7, 2)
    assert row["inventory_position"] == 10 and row["below_reorder_point"] is True
    assert row["suggested_order_qty"] > 0
