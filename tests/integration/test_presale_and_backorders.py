"""Pre-sale and backorders on SQLite and PostgreSQL: pre-sales converted in the order they were
taken at receipt, a late inbound raising exceptions with the new date, a short arrival
backordering the last pre-sales, the stock view showing it all; and orders held for stock
released by a receipt, oldest first, while new orders race for the same stock (threads against
PostgreSQL, so the version-conflict retry is reached; processes against one SQLite file).

Every race is checked directly on the stored aggregates: no Inventory has reserved more than it
holds, every allocated order holds exactly its units, and the waiting orders that got stock are
the oldest ones.
"""

from __future__ import annotations

import multiprocessing as mp
import threading
import traceback
from datetime import date
from typing import Any
from uuid import UUID

import pytest

from adapters.bootstrap import build_app, store_env
from domains.orders.intake import Intake
from domains.orders.model import Order
from domains.warehouse.model import Inventory
from projections import ProjectionRunner, ViewDB, spine_projectors
from projections.orders_views import stock_page
from tests.conftest import drop_schema, make_app, pg_env
from tests.integration.test_reservation_races import Conflicts
from tests.integration.test_spine_scenarios import web_order

SKU = "SKU-DRONE-MINI"
TIMEOUT_S = 90


def push(app: Any, external_id: str, units: int = 1, sku: str = SKU) -> Order:
    c = web_order(external_id, [(sku, units, "89.00")])
    outcome, _ = app.orders.intake(Intake("web", c, c))
    return app.orders.get_order(outcome.order_id)


def expect(app: Any, units: int, inbound_id: str = "IB-SEA-1", arrival=date(2026, 12, 20)):
    app.store.retry(
        lambda t: app.warehouse.expect_inbound(
            t, inbound_id, "LAX", [{"sku": SKU, "quantity": units, "lot": "SEA-1"}], arrival
        )
    )


def arrive(app: Any, units: int, inbound_id: str = "IB-SEA-1") -> dict[str, Any]:
    rows = [{"sku": SKU, "quantity": units, "lot": "SEA-1", "bin": "A-01-01-1"}]
    summary, _ = app.store.retry(
        lambda t: app.warehouse.receive_inbound(t, inbound_id, "LAX", rows)
    )
    app.orders.release_backorders(summary["skus"], {"kind": "inbound", "ref": inbound_id})
    return summary


def presell(app: Any) -> None:
    app.orders.set_presale([{"channel": "web", "sku": SKU, "cap": None}], {"LAX": 2}, "ops", "")


def stock_row(app: Any, store: dict[str, str]) -> dict[str, Any]:
    db = ViewDB(store_env(store))
    try:
        ProjectionRunner(app, db, spine_projectors()).catch_up()
        (row,) = stock_page(db, limit=10, offset=0, sku=SKU, warehouse="LAX")[0]
        return row
    finally:
        db.close()


def check_stock(app: Any) -> None:
    """No inventory of the SKU holds more reservations than stock; lots and orders agree."""
    for code in app.reference.current()["warehouses"]:
        inv = app.store.get_or_none(Inventory.create_id(code, SKU))
        if inv is None:
            continue
        assert 0 <= inv.reserved <= inv.on_hand, (code, inv.reserved, inv.on_hand)
        assert sum(inv.reservations.values()) == inv.reserved, code


# ------------------------------------------------------------------------ pre-sale
def test_presales_are_converted_in_the_order_taken_and_the_view_shows_each_step(app, store):
    expect(app, 5)
    presell(app)
    orders = [push(app, f"PS-{n}", units=2) for n in range(3)]  # 6 units wanted, 5 coming
    assert [o.status for o in orders] == ["allocated", "allocated", "held"]
    assert orders[0].shipments[0]["presale"]["promised_date"] == "2026-12-22"
    row = stock_row(app, store)
    assert (row["on_hand"], row["inbound"], row["reserved_inbound"]) == (0, 5, 4)
    assert row["inbounds"] == [
        {"inbound_id": "IB-SEA-1", "units": 5, "arrival": "2026-12-20", "presold": 4}
    ]
    summary = arrive(app, 5)
    assert summary["converted"] == [str(o.id) for o in orders[:2]]
    check_stock(app)
    # The third order wants two units; one is left: it still waits.
    assert app.orders.get_order(orders[2].id).status == "held"
    row = stock_row(app, store)
    assert (row["on_hand"], row["reserved"], row["available"]) == (5, 4, 1)
    assert (row["inbound"], row["reserved_inbound"], row["inbounds"]) == (0, 0, [])


def test_a_late_inbound_gives_presold_orders_an_exception_with_the_new_date(app):
    expect(app, 4)
    presell(app)
    orders = [push(app, f"LT-{n}") for n in range(2)]
    affected, _ = app.store.retry(
        lambda t: app.warehouse.reschedule_inbound(
            t, "IB-SEA-1", "LAX", date(2027, 1, 5), "port congestion"
        )
    )
    assert affected == [str(o.id) for o in orders]
    for o in orders:
        last = app.orders.order_events(o.id)[-1]
        assert type(last).__name__ == "PresaleRescheduled"
        assert (last.promised_date, last.previous_promised_date) == ("2027-01-07", "2026-12-22")


def test_a_short_arrival_backorders_the_last_presales_and_oversells_nothing(app, store):
    expect(app, 6)
    presell(app)
    orders = [push(app, f"SH-{n}", units=2) for n in range(3)]
    summary = arrive(app, 3)
    assert summary["converted"] == [str(orders[0].id)]
    assert summary["backordered"] == [str(o.id) for o in orders[1:]]
    check_stock(app)
    inv = app.repository.get(Inventory.create_id("LAX", SKU))
    assert (inv.on_hand, inv.reserved) == (3, 2)
    waiting = [w["order_id"] for w in app.orders.waiting_for_stock([SKU])]
    assert waiting == [str(o.id) for o in orders[1:]]
    # More stock: both are released, split anew (from stock on hand), and the views agree.
    app.warehouse.receive_stock("LAX", SKU, 4, "top-up", bin_code="A-01-02-1")
    assert all(app.orders.get_order(o.id).status == "allocated" for o in orders)
    check_stock(app)
    row = stock_row(app, store)
    assert (row["on_hand"], row["reserved"], row["reserved_inbound"]) == (7, 6, 0)
    db = ViewDB(store_env(store))
    try:
        shipments = db.query(
            "SELECT order_id, status FROM view_shipments WHERE order_id = ?", (str(orders[2].id),)
        )
    finally:
        db.close()
    assert shipments == [{"order_id": str(orders[2].id), "status": "allocated"}]


# ------------------------------------------------------------------------ races
WAITING = 8  # orders held for one unit each before the stock arrives
RECEIPTS = {"LAX": 3, "SZX": 2}  # two receipts racing: 5 units
NEW_ORDERS = 6  # taken in while the receipts release the backorders


def hold_orders(app: Any, prefix: str) -> list[str]:
    """WAITING orders held for stock, oldest first (one unit each)."""
    ids = []
    for n in range(WAITING):
        order = push(app, f"{prefix}-W{n}")
        assert order.status == "held"
        ids.append(str(order.id))
    assert [w["order_id"] for w in app.orders.waiting_for_stock([SKU])] == ids
    return ids


def check_race(app: Any, waiting: list[str], new_orders: list[str]) -> dict[str, int]:
    check_stock(app)
    invs = [app.repository.get(Inventory.create_id(code, SKU)) for code in RECEIPTS]
    assert [inv.on_hand for inv in invs] == list(RECEIPTS.values())
    statuses = [app.repository.get(Order.create_id("web", ext)).status for ext in new_orders]
    released = [app.store.get_or_none(UUID(o)).status == "allocated" for o in waiting]
    # The waiting orders that got stock are the oldest ones: a run of True, then False.
    assert released == sorted(released, reverse=True), released
    allocated = sum(released) + statuses.count("allocated")
    assert allocated == sum(RECEIPTS.values()), (released, statuses)
    for inv in invs:
        for order_id, units in inv.reservations.items():
            assert units == 1, order_id
    return {"released": sum(released), "new_allocated": statuses.count("allocated")}


@pytest.mark.postgres
def test_postgres_receipts_release_the_oldest_backorders_while_new_orders_race():
    """Two receipts (each releasing backorders after its commit) and two intake threads start
    on a barrier, each on its own application (as separate API workers would be). The first
    release batch of each receipt waits until the new orders have decided, so they decide on
    the same queue and stock and one side MUST conflict and retry."""
    env = {**pg_env(), "POSTGRES_POOL_SIZE": "3"}
    apps = [make_app(env), *(build_app(env) for _ in range(3))]
    try:
        waiting = hold_orders(apps[0], "PG")
        decided = threading.Barrier(4, timeout=TIMEOUT_S)
        conflicts = [
            # a receiver's 1st save is its receipt; its 2nd, the first release batch
            Conflicts(apps[0], gate=None),
            Conflicts(apps[1], gate=None),
            Conflicts(apps[2], gate=decided.wait),
            Conflicts(apps[3], gate=decided.wait),
        ]
        for app in apps[:2]:
            _gate_second_save(app, decided)
        start = threading.Barrier(4, timeout=TIMEOUT_S)
        errors: list[str] = []
        new_orders = [f"PG-N{n}" for n in range(NEW_ORDERS)]

        def run(step) -> None:
            try:
                start.wait()
                step()
            except Exception:
                errors.append(traceback.format_exc())

        def intake(app: Any, names: list[str]) -> None:
            for name in names:
                c = web_order(name, [(SKU, 1, "89.00")])
                app.orders.intake(Intake("web", c, c))

        steps = [
            lambda: apps[0].warehouse.receive_stock("LAX", SKU, RECEIPTS["LAX"], "race-LAX"),
            lambda: apps[1].warehouse.receive_stock("SZX", SKU, RECEIPTS["SZX"], "race-SZX"),
            lambda: intake(apps[2], new_orders[::2]),
            lambda: intake(apps[3], new_orders[1::2]),
        ]
        threads = [threading.Thread(target=run, args=(s,)) for s in steps]
        for t in threads:
            t.start()
        for t in threads:
            t.join(TIMEOUT_S)
        assert not any(t.is_alive() for t in threads), "a writer never finished"
        assert not errors, errors[0]
        met = sum(c.count for c in conflicts)
        assert met >= 1, "no version conflict: the retry was not exercised"
    finally:
        for a in apps:
            a.close()
    fresh = build_app(env)
    try:
        outcome = check_race(fresh, waiting, new_orders)
        # More orders waited than arrived: every unit went to them; new orders queued behind.
        assert outcome == {"released": sum(RECEIPTS.values()), "new_allocated": 0}
    finally:
        fresh.close()
        drop_schema(env)


def _gate_second_save(app: Any, barrier: threading.Barrier) -> None:
    """The app's second save (after its receipt: the first release batch) waits on the
    barrier with the intakes' first saves."""
    real = app.store.commit_ids
    calls = [0]

    def commit_ids(*aggregates: Any) -> list[int]:
        calls[0] += 1
        if calls[0] == 2:
            barrier.wait()
        return real(*aggregates)

    app.store.commit_ids = commit_ids


# ---------------------------------------------------------------- SQLite processes
def _sqlite_worker(n: int, db: str, start: Any, results: Any) -> None:
    out: dict[str, Any] = {"n": n, "errors": []}
    try:
        app = build_app({"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": db})
        try:
            start.wait(TIMEOUT_S)
            if n < len(RECEIPTS):
                code = list(RECEIPTS)[n]
                app.warehouse.receive_stock(code, SKU, RECEIPTS[code], f"race-{code}")
            else:
                for name in [f"SQ-N{k}" for k in range(NEW_ORDERS)][n - len(RECEIPTS) :: 2]:
                    c = web_order(name, [(SKU, 1, "89.00")])
                    app.orders.intake(Intake("web", c, c))
        finally:
            app.close()
    except Exception:
        out["errors"].append(traceback.format_exc())
    results.put(out)


def test_sqlite_processes_receipts_release_the_oldest_backorders_while_new_orders_race(
    tmp_path,
):
    db = str(tmp_path / "events.db")
    seeded = make_app({"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": db})
    try:
        waiting = hold_orders(seeded, "SQ")
    finally:
        seeded.close()
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload([__name__])
    start, results = ctx.Barrier(4), ctx.Queue()
    procs = [ctx.Process(target=_sqlite_worker, args=(n, db, start, results)) for n in range(4)]
    for p in procs:
        p.start()
    try:
        out = [results.get(timeout=TIMEOUT_S * 2) for _ in procs]
    finally:
        for p in procs:
            p.join(TIMEOUT_S)
            if p.is_alive():
                p.kill()
    errors = [e for o in out for e in o["errors"]]
    assert not errors, errors[0]
    fresh = build_app({"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": db})
    try:
        outcome = check_race(fresh, waiting, [f"SQ-N{k}" for k in range(NEW_ORDERS)])
        assert outcome == {"released": sum(RECEIPTS.values()), "new_allocated": 0}
    finally:
        fresh.close()
