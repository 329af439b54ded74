"""Racing writers never over-reserve stock, and a version conflict is decided again, not lost.

Optimistic concurrency on the Inventory stream is what stops two orders from taking the same
last units: a writer that decided on stale stock fails its save with IntegrityError, and
`retry_on_conflict` (domains/store.py; used by `OrderUseCases.intake_batch` and by `Store.retry`
for cancels and releases) decides again from fresh state. These tests start writers together
and check the outcome directly: reserved <= on hand for every stock record, every order either
reserved in full or held for stock (`insufficient_stock`) with nothing reserved, no order held
while stock for it remained, and no writer failed.

Where the retry is reachable:
- PostgreSQL: intake takes no lock across processes (adapters/bootstrap.py), so several
  application instances decide in parallel. Each instance's first save is held until every
  instance has decided, so all of them decide on the same stock and all but one MUST conflict:
  the tests count the IntegrityErrors and require them (the retry path is exercised every run).
  A cancel that loses to an intake is forced the same way (`Store.retry`).
- SQLite file, several processes: intake batches take turns under a file lock (the intake
  lock), so they never decide on the same stock and the retry is NOT reachable from intake:
  the test asserts there are no conflicts at all, and that nothing is over-reserved.
- SQLite opened by URI ("file:..."), several processes: no intake lock is used for such a name,
  so the processes conflict like PostgreSQL's and the retry is reached on SQLite too.
"""

from __future__ import annotations

import multiprocessing as mp
import threading
import traceback
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError

from adapters.bootstrap import build_app
from domains.orders.intake import Intake
from domains.orders.model import Order
from domains.warehouse.model import Inventory
from tests.conftest import drop_schema, make_app, pg_env
from tests.integration.test_spine_scenarios import web_order

SKU = "SKU-DRONE-MINI"
STOCK = {"LAX": 5, "SZX": 4}  # 9 units in two warehouses
TIMEOUT_S = 60


# --------------------------------------------------------------------------- helpers
class Conflicts:
    """Counts the version conflicts an application's saves meet (IntegrityError from the
    recorder). Its first save can be held until `gate` returns, and followed by `then`."""

    def __init__(
        self,
        app: Any,
        gate: Callable[[], Any] | None = None,
        then: Callable[[], Any] | None = None,
    ) -> None:
        self.count = 0
        self._lock = threading.Lock()
        self._first = True
        real = app.store.commit_ids

        def commit_ids(*aggregates: Any) -> list[int]:
            with self._lock:
                first, self._first = self._first, False
            if first and gate is not None:
                gate()
            try:
                return real(*aggregates)
            except IntegrityError:
                with self._lock:
                    self.count += 1
                raise
            finally:
                if first and then is not None:
                    then()

        app.store.commit_ids = commit_ids  # Store.commit and intake both save through it


def orders_for(prefix: str, n: int) -> list[tuple[str, int]]:
    """(external id, units) of n orders for 1 or 2 units each."""
    return [(f"{prefix}-{k}", 1 + k % 2) for k in range(n)]


def take_in(app: Any, orders: list[tuple[str, int]], batch: int) -> list[str | None]:
    """Pushes the orders in batches; answers each order's error (None when taken in)."""
    errors: list[str | None] = []
    for start in range(0, len(orders), batch):
        items = [
            Intake("web", c, c)
            for c in (
                web_order(ext, [(SKU, units, "89.00")]) for ext, units in orders[start:][:batch]
            )
        ]
        try:
            outcomes, _ = app.orders.intake_batch(items)
            errors += [None if o.error is None else repr(o.error) for o in outcomes]
        except Exception:  # a writer that fails is exactly what must not happen
            errors += [traceback.format_exc()] * len(items)
    return errors


def stock_up(app: Any) -> None:
    for warehouse, quantity in STOCK.items():
        app.warehouse.receive_stock(warehouse, SKU, quantity, f"race-{warehouse}")


def check_never_over_reserved(app: Any, orders: dict[str, int]) -> dict[str, int]:
    """The stock and every order as stored (read by a fresh application). Answers counts."""
    inventories = {w: app.repository.get(Inventory.create_id(w, SKU)) for w in STOCK}
    for w, inv in inventories.items():
        assert inv.on_hand == STOCK[w] and 0 <= inv.reserved <= inv.on_hand, (w, inv.reserved)
        assert sum(inv.reservations.values()) == inv.reserved, f"{w}: lots and orders disagree"
    available = sum(inv.available for inv in inventories.values())
    allocated = held = 0
    for ext, units in orders.items():
        order = app.repository.get(Order.create_id("web", ext))
        reserved = sum(inv.reservations.get(str(order.id), 0) for inv in inventories.values())
        if order.status == "allocated":
            assert reserved == units, f"{ext}: {reserved} of {units} units reserved"
            allocated += units
        else:
            assert order.status == "held", f"{ext} is {order.status}"
            assert [h["code"] for h in order.hold_reasons] == ["insufficient_stock"], ext
            assert reserved == 0, f"{ext} is held yet holds {reserved} units"
            # Stock only went down while the orders raced: it was short when this one was held.
            assert units > available, f"{ext} held for {units} units while {available} remain"
            held += 1
    total_reserved = sum(inv.reserved for inv in inventories.values())
    assert total_reserved == allocated, "reservations held for orders that do not hold them"
    return {"allocated_units": allocated, "held": held, "available": available}


# ------------------------------------------------------------------------ PostgreSQL
@pytest.fixture
def pg_store() -> Iterator[dict[str, str]]:
    env = {**pg_env(), "POSTGRES_POOL_SIZE": "3"}  # several instances: few connections each
    yield env
    drop_schema(env)


@pytest.mark.postgres
def test_postgres_racing_instances_never_over_reserve_and_retry_their_conflicts(pg_store):
    """Four application instances (as four processes would be), two threads each, started
    together; every instance's first save waits until all four have decided."""
    apps = [make_app(pg_store), *(build_app(pg_store) for _ in range(3))]
    try:
        stock_up(apps[0])
        decided = threading.Barrier(len(apps), timeout=TIMEOUT_S)
        conflicts = [Conflicts(a, gate=decided.wait) for a in apps]
        start = threading.Barrier(2 * len(apps), timeout=TIMEOUT_S)
        pushed: dict[str, int] = {}
        errors: list[str] = []

        def worker(n: int) -> None:
            mine = orders_for(f"PG-{n}", 3)
            pushed.update(mine)
            try:
                start.wait()
                errors.extend(e for e in take_in(apps[n % len(apps)], mine, 1 + n % 3) if e)
            except Exception:
                errors.append(traceback.format_exc())

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(2 * len(apps))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(TIMEOUT_S)
        assert not any(t.is_alive() for t in threads), "a writer never finished"
        assert not errors, errors[0]
        met = sum(c.count for c in conflicts)
        assert met >= len(apps) - 1, f"only {met} conflicts: the retry was not exercised"
    finally:
        for a in apps:
            a.close()
    fresh = build_app(pg_store)
    try:
        outcome = check_never_over_reserved(fresh, pushed)
    finally:
        fresh.close()
    assert outcome["held"] > 0 and outcome["allocated_units"] >= sum(STOCK.values()) - 1


@pytest.mark.postgres
def test_postgres_a_cancel_that_loses_to_an_intake_is_decided_again(pg_store):
    """A cancel decides to release an order's units while another instance reserves from the
    same stock and saves first: the cancel's save conflicts, and it is decided again."""
    canceller, taker = make_app(pg_store), build_app(pg_store)
    try:
        stock_up(canceller)
        first = web_order("C-1", [(SKU, 4, "89.00")])
        cancelled = canceller.orders.intake(Intake("web", first, first))[0].order_id
        cancel_decided, intake_saved = threading.Event(), threading.Event()

        def cancel_saves_after_the_intake() -> None:
            cancel_decided.set()
            intake_saved.wait(TIMEOUT_S)

        lost = Conflicts(canceller, gate=cancel_saves_after_the_intake)
        won = Conflicts(taker, gate=lambda: cancel_decided.wait(TIMEOUT_S), then=intake_saved.set)
        start = threading.Barrier(2, timeout=TIMEOUT_S)
        errors: list[str] = []

        def run(step: Callable[[], Any]) -> None:
            try:
                start.wait()
                step()
            except Exception:
                errors.append(traceback.format_exc())

        second = web_order("C-2", [(SKU, 5, "89.00")])  # the 5 units still free
        threads = [
            threading.Thread(
                target=run,
                args=(lambda: canceller.orders.cancel_order(cancelled, "race", "admin"),),
            ),
            threading.Thread(
                target=run, args=(lambda: taker.orders.intake(Intake("web", second, second)),)
            ),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(TIMEOUT_S)
        assert not errors, errors[0]
        assert (lost.count, won.count) == (1, 0), "the cancel was to lose, once, to the intake"
    finally:
        canceller.close()
        taker.close()
    fresh = build_app(pg_store)
    try:
        assert fresh.repository.get(cancelled).status == "cancelled"
        outcome = check_never_over_reserved(fresh, {"C-2": 5})
        assert outcome == {"allocated_units": 5, "held": 0, "available": 4}
    finally:
        fresh.close()


# ------------------------------------------------------------------- SQLite processes
PROCESSES = 3
ORDERS_PER_PROCESS = 4


def _sqlite_process(
    n: int, phases: list[tuple[str, bool]], start: Any, decided: Any, results: Any
) -> None:
    """One process: its own application on each phase's file, started with the others; in a
    gated phase its first save waits until every process has decided."""
    for phase, (db, gated) in enumerate(phases):
        out: dict[str, Any] = {"phase": phase, "n": n, "conflicts": 0, "errors": []}
        try:
            app = build_app({"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": db})
            try:
                conflicts = Conflicts(
                    app, gate=(lambda: decided.wait(TIMEOUT_S)) if gated else None
                )
                start.wait(TIMEOUT_S)
                mine = orders_for(f"SQ{phase}-{n}", ORDERS_PER_PROCESS)
                out["orders"] = dict(mine)
                out["errors"] = [e for e in take_in(app, mine, 2) if e]
                out["conflicts"] = conflicts.count
            finally:
                app.close()
        except Exception:
            out["errors"].append(traceback.format_exc())
        results.put(out)


@pytest.fixture(scope="module")
def sqlite_races(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """Both SQLite phases, run by the same processes (spawned once): a plain file (intake takes
    turns under the intake lock) and the same kind of file opened by URI (no intake lock)."""
    locked = tmp_path_factory.mktemp("locked") / "events.db"
    by_uri = tmp_path_factory.mktemp("by_uri") / "events.db"
    phases = [(str(locked), False), ("file:" + str(by_uri), True)]
    for path in (locked, by_uri):
        seeded = make_app(
            {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(path)}
        )
        stock_up(seeded)
        seeded.close()
    # Fresh processes (not forks of this multi-threaded one), forked from a server that has
    # imported the application once.
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload([__name__])
    start, decided, results = ctx.Barrier(PROCESSES), ctx.Barrier(PROCESSES), ctx.Queue()
    procs = [
        ctx.Process(target=_sqlite_process, args=(n, phases, start, decided, results))
        for n in range(PROCESSES)
    ]
    for p in procs:
        p.start()
    try:
        out = [results.get(timeout=TIMEOUT_S * 2) for _ in range(PROCESSES * len(phases))]
    finally:
        for p in procs:
            p.join(TIMEOUT_S)
            if p.is_alive():
                p.kill()
    for phase, (db, _) in enumerate(phases):
        for o in out:
            if o["phase"] == phase:
                o["db"] = db
    return out


def _phase(races: list[dict[str, Any]], phase: int) -> tuple[dict[str, int], int, list[str]]:
    mine = [o for o in races if o["phase"] == phase]
    assert len(mine) == PROCESSES
    orders = {k: v for o in mine for k, v in o.get("orders", {}).items()}
    return orders, sum(o["conflicts"] for o in mine), [e for o in mine for e in o["errors"]]


def _check_sqlite(races: list[dict[str, Any]], phase: int) -> tuple[dict[str, int], int]:
    orders, conflicts, errors = _phase(races, phase)
    assert not errors, errors[0]
    assert len(orders) == PROCESSES * ORDERS_PER_PROCESS
    db = next(o["db"] for o in races if o["phase"] == phase)
    app = build_app({"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": db})
    try:
        outcome = check_never_over_reserved(app, orders)
    finally:
        app.close()
    assert outcome["held"] > 0 and outcome["allocated_units"] >= sum(STOCK.values()) - 1
    return outcome, conflicts


def test_sqlite_processes_take_turns_under_the_intake_lock_and_never_over_reserve(sqlite_races):
    _, conflicts = _check_sqlite(sqlite_races, 0)
    # The intake lock makes every batch decide on the stock the previous one saved: the
    # conflict retry is not reachable from intake on a SQLite file.
    assert conflicts == 0


def test_sqlite_processes_without_the_intake_lock_retry_their_conflicts(sqlite_races):
    _, conflicts = _check_sqlite(sqlite_races, 1)
    assert conflicts >= PROCESSES - 1, f"only {conflicts} conflicts: the retry was not exercised"
