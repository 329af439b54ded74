"""The named view queries of each context (projections/<context>_views.py) on both stores.

The views' own tables are created as the runner creates them and filled with rows directly, so
each test states exactly the rows a query sees and what a user of the route would get back.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from projections import ProjectionRunner, ViewDB, spine_projectors
from projections.customs_views import clearance_delay_rates, customs_queue
from projections.orders_views import orders_page, stock_page, warehouse_stock
from projections.settlement_views import shipment_costs
from projections.transport_views import (
    billed_waybills,
    dispatched_shipments,
    issued_labels,
    open_shipments,
    shipments_with_alerts,
    wave_candidates,
)
from projections.warehouse_views import (
    demand_history,
    demand_since,
    expiring_lots,
    pick_lists_for,
)


@pytest.fixture
def db(store):
    views = ViewDB(store)
    ProjectionRunner(None, views, spine_projectors())  # creates the view tables, reads nothing
    yield views
    views.close()


def put(db: ViewDB, table: str, *rows: dict) -> None:
    for row in rows:
        cols = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        db.execute(f"INSERT INTO {table} ({cols}) VALUES ({marks})", list(row.values()))


def at(day: int, hour: int = 0) -> str:
    return datetime(2026, 11, day, hour, tzinfo=UTC).isoformat()


# ------------------------------------------------------------------------------------ orders
def order(oid: str, placed: str, **kw) -> dict:
    row = {
        "order_id": oid,
        "channel": "web",
        "external_id": f"X-{oid}",
        "status": "allocated",
        "dealer_id": None,
        "placed_at": placed,
        "received_at": placed,
        "currency": "USD",
        "total": "10.00",
        "country": "US",
        "line_count": 1,
        "units": 1,
        "shipments": 1,
        "warehouses": "LAX",
        "hold_codes": "",
        "hold_reasons": "[]",
        "version": 3,
        "updated_at": placed,
    }
    row.update(kw)
    return row


@pytest.fixture
def orders(db):
    held = [{"rule": "credit", "code": "credit_limit", "reason": "over the limit"}]
    put(
        db,
        "view_orders",
        order("o1", at(1), channel="amazon", warehouses="LAX,RTM"),
        order(
            "o2",
            at(2),
            status="held",
            warehouses="",
            hold_codes="credit_limit",
            hold_reasons=json.dumps(held),
        ),
        order("o3", at(2), dealer_id="D-1", channel="dealer", warehouses="RTM"),
        order("o4", at(3), status="held", hold_codes="credit_limit_x,stock", warehouses=""),
        order("o5", at(4), channel="amazon", warehouses="LAXX"),
    )
    return db


def order_ids(db: ViewDB, limit: int = 50, offset: int = 0, **filters) -> tuple[list[str], int]:
    rows, total = orders_page(db, limit=limit, offset=offset, **filters)
    return [r["id"] for r in rows], total


def test_order_list_is_newest_first_and_pages_keep_the_total(orders):
    assert order_ids(orders) == (["o5", "o4", "o2", "o3", "o1"], 5)  # same time: by order id
    assert order_ids(orders, limit=2) == (["o5", "o4"], 5)
    assert order_ids(orders, limit=2, offset=2) == (["o2", "o3"], 5)
    assert order_ids(orders, limit=2, offset=4) == (["o1"], 5)
    assert order_ids(orders, limit=2, offset=5) == ([], 5)


def test_order_list_filters(orders):
    assert order_ids(orders, channel="amazon") == (["o5", "o1"], 2)
    assert order_ids(orders, status="held") == (["o4", "o2"], 2)
    assert order_ids(orders, dealer="D-1") == (["o3"], 1)
    assert order_ids(orders, hold_code="credit_limit") == (["o2"], 1)  # not credit_limit_x
    assert order_ids(orders, warehouse="LAX") == (["o1"], 1)  # one of LAX,RTM; not LAXX
    assert order_ids(orders, warehouse="RTM", channel="dealer") == (["o3"], 1)
    assert order_ids(orders, channel="", status=None) == (["o5", "o4", "o2", "o3", "o1"], 5)


def test_order_list_time_window_is_inclusive_and_naive_times_are_utc(orders):
    window = {"placed_from": datetime(2026, 11, 2), "placed_to": datetime(2026, 11, 3)}
    assert order_ids(orders, **window) == (["o4", "o2", "o3"], 3)
    # 01:00 at UTC+2 is 23:00 UTC the day before: o2 and o3 (placed at midnight) are after it
    plus2 = timezone(timedelta(hours=2))
    assert order_ids(orders, placed_from=datetime(2026, 11, 2, 1, tzinfo=plus2))[1] == 4
    assert order_ids(orders, placed_to=datetime(2026, 11, 1, 23, 59)) == (["o1"], 1)


def test_order_rows_carry_lists_and_their_id(orders):
    rows, _ = orders_page(orders, limit=50, offset=0, status="held")
    o4, o2 = rows
    assert o2["id"] == "o2" and "order_id" not in o2
    assert o2["hold_codes"] == ["credit_limit"]
    assert o2["hold_reasons"] == [
        {"rule": "credit", "code": "credit_limit", "reason": "over the limit"}
    ]
    assert o4["hold_codes"] == ["credit_limit_x", "stock"] and o4["warehouses"] == []
    first = orders_page(orders, limit=1, offset=0, channel="amazon")[0][0]
    assert first["warehouses"] == ["LAXX"] and first["total"] == "10.00"


# ------------------------------------------------------------------------------------- stock
@pytest.fixture
def stock(db):
    rows = [
        ("RTM", "SKU-B", 5, 5),
        ("LAX", "SKU-B", 10, 3),
        ("LAX", "SKU-A", 4, 0),
        ("RTM", "SKU-A", 0, 0),
    ]
    put(
        db,
        "view_stock",
        *[
            {
                "inventory_id": f"{wh}/{sku}",
                "warehouse_id": wh,
                "sku": sku,
                "on_hand": on_hand,
                "reserved": reserved,
                "version": 2,
                "updated_at": at(1),
            }
            for wh, sku, on_hand, reserved in rows
        ],
    )
    return db


def test_stock_page_by_warehouse_then_sku_with_available(stock):
    rows, total = stock_page(stock, limit=500, offset=0)
    assert total == 4
    assert [(r["warehouse_id"], r["sku"], r["available"]) for r in rows] == [
        ("LAX", "SKU-A", 4),
        ("LAX", "SKU-B", 7),
        ("RTM", "SKU-A", 0),
        ("RTM", "SKU-B", 0),
    ]
    assert set(rows[0]) == {
        *("warehouse_id", "sku", "on_hand", "reserved", "available", "version"),
        *("inbound", "reserved_inbound", "in_transit_out", "inbounds"),
    }


def test_stock_page_filters_and_pages(stock):
    rows, total = stock_page(stock, limit=500, offset=0, sku="SKU-B")
    assert ([r["warehouse_id"] for r in rows], total) == (["LAX", "RTM"], 2)
    rows, total = stock_page(stock, limit=500, offset=0, warehouse="RTM", sku="SKU-A")
    assert ([(r["on_hand"], r["reserved"]) for r in rows], total) == ([(0, 0)], 1)
    rows, total = stock_page(stock, limit=1, offset=1, warehouse="LAX")
    assert ([r["sku"] for r in rows], total) == (["SKU-B"], 2)


def test_warehouse_stock_is_that_warehouse_only(stock):
    rows = warehouse_stock(stock, "LAX")
    assert sorted((r["sku"], r["on_hand"], r["reserved"]) for r in rows) == [
        ("SKU-A", 4, 0),
        ("SKU-B", 10, 3),
    ]
    assert {r["warehouse_id"] for r in rows} == {"LAX"}
    assert warehouse_stock(stock, "SIN") == []


# --------------------------------------------------------------------------------- warehouse
def test_a_picker_is_offered_open_lists_and_their_own_earliest_cutoff_first(db):
    def pick_list(pid, cutoff, status="open", picker=None, wh="LAX", created=1):
        return {
            "pick_list_id": pid,
            "warehouse_id": wh,
            "wave_id": "w1",
            "cart_no": 1,
            "cutoff": cutoff,
            "status": status,
            "picker": picker,
            "lines": 3,
            "route_m": 10.0,
            "s_shape_m": 12.0,
            "created_at": at(1, created),
        }

    put(
        db,
        "view_pick_lists",
        pick_list("late", at(5)),
        pick_list("mine", at(4), status="assigned", picker="ann"),
        pick_list("theirs", at(3), status="assigned", picker="bob", created=3),
        pick_list("done", at(2), status="done", picker="ann"),
        pick_list("elsewhere", at(2), wh="RTM"),
        pick_list("early-b", at(3), created=2),
        pick_list("early-a", at(3), created=1),
    )
    assert pick_lists_for(db, "LAX", "ann") == ["early-a", "early-b", "mine", "late"]
    assert pick_lists_for(db, "LAX", "bob") == ["early-a", "early-b", "theirs", "late"]
    assert pick_lists_for(db, "SIN", "ann") == []


def test_pickers_are_offered_at_most_fifty_lists(db):
    put(
        db,
        "view_pick_lists",
        *[
            {
                "pick_list_id": f"p{n:03d}",
                "warehouse_id": "LAX",
                "wave_id": "w",
                "cart_no": n,
                "cutoff": at(1 + n % 20),
                "status": "open",
                "picker": None,
                "lines": 1,
                "route_m": 1.0,
                "s_shape_m": 1.0,
                "created_at": at(1),
            }
            for n in range(60)
        ],
    )
    offered = pick_lists_for(db, "LAX", "ann")
    day = {f"p{n:03d}": 1 + n % 20 for n in range(60)}
    assert len(offered) == 50  # the earliest cut-offs: days 1 to 16 whole, two of day 17
    assert {p for p, d in day.items() if d <= 16} <= set(offered)
    assert max(day[p] for p in offered) == 17


def test_demand_since_a_day_and_its_history(db):
    put(
        db,
        "view_demand",
        *[
            {"warehouse_id": wh, "sku": sku, "day": day, "quantity": q}
            for wh, sku, day, q in [
                ("LAX", "SKU-A", "2026-10-31", 100),
                ("LAX", "SKU-A", "2026-11-01", 3),
                ("LAX", "SKU-A", "2026-11-02", 4),
                ("LAX", "SKU-B", "2026-11-02", 1),
                ("RTM", "SKU-A", "2026-11-02", 50),
            ]
        ],
    )
    assert demand_since(db, "LAX", "2026-11-01") == {"SKU-A": 7, "SKU-B": 1}  # from that day on
    assert demand_since(db, "LAX", "2026-11-03") == {}
    history = demand_history(db, "LAX")
    assert len(history) == 4 and {r["warehouse_id"] for r in history} == {"LAX"}
    assert sum(r["quantity"] for r in history) == 108
    assert set(history[0]) == {"warehouse_id", "sku", "day", "quantity"}


def test_expiring_lots_soonest_first_only_in_stock_and_dated(db):
    lots = [
        ("SKU-MILK", "L3", "A-1", "2026-12-01", 5),
        ("SKU-MILK", "L1", "A-2", "2026-11-10", 2),
        ("SKU-BREAD", "L9", "A-3", "2026-11-10", 1),
        ("SKU-MILK", "L0", "A-4", "2026-11-05", 0),  # nothing on hand
        ("SKU-TEA", "L5", "A-5", None, 9),  # no expiry
    ]
    put(
        db,
        "view_lots",
        *[
            {
                "inventory_id": f"i-{lot}",
                "warehouse_id": "LAX",
                "sku": sku,
                "lot": lot,
                "bin": b,
                "expiry": exp,
                "on_hand": on_hand,
                "reserved": 0,
            }
            for sku, lot, b, exp, on_hand in lots
        ],
        {
            "inventory_id": "i-r",
            "warehouse_id": "RTM",
            "sku": "SKU-MILK",
            "lot": "R1",
            "bin": "B-1",
            "expiry": "2026-11-01",
            "on_hand": 3,
            "reserved": 0,
        },
    )
    rows = expiring_lots(db, "LAX")
    assert [(r["expiry"], r["sku"], r["lot"]) for r in rows] == [
        ("2026-11-10", "SKU-BREAD", "L9"),
        ("2026-11-10", "SKU-MILK", "L1"),
        ("2026-12-01", "SKU-MILK", "L3"),
    ]
    assert set(rows[0]) == {"sku", "lot", "bin", "expiry", "on_hand", "reserved"}


# --------------------------------------------------------------------------------- transport
def shipment(sid: str, status: str, **kw) -> dict:
    oid, _, n = sid.rpartition("-S")
    row = {
        "shipment_id": sid,
        "order_id": oid,
        "shipment_no": int(n),
        "warehouse_id": "LAX",
        "status": status,
        "channel": "web",
        "placed_at": at(1),
        "cutoff": at(2),
        "lines": json.dumps([{"sku": "SKU-A", "quantity": 1}, {"sku": "SKU-B", "quantity": 2}]),
        "weight_g": 500,
        "flags": "[]",
        "destination": "DE",
    }
    row.update(kw)
    return row


def test_wave_candidates_are_allocated_and_due_by_the_cutoff(db):
    put(
        db,
        "view_shipments",
        shipment("o1-S2", "allocated", cutoff=at(3)),
        shipment("o1-S1", "allocated", cutoff=at(3)),
        shipment("o2-S1", "allocated", cutoff=at(2)),
        shipment("o3-S1", "allocated", cutoff=at(4)),
        shipment("o4-S1", "waved", cutoff=at(1)),
        shipment("o5-S1", "allocated", cutoff=at(1), warehouse_id="RTM"),
    )
    rows = wave_candidates(db, "LAX", at(3))  # the cut-off itself is included
    assert [(r["order_id"], r["shipment_no"]) for r in rows] == [("o2", 1), ("o1", 1), ("o1", 2)]
    assert rows[0] == {"order_id": "o2", "shipment_no": 1, "cutoff": at(2)}
    assert len(wave_candidates(db, "LAX", "9999-12-31T00:00:00+00:00")) == 4
    assert wave_candidates(db, "LAX", at(1)) == []


def test_open_shipments_and_alerts(db):
    alert = {
        "kind": "no_scan_24h",
        "detected_at": at(5),
        "detail": "quiet",
        "suggested_action": "x",
    }
    put(
        db,
        "view_shipments",
        shipment("o1-S1", "dispatched", alerts=json.dumps([alert]), carrier="ups"),
        shipment("o2-S1", "delivered", alerts=json.dumps([alert, alert])),
        shipment("o3-S1", "cancelled"),
        shipment("o4-S1", "in_transit"),
        shipment("o0-S1", "allocated"),
    )
    assert sorted(r["shipment_id"] for r in open_shipments(db)) == ["o0-S1", "o1-S1", "o4-S1"]
    assert "alerts" in open_shipments(db)[0] and "lines" in open_shipments(db)[0]  # every column
    alerted = shipments_with_alerts(db)
    assert [r["shipment_id"] for r in alerted] == ["o1-S1", "o2-S1"]  # delivered ones too
    assert json.loads(alerted[1]["alerts"]) == [alert, alert] and alerted[0]["carrier"] == "ups"


def test_scorecards_read_dispatched_shipments_only(db):
    put(
        db,
        "view_shipments",
        shipment("o1-S1", "delivered", carrier="ups", service="ground", dispatched_at=at(2)),
        shipment("o2-S1", "in_transit", carrier="dhl", service="x", dispatched_at=at(3)),
        shipment("o3-S1", "labelled", carrier="ups", service="ground"),
    )
    rows = dispatched_shipments(db)
    assert sorted((r["carrier"], r["dispatched_at"]) for r in rows) == [
        ("dhl", at(3)),
        ("ups", at(2)),
    ]


def label(waybill: str, sid: str, status: str = "labelled", cents: int = 1250, **kw) -> dict:
    row = {
        "waybill": waybill,
        "carrier": "ups",
        "service": "ground",
        "order_id": sid.rpartition("-S")[0],
        "shipment_id": sid,
        "status": status,
        "chargeable_weight_kg": 1.5,
        "quoted_base_cents": 1000,
        "quoted_fuel_cents": 250,
        "fuel_pct": 25.0,
        "quoted_surcharges": "{}",
        "quoted_total_cents": cents,
        "currency": "USD",
        "labelled_at": at(2),
    }
    row.update(kw)
    return row


def test_issued_labels_include_voided_ones_and_billed_waybills_are_per_carrier(db):
    put(db, "view_labels", label("1Z1", "o1-S1", "voided"), label("1Z2", "o1-S1"))
    put(
        db,
        "view_billed",
        {"carrier": "ups", "waybill": "1Z1", "bill_id": "b1"},
        {"carrier": "ups", "waybill": "1Z1", "bill_id": "b2"},
        {"carrier": "ups", "waybill": "1Z2", "bill_id": "b2"},
        {"carrier": "dhl", "waybill": "JD9", "bill_id": "b3"},
    )
    labels = {r["waybill"]: r for r in issued_labels(db)}
    assert {w: r["status"] for w, r in labels.items()} == {"1Z1": "voided", "1Z2": "labelled"}
    assert labels["1Z2"]["quoted_total_cents"] == 1250 and labels["1Z2"]["fuel_pct"] == 25.0
    assert billed_waybills(db, "ups") == {"1Z1", "1Z2"}
    assert billed_waybills(db, "dhl") == {"JD9"}
    assert billed_waybills(db, "fedex") == set()


# ------------------------------------------------------------------------------------ customs
def declaration(did: str, drafted: str, **kw) -> dict:
    row = {
        "declaration_id": did,
        "order_id": f"o-{did}",
        "shipment_no": 1,
        "channel": "web",
        "origin": "US",
        "destination": "DE",
        "incoterm": "DDP",
        "status": "pending_review",
        "flag_codes": "",
        "goods_value": "100.00",
        "currency": "EUR",
        "duty": "5.00",
        "vat": "19.95",
        "scheme": "IOSS",
        "drafted_at": drafted,
        "updated_at": drafted,
    }
    row.update(kw)
    return row


def test_customs_queue_oldest_first_with_filters_flags_and_pages(db):
    put(
        db,
        "view_declarations",
        declaration("d3", at(3), flag_codes="high_value,restricted"),
        declaration("d1", at(5), status="approved"),
        declaration("d2", at(2), destination="GB", flag_codes="restricted_x"),
        declaration("d4", at(4), channel="amazon", flag_codes="restricted"),
    )

    def ids(limit=50, offset=0, **f):
        rows, total = customs_queue(db, limit=limit, offset=offset, **f)
        return [r["declaration_id"] for r in rows], total

    assert ids() == (["d2", "d3", "d4", "d1"], 4)  # oldest draft first
    assert ids(status="pending_review") == (["d2", "d3", "d4"], 3)
    assert ids(flag="restricted") == (["d3", "d4"], 2)  # a whole code, not restricted_x
    assert ids(destination="GB") == (["d2"], 1)
    assert ids(channel="amazon", flag="restricted") == (["d4"], 1)
    assert ids(limit=2, offset=1, status="pending_review") == (["d3", "d4"], 3)
    rows, _ = customs_queue(db, limit=50, offset=0, flag="high_value")
    assert rows[0]["flags"] == ["high_value", "restricted"] and "flag_codes" not in rows[0]
    assert customs_queue(db, limit=1, offset=0, status="approved")[0][0]["flags"] == []


def test_clearance_delays_per_destination_and_carrier(db):
    put(
        db,
        "view_declarations",
        declaration("a", at(1), submitted_at=at(2), held_at=at(3)),
        declaration("b", at(1), submitted_at=at(2)),
        declaration("c", at(1), submitted_at=at(2)),
        declaration("d", at(1), submitted_at=at(2), destination="GB"),
        declaration("e", at(1), submitted_at=at(2), destination="AU", held_at=at(4)),
        declaration("f", at(1)),  # never submitted: not counted
    )
    put(
        db,
        "view_shipments",
        shipment("o-a-S1", "in_transit", carrier="ups"),
        shipment("o-b-S1", "in_transit", carrier="ups"),
        shipment("o-c-S1", "in_transit", carrier="dhl"),
        shipment("o-d-S1", "in_transit", carrier="ups"),
    )  # e has no shipment row: its carrier is unknown
    rows = clearance_delay_rates(db)
    by = {
        (r["destination"], r["carrier"]): (r["submitted"], r["held"], r["delay_rate"]) for r in rows
    }
    assert by == {
        ("AU", None): (1, 1, 1.0),
        ("DE", "ups"): (2, 1, 0.5),
        ("DE", "dhl"): (1, 0, 0.0),
        ("GB", "ups"): (1, 0, 0.0),
    }
    assert [r["destination"] for r in rows] == ["AU", "DE", "DE", "GB"]


# --------------------------------------------------------------------------------- settlement
def test_shipment_costs_are_the_labelled_shipments_with_duties_and_order_totals(db):
    put(
        db,
        "view_shipments",
        shipment("o1-S1", "dispatched", dispatched_at=at(3)),
        shipment("o1-S2", "labelled"),
        shipment("o2-S1", "labelled"),  # its only label was voided
        shipment("o3-S1", "packed"),  # no label yet
    )
    put(
        db,
        "view_labels",
        label("1Z1", "o1-S1", cents=1999),
        label("1Z2", "o1-S2", cents=500, currency="EUR"),
        label("1Z3", "o2-S1", status="voided"),
    )
    put(
        db,
        "view_declarations",
        declaration("d1", at(1), order_id="o1", shipment_no=1, incoterm="DAP"),
    )
    put(db, "view_orders", order("o1", at(1), total="80.00"), order("o2", at(1)))
    rows = {r["shipment_id"]: r for r in shipment_costs(db)}
    assert sorted(rows) == ["o1-S1", "o1-S2"]
    s1, s2 = rows["o1-S1"], rows["o1-S2"]
    assert (s1["quoted_total_cents"], s1["currency"], s1["dispatched_at"]) == (1999, "USD", at(3))
    assert (s1["duty"], s1["vat"], s1["duty_currency"], s1["incoterm"]) == (
        "5.00",
        "19.95",
        "EUR",
        "DAP",
    )
    assert (s2["duty"], s2["incoterm"], s2["currency"]) == (None, None, "EUR")  # not declared
    assert (s1["order_total"], s1["order_currency"]) == ("80.00", "USD")
    assert json.loads(s1["lines"])[1] == {"sku": "SKU-B", "quantity": 2}
    assert sorted(r["shipment_id"] for r in shipment_costs(db, "o1")) == ["o1-S1", "o1-S2"]
    assert shipment_costs(db, "o2") == [] and shipment_costs(db, "o9") == []
